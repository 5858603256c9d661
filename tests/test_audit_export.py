"""`igw export audit`: a month's compliance tables and ledger, with a manifest and SHA256SUMS.

Runs on the warehouse of tests/compliance_operator.py (January and February 2026 booked).
Row counts are checked against the warehouse queried here by other means (joins and
Python filters, not the export's selections), the hand-made cases by hand, and the
checksums against hashlib and `sha256sum -c`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest
from compliance_operator import ERASED, EXCLUDED, compliance_warehouse
from typer.testing import CliRunner

from igw import audit_export
from igw.audit_export import AuditExportError, export_audit, verify_export
from igw.cli import app

runner = CliRunner()
JANUARY, FEBRUARY = date(2026, 1, 1), date(2026, 2, 1)
FILES = [
    "commission_ledger",
    "commission_lineage",
    "responsible_gaming",
    "kyc_gating",
    "erasure_log",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return compliance_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def february_csv(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "2026-02"
    export_audit(FEBRUARY, out, "csv", built["data_dir"])
    return out


def query(built, sql, params=None):
    with duckdb.connect(str(built["data_dir"] / "warehouse.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()


def csv_rows(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_counts(built, month: date) -> dict[str, int]:
    """The month's rows of each table, found here without the export's selections."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    ledger = query(
        built,
        "select entry_id from finance.commission_ledger "
        "where year(period_month) = ? and month(period_month) = ?",
        [month.year, month.month],
    )
    lineage = query(
        built,
        "select count(*) from compliance.commission_lineage as l "
        "join finance.commission_ledger as e on l.entry_id = e.entry_id "
        "where year(e.period_month) = ? and month(e.period_month) = ?",
        [month.year, month.month],
    )[0][0]
    restrictions = query(
        built, "select restricted_from, restricted_until from compliance.responsible_gaming"
    )
    in_force = sum(
        1 for since, until in restrictions if since < end and (until is None or until > start)
    )
    kyc = query(
        built,
        "select count(*) from compliance.kyc_gating as k "
        "join finance.commission_ledger as e on k.entry_id = e.entry_id "
        "where e.entry_type = 'cpa' and year(e.period_month) = ? and month(e.period_month) = ?",
        [month.year, month.month],
    )[0][0]
    requests = query(built, "select requested_at from compliance.erasure_log")
    erasures = sum(1 for (at,) in requests if start <= at < end)
    return {
        "commission_ledger": len(ledger),
        "commission_lineage": lineage,
        "responsible_gaming": in_force,
        "kyc_gating": kyc,
        "erasure_log": erasures,
    }


def test_the_manifest_counts_the_months_rows(built, february_csv):
    manifest = json.loads((february_csv / "manifest.json").read_text())
    assert manifest["month"] == "2026-02" and manifest["format"] == "csv"
    assert manifest["warehouse"] == str(built["data_dir"] / "warehouse.duckdb")
    assert manifest["generated_at"].endswith("Z")
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert sorted(files) == sorted(f"{stem}.csv" for stem in FILES)
    expected = expected_counts(built, FEBRUARY)
    for stem in FILES:
        entry = files[f"{stem}.csv"]
        path = february_csv / entry["name"]
        assert entry["rows"] == expected[stem] == len(csv_rows(path)), stem
        assert entry["bytes"] == path.stat().st_size
    # Non-trivial: February books entries (with lineage), and restrictions are in force.
    assert expected["commission_ledger"] > 0 and expected["commission_lineage"] > 0
    assert expected["responsible_gaming"] >= 4


def test_the_handmade_cases_in_the_months_files(built, february_csv, tmp_path):
    # February: cmp_excluded's self-exclusion (02-10 08:00 to 02-20 08:00) was touched by
    # deposit cmp_t2 (02-12), round cmp_r2 (02-13) and bonus cmp_b1 (granted 02-15); the
    # bonus granted 02-25, after it ended, is not listed. cmp_erased's closure (01-20, for
    # good) is in force in February too, touched by nothing: one row without a record.
    rows = csv_rows(february_csv / "responsible_gaming.csv")
    excluded = sorted(
        (r["touch_record_id"], r["touch_kind"], r["amount"])
        for r in rows
        if r["restriction_event_id"] == "cmp_e5"
    )
    assert excluded == [
        ("cmp_b1", "bonus granted", "5.0000"),
        ("cmp_r2", "round", "10.0000"),
        ("cmp_t2", "deposit", "30.0000"),
    ]
    assert {r["player_id"] for r in rows if r["restriction_event_id"] == "cmp_e5"} == {EXCLUDED}
    closure = [r for r in rows if r["restriction_event_id"] == "cmp_e2"]
    assert [(r["restriction_type"], r["touch_record_id"]) for r in closure] == [
        ("account_closure", "")
    ]
    assert not [r for r in csv_rows(february_csv / "erasure_log.csv") if r["player_id"] == ERASED]

    # January: cmp_erased's CPA (qualified 01-06, KYC verified 01-05 12:00 by cmp_e1, the
    # deal requires KYC) and its erasure request (01-22); cmp_e5 is not in force yet.
    january = tmp_path / "2026-01"
    export_audit(JANUARY, january, "csv", built["data_dir"])
    kyc = [r for r in csv_rows(january / "kyc_gating.csv") if r["player_id"] == ERASED]
    assert [
        (
            r["qualifying_date"],
            r["amount"],
            r["cpa_requires_kyc"],
            r["kyc_status_at_qualification"],
            r["kyc_event_id"],
            r["kyc_decided_at"],
            r["passed_kyc_gate"],
        )
        for r in kyc
    ] == [("2026-01-06", "100.00", "true", "verified", "cmp_e1", "2026-01-05 12:00:00+00", "true")]
    ledger = [r for r in csv_rows(january / "commission_ledger.csv") if r["player_id"] == ERASED]
    assert [(r["entry_type"], r["amount"], r["entry_id"]) for r in ledger] == [
        ("cpa", "100.00", kyc[0]["entry_id"])
    ]
    erasures = [r for r in csv_rows(january / "erasure_log.csv") if r["player_id"] == ERASED]
    assert [(r["event_id"], r["requested_at"]) for r in erasures] == [
        ("cmp_e3", "2026-01-22 09:00:00+00")
    ]
    january_restrictions = {
        r["restriction_event_id"] for r in csv_rows(january / "responsible_gaming.csv")
    }
    assert "cmp_e2" in january_restrictions and "cmp_e5" not in january_restrictions


