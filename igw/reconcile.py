"""The reconciliation: read `recon.daily_checks`, or recompute a day's checks first.

Every nightly build recomputes the check days whose inputs landed (dbt model
recon.daily_checks); `igw reconcile --date D` recomputes day D from the warehouse as it
stands (dbt var recon_days) and reads it. A check fails where |actual − expected| exceeds
its tolerance (dbt vars recon_*, see dbt_project.yml).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from igw.config import paths
from igw.dbt_runner import DbtError, build_args, run_dbt
from igw.warehouse import first_line, open_read_only

CHECKS_TABLE = "recon.daily_checks"
CHECK_DAYS_TABLE = "intermediate.int_recon__check_days"
# What `reconcile_day` runs: the check days, the check views and the public table (the
# monthly statement checks are refreshed by the payout build, and read here as they are).
RECOMPUTE_SELECTION = "path:models/intermediate/recon daily_checks"
RECOMPUTE_EXCLUSION = "tag:monthly"
# recon.daily_checks' columns, in order (CheckRow's fields).
CHECK_COLUMNS = (
    "check_date",
    "check_name",
    "source",
    "expected",
    "actual",
    "difference",
    "tolerance",
    "status",
    "detail",
)
_COLUMNS = ", ".join(CHECK_COLUMNS)


class ReconError(RuntimeError):
    """The reconciliation cannot be read or recomputed; the message is one line."""


@dataclass(frozen=True)
class CheckRow:
    check_date: date
    check_name: str
    source: str
    expected: Decimal | None
    actual: Decimal | None
    difference: Decimal | None
    tolerance: Decimal | None
    status: str  # pass | fail
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status != "pass"


@dataclass(frozen=True)
class ReconResult:
    first: date
    last: date
    rows: tuple[CheckRow, ...]

    @property
    def failures(self) -> tuple[CheckRow, ...]:
        return tuple(row for row in self.rows if row.failed)

    @property
    def passed(self) -> bool:
        return not self.failures

    def by_check(self) -> list[tuple[str, int, int]]:
        """(check_name, rows passed, rows failed), by check name."""
        passed: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for row in self.rows:
            (failed if row.failed else passed)[row.check_name] += 1
        names = sorted(set(passed) | set(failed))
        return [(name, passed[name], failed[name]) for name in names]


def _connect(data_dir) -> duckdb.DuckDBPyConnection:
    return open_read_only(paths(data_dir).warehouse, ReconError)


def _has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _require_checks(con: duckdb.DuckDBPyConnection) -> None:
    if not _has_table(con, CHECKS_TABLE):
        raise ReconError(f"the warehouse has no {CHECKS_TABLE}: run `igw build` first")


def read_checks(data_dir: Path | str | None, first: date, last: date) -> ReconResult:
    """The check rows of the days `first` to `last` (both included), read-only."""
    if last < first:
        raise ReconError(f"the last day {last} is before the first {first}")
    with _connect(data_dir) as con:
        _require_checks(con)
        fetched = con.execute(
            f"select {_COLUMNS} from {CHECKS_TABLE} where check_date between ? and ? "
            "order by check_date, check_name, source",
            [first, last],
        ).fetchall()
    if not fetched:
        span = first.isoformat() if first == last else f"{first} to {last}"
        raise ReconError(
            f"no reconciliation for {span}: no data of that day in the warehouse "
            "(ingest and build it first)"
        )
    return ReconResult(first, last, tuple(CheckRow(*row) for row in fetched))


def recomputed_days(data_dir: Path | str | None) -> tuple[date, ...]:
    """The check days the last build (or reconcile) recomputed, ascending."""
    with _connect(data_dir) as con:
        if not _has_table(con, CHECK_DAYS_TABLE):
            raise ReconError(f"the warehouse has no {CHECK_DAYS_TABLE}: run `igw build` first")
        return tuple(
            day
            for (day,) in con.execute(
                f"select check_date from {CHECK_DAYS_TABLE} order by check_date"
            ).fetchall()
        )


def reconcile_day(data_dir: Path | str | None, day: date) -> ReconResult:
    """Recompute `day`'s checks from the warehouse as it stands (one dbt run), then read them.

    Only a day the warehouse has built (it has check rows) is recomputed: anything else
    has no data yet, and a ReconError says so without running dbt.
    """
    with _connect(data_dir) as con:
        _require_checks(con)
        built = con.execute(
            f"select count(*) from {CHECKS_TABLE} where check_date = ?", [day]
        ).fetchone()[0]
    if not built:
        raise ReconError(
            f"no reconciliation for {day}: no data of that day in the warehouse "
            "(ingest and build it first)"
        )
    try:
        run_dbt(
            build_args(
                select=RECOMPUTE_SELECTION,
                exclude=RECOMPUTE_EXCLUSION,
                dbt_vars={"recon_days": [day.isoformat()]},
                command="run",
            ),
            data_dir,
        )
    except DbtError as error:
        raise ReconError(f"recomputing {day}: {first_line(error)}") from None
    return read_checks(data_dir, day, day)
