"""Finance's monthly payout build: statements for an ended month, built month by month."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from igw.config import paths
from igw.dbt_runner import build_args, payout_vars, run_dbt


class PayoutError(ValueError):
    """Bad payout input; the message is the one line the user sees."""


@dataclass(frozen=True)
class StatementSummary:
    month: date
    affiliates: int
    payable: int
    under_limit: int
    negative_balance: int
    total: Decimal
    payable_total: Decimal


def parse_month(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PayoutError(f"--month must look like YYYY-MM, got {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def ensure_ended(month: date, today: date) -> None:
    if next_month(month) > today:
        raise PayoutError(
            f"{month:%Y-%m} has not ended (today is {today.isoformat()}): "
            "statements are built for ended months only"
        )


def months_between(first: date, last: date) -> list[date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise PayoutError(f"no warehouse at {warehouse}: run `igw build` first")
    return duckdb.connect(str(warehouse), read_only=True)


def first_commission_month(warehouse: Path) -> date | None:
    """The first month any deal applies to activity: where the statement chain starts."""
    with _connect(warehouse) as con:
        try:
            row = con.execute(
                "select min(period_month) from intermediate.int_commissions__applicable_deals"
            ).fetchone()
        except duckdb.CatalogException:
            raise PayoutError(
                "the warehouse has no commission models: run `igw build` first"
            ) from None
    return row[0] if row and row[0] else None


def build_payout(
    month: date,
    data_dir=None,
    today: date | None = None,
    on_month: Callable[[date], None] | None = None,
) -> StatementSummary:
    """Build (or rebuild) statements for every month from the first with activity to `month`.

    Each month's carried balance comes from the previous month's statement, so the chain
    is rebuilt in order; one dbt invocation per month.
    """
    today = today or datetime.now(UTC).date()
    ensure_ended(month, today)
    warehouse = paths(data_dir).warehouse
    first = first_commission_month(warehouse)
    if first is None or first > month:
        raise PayoutError(f"no commissionable activity up to {month:%Y-%m}")
    for current in months_between(first, month):
        if on_month:
            on_month(current)
        run_dbt(build_args(select="tag:monthly", dbt_vars=payout_vars(current)), data_dir)
    return statement_summary(month, data_dir)


def statement_summary(month: date, data_dir=None) -> StatementSummary:
    with _connect(paths(data_dir).warehouse) as con:
        row = con.execute(
            """
            select
                count(*),
                count(*) filter (where status = 'payable'),
                count(*) filter (where status = 'under_limit'),
                count(*) filter (where status = 'negative_balance'),
                coalesce(sum(total), 0),
                coalesce(sum(total) filter (where status = 'payable'), 0)
            from finance.affiliate_statements
            where period_month = ?
            """,
            [month],
        ).fetchone()
    return StatementSummary(month, *row)
