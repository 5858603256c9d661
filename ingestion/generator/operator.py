"""A believable casino/sportsbook operator, generated from a seed.

`generate_operator` returns every landing-contract entity as an arrow table with exactly
the contract schema, the day the vendor publishes each row (`published_on`), and the
expected answers and planted cases (`ground_truth`, see `ingestion.generator.truth`).
Same arguments, same bytes: every draw comes from `numpy.random.default_rng`, one
independent stream per part of the operator (so changing how clicks are drawn does not
reshuffle the rounds), and no wall clock reaches the data (`timings` only measures).

Delivery faults are planted as a vendor makes them: about 1% of API and round rows come
twice, some rounds are re-sent cancelled, some deposits go pending, approved, reversed,
about 0.5% of clicks, rounds and player events are published days late, a few players
are published days after their first rounds, one day lacks its USD rate, a handful
of records per source break the contract (see `INVALID_RECORDS`), and two vendor totals
disagree with the records: one PSP settlement file misses a deposit and one provider
report misses a round (the reconciliation's planted failures).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import Entity, entity, load_contract
from ingestion.generator.activity import (
    LATE_SHARE,
    MAX_DAYS_LATE,
    REDELIVERED_SHARE,
    Activity,
    make_activity,
    plant_reconciliation_faults,
)
from ingestion.generator.arrays import (
    US_PER_DAY,
    Period,
    concat_text,
    date_of,
    int_text,
    table,
    timestamps,
)
from ingestion.generator.fx import GAP_CURRENCY, make_fx_rates
from ingestion.generator.games import make_games
from ingestion.generator.lifecycle import add_fraud_events, make_lifecycle, player_versions
from ingestion.generator.partners import make_partners
from ingestion.generator.players import (
    CURRENCIES,
    LINK_EMAIL,
    ClickFlood,
    Population,
    make_clicks,
    make_population,
    plant_multi_accounts,
)
from ingestion.generator.truth import (
    FAULTS_SCHEMA,
    INVALID_SCHEMA,
    LATE_SCHEMA,
    PLANTED_SCHEMA,
    attribution_truth,
    identity_truth,
    stack,
    truth_table,
)
from ingestion.vendors.outbox import delivery_days

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
    "round_delivery",
    "late",
    "orphans",
    "invalid",
    "recon_faults",
)
# Entities whose rows can be published late. Never one whose API cursor is updated_at:
# there the cursor value is the publication time by definition.
LATE_ENTITIES = ("affiliate.clicks", "crm.player_events", "games.rounds")
_ORPHAN_SHARE = 0.003  # players whose CRM record is published 1-3 days after their rounds

# Records that break the contract in ways a typed table can still hold: (entity, column,
# value, reason). Each becomes a new record (its own key) copied from a valid one.
INVALID_RECORDS = (
    ("games.rounds", "stake_real", "negative", "stake_real is negative"),
    ("games.rounds", "status", "void", "status 'void' is not in the contract's enum"),
    ("games.rounds", "currency", "EURO", "currency 'EURO' is not an ISO 4217 code"),
    ("payments.transactions", "currency", "EURO", "currency 'EURO' is not an ISO 4217 code"),
    ("payments.transactions", "kind", "bonus", "kind 'bonus' is not in the contract's enum"),
    ("payments.transactions", "amount", "negative", "amount is negative (always positive)"),
    ("crm.player_events", "player_id", None, "player_id is null in a required column"),
    (
        "crm.player_events",
        "event_type",
        "vip_upgraded",
        "event_type 'vip_upgraded' is not in the contract's enum",
    ),
    ("crm.bonuses", "kind", "cashback", "kind 'cashback' is not in the contract's enum"),
    ("crm.bonuses", "currency", "eur", "currency 'eur' is not an ISO 4217 code"),
    ("crm.players", "kyc_status", "approved", "kyc_status 'approved' is not in the enum"),
    ("affiliate.clicks", "device_id", None, "device_id is null in a required column"),
    ("affiliate.clicks", "country", "DEU", "country 'DEU' is not ISO 3166-1 alpha-2"),
    (
        "affiliate.campaigns",
        "traffic_source",
        "tiktok",
        "traffic_source 'tiktok' is not in the contract's enum",
    ),
)


@dataclass(frozen=True)
class OperatorData:
    """Every source entity of one simulated operator, and the answers it should give."""

    tables: dict[str, pa.Table]  # "source.entity" -> rows, exactly the contract schema
    # "attribution", "identity" (the rules' answers), "planted", "faults", "late", "invalid"
    ground_truth: dict[str, pa.Table]
    start: date
    end: date  # last day of the period, inclusive
    seed: int
    players: int
    planted: dict[str, object] = field(default_factory=dict)  # what was planted, and where
    # "source.entity" -> date32 per row of tables[key]: the UTC day the vendor publishes
    # it. The row's delivery day (`ingestion.vendors.outbox.delivery_days`), or a later
    # day for the rows planted late.
    published_on: dict[str, pa.Array] = field(default_factory=dict)
    # Seconds spent per part ("rounds": the rounds table alone; "total"); measured, so
    # never part of equality.
    timings: dict[str, float] = field(default_factory=dict, compare=False)


def period_end(start: date, months: int) -> date:
    """The day before the same day `months` later (the last day of the period)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


