"""Finance's monthly payout: build a month's statements, close it, and say where things stand.

The books live in the warehouse (schema finance, business-rules §11): `igw payout build`
books every open month up to the one asked for in one dbt invocation and exports it;
`igw payout close` appends the month to finance.payout_closures and freezes the payout
attribution of the players registered up to its end. From then on the month never changes:
later data is booked in the first open month.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from igw.config import paths
from igw.dbt_runner import build_args, run_dbt
from igw.warehouse import open_read_only

# The books (tag monthly), then the daily models that read them (tag refreshed_by_payouts:
# marts.affiliate_kpis_monthly's commission columns), so the month's figures show at once.
MONTHLY_SELECTION = "tag:monthly tag:refreshed_by_payouts"
CLOSE_SELECTION = "payout_closures int_attribution__frozen_payout"


class PayoutError(ValueError):
    """Bad payout input or state; the message is the one line the user sees."""


@dataclass(frozen=True)
class StatementSummary:
    month: date
    affiliates: int
    payable: int
    under_limit: int
    negative_balance: int
    total: Decimal
    payable_total: Decimal
    entries_by_type: dict[str, Decimal] = field(default_factory=dict)
    closed_at: datetime | None = None
    export_directory: Path | None = None
    discarded_months: tuple[date, ...] = ()


@dataclass(frozen=True)
class PayoutState:
    """What the books hold: months with statements, and the closed ones with their time."""

    built: tuple[date, ...]
    closed: dict[date, datetime]

    @property
    def last_closed(self) -> date | None:
        return max(self.closed) if self.closed else None

    @property
    def first_open(self) -> date | None:
        return next_month(self.last_closed) if self.last_closed else None


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


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return open_read_only(warehouse, PayoutError)


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def payout_state(data_dir=None) -> PayoutState:
    """The months built and closed so far (none before the first payout build)."""
    with _connect(paths(data_dir).warehouse) as con:
        built: tuple[date, ...] = ()
        closed: dict[date, datetime] = {}
        if _table_exists(con, "finance", "statement_periods"):
            built = tuple(
                row[0]
                for row in con.execute(
                    "select distinct period_month from finance.statement_periods order by 1"
                ).fetchall()
            )
        if _table_exists(con, "finance", "payout_closures"):
            closed = dict(
                con.execute(
                    "select period_month, closed_at from finance.payout_closures"
                ).fetchall()
            )
    return PayoutState(built, closed)


def first_activity_month(data_dir=None) -> date | None:
    """The first month a deal applies to activity: where the books start."""
    with _connect(paths(data_dir).warehouse) as con:
        if not _table_exists(con, "intermediate", "int_revenue__player_daily"):
            raise PayoutError("the warehouse has no revenue models: run `igw build` first")
        row = con.execute(
            "select min(activity_date) from intermediate.int_revenue__player_daily"
        ).fetchone()
    return date(row[0].year, row[0].month, 1) if row and row[0] else None


def check_buildable(month: date, data_dir=None, today: date | None = None) -> None:
    """Refuse, with one line, a month that has not ended, is closed, or has no activity."""
    ensure_ended(month, today or datetime.now(UTC).date())
    state = payout_state(data_dir)
    if state.last_closed and month <= state.last_closed:
        closed_at = state.closed.get(month)
        when = f" on {closed_at:%Y-%m-%d %H:%M} UTC" if closed_at else ""
        raise PayoutError(
            f"{month:%Y-%m} is closed{when}: closed statements never change; "
            f"later data is booked in the first open month, {state.first_open:%Y-%m}"
        )
    first = first_activity_month(data_dir)
    if first is None or first > month:
        raise PayoutError(f"no commissionable activity up to {month:%Y-%m}")


def build_payout(
    month: date,
    data_dir=None,
    today: date | None = None,
    on_step: Callable[[str], None] | None = None,
    export: bool = True,
) -> StatementSummary:
    """Build (or rebuild) the statements of every open month up to `month`, then export it.

    Open months after `month` built earlier were chained on the old figures: the build
    discards them (they are provisional) and the summary lists them.
    """
    check_buildable(month, data_dir, today)
    later_open = tuple(m for m in payout_state(data_dir).built if m > month)
    if on_step:
        on_step(f"booking the open months up to {month:%Y-%m}")
    run_dbt(
        build_args(select=MONTHLY_SELECTION, dbt_vars={"payout_month": month.isoformat()}),
        data_dir,
    )
    export_directory = None
    if export:
        from igw.payout_export import export_month

        if on_step:
            on_step(f"exporting {month:%Y-%m}")
        export_directory = export_month(month, data_dir).directory
    summary = statement_summary(month, data_dir)
    return _with(summary, export_directory=export_directory, discarded_months=later_open)


def close_payout(month: date, data_dir=None, export: bool = True) -> StatementSummary:
    """Close a built month: its books become final, its players' attribution frozen."""
    state = payout_state(data_dir)
    if month in state.closed:
        raise PayoutError(
            f"{month:%Y-%m} was already closed on {state.closed[month]:%Y-%m-%d %H:%M} UTC"
        )
    if month not in state.built:
        raise PayoutError(
            f"{month:%Y-%m} has no statements: run `igw payout build --month {month:%Y-%m}` first"
        )
    if state.last_closed and month < state.last_closed:
        raise PayoutError(f"{month:%Y-%m} lies before the closed month {state.last_closed:%Y-%m}")
    still_open = [m for m in state.built if m < month and m not in state.closed]
    if still_open:
        raise PayoutError(
            f"close {still_open[0]:%Y-%m} first: months close in order "
            f"({len(still_open)} earlier month(s) still open)"
        )
    run_dbt(
        build_args(
            select=CLOSE_SELECTION, dbt_vars={"close_month": month.isoformat()}, command="run"
        ),
        data_dir,
    )
    export_directory = None
    if export:
        from igw.payout_export import export_month

        export_directory = export_month(month, data_dir).directory
    return _with(statement_summary(month, data_dir), export_directory=export_directory)


def _with(summary: StatementSummary, **changes) -> StatementSummary:
    from dataclasses import replace

    return replace(summary, **changes)


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
                coalesce(sum(total) filter (where status = 'payable'), 0),
                max(closed_at)
            from finance.affiliate_statements
            where period_month = ?
            """,
            [month],
        ).fetchone()
        by_type = dict(
            con.execute(
                "select entry_type, sum(amount) from finance.commission_ledger "
                "where period_month = ? group by entry_type order by entry_type",
                [month],
            ).fetchall()
        )
    return StatementSummary(month, *row[:6], entries_by_type=by_type, closed_at=row[6])