def test_checksums_match_and_verify(february_csv):
    manifest = json.loads((february_csv / "manifest.json").read_text())
    for entry in manifest["files"]:
        digest = hashlib.sha256((february_csv / entry["name"]).read_bytes()).hexdigest()
        assert entry["sha256"] == digest
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (february_csv / "SHA256SUMS").read_text().splitlines()
    )
    assert sorted(sums) == sorted([e["name"] for e in manifest["files"]] + ["manifest.json"])
    assert (
        sums["manifest.json"]
        == hashlib.sha256((february_csv / "manifest.json").read_bytes()).hexdigest()
    )
    assert verify_export(february_csv) == []
    if shutil.which("sha256sum"):
        checked = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=february_csv, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_tampered_file_fails_verification(february_csv, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(february_csv, copy)
    ledger = copy / "commission_ledger.csv"
    header, first, *rest = ledger.read_text().splitlines(keepends=True)
    # One digit of the first entry's amount changed, the file's size kept.
    amount = next(c for c in csv.DictReader([header, first]))["amount"]
    forged = amount.replace(amount.lstrip("-")[0], "9" if amount.lstrip("-")[0] != "9" else "8", 1)
    assert len(forged) == len(amount) and forged != amount
    ledger.write_text(header + first.replace(f",{amount},", f",{forged},", 1) + "".join(rest))
    assert f",{forged}," in ledger.read_text()
    assert verify_export(copy) == ["commission_ledger.csv: checksum differs"]
    if shutil.which("sha256sum"):
        checked = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True
        )
        assert checked.returncode != 0
        assert "commission_ledger.csv: FAILED" in checked.stdout


def test_parquet_export(built, tmp_path):
    out = tmp_path / "parquet"
    export = export_audit(FEBRUARY, out, "parquet", built["data_dir"])
    manifest = json.loads((out / "manifest.json").read_text())
    expected = expected_counts(built, FEBRUARY)
    assert manifest["format"] == "parquet"
    assert [e["name"] for e in manifest["files"]] == [f"{stem}.parquet" for stem in FILES]
    for entry in manifest["files"]:
        stem = entry["name"].removesuffix(".parquet")
        table = pq.read_table(out / entry["name"])
        assert entry["rows"] == table.num_rows == expected[stem], stem
        assert entry["sha256"] == hashlib.sha256((out / entry["name"]).read_bytes()).hexdigest()
    assert verify_export(out) == []
    # Decimals stay exact decimals.
    ledger = pq.read_table(out / "commission_ledger.parquet")
    assert str(ledger.schema.field("amount").type) == "decimal128(18, 2)"
    assert all(isinstance(v, Decimal) for v in ledger.column("amount").to_pylist())
    assert export.directory == out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month must look like YYYY-MM"),
        (["--month", "2026-03"], "2026-03 is not built (no statements)"),
        (["--month", "2026-02", "--format", "xml"], "--format must be csv or parquet"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(built, tmp_path, args, message):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["export", "audit", *args, "--out", str(out), "--data-dir", str(built["data_dir"])]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_existing_directory_is_never_overwritten(built, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(
        app,
        ["export", "audit", "--month", "2026-02", "--out", str(out)]
        + ["--data-dir", str(built["data_dir"])],
    )
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    # An empty directory is fine: the export takes its place.
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(
        app,
        ["export", "audit", "--month", "2026-02", "--out", str(empty)]
        + ["--data-dir", str(built["data_dir"])],
    )
    assert result.exit_code == 0, result.output
    assert verify_export(empty) == [] and "SHA256SUMS" in result.output


def test_no_warehouse_is_refused(tmp_path):
    with pytest.raises(AuditExportError, match="no warehouse at"):
        export_audit(FEBRUARY, tmp_path / "out", "csv", tmp_path / "nothing")
    assert not (tmp_path / "out").exists()


def test_a_failed_export_leaves_nothing_behind(built, tmp_path, monkeypatch):
    def broken_manifest(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(audit_export, "_write_manifest", broken_manifest)
    with pytest.raises(OSError, match="disk full"):
        export_audit(FEBRUARY, tmp_path / "out", "csv", built["data_dir"])
    assert list(tmp_path.iterdir()) == []
