"""Pure functions turning Dagster partitions into dbt arguments (unit-tested, no manifest)."""

import json
from datetime import date, datetime, timedelta

from igw.dbt_runner import WITHOUT_UNIT_TESTS, payout_vars, window_vars


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def daily_build_args(start: datetime | date, end: datetime | date) -> list[str]:
    """`dbt build` for a partition window (end-exclusive), as min_date/max_date vars; the
    unit tests run in `make test`, not every night (see igw.dbt_runner.build_args)."""
    vars_json = json.dumps(window_vars(_as_date(start), _as_date(end)))
    return ["build", "--vars", vars_json, *WITHOUT_UNIT_TESTS]


def partition_days(first_key: str, last_key: str) -> tuple[date, date]:
    """The first and last landing day of a range of daily partitions (both included)."""
    first, last = date.fromisoformat(first_key), date.fromisoformat(last_key)
    if last < first:
        raise ValueError(f"partition range ends ({last}) before it starts ({first})")
    return first, last


def daily_range_build_args(first_key: str, last_key: str) -> list[str]:
    """ONE `dbt build` for a range of daily partitions (a backfill run with a single-run
    policy, or one nightly partition): the window min_date = first day, max_date = last day.
    """
    first, last = partition_days(first_key, last_key)
    return daily_build_args(first, last + timedelta(days=1))


def payout_month(month_start: datetime | date) -> date:
    """The payout month of a monthly partition: the first day of its window, as a date."""
    month = _as_date(month_start)
    if month.day != 1:
        raise ValueError(f"a payout month starts on day 1, not {month}")
    return month


def monthly_build_args(month_start: datetime | date) -> list[str]:
    """`dbt build` of the statements for one month (without the unit tests, as nightly)."""
    vars_json = json.dumps(payout_vars(payout_month(month_start)))
    return ["build", "--vars", vars_json, *WITHOUT_UNIT_TESTS]
