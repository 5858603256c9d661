"""A small but believable casino/sportsbook operator, generated from a seed.

`generate_operator` returns every landing-contract entity as an arrow table with exactly
the contract schema, plus the expected answers (`ground_truth`) that the warehouse's
attribution and identity rules must reproduce. Same arguments, same bytes: every draw
comes from `numpy.random.default_rng`, one independent stream per part of the operator
(so changing how clicks are drawn does not reshuffle the rounds), and no wall clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from ingestion.contract import Entity, entity, load_contract
from ingestion.generator.activity import make_activity
from ingestion.generator.arrays import Period, table, timestamps
from ingestion.generator.fx import make_fx_rates
from ingestion.generator.games import make_games
from ingestion.generator.lifecycle import add_fraud_events, make_lifecycle, player_versions
from ingestion.generator.partners import make_partners
from ingestion.generator.players import (
    CURRENCIES,
    make_clicks,
    make_population,
    plant_multi_accounts,
)
from ingestion.generator.truth import attribution_truth, identity_truth

# One random stream per part, in a fixed order: appending a part never changes the others.
_STREAMS = (
    "partners",
    "games",
    "players",
    "identity",
    "clicks",
    "lifecycle",
    "activity",
    "fraud",
    "fx",
    "redelivery",
)
REDELIVERED_SHARE = 0.01  # at-least-once delivery: ~1% of API and round rows come twice


@dataclass(frozen=True)
class OperatorData:
    """Every source entity of one simulated operator, and the answers it should give."""

    tables: dict[str, pa.Table]  # "source.entity" -> rows, exactly the contract schema
    ground_truth: dict[str, pa.Table]  # "attribution", "identity"
    start: date
    end: date  # last day of the period, inclusive
    seed: int
    players: int
    planted: dict[str, object] = field(default_factory=dict)  # what was planted, and where


def period_end(start: date, months: int) -> date:
    """The day before the same day `months` later (the last day of the period)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def _redelivered(rng: np.random.Generator, rows: pa.Table) -> pa.Table:
    """Append an identical copy of about 1% of the rows."""
    again = np.flatnonzero(rng.random(rows.num_rows) < REDELIVERED_SHARE)
    return pa.concat_tables([rows, rows.take(pa.array(again, pa.int64()))])


def _delivery_order(rows: pa.Table, source: Entity) -> pa.Table:
    keys = list(dict.fromkeys([source.delivery_day_field, *source.primary_key]))
    return rows.sort_by([(name, "ascending") for name in keys])


def generate_operator(
    seed: int = 7, players: int = 500, start: date = date(2026, 8, 1), months: int = 3
) -> OperatorData:
    """Generate `players` sign-ups over `months` months from `start`; deterministic per seed."""
    if players < 10:
        raise ValueError("players must be at least 10 (the planted cases need a few accounts)")
    period = Period(start, period_end(start, months))
    rng = {name: np.random.default_rng([seed, index]) for index, name in enumerate(_STREAMS)}

    partners = make_partners(rng["partners"], period, players)
    catalogue = make_games(rng["games"], period)
    population = make_population(rng["players"], period, players)
    plant_multi_accounts(rng["identity"], population)
    clicks = make_clicks(rng["clicks"], period, population, partners)
    lifecycle = make_lifecycle(rng["lifecycle"], period, population)
    activity = make_activity(rng["activity"], period, population, lifecycle, catalogue)
    add_fraud_events(
        rng["fraud"],
        population,
        lifecycle,
        activity.chargeback_player,
        activity.chargeback_us,
        activity.first_deposit_us,
        activity.depositor,
    )
    wallet_currencies = {CURRENCIES[i] for i in np.unique(population.currency)}
    fx_rates, gap_day = make_fx_rates(rng["fx"], period, wallet_currencies | partners.currencies)

    click_columns = dict(clicks.table_columns)
    click_columns["clicked_at"] = timestamps(click_columns["clicked_at"])
    tables = {
        "affiliate.affiliates": partners.affiliates,
        "affiliate.campaigns": partners.campaigns,
        "affiliate.deals": partners.deals,
        "affiliate.clicks": table("affiliate.clicks", click_columns),
        "crm.players": player_versions(population, lifecycle),
        "crm.player_events": lifecycle.log.table(population),
        "crm.bonuses": activity.bonuses,
        "payments.transactions": activity.transactions,
        "payments.settlements": activity.settlements,
        "payments.fx_rates": fx_rates,
        "games.games": catalogue.table,
        "games.rounds": activity.rounds,
        "games.provider_reports": activity.provider_reports,
    }
    missing = set(load_contract()) - set(tables)
    if missing:
        raise RuntimeError(f"generator misses contract entities {sorted(missing)}")

    ground_truth = {
        "attribution": attribution_truth(tables["crm.players"], tables["affiliate.clicks"]),
        "identity": identity_truth(tables["crm.players"]),
    }
    for key in sorted(tables):
        source = entity(key)
        if source.delivery_style == "api" or key == "games.rounds":
            tables[key] = _redelivered(rng["redelivery"], tables[key])
        tables[key] = _delivery_order(tables[key], source)

    planted: dict[str, object] = {
        "fx_day_without_usd_rate": gap_day,
        **clicks.planted,
        **lifecycle.planted,
        **activity.planted,
        "multi_account_chains": population.chains.shape[0],
    }
    return OperatorData(
        tables=tables,
        ground_truth=ground_truth,
        start=period.start,
        end=period.end,
        seed=seed,
        players=players,
        planted=planted,
    )
