"""`igw docs`: the dbt docs site, with lineage from the landing zone to the statements and
the exposures (report, payout build, audit export) at its end, served over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from igw.cli import app
from igw.docs import lineage_path, read_manifest

runner = CliRunner()


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory):
    """`igw docs --no-serve` on a data dir with nothing built: the site comes from the
    project alone (the catalog stays empty) and leaves no database behind."""
    data_dir = tmp_path_factory.mktemp("docs") / "data"
    result = runner.invoke(app, ["docs", "--no-serve", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return data_dir


def test_the_site_is_written_whole_and_leaves_no_empty_warehouse(docs_site):
    site = docs_site / "exports" / "docs"
    assert sorted(p.name for p in site.iterdir()) == [
        "catalog.json",
        "index.html",
        "manifest.json",
        "static_index.html",
    ]
    assert not (docs_site / "warehouse.duckdb").exists()
    assert not (docs_site / "restricted.duckdb").exists()
    # The static page embeds the manifest: it opens from the file, without a server.
    static = (site / "static_index.html").read_text()
    assert "affiliate_statements" in static and "payout_build" in static


def test_lineage_runs_from_the_landing_zone_to_the_statements_and_the_payout_build(docs_site):
    manifest = read_manifest(docs_site / "exports" / "docs")
    statements = "model.igw.affiliate_statements"
    chain = lineage_path(manifest, "source.igw.", statements)
    assert chain is not None and chain[-1] == statements
    # Through the layers: a landed source, its staging model, ..., the statements.
    assert chain[0].startswith("source.igw.") and chain[1].startswith("model.igw.stg_")
    # The ledger is built from landed transactions, rounds and clicks.
    for source in ("payments.transactions", "games.rounds", "affiliate.clicks"):
        assert lineage_path(manifest, f"source.igw.{source}", statements), source
    payout = manifest["exposures"]["exposure.igw.payout_build"]
    assert statements in payout["depends_on"]["nodes"]
    assert lineage_path(manifest, "source.igw.", "exposure.igw.payout_build")


def test_every_public_mart_is_documented_and_the_report_exposure_reads_the_bi_marts(docs_site):
    manifest = read_manifest(docs_site / "exports" / "docs")
    report = manifest["exposures"]["exposure.igw.bi_report"]
    for mart in ("affiliate_kpis_monthly", "ltv_cohorts", "player_ltv", "daily_checks"):
        assert f"model.igw.{mart}" in report["depends_on"]["nodes"], mart
    public = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["schema"] in ("marts", "finance", "compliance", "recon")
    }
    assert "model.igw.attribution_credit" in public
    undocumented = [
        f"{node['name']}.{column}"
        for node in public.values()
        for column, spec in node["columns"].items()
        if not spec.get("description", "").strip()
    ]
    assert undocumented == []
    assert all(node["description"].strip() for node in public.values())
    # Columns of a public table are declared, so the docs show them even before a build.
    assert all(node["columns"] for node in public.values())


def test_the_site_is_served_over_http(docs_site):
    """The real command in its own process, on a free port: index page and manifest."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "igw.cli", "docs", "--no-build", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--data-dir", str(docs_site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            found = re.search(r"http://[\d.]+:\d+/", line)
            url = found.group(0) if found else None
        assert url, "igw docs printed no address"
        index = httpx.get(url, timeout=10)
        assert index.status_code == 200 and "dbt" in index.text.lower()
        manifest = httpx.get(url + "manifest.json", timeout=10)
        assert manifest.status_code == 200
        assert "exposure.igw.bi_report" in json.loads(manifest.text)["exposures"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serving_a_site_never_built_is_one_line_exit_2(data_dir):
    result = runner.invoke(app, ["docs", "--no-build", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no docs site in" in lines[0], result.output
