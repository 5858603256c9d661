"""Money and play: transactions, bonuses and rounds, and the vendors' daily totals.

Every depositor gets a value (how much they deposit), a lifetime (when they churn), a
chance to come back on a given day and a pace (rounds per session); whales are the top
of a heavy tail. From those, the (player, active day) sessions are expanded once, and
deposits, withdrawals and rounds hang off the sessions, all as array operations.
Amounts are int64 cents or ten-thousandths from the first draw to the arrow array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.generator.arrays import (
    UNITS_PER_CENT,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    US_PER_SECOND,
    Period,
    choose,
    dates,
    ints,
    labels,
    money,
    numbered,
    ragged,
    table,
    times_of_day,
    timestamps,
)
from ingestion.generator.games import Catalogue, round_durations, win_multipliers
from ingestion.generator.lifecycle import COOLING_OFF_DAYS, Lifecycle
from ingestion.generator.partners import BRANDS
from ingestion.generator.players import CURRENCIES, Population

KINDS = ("deposit", "withdrawal", "chargeback", "refund")
STATUSES = ("pending", "approved", "declined", "cancelled", "reversed")
METHODS = ("card", "bank_transfer", "e_wallet", "crypto")
PSPS = ("stripe_like", "adyen_like", "skrill_like")
_METHOD_WEIGHTS = (0.55, 0.15, 0.25, 0.05)
_DEPOSIT_FEE_BP = np.array([250, 180, 150])  # per PSP, basis points of the amount
_WITHDRAWAL_FEE_BP = 50
_CHARGEBACK_FEE_UNITS = 15 * 10_000
_REFUND_FEE_UNITS = 2_500
BONUS_KINDS = ("granted", "converted", "forfeited", "expired")
_CORRECTION_SHARE = 0.002  # rounds re-sent as cancelled


@dataclass
class Ledger:
    """Logical transactions (one per transaction id) under construction."""

    columns: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append transactions; return their logical indices."""
        offset = self.size
        size = len(values["player"])
        for name, value in values.items():
            self.columns.setdefault(name, []).append(
                np.broadcast_to(np.asarray(value, dtype=np.int64), (size,)).copy()
            )
        return offset + np.arange(size)

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.columns.get("player", []))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self.columns.items()}


@dataclass
class Activity:
    transactions: pa.Table
    bonuses: pa.Table
    rounds: pa.Table
    settlements: pa.Table
    provider_reports: pa.Table
    depositor: np.ndarray
    first_deposit_us: np.ndarray
    chargeback_player: np.ndarray
    chargeback_us: np.ndarray
    planted: dict[str, object]


def _round_to(cents: np.ndarray, step_major: int, minimum_major: int) -> np.ndarray:
    """Whole amounts as players pick them (multiples of `step`), in cents."""
    steps = np.maximum(np.rint(cents / (100 * step_major)), minimum_major / step_major)
    return steps.astype(np.int64) * step_major * 100


def _processing_delay(rng: np.random.Generator, method: np.ndarray) -> np.ndarray:
    size = len(method)
    seconds = np.select(
        [method == 0, method == 1, method == 2],
        [
            rng.uniform(2, 60, size),  # card: seconds
            rng.uniform(1, 30, size) * 3600,  # bank transfer: hours, often the next day
            rng.uniform(5, 120, size),  # e-wallet
        ],
        default=rng.uniform(10, 60, size) * 60,  # crypto: confirmations
    )
    return (seconds * US_PER_SECOND).astype(np.int64)


