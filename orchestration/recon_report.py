"""How a reconciliation result shows in Dagster: failing rows and per-check counts (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from igw.reconcile import CHECK_COLUMNS

# The run's failure message lists this many rows; the metadata table holds them all.
_LINES_SHOWN = 25


def _text(value: object) -> str:
    return "" if value is None else str(value)


def failure_line(row) -> str:
    """One failing check row as one line."""
    return (
        f"{_text(row.check_date)} {row.check_name} [{_text(row.source)}]: "
        f"expected {_text(row.expected)}, actual {_text(row.actual)}, "
        f"difference {_text(row.difference)} (tolerance {_text(row.tolerance)})"
        + (f": {row.detail}" if getattr(row, "detail", "") else "")
    )


def failure_description(failures: Sequence, first: date, last: date) -> str:
    window = f"{first}" if first == last else f"{first}..{last}"
    lines = [failure_line(row) for row in failures[:_LINES_SHOWN]]
    more = len(failures) - len(lines)
    if more > 0:
        lines.append(f"... and {more} more (see the failing_rows metadata)")
    return f"{len(failures)} reconciliation check(s) failed for {window}:\n" + "\n".join(lines)


def failure_table(failures: Sequence) -> MetadataValue:
    schema = TableSchema(columns=[TableColumn(name, "string") for name in CHECK_COLUMNS])
    records = [
        TableRecord({name: _text(getattr(row, name)) for name in CHECK_COLUMNS}) for row in failures
    ]
    return MetadataValue.table(records=records, schema=schema)


def summary_metadata(result) -> dict:
    """rows, passed and failed overall, and passed/failed per check."""
    by_check = result.by_check()
    schema = TableSchema(
        columns=[
            TableColumn("check_name", "string"),
            TableColumn("passed", "int"),
            TableColumn("failed", "int"),
        ]
    )
    return {
        "rows": len(result.rows),
        "passed": sum(n_pass for _, n_pass, _ in by_check),
        "failed": sum(n_fail for _, _, n_fail in by_check),
        "checks": MetadataValue.table(
            records=[
                TableRecord({"check_name": name, "passed": n_pass, "failed": n_fail})
                for name, n_pass, n_fail in by_check
            ],
            schema=schema,
        ),
    }
