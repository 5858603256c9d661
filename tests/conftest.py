"""Shared fixtures: a parsed dbt manifest (Dagster's definitions need it) and data dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from igw.config import DATA_DIR_ENV, DBT_PROJECT_DIR, dbt_target_dir
from igw.dbt_runner import build_args, run_dbt

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
# A fixed pseudonym key for every dbt run of the tests (never a real one).
os.environ.setdefault("IGW_PSEUDONYM_KEY", "igw-test-pseudonym-key")
# Parallel workers (pytest-xdist) each get their own dbt target dir: two dbt processes never
# write one manifest. Set before anything imports orchestration.project (it reads it).
if os.environ.get("PYTEST_XDIST_WORKER"):
    _worker_target = DBT_PROJECT_DIR / "target" / f"pytest-{os.environ['PYTEST_XDIST_WORKER']}"
    os.environ.setdefault("DBT_TARGET_PATH", str(_worker_target))


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory) -> Path:
    """`dbt parse` once per session: definitions load from the manifest, never parse on import."""
    scratch = tmp_path_factory.mktemp("parse")
    previous = os.environ.get(DATA_DIR_ENV)
    run_dbt(build_args(command="parse"), scratch)
    if previous is None:
        os.environ.pop(DATA_DIR_ENV, None)
    else:
        os.environ[DATA_DIR_ENV] = previous
    manifest = dbt_target_dir() / "manifest.json"
    assert manifest.exists()
    return manifest


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A fresh data dir that every component (dbt's profile included) points at."""
    target = tmp_path / "data"
    target.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(target))
    return target
