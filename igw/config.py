"""Where things live. One data dir holds the landing zone, the warehouse and the exports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DATA_DIR_ENV = "IGW_DATA_DIR"


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    @property
    def vendors(self) -> Path:
        """The simulated source systems' outboxes (REST pages, exports, file drops)."""
        return self.data_dir / "vendors"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def exports(self) -> Path:
        return self.data_dir / "exports"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"


def dbt_target_dir() -> Path:
    """Where dbt writes its manifest and compiled SQL: $DBT_TARGET_PATH (dbt's own variable;
    parallel test workers each set one), else dbt_project/target."""
    chosen = os.environ.get("DBT_TARGET_PATH")
    return Path(chosen).resolve() if chosen else DBT_PROJECT_DIR / "target"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """--data-dir, else $IGW_DATA_DIR, else ./data; always absolute."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or "data"
    return Path(chosen).expanduser().resolve()


def paths(data_dir: str | Path | None = None) -> Paths:
    return Paths(resolve_data_dir(data_dir))


def activate(data_dir: str | Path | None = None) -> Paths:
    """Point every component (dbt's profile included) at this data dir."""
    resolved = paths(data_dir)
    resolved.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ[DATA_DIR_ENV] = str(resolved.data_dir)
    return resolved
