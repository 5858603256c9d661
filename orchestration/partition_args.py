"""Pure functions turning Dagster partitions into dbt arguments (unit-tested, no manifest)."""

import json
from datetime import date, datetime

from igw.dbt_runner import payout_vars, window_vars


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def daily_build_args(start: datetime | date, end: datetime | date) -> list[str]:
    """`dbt build` for a partition window (end-exclusive), as min_date/max_date vars."""
    return ["build", "--vars", json.dumps(window_vars(_as_date(start), _as_date(end)))]


def payout_month(month_start: datetime | date) -> date:
    """The payout month of a monthly partition: the first day of its window, as a date."""
    month = _as_date(month_start)
    if month.day != 1:
        raise ValueError(f"a payout month starts on day 1, not {month}")
    return month


def monthly_build_args(month_start: datetime | date) -> list[str]:
    """`dbt build` of the statements for one month."""
    return ["build", "--vars", json.dumps(payout_vars(payout_month(month_start)))]