@contextmanager
def _timed(timings: dict[str, float], part: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        timings[part] = timings.get(part, 0.0) + time.perf_counter() - began


def key_strings(rows: pa.Table, source: Entity) -> pa.Array:
    """Each row's primary key as text; composite keys joined with "|"."""
    parts = [rows.column(name).cast(pa.string()) for name in source.primary_key]
    if len(parts) == 1:
        return parts[0].combine_chunks()
    return pc.binary_join_element_wise(*parts, "|").combine_chunks()


@dataclass(frozen=True)
class Delivered:
    rows: pa.Table
    published_day: np.ndarray  # days since epoch, per row
    late: pa.Table  # LATE_SCHEMA rows
    duplicate_keys: pa.Array


def _deliver(
    key: str,
    rows: pa.Table,
    invalid: pa.Table | None,
    redelivery: np.random.Generator,
    late: np.random.Generator,
    last_day: int,
) -> Delivered:
    """Plant late rows and re-deliveries, order as delivered (delivery day field, then
    primary key; a re-delivered copy next to its original), then slot in the invalid
    records, which are neither late nor re-delivered."""
    source = entity(key)
    size = rows.num_rows
    due = delivery_days(rows, source)
    days_late = np.zeros(size, dtype=np.int64)
    if key in LATE_ENTITIES:
        picks = np.flatnonzero(late.random(size) < LATE_SHARE)
        lateness = late.integers(1, MAX_DAYS_LATE + 1, len(picks))
        fits = due[picks] + lateness <= last_day
        days_late[picks[fits]] = lateness[fits]
        if not fits.any():  # a small operator still gets one late row
            candidates = np.flatnonzero(due < last_day)
            days_late[candidates[int(late.integers(0, len(candidates)))]] = 1
    again = np.zeros(0, dtype=np.int64)
    if source.delivery_style == "api":
        drawn = redelivery.random(size) < REDELIVERED_SHARE
        again = np.flatnonzero(drawn & (days_late == 0))
    duplicate_keys = key_strings(rows.take(pa.array(again)), source)
    if len(again):
        index = np.sort(np.concatenate([np.arange(size), again]))
        rows, days_late = rows.take(pa.array(index)), days_late[index]
    sort_keys = list(dict.fromkeys([source.delivery_day_field, *source.primary_key]))
    order = pc.sort_indices(rows, sort_keys=[(name, "ascending") for name in sort_keys])
    order = order.to_numpy()
    if not np.array_equal(order, np.arange(len(order))):  # no copy when already in order
        rows, days_late = rows.take(pa.array(order)), days_late[order]
    due = delivery_days(rows, source)
    late_rows = np.flatnonzero(days_late)
    late_truth = _late_truth(
        key, rows.take(pa.array(late_rows)), due[late_rows], days_late[late_rows]
    )
    published = due + days_late
    if invalid is not None:
        rows, published = _insert_in_order(rows, published, invalid, source)
    return Delivered(
        rows=rows, published_day=published, late=late_truth, duplicate_keys=duplicate_keys
    )


def _insert_in_order(
    rows: pa.Table, published_day: np.ndarray, extra: pa.Table, source: Entity
) -> tuple[pa.Table, np.ndarray]:
    """Slot `extra` rows (whose keys sort after every existing key) into rows that are in
    delivery order, without copying the big table; each is published on its delivery day.

    Rounds are ordered by delivery day, the others by the full delivery field."""
    field = source.delivery_day_field

    def order_values(table: pa.Table) -> np.ndarray:
        if source.key == "games.rounds":
            return delivery_days(table, source)
        return table.column(field).cast(pa.int64()).to_numpy()

    position = np.searchsorted(order_values(rows), order_values(extra), side="right")
    extra_day = delivery_days(extra, source)
    order = np.argsort(position, kind="stable")
    pieces, previous = [], 0
    for row in order:  # one step per invalid record (a handful)
        pieces.append(rows.slice(previous, int(position[row]) - previous))
        pieces.append(extra.slice(int(row), 1))
        previous = int(position[row])
    pieces.append(rows.slice(previous))
    published = np.insert(published_day, position[order], extra_day[order])
    return pa.concat_tables(pieces), published


def _late_truth(key: str, rows: pa.Table, due: np.ndarray, days_late: np.ndarray) -> pa.Table:
    return truth_table(
        LATE_SCHEMA,
        {
            "entity": key,
            "key": key_strings(rows, entity(key)),
            "due_on": pa.array(due.astype(np.int32), pa.date32()),
            "published_on": pa.array((due + days_late).astype(np.int32), pa.date32()),
            "days_late": pa.array(days_late, pa.int64()),
        },
    )


def _orphans(
    rng: np.random.Generator, period: Period, population: Population, activity: Activity
) -> tuple[np.ndarray, np.ndarray]:
    """Players whose CRM record is first published 1-3 days after sign-up, while their
    deposits and rounds start right away: their rounds arrive before their player.

    Returns each player's first publication time and the chosen players.
    """
    registered = population.registered_us
    first_play = activity.first_session_us
    quick = (first_play >= 0) & (first_play < registered + US_PER_DAY)
    quick &= registered < period.end_us - 4 * US_PER_DAY
    candidates = np.flatnonzero(quick)
    wanted = min(len(candidates), max(2, round(_ORPHAN_SHARE * population.count)))
    chosen = np.sort(rng.choice(candidates, wanted, replace=False))
    first_published = registered.copy()
    first_published[chosen] += rng.integers(US_PER_DAY, 3 * US_PER_DAY + 1, wanted)
    return first_published, chosen


def _next_id(column: pa.ChunkedArray | pa.Array, prefix: str, after: int | None) -> str:
    """The id after the highest `prefix`+digits id of the column (fixed width), or after
    number `after` when the caller knows it (the rounds: no scan of the big column)."""
    if after is None:
        highest = pc.max(pc.filter(column, pc.starts_with(column, prefix))).as_py()
    else:
        sample = column[0].as_py()
        highest = f"{prefix}{after:0{len(sample) - len(prefix)}d}"
    width = len(highest) - len(prefix)
    return f"{prefix}{int(highest[len(prefix) :]) + 1:0{width}d}"


def _template(rng: np.random.Generator, key: str, rows: pa.Table) -> dict:
    """A random valid record to copy; for payments and rounds one that moved money."""
    for _ in range(1_000):  # a few draws at most: most records qualify
        record = rows.slice(int(rng.integers(0, rows.num_rows)), 1).to_pylist()[0]
        if key == "payments.transactions" and record["status"] != "approved":
            continue
        if key == "games.rounds" and not (record["status"] == "settled" and record["stake_real"]):
            continue
        return record
    raise RuntimeError(f"{key}: no record to copy an invalid one from")


def _invalid_records(
    rng: np.random.Generator, tables: dict[str, pa.Table], rounds_count: int
) -> tuple[dict[str, pa.Table], pa.Table]:
    """The contract breaches of INVALID_RECORDS, copied from random valid records.

    A handful of rows: built record by record. Returns the new rows per entity and the
    `invalid` ground truth.
    """
    by_entity: dict[str, list[dict]] = {}
    truth_rows = []
    for key, column, value, reason in INVALID_RECORDS:
        id_column = entity(key).primary_key[0]
        record = _template(rng, key, tables[key])
        earlier = by_entity.get(key, [])
        if earlier:
            new_id = _next_id(pa.array([earlier[-1][id_column]]), earlier[-1][id_column][:4], None)
        else:
            after = rounds_count if key == "games.rounds" else None
            new_id = _next_id(tables[key][id_column], record[id_column][:4], after)
        record[id_column] = new_id
        if key == "crm.players":  # a new account: its own mailbox, no device or click
            record |= {"email": f"invalid.{new_id}@example.com", "device_id": None}
            record |= {"click_id": None, "updated_at": record["registered_at"]}
        if value == "negative":
            record[column] = -(record[column] or Decimal("1.0000"))
        else:
            record[column] = value
        by_entity.setdefault(key, []).append(record)
        truth_rows.append({"entity": key, "key": new_id, "column": column, "reason": reason})
    invalid = {
        key: pa.Table.from_pylist(records, schema=entity(key).schema)
        for key, records in by_entity.items()
    }
    return invalid, pa.Table.from_pylist(truth_rows, schema=INVALID_SCHEMA)


def _amount_text(cents: np.ndarray) -> pa.Array:
    cents = np.asarray(cents, dtype=np.int64)
    return concat_text(int_text(cents // 100), ".", pc.utf8_lpad(int_text(cents % 100), 2, "0"))


def _ring_cases(population: Population) -> pa.Table:
    rings = population.rings
    ids = population.player_ids
    sizes = np.bincount(rings.ring)
    head = concat_text(
        "ring ", int_text(rings.ring + 1), " of ", int_text(sizes[rings.ring]), " accounts: "
    )
    linked = ids.take(pa.array(np.maximum(rings.linked_to, 0)))
    how = pc.if_else(
        pa.array(rings.link == LINK_EMAIL),
        concat_text("same email as ", linked, " (spelt differently)"),
        concat_text("same device as ", linked),
    )
    how = pc.if_else(pa.array(rings.linked_to < 0), pa.scalar("first account"), how)
    member = ids.take(pa.array(rings.member))
    return truth_table(
        PLANTED_SCHEMA,
        {
            "case": "multi_account_ring",
            "entity": "crm.players",
            "key": member,
            "player_id": member,
            "detail": concat_text(head, how),
        },
    )


def _abuse_cases(population: Population, activity: Activity) -> pa.Table:
    rings = population.rings
    abusive = rings.abusive[rings.ring] & activity.depositor[rings.member]
    member, ring = rings.member[abusive], rings.ring[abusive]
    ids = population.player_ids.take(pa.array(member))
    currency = pa.array(CURRENCIES).take(pa.array(population.currency[member]))
    wagered = activity.rounds.player_stakes_cents[member]
    detail = concat_text(
        "abuse ring ",
        int_text(ring + 1),
        ": ",
        int_text(activity.bonus_count[member]),
        " bonuses (",
        _amount_text(activity.bonus_granted_cents[member]),
        " ",
        currency,
        "), ",
        _amount_text(wagered),
        " ",
        currency,
        " real money wagered",
    )
    return truth_table(
        PLANTED_SCHEMA,
        {
            "case": "bonus_abuse",
            "entity": "crm.players",
            "key": ids,
            "player_id": ids,
            "detail": detail,
        },
    )


def _chargeback_cases(population: Population, activity: Activity, fraud: np.ndarray) -> pa.Table:
    picked = pa.array(np.flatnonzero(fraud))
    player = population.player_ids.take(pa.array(activity.chargeback_player[fraud]))
    detail = concat_text(
        "deposit ",
        activity.charged_deposit_ids.take(picked),
        " charged back on ",
        timestamps(activity.chargeback_us[fraud]).cast(pa.date32()).cast(pa.string()),
        ", then the player was fraud-flagged",
    )
    return truth_table(
        PLANTED_SCHEMA,
        {
            "case": "chargeback_fraud",
            "entity": "payments.transactions",
            "key": activity.chargeback_ids.take(picked),
            "player_id": player,
            "detail": detail,
        },
    )


_EVENT_CASES = {
    "kyc_failed": "kyc_failure",
    "self_exclusion_started": "self_exclusion",
    "cooling_off_started": "cooling_off",
    "account_closed": "account_closure",
    "fraud_flagged": "fraud_flag",
    "fraud_cleared": "fraud_clear",
    "erasure_requested": "erasure_request",
}


def _event_cases(events: pa.Table) -> pa.Table:
    """Compliance and risk cases, one per event, from the (valid) events table."""
    frame = events.select(["event_id", "player_id", "event_type", "reason"]).to_pandas()
    frame["at"] = events["occurred_at"].cast(pa.int64()).to_numpy()
    frame["reason"] = frame["reason"].fillna("")

    def first_at(kind: str, how: str) -> pd.Series:
        times = frame[frame["event_type"] == kind].groupby("player_id")["at"]
        return times.max() if how == "last" else times.min()

    last_verified = frame["player_id"].map(first_at("kyc_verified", "last"))
    first_verified = frame["player_id"].map(first_at("kyc_verified", "first"))
    cleared = frame["player_id"].map(first_at("fraud_cleared", "last"))
    detail = frame["reason"].where(frame["reason"] != "", frame["event_type"])
    kyc = frame["event_type"] == "kyc_failed"
    verified_after = last_verified > frame["at"]
    verified_before = first_verified < frame["at"]
    detail = detail.where(
        ~kyc,
        detail
        + np.where(
            verified_after,
            ": failed, then verified",
            np.where(verified_before, ": verified, then failed on review", ": never verified"),
        ),
    )
    flagged = frame["event_type"] == "fraud_flagged"
    detail = detail.where(
        ~flagged, detail + np.where(cleared > frame["at"], ", cleared later", ", not cleared")
    )
    frame["detail"] = detail
    frame["case"] = frame["event_type"].map(_EVENT_CASES)
    frame = frame[frame["case"].notna()]
    return truth_table(
        PLANTED_SCHEMA,
        {
            "case": pa.array(frame["case"].to_numpy(), pa.string()),
            "entity": "crm.player_events",
            "key": pa.array(frame["event_id"].to_numpy(), pa.string()),
            "player_id": pa.array(frame["player_id"].to_numpy(), pa.string()),
            "detail": pa.array(frame["detail"].to_numpy(), pa.string()),
        },
    )


def _flood_cases(floods: list[ClickFlood], campaign_ids: pa.Array) -> pa.Table:
    def moment(us: int) -> str:
        return f"{date_of(us // US_PER_DAY).isoformat()} {us % US_PER_DAY // 3_600_000_000:02d}h"

    rows = [  # one row per flood: a handful
        {
            "case": "click_flood",
            "entity": "affiliate.campaigns",
            "key": campaign_ids[flood.campaign].as_py(),
            "player_id": None,
            "detail": f"{flood.clicks} clicks from {flood.devices} devices between "
            f"{moment(flood.first_us)} and {moment(flood.last_us)} UTC, no sign-ups",
        }
        for flood in floods
    ]
    return pa.Table.from_pylist(rows, schema=PLANTED_SCHEMA)


def _fault_rows(fault: str, entity_key, keys, detail) -> pa.Table:
    """Rows of `faults`; entity and detail may be one value for all rows or one per row."""
    return truth_table(
        FAULTS_SCHEMA, {"fault": fault, "entity": entity_key, "key": keys, "detail": detail}
    )


_TWICE = "delivered twice"


def generate_operator(
    seed: int = 7, players: int = 500, start: date = date(2026, 8, 1), months: int = 12
) -> OperatorData:
    """Generate `players` sign-ups over `months` months from `start`; deterministic per seed."""
    if players < 10:
        raise ValueError("players must be at least 10 (the planted cases need a few accounts)")
    began = time.perf_counter()
    timings: dict[str, float] = {}
    period = Period(start, period_end(start, months))
    last_day = period.start_day + period.days - 1
    rng = {name: np.random.default_rng([seed, index]) for index, name in enumerate(_STREAMS)}

    with _timed(timings, "partners"):
        partners = make_partners(rng["partners"], period, players)
    with _timed(timings, "games"):
        catalogue = make_games(rng["games"], period)
    with _timed(timings, "players"):
        population = make_population(rng["players"], period, players)
        plant_multi_accounts(rng["identity"], population)
    with _timed(timings, "clicks"):
        clicks = make_clicks(rng["clicks"], period, population, partners)
    with _timed(timings, "lifecycle"):
        lifecycle = make_lifecycle(rng["lifecycle"], period, population)
    with _timed(timings, "activity"):
        activity = make_activity(
            rng["activity"],
            period,
            population,
            lifecycle,
            catalogue,
            partners,
            rng["round_delivery"],
        )
    timings["rounds"] = activity.rounds.seconds
    timings["activity"] -= activity.rounds.seconds
    with _timed(timings, "lifecycle"):
        chargeback_fraud = add_fraud_events(
            rng["fraud"],
            population,
            lifecycle,
            activity.chargeback_player,
            activity.chargeback_us,
            activity.first_deposit_us,
            activity.depositor,
        )
    with _timed(timings, "fx"):
        wallet_currencies = {CURRENCIES[i] for i in np.unique(population.currency)}
        fx_rates, gap_day = make_fx_rates(
            rng["fx"], period, wallet_currencies | partners.currencies
        )

    with _timed(timings, "tables"):
        first_published_us, orphans = _orphans(rng["orphans"], period, population, activity)
        click_columns = dict(clicks.table_columns)
        click_columns["clicked_at"] = timestamps(click_columns["clicked_at"])
        tables = {
            "affiliate.affiliates": partners.affiliates,
            "affiliate.campaigns": partners.campaigns,
            "affiliate.deals": partners.deals,
            "affiliate.clicks": table("affiliate.clicks", click_columns),
            "crm.players": player_versions(population, lifecycle, first_published_us),
            "crm.player_events": lifecycle.log.table(population),
            "crm.bonuses": activity.bonuses,
            "payments.transactions": activity.transactions,
            "payments.settlements": activity.settlements,
            "payments.fx_rates": fx_rates,
            "games.games": catalogue.table,
            "games.rounds": activity.rounds.table,
            "games.provider_reports": activity.rounds.provider_reports,
        }
        missing = set(load_contract()) - set(tables)
        if missing:
            raise RuntimeError(f"generator misses contract entities {sorted(missing)}")
        # The vendors' own totals that disagree with their records (the reconciliation's
        # planted failures); computed before delivery, so a re-delivered copy agrees.
        vendor_totals, recon_faults = plant_reconciliation_faults(
            rng["recon_faults"], tables, activity.rounds.cancelled_ids
        )
        tables |= vendor_totals

    with _timed(timings, "ground_truth"):
        # The rules' answers over the valid records (what the warehouse keeps).
        ground_truth = {
            "attribution": attribution_truth(tables["crm.players"], tables["affiliate.clicks"]),
            "identity": identity_truth(tables["crm.players"]),
        }
        planted_parts = [
            _ring_cases(population),
            _abuse_cases(population, activity),
            _chargeback_cases(population, activity, chargeback_fraud),
            _event_cases(tables["crm.player_events"]),
            _flood_cases(clicks.floods, partners.campaign_ids),
        ]
        invalid, invalid_truth = _invalid_records(rng["invalid"], tables, activity.rounds.count)

    published_on: dict[str, pa.Array] = {}
    late_parts = []
    fault_parts = []
    with _timed(timings, "delivery"):
        rounds = activity.rounds
        late_parts.append(
            _late_truth(
                "games.rounds",
                rounds.table.take(pa.array(rounds.late_rows)),
                rounds.delivery_day[rounds.late_rows],
                (rounds.published_day - rounds.delivery_day)[rounds.late_rows],
            )
        )
        fault_parts.append(
            _fault_rows("duplicate_delivery", "games.rounds", rounds.duplicate_ids, _TWICE)
        )
        tables["games.rounds"], round_days = _insert_in_order(
            rounds.table, rounds.published_day, invalid["games.rounds"], entity("games.rounds")
        )
        published_on["games.rounds"] = pa.array(round_days.astype(np.int32), pa.date32())
        for key in sorted(tables):
            if key == "games.rounds":
                continue
            delivered = _deliver(
                key, tables[key], invalid.get(key), rng["redelivery"], rng["late"], last_day
            )
            tables[key] = delivered.rows
            published_on[key] = pa.array(delivered.published_day.astype(np.int32), pa.date32())
            late_parts.append(delivered.late)
            if len(delivered.duplicate_keys):
                fault_parts.append(
                    _fault_rows("duplicate_delivery", key, delivered.duplicate_keys, _TWICE)
                )

    with _timed(timings, "ground_truth"):
        late_truth = stack(LATE_SCHEMA, late_parts)
        reversed_ids = pc.filter(
            tables["payments.transactions"]["transaction_id"],
            pc.equal(tables["payments.transactions"]["status"], "reversed"),
        ).unique()
        orphan_delay_days = (first_published_us[orphans] - population.registered_us[orphans]) / (
            US_PER_DAY
        )
        fault_parts += [
            _fault_rows(
                "round_resent_cancelled",
                "games.rounds",
                rounds.cancelled_ids,
                "settled, then re-sent as cancelled",
            ),
            _fault_rows(
                "pending_approved_reversed",
                "payments.transactions",
                pc.filter(reversed_ids, pc.is_in(reversed_ids, activity.reversed_ids)),
                "three versions: pending, approved, then reversed",
            ),
            _fault_rows(
                "late_delivery",
                late_truth["entity"],
                late_truth["key"],
                concat_text(int_text(late_truth["days_late"].to_numpy()), " days late"),
            ),
            _fault_rows(
                "player_published_late",
                "crm.players",
                population.player_ids.take(pa.array(orphans)),
                concat_text(
                    "first version published ",
                    pa.array(np.round(orphan_delay_days, 2)).cast(pa.string()),
                    " days after registration; deposits and rounds start before it",
                ),
            ),
            _fault_rows(
                "invalid_record",
                invalid_truth["entity"],
                invalid_truth["key"],
                invalid_truth["reason"],
            ),
        ]
        fault_parts += [
            _fault_rows(fault.fault, fault.entity, [fault.key], [fault.detail])
            for fault in recon_faults
        ]
        if gap_day is not None:
            fault_parts.append(
                _fault_rows(
                    "missing_fx_rate",
                    "payments.fx_rates",
                    [f"{gap_day.isoformat()}|{GAP_CURRENCY}"],
                    [f"no {GAP_CURRENCY} rate on {gap_day.isoformat()}"],
                )
            )
        ground_truth |= {
            "planted": stack(PLANTED_SCHEMA, planted_parts),
            "faults": stack(FAULTS_SCHEMA, fault_parts),
            "late": late_truth,
            "invalid": invalid_truth,
        }

    planted: dict[str, object] = {
        "fx_day_without_usd_rate": gap_day,
        **clicks.planted,
        **lifecycle.planted,
        **activity.planted,
        "multi_account_rings": int(population.rings.ring.max() + 1),
        "bonus_abuse_accounts": int(population.bonus_abuser.sum()),
        "players_published_late": len(orphans),
        "late_rows": late_truth.num_rows,
        "invalid_records": invalid_truth.num_rows,
        **{fault.fault: fault.key for fault in recon_faults},
    }
    timings["total"] = time.perf_counter() - began
    return OperatorData(
        tables=tables,
        ground_truth=ground_truth,
        start=period.start,
        end=period.end,
        seed=seed,
        players=players,
        planted=planted,
        published_on=published_on,
        timings=timings,
    )


def without_invalid_records(data: OperatorData) -> OperatorData:
    """The operator without the records listed in ground_truth["invalid"] (a vendor that
    never breaks the contract), `published_on` kept aligned."""
    invalid = data.ground_truth["invalid"]
    tables, published_on = dict(data.tables), dict(data.published_on)
    for key in sorted(set(invalid["entity"].to_pylist())):
        keys = pc.filter(invalid["key"], pc.equal(invalid["entity"], key))
        keep = pc.invert(pc.is_in(key_strings(tables[key], entity(key)), keys))
        tables[key] = tables[key].filter(keep)
        published_on[key] = published_on[key].filter(keep)
    return replace(data, tables=tables, published_on=published_on)