def make_activity(
    rng: np.random.Generator,
    period: Period,
    population: Population,
    lifecycle: Lifecycle,
    catalogue: Catalogue,
) -> Activity:
    count = population.count
    end_us = period.end_us
    registered = population.registered_us

    # --- who deposits, how much, for how long --------------------------------------------
    delay_minutes = rng.lognormal(np.log(30.0), 1.5, count).clip(1, 3 * 24 * 60)
    first_deposit_us = registered + (delay_minutes * US_PER_MINUTE).astype(np.int64)
    depositor = (rng.random(count) < 0.65) & (first_deposit_us < lifecycle.activity_end_us)
    value_cents = rng.lognormal(np.log(40.0), 0.9, count) * 100  # a typical deposit
    whale = value_cents > np.quantile(value_cents, 0.98)
    lifetime_days = (rng.exponential(20.0, count) + 1.0) * np.where(whale, 3.0, 1.0)
    active_until = np.minimum(
        first_deposit_us + (lifetime_days * US_PER_DAY).astype(np.int64),
        lifecycle.activity_end_us,
    )
    comeback = (rng.beta(2.0, 4.0, count) + 0.3 * whale).clip(0.05, 0.95)
    pace = (rng.lognormal(np.log(14.0), 0.7, count) * (1 + 3 * whale)).clip(2, 400)
    stake_cents = (value_cents * 0.025 * rng.lognormal(0.0, 0.4, count)).clip(10, 25_000)
    preferred_method = choose(rng, _METHOD_WEIGHTS, count)
    card_psp = np.where(rng.random(count) < 0.6, 0, 1)
    favourite_game = choose(rng, catalogue.popularity, count)

    # --- sessions: (player, day) pairs from the first deposit to churn -------------------
    first_day = first_deposit_us // US_PER_DAY
    last_day = (active_until - 1) // US_PER_DAY
    span = np.where(depositor, last_day - first_day + 1, 0).clip(0)
    owner, position = ragged(span)
    day = first_day[owner] + position
    active = (position == 0) | (rng.random(len(owner)) < comeback[owner])
    cooling = lifecycle.cooling_start_us[owner]
    cooling_day = cooling // US_PER_DAY
    paused = (cooling >= 0) & (day >= cooling_day) & (day < cooling_day + COOLING_OFF_DAYS)
    active &= ~(paused & (position > 0))
    session_us = np.where(
        position == 0,
        first_deposit_us[owner] + rng.integers(2 * US_PER_MINUTE, 15 * US_PER_MINUTE, len(owner)),
        day * US_PER_DAY + times_of_day(rng, len(owner)),
    )
    active &= session_us < active_until[owner]
    session_player = owner[active]
    session_us = session_us[active]
    returning = position[active] > 0

    # --- transactions -----------------------------------------------------------------------
    ledger = Ledger()

    def method_for(player: np.ndarray) -> np.ndarray:
        return np.where(
            rng.random(len(player)) < 0.85,
            preferred_method[player],
            choose(rng, _METHOD_WEIGHTS, len(player)),
        )

    def psp_for(player: np.ndarray, method: np.ndarray) -> np.ndarray:
        return np.select([method == 0, method == 1], [card_psp[player], 1], default=2)

    def add_payments(kind: int, player, created_us, cents, status, pending_share) -> np.ndarray:
        method = method_for(player)
        processed_us = created_us + _processing_delay(rng, method)
        if kind == 1:  # withdrawals wait for a payout run
            processed_us = created_us + rng.integers(2 * US_PER_HOUR, 3 * US_PER_DAY, len(player))
        pending = (rng.random(len(player)) < pending_share) | np.isin(method, (1, 3))
        return ledger.add(
            player=player,
            kind=kind,
            status=status,
            amount=cents * UNITS_PER_CENT,
            method=method,
            psp=psp_for(player, method),
            original=-1,
            created=created_us,
            processed=processed_us,
            pending_row=pending,
            reversed_at=-1,
        )

    depositors = np.flatnonzero(depositor)
    first_cents = _round_to(
        value_cents[depositors] * rng.lognormal(0, 0.25, len(depositors)), 5, 10
    )
    first_deposit = add_payments(0, depositors, first_deposit_us[depositors], first_cents, 1, 0.6)
    # A declined attempt a few minutes before some first deposits.
    retried = depositors[rng.random(len(depositors)) < 0.10]
    attempt_us = np.maximum(
        first_deposit_us[retried] - rng.integers(US_PER_MINUTE, 10 * US_PER_MINUTE, len(retried)),
        registered[retried] + US_PER_SECOND,
    )
    add_payments(0, retried, attempt_us, _round_to(value_cents[retried], 5, 10), 2, 0.0)

    topping_up = returning & (rng.random(len(session_player)) < 0.4)
    player = session_player[topping_up]
    created = session_us[topping_up] - rng.integers(US_PER_MINUTE, 8 * US_PER_MINUTE, len(player))
    status = choose(rng, (0.93, 0.05, 0.02), len(player)) + 1
    repeat_cents = _round_to(value_cents[player] * rng.lognormal(0, 0.5, len(player)), 5, 10)
    repeat_deposit = add_payments(0, player, created, repeat_cents, status, 0.6)

    withdrawer = rng.random(count) < 0.3
    cashing_out = returning & withdrawer[session_player] & (rng.random(len(session_player)) < 0.2)
    player = session_player[cashing_out]
    created = session_us[cashing_out] + rng.integers(
        30 * US_PER_MINUTE, 3 * US_PER_HOUR, len(player)
    )
    status = choose(rng, (0.90, 0.03, 0.07), len(player)) + 1
    cash_cents = _round_to(value_cents[player] * rng.uniform(0.5, 3.0, len(player)), 10, 20)
    add_payments(1, player, created, cash_cents, status, 1.0)

    logical = ledger.arrays()
    approved_deposit = (logical["kind"] == 0) & (logical["status"] == 1)
    settled_early = logical["processed"] < end_us - 20 * US_PER_DAY
    candidates = np.flatnonzero(approved_deposit & settled_early)
    candidates = rng.permutation(candidates)
    chargebacks_wanted = max(2, round(0.01 * len(depositors)))
    refunds_wanted = max(1, round(0.003 * len(depositors)))
    # The first two deposits reversed are a first deposit and a later one.
    first_candidates = candidates[np.isin(candidates, first_deposit)]
    later_candidates = candidates[np.isin(candidates, repeat_deposit)]
    reversed_picks = np.concatenate([first_candidates[:1], later_candidates[:1]])
    rest = candidates[~np.isin(candidates, reversed_picks)]
    charged = rest[:chargebacks_wanted]
    refunded = rest[chargebacks_wanted : chargebacks_wanted + refunds_wanted]

    def add_reversal_of(originals: np.ndarray, kind: int, cents: np.ndarray, lag) -> np.ndarray:
        player = logical["player"][originals]
        created = logical["processed"][originals] + lag
        return ledger.add(
            player=player,
            kind=kind,
            status=1,
            amount=cents * UNITS_PER_CENT,
            method=logical["method"][originals],
            psp=logical["psp"][originals],
            original=originals,
            created=created,
            processed=created + rng.integers(US_PER_HOUR, 24 * US_PER_HOUR, len(originals)),
            pending_row=False,
            reversed_at=-1,
        )

    charged_cents = logical["amount"][charged] // UNITS_PER_CENT
    room = end_us - logical["processed"][charged] - 2 * US_PER_DAY
    lag = np.minimum(rng.integers(10 * US_PER_DAY, 60 * US_PER_DAY, len(charged)), room)
    chargeback = add_reversal_of(charged, 2, charged_cents, lag)
    refund_cents = logical["amount"][refunded] // UNITS_PER_CENT
    partial = rng.random(len(refunded)) < 0.5
    refund_cents = np.where(partial, refund_cents // 200 * 100, refund_cents)
    lag = rng.integers(US_PER_DAY, 5 * US_PER_DAY, len(refunded))
    add_reversal_of(refunded, 3, refund_cents, lag)

    logical = ledger.arrays()
    logical["reversed_at"][reversed_picks] = logical["processed"][reversed_picks] + rng.integers(
        2 * US_PER_DAY, 10 * US_PER_DAY, len(reversed_picks)
    )
    logical["currency"] = population.currency[logical["player"]]
    transactions, transaction_ids = _transaction_rows(logical, population, end_us)

    # --- bonuses -----------------------------------------------------------------------------
    deposit_processed = np.full(count, -1, dtype=np.int64)
    deposit_processed[depositors] = logical["processed"][first_deposit]
    welcomed = depositors[
        (rng.random(len(depositors)) < 0.6) & (deposit_processed[depositors] < end_us)
    ]
    welcome_cents = np.minimum(first_cents[np.searchsorted(depositors, welcomed)], 200_00)
    reloads = repeat_deposit[
        (logical["status"][repeat_deposit] == 1) & (rng.random(len(repeat_deposit)) < 0.08)
    ]
    reload_cents = np.minimum(logical["amount"][reloads] // UNITS_PER_CENT // 2, 100_00)
    bonus_player = np.concatenate([welcomed, logical["player"][reloads]])
    granted_us = np.concatenate(
        [deposit_processed[welcomed], logical["processed"][reloads]]
    ) + rng.integers(5 * US_PER_SECOND, 60 * US_PER_SECOND, len(bonus_player))
    granted_cents = np.concatenate([welcome_cents, reload_cents])
    is_reload = np.arange(len(bonus_player)) >= len(welcomed)
    bonuses, outcome_us = _bonus_rows(
        rng, population, bonus_player, granted_us, granted_cents, is_reload, end_us
    )
    # Rounds inside a welcome bonus's life may be played with bonus money.
    bonus_from = np.full(count, end_us, dtype=np.int64)
    bonus_until = np.full(count, end_us, dtype=np.int64)
    bonus_from[welcomed] = granted_us[: len(welcomed)]
    bonus_until[welcomed] = outcome_us[: len(welcomed)]

    # --- rounds ------------------------------------------------------------------------------
    rounds, provider_reports, round_planted = _rounds(
        rng,
        period,
        population,
        catalogue,
        session_player,
        session_us,
        pace,
        stake_cents,
        favourite_game,
        active_until,
        bonus_from,
        bonus_until,
    )

    planted = {
        "chargebacks": len(chargeback),
        "refunds": len(refunded),
        "reversed_deposits": transaction_ids.take(pa.array(reversed_picks)).to_pylist(),
        **round_planted,
    }
    charged_player = logical["player"][chargeback]
    chargeback_done = logical["processed"][chargeback]
    in_period = chargeback_done < end_us
    return Activity(
        transactions=transactions,
        bonuses=bonuses,
        rounds=rounds,
        settlements=_settlements(logical, end_us),
        provider_reports=provider_reports,
        depositor=depositor,
        first_deposit_us=first_deposit_us,
        chargeback_player=charged_player[in_period],
        chargeback_us=chargeback_done[in_period],
        planted=planted,
    )


def _fees(logical: dict[str, np.ndarray]) -> np.ndarray:
    kind, amount, psp = logical["kind"], logical["amount"], logical["psp"]
    fee = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            amount * _DEPOSIT_FEE_BP[psp] // 10_000,
            amount * _WITHDRAWAL_FEE_BP // 10_000,
            _CHARGEBACK_FEE_UNITS,
        ],
        default=_REFUND_FEE_UNITS,
    )
    return np.where(logical["status"] == 1, fee, 0)


