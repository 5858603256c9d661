"""Daily FX rates to the base currency (EUR), with one planted gap."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from ingestion.generator.arrays import Period, date_of, dates, labels, money, table

BASE_CURRENCY = "EUR"
# Where each rate starts, in ten-thousandths of a euro per unit, and its daily wobble.
_OPENING_RATE = {"USD": 9_200, "GBP": 11_700, "SEK": 875, "NOK": 855}
_DAILY_STEP = {"USD": 30, "GBP": 40, "SEK": 3, "NOK": 3}
# Rates drift but are pulled back toward where they started, so a year stays plausible.
_PULL_BACK = 0.97
GAP_CURRENCY = "USD"


def _rate_path(rng: np.random.Generator, opening: int, step: int, days: int) -> np.ndarray:
    steps = rng.integers(-step, step + 1, days)
    deviation = np.zeros(days, dtype=np.int64)
    for day in range(1, days):  # one step per day of the period, not per row
        deviation[day] = int(_PULL_BACK * deviation[day - 1]) + steps[day]
    return opening + deviation


def make_fx_rates(
    rng: np.random.Generator, period: Period, currencies: set[str] | frozenset[str]
) -> tuple[pa.Table, date | None]:
    """One rate per day per non-base currency; the USD rate of the middle day is missing.

    Returns the table and the day left without a USD rate (the warehouse falls back to the
    previous day's rate, at most 7 days old).
    """
    day_numbers = period.start_day + np.arange(period.days)
    gap_day = period.start_day + period.days // 2
    rate_day, currency, rate = [], [], []
    quoted = sorted(set(currencies) - {BASE_CURRENCY})
    for index, code in enumerate(quoted):
        units = _rate_path(
            rng, _OPENING_RATE.get(code, 10_000), _DAILY_STEP.get(code, 30), period.days
        )
        keep = day_numbers != gap_day if code == GAP_CURRENCY else np.ones(period.days, bool)
        rate_day.append(day_numbers[keep])
        currency.append(np.full(int(keep.sum()), index))
        rate.append(units[keep])
    day_column = np.concatenate(rate_day)
    currency_column = np.concatenate(currency)
    order = np.lexsort((currency_column, day_column))
    fx = table(
        "payments.fx_rates",
        {
            "rate_date": dates(day_column[order]),
            "currency": labels(quoted, currency_column[order]),
            "rate_to_base": money(np.concatenate(rate)[order]),
        },
    )
    gap = date_of(gap_day) if GAP_CURRENCY in quoted else None
    return fx, gap
