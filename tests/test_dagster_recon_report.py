"""How the reconciliation asset reports: the failing rows in its failure, counts per check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from igw.reconcile import CheckRow, ReconResult
from orchestration.recon_report import failure_description, failure_table, summary_metadata

DAY = date(2026, 9, 1)


def row(name, source, expected, actual, status, detail=""):
    expected, actual = Decimal(expected), Decimal(actual)
    return CheckRow(DAY, name, source, expected, actual, actual - expected, Decimal(0), status,
                    detail)  # fmt: skip


def test_failing_rows_are_listed_in_the_failure():
    failures = (
        row("settlement_deposit_count", "stripe_like|EUR", "2", "1", "fail", "one missing"),
        row("settlement_deposit_amount", "stripe_like|EUR", "40", "10", "fail"),
    )
    text = failure_description(failures, DAY, DAY)
    assert text.splitlines() == [
        "2 reconciliation check(s) failed for 2026-09-01:",
        "2026-09-01 settlement_deposit_count [stripe_like|EUR]: expected 2, actual 1, "
        "difference -1 (tolerance 0): one missing",
        "2026-09-01 settlement_deposit_amount [stripe_like|EUR]: expected 40, actual 10, "
        "difference -30 (tolerance 0)",
    ]
    table = failure_table(failures).value
    assert [r.data["difference"] for r in table.records] == ["-1", "-30"]
    assert [c.name for c in table.schema.columns][:3] == ["check_date", "check_name", "source"]


def test_a_long_list_is_cut_in_the_message_but_whole_in_the_metadata():
    failures = tuple(row("orphan_rounds", f"p{i}", "0", "1", "fail") for i in range(30))
    lines = failure_description(failures, DAY, date(2026, 9, 3)).splitlines()
    assert lines[0] == "30 reconciliation check(s) failed for 2026-09-01..2026-09-03:"
    # 25 rows shown, then what is left: 30 − 25 = 5
    assert len(lines) == 1 + 25 + 1 and lines[-1].startswith("... and 5 more")
    assert len(failure_table(failures).value.records) == 30


def test_summary_counts_rows_passed_and_failed_per_check():
    result = ReconResult(DAY, DAY, (
        row("provider_rounds_count", "lumen|EUR", "10", "10", "pass"),
        row("provider_rounds_count", "polar|EUR", "10", "9", "fail"),
        row("settlement_file", "adyen_like|EUR", "1", "1", "pass"),
    ))  # fmt: skip
    summary = summary_metadata(result)
    assert (summary["rows"], summary["passed"], summary["failed"]) == (3, 2, 1)
    assert [r.data for r in summary["checks"].value.records] == [
        {"check_name": "provider_rounds_count", "passed": 1, "failed": 1},
        {"check_name": "settlement_file", "passed": 1, "failed": 0},
    ]