def _transaction_rows(
    logical: dict[str, np.ndarray], population: Population, end_us: int
) -> tuple[pa.Table, pa.Array]:
    """Versions as the PSP API sends them: pending, final, and reversed where it happened.

    Returns the table and the transaction id of every logical transaction.
    """
    created = logical["created"]
    exists = created < end_us
    final = exists & (logical["processed"] < end_us)
    pending = exists & ((logical["pending_row"] == 1) | ~final)
    reversed_row = final & (logical["reversed_at"] >= 0) & (logical["reversed_at"] < end_us)
    logical["fee"] = _fees(logical)

    # Ids follow creation order, as a PSP numbers them.
    order = np.lexsort((logical["player"], created))
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(1, len(order) + 1)
    ids = numbered("txn_", number, 8)

    index = np.concatenate(
        [np.flatnonzero(pending), np.flatnonzero(final), np.flatnonzero(reversed_row)]
    )
    version = np.concatenate(
        [
            np.zeros(int(pending.sum())),
            np.ones(int(final.sum())),
            np.full(int(reversed_row.sum()), 2),
        ]
    ).astype(np.int64)
    status = np.select([version == 0, version == 1], [0, logical["status"][index]], default=4)
    processed = np.where(version == 0, -1, logical["processed"][index])
    updated = np.select(
        [version == 0, version == 1],
        [created[index], logical["processed"][index]],
        default=logical["reversed_at"][index],
    )
    fee = np.where(version == 0, 0, logical["fee"][index])
    original = logical["original"][index]
    row_order = np.lexsort((version, number[index], updated))
    index, version, status, processed, updated, fee, original = (
        a[row_order] for a in (index, version, status, processed, updated, fee, original)
    )
    player = logical["player"][index]
    columns = {
        "transaction_id": ids.take(pa.array(index)),
        "player_id": population.player_ids.take(pa.array(player)),
        "kind": labels(KINDS, logical["kind"][index]),
        "status": labels(STATUSES, status),
        "amount": money(logical["amount"][index]),
        "fee_amount": money(fee),
        "currency": labels(CURRENCIES, population.currency[player]),
        "method": labels(METHODS, logical["method"][index]),
        "psp": labels(PSPS, logical["psp"][index]),
        "original_transaction_id": pc.if_else(
            pa.array(original < 0),
            pa.nulls(len(index), pa.string()),
            ids.take(pa.array(np.maximum(original, 0))),
        ),
        "created_at": timestamps(created[index]),
        "processed_at": timestamps(processed, processed < 0),
        "updated_at": timestamps(updated),
    }
    return table("payments.transactions", columns), ids


def _bonus_rows(
    rng: np.random.Generator,
    population: Population,
    player: np.ndarray,
    granted_us: np.ndarray,
    granted_cents: np.ndarray,
    is_reload: np.ndarray,
    end_us: int,
) -> tuple[pa.Table, np.ndarray]:
    """Grants, then a conversion, forfeit or expiry; returns the table and each outcome time."""
    size = len(player)
    outcome = choose(rng, (0.35, 0.25, 0.25, 0.15), size) + 1  # converted, forfeited, expired
    outcome_us = granted_us + np.select(
        [outcome == 1, outcome == 2, outcome == 3],
        [
            rng.integers(2 * US_PER_DAY, 20 * US_PER_DAY, size),
            rng.integers(US_PER_DAY // 2, 10 * US_PER_DAY, size),
            np.full(size, 30 * US_PER_DAY),
        ],
        default=0,
    )
    concluded = (outcome < 4) & (outcome_us < end_us)
    outcome_us = np.where(concluded, outcome_us, end_us)
    # Converted: what wagering turned into real money; forfeited or expired: what was left.
    share = np.where(outcome == 1, rng.uniform(0.1, 1.2, size), rng.uniform(0.05, 1.0, size))
    outcome_cents = np.maximum((granted_cents * share).astype(np.int64), 1)

    exists = granted_us < end_us
    grant_rows = np.flatnonzero(exists)
    outcome_rows = np.flatnonzero(exists & concluded)
    row_player = np.concatenate([player[grant_rows], player[outcome_rows]])
    kind = np.concatenate([np.zeros(len(grant_rows), dtype=np.int64), outcome[outcome_rows]])
    when = np.concatenate([granted_us[grant_rows], outcome_us[outcome_rows]])
    cents = np.concatenate([granted_cents[grant_rows], outcome_cents[outcome_rows]])
    reload = np.concatenate([is_reload[grant_rows], is_reload[outcome_rows]])
    order = np.lexsort((kind, row_player, when))
    row_player, kind, when, cents, reload = (
        a[order] for a in (row_player, kind, when, cents, reload)
    )
    codes = [
        f"{brand[:3].upper()}-{offer}" for brand in BRANDS for offer in ("WELCOME100", "RELOAD50")
    ]
    bonuses = table(
        "crm.bonuses",
        {
            "bonus_txn_id": numbered("bon_", np.arange(1, len(order) + 1), 7),
            "player_id": population.player_ids.take(pa.array(row_player)),
            "bonus_code": labels(codes, population.brand[row_player] * 2 + reload.astype(np.int64)),
            "kind": labels(BONUS_KINDS, kind),
            "amount": money(cents * UNITS_PER_CENT),
            "currency": labels(CURRENCIES, population.currency[row_player]),
            "occurred_at": timestamps(when),
            "updated_at": timestamps(when),
        },
    )
    return bonuses, outcome_us


def _rounds(
    rng: np.random.Generator,
    period: Period,
    population: Population,
    catalogue: Catalogue,
    session_player: np.ndarray,
    session_us: np.ndarray,
    pace: np.ndarray,
    stake_cents: np.ndarray,
    favourite_game: np.ndarray,
    active_until: np.ndarray,
    bonus_from: np.ndarray,
    bonus_until: np.ndarray,
) -> tuple[pa.Table, pa.Table, dict[str, object]]:
    end_us = period.end_us
    per_session = 1 + rng.poisson(pace[session_player] * rng.lognormal(0, 0.5, len(session_player)))
    session, _ = ragged(per_session)
    player = session_player[session]
    size = len(player)
    # Rounds follow each other within a session: start = session start + running gaps.
    gap_us = ((3.0 + rng.exponential(15.0, size)) * US_PER_SECOND).astype(np.int64)
    running = np.cumsum(gap_us)
    session_first = np.cumsum(per_session) - per_session
    started = (
        session_us[session]
        + running
        - np.repeat(running[session_first] - gap_us[session_first], per_session)
    )
    game = np.where(
        rng.random(size) < 0.55, favourite_game[player], choose(rng, catalogue.popularity, size)
    )
    category = catalogue.category[game]
    settled = started + round_durations(rng, category)
    kept = (started < active_until[player]) & (settled < end_us)
    player, game, category, started, settled = (
        a[kept] for a in (player, game, category, started, settled)
    )
    size = len(player)

    stake = stake_cents[player] * rng.lognormal(0.0, 0.35, size) * np.where(category == 4, 4.0, 1.0)
    stake = np.maximum(np.rint(stake), 10).astype(np.int64)  # cents, at least 0.10
    multiplier = win_multipliers(rng, category, catalogue.rtp_units[game] / 10_000)
    win = np.floor(stake * multiplier).astype(np.int64)
    on_bonus = (
        (started >= bonus_from[player]) & (started < bonus_until[player]) & (rng.random(size) < 0.5)
    )
    stake_units = stake * UNITS_PER_CENT
    win_units = win * UNITS_PER_CENT
    # 0.5% of the stake of jackpot-linked slots feeds the progressive pot (exact, in units).
    jackpot_units = np.where(catalogue.jackpot[game], stake_units * 5 // 1_000, 0)

    order = np.lexsort((player, started))
    number = np.empty(size, dtype=np.int64)
    number[order] = np.arange(1, size + 1)
    corrected = np.flatnonzero(rng.random(size) < _CORRECTION_SHARE)
    corrected_us = settled[corrected] + rng.integers(US_PER_DAY, 3 * US_PER_DAY, len(corrected))
    corrected, corrected_us = corrected[corrected_us < end_us], corrected_us[corrected_us < end_us]

    index = np.concatenate([np.arange(size), corrected])
    status = np.concatenate([np.zeros(size), np.ones(len(corrected))]).astype(np.int64)
    updated = np.concatenate([settled, corrected_us])
    row_order = np.lexsort((status, number[index], updated))
    index, status, updated = index[row_order], status[row_order], updated[row_order]
    bonus_row = on_bonus[index]
    row_player = player[index]
    width = max(9, len(str(size)))
    rounds = table(
        "games.rounds",
        {
            "round_id": numbered("rnd_", number[index], width),
            "player_id": population.player_ids.take(pa.array(row_player)),
            "game_id": labels(catalogue.game_ids, game[index]),
            "started_at": timestamps(started[index]),
            "settled_at": timestamps(settled[index]),
            "currency": labels(CURRENCIES, population.currency[row_player]),
            "stake_real": money(np.where(bonus_row, 0, stake_units[index])),
            "stake_bonus": money(np.where(bonus_row, stake_units[index], 0)),
            "win_real": money(np.where(bonus_row, 0, win_units[index])),
            "win_bonus": money(np.where(bonus_row, win_units[index], 0)),
            "jackpot_contribution": money(jackpot_units[index]),
            "status": labels(("settled", "cancelled"), status),
            "updated_at": timestamps(updated),
        },
    )

    # The providers' own daily totals: settled rounds that were not cancelled afterwards.
    counted = np.ones(size, dtype=bool)
    counted[corrected] = False
    frame = pd.DataFrame(
        {
            "day": settled[counted] // US_PER_DAY,
            "provider": catalogue.provider_of_game[game[counted]],
            "currency": population.currency[player[counted]],
            "rounds": np.ones(int(counted.sum()), dtype=np.int64),
            "stakes": np.where(on_bonus, 0, stake_units)[counted],
            "wins": np.where(on_bonus, 0, win_units)[counted],
        }
    )
    totals = frame.groupby(["day", "provider", "currency"], sort=True).sum().reset_index()
    provider_reports = table(
        "games.provider_reports",
        {
            "report_date": dates(totals["day"].to_numpy()),
            "provider": labels(catalogue.providers, totals["provider"].to_numpy()),
            "currency": labels(CURRENCIES, totals["currency"].to_numpy()),
            "rounds_count": ints(totals["rounds"].to_numpy()),
            "stakes_real": money(totals["stakes"].to_numpy()),
            "wins_real": money(totals["wins"].to_numpy()),
        },
    )
    planted = {"cancelled_round_corrections": len(corrected)}
    return rounds, provider_reports, planted


def _settlements(logical: dict[str, np.ndarray], end_us: int) -> pa.Table:
    """Each PSP's daily totals of the transactions it approved that day.

    A deposit reversed later was still approved on its day, so it is in that day's file.
    """
    approved = (logical["status"] == 1) & (logical["processed"] < end_us)
    approved &= logical["created"] < end_us
    kind = logical["kind"][approved]
    amount = logical["amount"][approved]
    frame = pd.DataFrame(
        {
            "day": logical["processed"][approved] // US_PER_DAY,
            "psp": logical["psp"][approved],
            "currency": logical["currency"][approved],
            "deposit_count": (kind == 0).astype(np.int64),
            "deposit_amount": np.where(kind == 0, amount, 0),
            "withdrawal_count": (kind == 1).astype(np.int64),
            "withdrawal_amount": np.where(kind == 1, amount, 0),
            "chargeback_count": (kind == 2).astype(np.int64),
            "chargeback_amount": np.where(kind == 2, amount, 0),
            "fee_amount": logical["fee"][approved],
        }
    )
    totals = frame.groupby(["day", "psp", "currency"], sort=True).sum().reset_index()
    column = {name: totals[name].to_numpy() for name in totals.columns}
    return table(
        "payments.settlements",
        {
            "settlement_date": dates(column["day"]),
            "psp": labels(PSPS, column["psp"]),
            "currency": labels(CURRENCIES, column["currency"]),
            "deposit_count": ints(column["deposit_count"]),
            "deposit_amount": money(column["deposit_amount"]),
            "withdrawal_count": ints(column["withdrawal_count"]),
            "withdrawal_amount": money(column["withdrawal_amount"]),
            "chargeback_count": ints(column["chargeback_count"]),
            "chargeback_amount": money(column["chargeback_amount"]),
            "fee_amount": money(column["fee_amount"]),
        },
    )
