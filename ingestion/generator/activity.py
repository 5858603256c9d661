"""Money and play: transactions, bonuses and rounds, and the vendors' daily totals.

Every depositor gets a value (a typical deposit, lognormal: a few whales, many small
players), a lifetime (exponential: players churn; loyal ones stay months), a chance to
come back on a given day (higher at weekends), a pace (rounds per session) and a turnover
ratio (how many times they wager what they deposit: 5-15x for most). From those, the
(player, active day) sessions are expanded once, and deposits, rounds, bonuses and
withdrawals hang off the sessions, all as array operations. Winnings are cashed out: a
winning session, or a player leaving with money in the wallet, makes a withdrawal, so
deposits minus withdrawals come out near the operator's gross gaming revenue.

A real slot session is hundreds of small spins; here a session is tens of bigger bets
with the same turnover, so that a million players fit in memory. Wallet balances are not
simulated round by round (the warehouse never sees them).

Amounts are int64 cents or ten-thousandths from the first draw to the arrow array.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import entity
from ingestion.generator.arrays import (
    UNITS_PER_CENT,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    US_PER_SECOND,
    WEEKDAY_WEIGHTS,
    Period,
    TextTable,
    choose,
    dates,
    fixed_ids,
    ints,
    labels,
    money,
    mostly,
    numbered,
    ragged,
    table,
    times_of_day,
    timestamps,
    weekday_of,
)
from ingestion.generator.games import Catalogue, round_durations, win_multipliers
from ingestion.generator.lifecycle import COOLING_OFF_DAYS, Lifecycle
from ingestion.generator.partners import BRANDS, ORGANIC_DEPOSIT_RATE, Partners
from ingestion.generator.players import CURRENCIES, Population

KINDS = ("deposit", "withdrawal", "chargeback", "refund")
STATUSES = ("pending", "approved", "declined", "cancelled", "reversed")
ROUND_STATUSES = ("settled", "cancelled")
METHODS = ("card", "bank_transfer", "e_wallet", "crypto")
PSPS = ("stripe_like", "adyen_like", "skrill_like")
_METHOD_WEIGHTS = (0.55, 0.15, 0.25, 0.05)
_DEPOSIT_FEE_BP = np.array([250, 180, 150])  # per PSP, basis points of the amount
_WITHDRAWAL_FEE_BP = 50
_CHARGEBACK_FEE_UNITS = 15 * 10_000
_REFUND_FEE_UNITS = 2_500
BONUS_KINDS = ("granted", "converted", "forfeited", "expired")
CORRECTION_SHARE = 0.002  # rounds re-sent as cancelled
REDELIVERED_SHARE = 0.01  # at-least-once delivery: ~1% of rows come twice
LATE_SHARE = 0.005  # rows the vendor publishes 1-5 days after their delivery day
MAX_DAYS_LATE = 5
# A round's stake next to the session's usual one: mostly the same, sometimes halved or
# doubled (eight equally likely steps, so one small-integer draw picks it).
_STAKE_STEPS = np.array([0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.0], dtype=np.float32)
_TOPUP_SHARE = 0.6  # returning sessions that start with a deposit
_DEPOSITS_PER_SESSION = 0.65  # about: the first session always deposits, later ones 60%
_ROUNDS_PER_SESSION = 11.0  # median pace
_TURNOVER_RATIO = 9.0  # median: stakes over deposits
# A generated round stands for a run of real spins: a session's return to player is drawn
# as if from ~30 spins per round (sd 1.2 each), and 1% of sessions land a big win worth
# half their turnover again on average (at most twice); the session's rounds then win in
# those proportions.
_SPINS_PER_ROUND = 30
_SPIN_SD = 1.2
_BIG_WIN_SHARE = 0.01
_BIG_WIN_CAP = 2.0
_BIG_WIN_MEAN = 0.5  # extra return to player of a big-win session (before the cap)


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


@dataclass(frozen=True)
class Rounds:
    """The rounds table in delivery order, and what the other parts need from it."""

    table: pa.Table
    delivery_day: np.ndarray  # per row: day of updated_at, days since epoch
    published_day: np.ndarray  # per row: delivery day + days late
    provider_reports: pa.Table
    session_net_cents: np.ndarray  # real wins - real stakes per session
    player_stakes_cents: np.ndarray  # real stakes per player
    late_rows: np.ndarray  # row positions of the late rows
    duplicate_ids: pa.Array  # round ids delivered twice
    cancelled_ids: pa.Array  # round ids re-sent as cancelled
    count: int  # distinct rounds (ids rnd_1 .. rnd_count)
    seconds: float  # time spent building the table


@dataclass
class Activity:
    transactions: pa.Table
    bonuses: pa.Table
    rounds: Rounds
    settlements: pa.Table
    depositor: np.ndarray
    first_deposit_us: np.ndarray
    first_session_us: np.ndarray  # per player: when play starts; -1 never
    chargeback_player: np.ndarray
    chargeback_us: np.ndarray
    chargeback_ids: pa.Array
    charged_deposit_ids: pa.Array
    reversed_ids: pa.Array  # pending -> approved -> reversed deposits
    bonus_count: np.ndarray  # bonuses granted per player
    bonus_granted_cents: np.ndarray  # per player
    planted: dict[str, object]


def _round_to(cents: np.ndarray, step_major, minimum_major) -> np.ndarray:
    """Whole amounts as players pick them (multiples of `step`), in cents."""
    steps = np.maximum(np.rint(cents / (100 * step_major)), minimum_major / step_major)
    return (steps * step_major * 100).astype(np.int64)


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


@dataclass(frozen=True)
class Players:
    """Per-player behaviour drawn once (index = player)."""

    depositor: np.ndarray
    first_deposit_us: np.ndarray
    value_cents: np.ndarray  # a typical deposit, wallet cents
    active_until: np.ndarray
    comeback: np.ndarray
    pace: np.ndarray  # rounds per session
    stake_cents: np.ndarray  # a usual stake, wallet cents
    topup: np.ndarray  # chance that a returning session starts with a deposit
    favourite_game: np.ndarray


def _players(
    rng: np.random.Generator,
    period: Period,
    population: Population,
    lifecycle: Lifecycle,
    catalogue: Catalogue,
    partners: Partners,
) -> Players:
    count = population.count
    abuser = population.bonus_abuser
    campaign = population.campaign
    deposit_rate = np.where(
        campaign >= 0, partners.campaign_deposit_rate[np.maximum(campaign, 0)], ORGANIC_DEPOSIT_RATE
    )
    delay_minutes = rng.lognormal(np.log(30.0), 1.5, count).clip(1, 3 * 24 * 60)
    first_deposit_us = population.registered_us + (delay_minutes * US_PER_MINUTE).astype(np.int64)
    depositor = (rng.random(count) < deposit_rate) | abuser
    depositor &= first_deposit_us < np.minimum(lifecycle.activity_end_us, period.end_us)

    # Value: lognormal deposits, and the top 2% (whales) play bigger, longer and more often.
    value_eur = rng.lognormal(np.log(30.0), 0.9, count)
    whale = value_eur > np.quantile(value_eur, 0.98)
    value_eur = np.where(whale, value_eur * 1.5, value_eur)
    loyal = (rng.random(count) < 0.2) | whale
    lifetime_days = rng.exponential(np.where(loyal, 120.0, 25.0)) + 1.0
    comeback = (rng.beta(1.2, 7.0, count) + 0.15 * whale).clip(0.03, 0.9)
    pace = rng.lognormal(np.log(_ROUNDS_PER_SESSION), 0.6, count).clip(2, 200)
    turnover_ratio = rng.lognormal(np.log(_TURNOVER_RATIO), 0.35, count)
    topup = np.full(count, _TOPUP_SHARE)

    # Bonus abusers: minimum deposits, a bonus on each, hardly any wagering, gone in days.
    value_eur = np.where(abuser, rng.choice((10.0, 15.0, 20.0), count), value_eur)
    lifetime_days = np.where(abuser, rng.uniform(5.0, 15.0, count), lifetime_days)
    comeback = np.where(abuser, 0.6, comeback)
    pace = np.where(abuser, rng.uniform(2.0, 5.0, count), pace)
    turnover_ratio = np.where(abuser, rng.uniform(0.5, 1.5, count), turnover_ratio)
    topup = np.where(abuser, 1.0, topup)

    popularity = catalogue.popularity / catalogue.popularity.sum()
    mean_stake_factor = float((popularity * catalogue.stake_factor).sum())
    scale = population.amount_scale
    value_cents = value_eur * 100 * scale
    # Stakes such that a player wagers `turnover_ratio` times what they deposit (a session
    # plays 1 + Poisson(pace x lognormal(0, 0.5)) rounds, whose mean is below).
    rounds_per_session = 1 + pace * np.exp(0.125)
    stake_cents = (
        turnover_ratio * value_cents * _DEPOSITS_PER_SESSION / rounds_per_session
    ) / mean_stake_factor
    active_until = np.minimum(
        first_deposit_us + (lifetime_days * US_PER_DAY).astype(np.int64),
        lifecycle.activity_end_us,
    )
    return Players(
        depositor=depositor,
        first_deposit_us=first_deposit_us,
        value_cents=value_cents,
        active_until=active_until,
        comeback=comeback,
        pace=pace,
        stake_cents=stake_cents,
        topup=topup,
        favourite_game=choose(rng, catalogue.popularity, count),
    )


@dataclass(frozen=True)
class Sessions:
    """(player, day) sessions in start order."""

    player: np.ndarray
    start_us: np.ndarray
    first: np.ndarray  # the session of the first deposit


def _sessions(
    rng: np.random.Generator, period: Period, players: Players, lifecycle: Lifecycle
) -> Sessions:
    """A session on the first-deposit day, then on each day with the player's comeback
    chance (times the weekday's weight) until the player churns."""
    first_day = players.first_deposit_us // US_PER_DAY
    last_day = (np.minimum(players.active_until, period.end_us) - 1) // US_PER_DAY
    span = np.where(players.depositor, last_day - first_day + 1, 0).clip(0)
    owner, position = ragged(span)
    day = first_day[owner] + position
    chance = players.comeback[owner] * WEEKDAY_WEIGHTS[weekday_of(day)]
    active = (position == 0) | (rng.random(len(owner), dtype=np.float32) < chance)
    cooling = lifecycle.cooling_start_us[owner]
    cooling_day = cooling // US_PER_DAY
    paused = (cooling >= 0) & (day >= cooling_day) & (day < cooling_day + COOLING_OFF_DAYS)
    active &= ~(paused & (position > 0))
    owner, position, day = owner[active], position[active], day[active]
    start_us = np.where(
        position == 0,
        players.first_deposit_us[owner]
        + rng.integers(2 * US_PER_MINUTE, 15 * US_PER_MINUTE, len(owner)),
        day * US_PER_DAY + times_of_day(rng, len(owner)),
    )
    kept = start_us < np.minimum(players.active_until[owner], period.end_us)
    owner, position, start_us = owner[kept], position[kept], start_us[kept]
    order = np.lexsort((owner, start_us))
    return Sessions(player=owner[order], start_us=start_us[order], first=position[order] == 0)


def make_activity(
    rng: np.random.Generator,
    period: Period,
    population: Population,
    lifecycle: Lifecycle,
    catalogue: Catalogue,
    partners: Partners,
    delivery_rng: np.random.Generator,
) -> Activity:
    """Deposits, bonuses, rounds, withdrawals, chargebacks, refunds and reversals, and the
    vendors' daily totals. `delivery_rng` draws the rounds export's delivery faults."""
    count = population.count
    end_us = period.end_us
    registered = population.registered_us
    scale = population.amount_scale
    players = _players(rng, period, population, lifecycle, catalogue, partners)
    depositor = players.depositor
    sessions = _sessions(rng, period, players, lifecycle)
    session_player = sessions.player
    returning = ~sessions.first

    # --- deposits -------------------------------------------------------------------------
    ledger = Ledger()
    preferred_method = choose(rng, _METHOD_WEIGHTS, count)
    card_psp = np.where(rng.random(count) < 0.6, 0, 1)

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

    def deposit_cents(player: np.ndarray, spread: float) -> np.ndarray:
        drawn = players.value_cents[player] * rng.lognormal(0, spread, len(player))
        return _round_to(drawn, 5 * scale[player], 10 * scale[player])

    depositors = np.flatnonzero(depositor)
    first_cents = deposit_cents(depositors, 0.25)
    first_deposit = add_payments(
        0, depositors, players.first_deposit_us[depositors], first_cents, 1, 0.6
    )
    # A declined attempt a few minutes before some first deposits.
    retried = depositors[rng.random(len(depositors)) < 0.10]
    attempt_us = np.maximum(
        players.first_deposit_us[retried]
        - rng.integers(US_PER_MINUTE, 10 * US_PER_MINUTE, len(retried)),
        registered[retried] + US_PER_SECOND,
    )
    add_payments(0, retried, attempt_us, deposit_cents(retried, 0.0), 2, 0.0)

    topping_up = returning & (rng.random(len(session_player)) < players.topup[session_player])
    player = session_player[topping_up]
    created = sessions.start_us[topping_up] - rng.integers(
        US_PER_MINUTE, 8 * US_PER_MINUTE, len(player)
    )
    status = choose(rng, (0.93, 0.05, 0.02), len(player)) + 1
    repeat_cents = deposit_cents(player, 0.45)
    repeat_deposit = add_payments(0, player, created, repeat_cents, status, 0.6)
    session_deposit_cents = np.zeros(len(session_player), dtype=np.int64)
    session_deposit_cents[np.flatnonzero(topping_up)] = np.where(status == 1, repeat_cents, 0)
    first_session = np.flatnonzero(sessions.first)
    session_deposit_cents[first_session] = first_cents[
        np.searchsorted(depositors, session_player[first_session])
    ]

    # --- bonuses --------------------------------------------------------------------------
    logical = ledger.arrays()
    abuser = population.bonus_abuser
    welcomed = depositors[
        ((rng.random(len(depositors)) < 0.6) | abuser[depositors])
        & (logical["processed"][first_deposit] < end_us)
    ]
    welcome_cents = np.minimum(
        first_cents[np.searchsorted(depositors, welcomed)], 200_00 * scale[welcomed]
    )
    approved_repeat = repeat_deposit[logical["status"][repeat_deposit] == 1]
    reload_player = logical["player"][approved_repeat]
    reloads = approved_repeat[(rng.random(len(approved_repeat)) < 0.08) | abuser[reload_player]]
    reload_cents = np.minimum(
        logical["amount"][reloads] // UNITS_PER_CENT // 2,
        100_00 * scale[logical["player"][reloads]],
    )
    deposit_processed = np.full(count, -1, dtype=np.int64)
    deposit_processed[depositors] = logical["processed"][first_deposit]
    bonus_player = np.concatenate([welcomed, logical["player"][reloads]])
    granted_us = np.concatenate(
        [deposit_processed[welcomed], logical["processed"][reloads]]
    ) + rng.integers(5 * US_PER_SECOND, 60 * US_PER_SECOND, len(bonus_player))
    granted_cents = np.concatenate([welcome_cents, reload_cents])
    is_reload = np.arange(len(bonus_player)) >= len(welcomed)
    bonuses, outcome_us = _bonus_rows(
        rng, population, bonus_player, granted_us, granted_cents, is_reload, end_us
    )
    # Rounds inside a welcome bonus's life are partly played with bonus money.
    bonus_from = np.full(count, end_us, dtype=np.int64)
    bonus_until = np.full(count, end_us, dtype=np.int64)
    bonus_from[welcomed] = granted_us[: len(welcomed)]
    bonus_until[welcomed] = outcome_us[: len(welcomed)]
    granted = granted_us < end_us
    bonus_count = np.bincount(bonus_player[granted], minlength=count)
    bonus_granted_cents = np.bincount(
        bonus_player[granted], weights=granted_cents[granted], minlength=count
    )

    # --- rounds ---------------------------------------------------------------------------
    rounds = _rounds(
        rng,
        delivery_rng,
        period,
        population,
        catalogue,
        players,
        sessions,
        bonus_from,
        bonus_until,
    )

    # --- withdrawals: winnings cashed out -------------------------------------------------
    withdrawal_session, withdrawn = _cash_outs(
        rng, players, sessions, session_deposit_cents, rounds.session_net_cents, scale, end_us
    )
    player = session_player[withdrawal_session]
    session_minutes = players.pace[player] * 0.5 + 10
    created = (
        sessions.start_us[withdrawal_session]
        + (session_minutes * US_PER_MINUTE).astype(np.int64)
        + rng.integers(5 * US_PER_MINUTE, 3 * US_PER_HOUR, len(player))
    )
    status = choose(rng, (0.90, 0.03, 0.07), len(player)) + 1
    add_payments(1, player, created, withdrawn, status, 1.0)

    # --- chargebacks, refunds, reversals ----------------------------------------------------
    logical = ledger.arrays()
    approved_deposit = (logical["kind"] == 0) & (logical["status"] == 1)
    settled_early = logical["processed"] < end_us - 20 * US_PER_DAY
    candidates = rng.permutation(np.flatnonzero(approved_deposit & settled_early))
    approved_count = int(approved_deposit.sum())
    chargebacks_wanted = max(2, round(0.01 * len(depositors)))
    refunds_wanted = max(1, round(0.003 * len(depositors)))
    reversals_wanted = max(2, round(0.002 * approved_count))
    # Reversed deposits: first deposits and later ones, half each.
    first_candidates = candidates[np.isin(candidates, first_deposit)]
    later_candidates = candidates[np.isin(candidates, repeat_deposit)]
    reversed_picks = np.concatenate(
        [
            first_candidates[: reversals_wanted - reversals_wanted // 2],
            later_candidates[: reversals_wanted // 2],
        ]
    )
    rest = candidates[~np.isin(candidates, reversed_picks)]
    # Chargebacks hit first deposits more often (a stolen card's first use).
    first_rest = rest[np.isin(rest, first_deposit)]
    charged = np.concatenate([first_rest[: chargebacks_wanted // 2 + 1], rest])
    charged = charged[np.sort(np.unique(charged, return_index=True)[1])][:chargebacks_wanted]
    rest = rest[~np.isin(rest, charged)]
    refunded = rest[:refunds_wanted]

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
    logical["pending_row"][reversed_picks] = 1  # pending, approved, then reversed
    logical["currency"] = population.currency[logical["player"]]
    transactions, transaction_ids = _transaction_rows(logical, population, end_us)

    first_session_us = _first_session_us(session_player, sessions.start_us, count)

    planted = {
        "chargebacks": len(chargeback),
        "refunds": len(refunded),
        "reversed_deposits": transaction_ids.take(pa.array(reversed_picks)).to_pylist(),
        "cancelled_round_corrections": len(rounds.cancelled_ids),
    }
    charged_player = logical["player"][chargeback]
    chargeback_done = logical["processed"][chargeback]
    in_period = chargeback_done < end_us
    return Activity(
        transactions=transactions,
        bonuses=bonuses,
        rounds=rounds,
        settlements=_settlements(logical, end_us),
        depositor=depositor,
        first_deposit_us=players.first_deposit_us,
        first_session_us=first_session_us,
        chargeback_player=charged_player[in_period],
        chargeback_us=chargeback_done[in_period],
        chargeback_ids=transaction_ids.take(pa.array(chargeback[in_period])),
        charged_deposit_ids=transaction_ids.take(pa.array(charged[in_period])),
        reversed_ids=transaction_ids.take(pa.array(reversed_picks)),
        bonus_count=bonus_count,
        bonus_granted_cents=bonus_granted_cents,
        planted=planted,
    )


def _cash_outs(
    rng: np.random.Generator,
    players: Players,
    sessions: Sessions,
    deposit_cents: np.ndarray,
    net_cents: np.ndarray,
    scale: np.ndarray,
    end_us: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Withdrawals from a simulated wallet: each session adds its deposit and its net
    result (the wallet never goes below zero); after most winning sessions, and when the
    player leaves, the player cashes out the wallet in whole tens (at least 20).

    The wallet is sequential per player, so the loop runs over session ranks (a player's
    1st, 2nd, ... session; at most one per day of the period), each step over all players
    at once. Returns the sessions that withdraw, in time order, and the amounts.
    """
    player = sessions.player
    order = np.lexsort((np.arange(len(player)), player))  # per player, in time order
    owner = player[order]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    rank = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    last = np.r_[owner[1:] != owner[:-1], True]
    churned = players.active_until[owner] < end_us
    chosen = ((net_cents[order] > 0) & (rng.random(len(owner)) < 0.6)) | (last & churned)
    flow = (deposit_cents + net_cents)[order]
    unit = 1_000 * scale[owner]  # ten currency units, in cents
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2 if len(rank) else 1))
    wallet = np.zeros(len(scale), dtype=np.int64)
    withdrawn = np.zeros(len(owner), dtype=np.int64)
    for step in range(len(bounds) - 1):
        rows = by_rank[bounds[step] : bounds[step + 1]]
        who = owner[rows]
        balance = np.maximum(wallet[who] + flow[rows], 0)
        amount = np.where(chosen[rows], balance // unit[rows] * unit[rows], 0)
        amount = np.where(amount >= 2 * unit[rows], amount, 0)
        wallet[who] = balance - amount
        withdrawn[rows] = amount
    paid = np.flatnonzero(withdrawn)
    return np.sort(order[paid]), withdrawn[paid][np.argsort(order[paid], kind="stable")]


def _first_session_us(session_player: np.ndarray, start_us: np.ndarray, count: int) -> np.ndarray:
    """Per player, the start of their earliest session (sessions are in time order)."""
    first = np.full(count, -1, dtype=np.int64)
    players, index = np.unique(session_player, return_index=True)
    first[players] = start_us[index]
    return first


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
    ids = numbered("txn_", number, max(8, len(str(len(order)))))

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
    # Abusers hardly wager: their bonuses mostly lapse.
    abused = population.bonus_abuser[player]
    outcome = np.where(abused, choose(rng, (0.15, 0.45, 0.40), size) + 1, outcome)
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


def _sparse_picks(rng: np.random.Generator, size: int, share: float) -> np.ndarray:
    """Sorted distinct row positions, each row picked with about `share` chance.

    Draws a count and that many positions instead of one random number per row.
    """
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(rng.integers(0, size, int(rng.binomial(size, share))))


def _segment_sums(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Exact int64 sums of values[bounds[i]:bounds[i+1]] (empty segments sum to 0)."""
    running = np.concatenate([[0], np.cumsum(values)])
    return running[bounds[1:]] - running[bounds[:-1]]


_CHUNK_ROUNDS = 1 << 20  # rows per build step: temporaries stay small and reuse memory
_MAX_STAKE_CENTS = 50_000 * 100  # the casino's maximum bet: 0.10 to 50,000 a round


@dataclass
class _RoundNumbers:
    """Per-round numbers of the whole period, in session order (compact dtypes)."""

    session: np.ndarray  # int32
    settled: np.ndarray  # int64 us
    duration_ms: np.ndarray  # int32: settled - started, whole milliseconds
    game: np.ndarray  # int8
    stake_cents: np.ndarray  # int32 (a maximum bet keeps it small)
    win_cents: np.ndarray  # int64
    bonus: np.ndarray  # bool: played with bonus money
    size: int = 0


def _round_numbers(
    rng: np.random.Generator,
    period: Period,
    population: Population,
    catalogue: Catalogue,
    players: Players,
    sessions: Sessions,
    bonus_from: np.ndarray,
    bonus_until: np.ndarray,
) -> tuple[_RoundNumbers, np.ndarray, np.ndarray, np.ndarray]:
    """Every round of every session, a chunk of whole sessions at a time.

    Returns the rounds, each session's real net result, each player's real stakes, and
    the providers' daily totals as a dense (day, provider, currency) cube of
    [rounds, stakes, wins] (cents).
    """
    end_us = period.end_us
    session_player = sessions.player
    session_count = len(session_player)

    # Per session: how many rounds, which games, what stake, whether bonus money plays.
    pace = players.pace[session_player] * rng.lognormal(0, 0.5, session_count)
    per_session = 1 + rng.poisson(pace)
    favourite = players.favourite_game[session_player]
    first_game = np.where(
        rng.random(session_count) < 0.6,
        favourite,
        choose(rng, catalogue.popularity, session_count),
    ).astype(np.int8)
    second_game = np.where(
        rng.random(session_count) < 0.3,
        choose(rng, catalogue.popularity, session_count),
        first_game,
    ).astype(np.int8)
    switch_at = (per_session * rng.random(session_count)).astype(np.int32)
    session_stake = (
        players.stake_cents[session_player] * rng.lognormal(0, 0.3, session_count)
    ).astype(np.float32)
    start = sessions.start_us
    on_bonus = (start >= bonus_from[session_player]) & (start < bonus_until[session_player])
    bonus_rounds = np.where(on_bonus, per_session // 2, 0).astype(np.int32)
    limit_us = np.minimum(players.active_until[session_player], end_us)

    capacity = int(per_session.sum())
    numbers = _RoundNumbers(
        session=np.empty(capacity, dtype=np.int32),
        settled=np.empty(capacity, dtype=np.int64),
        duration_ms=np.empty(capacity, dtype=np.int32),
        game=np.empty(capacity, dtype=np.int8),
        stake_cents=np.empty(capacity, dtype=np.int32),
        win_cents=np.empty(capacity, dtype=np.int64),
        bonus=np.empty(capacity, dtype=bool),
    )
    session_net = np.zeros(session_count, dtype=np.int64)
    player_stakes = np.zeros(population.count, dtype=np.float64)
    providers, currencies = len(catalogue.providers), len(CURRENCIES)
    cells = period.days * providers * currencies
    provider_totals = np.zeros((3, cells), dtype=np.float64)  # exact: integer cents < 2^53
    ends = np.cumsum(per_session)
    cuts = np.searchsorted(ends, np.arange(_CHUNK_ROUNDS, capacity, _CHUNK_ROUNDS), "right")
    bounds = np.unique(np.r_[0, cuts, session_count])
    offset = 0
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):  # one step per chunk
        counts = per_session[first:last]
        local = np.repeat(np.arange(last - first, dtype=np.int32), counts)
        size = len(local)
        starts = np.cumsum(counts) - counts
        position = np.arange(size, dtype=np.int32) - np.repeat(starts, counts).astype(np.int32)
        gap_us = (3.0 + 15.0 * rng.standard_exponential(size, dtype=np.float32)) * US_PER_SECOND
        running = np.cumsum(gap_us.astype(np.int64))
        started = start[first:last][local] + running
        started -= np.repeat(running[starts] - gap_us[starts].astype(np.int64), counts)
        game = np.where(
            position < switch_at[first:last][local],
            first_game[first:last][local],
            second_game[first:last][local],
        )
        duration_ms = (round_durations(rng, catalogue, game) // 1_000).astype(np.int32)
        settled = started + duration_ms.astype(np.int64) * 1_000
        kept = (started < limit_us[first:last][local]) & (settled < end_us)
        if not kept.all():
            local, position, settled, duration_ms, game = (
                a[kept] for a in (local, position, settled, duration_ms, game)
            )
            size = len(local)

        step = _STAKE_STEPS[rng.integers(0, len(_STAKE_STEPS), size, dtype=np.int8)]
        stake = session_stake[first:last][local] * step * catalogue.stake_factor[game]
        stake_cents = np.rint(stake).astype(np.int64).clip(10, _MAX_STAKE_CENTS)
        multiplier = win_multipliers(rng, catalogue, game)
        multiplier *= _session_luck(
            rng, catalogue, local, last - first, stake_cents, game, multiplier
        )
        win_cents = np.floor(stake_cents * multiplier).astype(np.int64)
        bonus = position < bonus_rounds[first:last][local]

        real_stake = np.where(bonus, 0, stake_cents)
        real_win = np.where(bonus, 0, win_cents)
        segment = np.searchsorted(local, np.arange(last - first + 1))
        session_net[first:last] = _segment_sums(real_win - real_stake, segment)
        player = session_player[first:last][local]
        player_stakes += np.bincount(player, weights=real_stake, minlength=population.count)
        cell = (settled // US_PER_DAY - period.start_day) * providers
        cell = (cell + catalogue.provider_of_game[game]) * currencies
        cell += population.currency[player]
        provider_totals[0] += np.bincount(cell, minlength=cells)
        provider_totals[1] += np.bincount(cell, weights=real_stake, minlength=cells)
        provider_totals[2] += np.bincount(cell, weights=real_win, minlength=cells)

        rows = slice(offset, offset + size)
        numbers.session[rows] = local + first
        numbers.settled[rows] = settled
        numbers.duration_ms[rows] = duration_ms
        numbers.game[rows] = game
        numbers.stake_cents[rows] = stake_cents
        numbers.win_cents[rows] = win_cents
        numbers.bonus[rows] = bonus
        offset += size
    numbers.size = offset
    return numbers, session_net, player_stakes, provider_totals


def _rounds(
    rng: np.random.Generator,
    delivery_rng: np.random.Generator,
    period: Period,
    population: Population,
    catalogue: Catalogue,
    players: Players,
    sessions: Sessions,
    bonus_from: np.ndarray,
    bonus_until: np.ndarray,
) -> Rounds:
    """Every round of every session, then the export's delivery faults, in delivery order.

    Rows come out ordered by delivery day, then round id, a re-delivered copy next to its
    original; round ids follow session start order, so they are close to time order. The
    columns are built a chunk of rows at a time (chunked arrays).
    """
    clock = time.perf_counter()
    numbers, session_net, player_stakes, provider_totals = _round_numbers(
        rng, period, population, catalogue, players, sessions, bonus_from, bonus_until
    )
    size = numbers.size
    settled = numbers.settled[:size]
    end_us = period.end_us

    # Delivery faults: ~0.2% re-sent cancelled days later, ~1% delivered twice, ~0.5% late.
    corrected = _sparse_picks(delivery_rng, size, CORRECTION_SHARE)
    corrected_us = settled[corrected] + delivery_rng.integers(
        US_PER_DAY, 3 * US_PER_DAY, len(corrected)
    )
    in_period = corrected_us < end_us
    corrected, corrected_us = corrected[in_period], corrected_us[in_period]
    twice = _sparse_picks(delivery_rng, size, REDELIVERED_SHARE)
    twice = twice[~np.isin(twice, corrected)]
    late = _sparse_picks(delivery_rng, size, LATE_SHARE)
    late = late[~np.isin(late, corrected) & ~np.isin(late, twice)]
    days_late = delivery_rng.integers(1, MAX_DAYS_LATE + 1, len(late))
    last_day = period.start_day + period.days - 1
    in_period = settled[late] // US_PER_DAY + days_late <= last_day
    late, days_late = late[in_period], days_late[in_period]

    # The providers' own totals count settled rounds that were not cancelled afterwards.
    reports = _provider_reports(
        period, catalogue, population, numbers, sessions, corrected, provider_totals
    )

    # Rows: a round, its second delivery, its cancelled version; ordered by delivery day
    # (a counting sort on small day numbers), round order kept within a day.
    copies = np.ones(size, dtype=np.int8)
    copies[corrected] += 1
    copies[twice] += 1
    source = np.repeat(np.arange(size, dtype=np.int32), copies)
    day = (settled // US_PER_DAY - period.start_day).astype(np.int16)
    row_day = day[source]
    cancelled = np.zeros(len(source), dtype=bool)
    cancelled[np.cumsum(copies, dtype=np.int64)[corrected] - 1] = True  # the last copy
    row_day[cancelled] = corrected_us // US_PER_DAY - period.start_day
    order = np.argsort(row_day, kind="stable")
    source, cancelled = source[order], cancelled[order]
    delivery_day = row_day[order].astype(np.int32) + period.start_day
    del row_day, order, day, copies
    lateness = np.zeros(size, dtype=np.int8)
    lateness[late] = days_late
    row_lateness = np.where(cancelled, 0, lateness[source])
    published_day = delivery_day + row_lateness
    late_rows = np.flatnonzero(row_lateness)
    del row_lateness, lateness

    # Columns, a chunk of rows at a time.
    width = max(9, len(str(size)))
    player_ids = TextTable.of(population.player_ids)
    game_ids = TextTable.of(catalogue.game_ids)
    currency_codes = TextTable.of(CURRENCIES)
    session_player = sessions.player
    chunks: dict[str, list[pa.Array]] = {name: [] for name in entity("games.rounds").schema.names}
    rows = len(source)
    for first in range(0, rows, _CHUNK_ROUNDS):  # one step per chunk of rows
        src = source[first : first + _CHUNK_ROUNDS]
        is_cancelled = cancelled[first : first + _CHUNK_ROUNDS]
        player = session_player[numbers.session[src]]
        game = numbers.game[src]
        stake = numbers.stake_cents[src].astype(np.int64) * UNITS_PER_CENT
        win = numbers.win_cents[src] * UNITS_PER_CENT
        real = ~numbers.bonus[src]
        settled_at = settled[src]
        started_at = settled_at - numbers.duration_ms[src].astype(np.int64) * 1_000
        updated_at = settled_at.copy()
        which = np.flatnonzero(is_cancelled)
        updated_at[which] = corrected_us[np.searchsorted(corrected, src[which])]
        # 0.5% of the stake of jackpot-linked slots feeds the progressive pot (exact).
        jackpot = np.where(catalogue.jackpot[game], stake * 5 // 1_000, 0)
        for name, column in (
            ("round_id", fixed_ids("rnd_", src + np.int64(1), width)),
            ("player_id", player_ids.take(player)),
            ("game_id", game_ids.take(game)),
            ("started_at", timestamps(started_at)),
            ("settled_at", timestamps(settled_at)),
            ("currency", currency_codes.take(population.currency[player])),
            ("stake_real", money(stake * real)),
            ("stake_bonus", money(stake * ~real)),
            ("win_real", money(win * real)),
            ("win_bonus", money(win * ~real)),
            ("jackpot_contribution", money(jackpot)),
            ("status", mostly(ROUND_STATUSES[0], ROUND_STATUSES[1], is_cancelled)),
            ("updated_at", timestamps(updated_at)),
        ):
            chunks[name].append(column)
    del numbers, source, cancelled, settled  # the per-round numbers: the table has them now
    rounds = table(
        "games.rounds",
        {name: pa.chunked_array(parts, _ROUND_TYPES[name]) for name, parts in chunks.items()},
    )
    seconds = time.perf_counter() - clock
    return Rounds(
        table=rounds,
        delivery_day=delivery_day,
        published_day=published_day,
        provider_reports=reports,
        session_net_cents=session_net,
        player_stakes_cents=player_stakes,
        late_rows=late_rows,
        duplicate_ids=fixed_ids("rnd_", twice + 1, width),
        cancelled_ids=fixed_ids("rnd_", corrected + 1, width),
        count=size,
        seconds=seconds,
    )


_ROUND_TYPES = {field.name: field.type for field in entity("games.rounds").schema}


def _session_luck(
    rng: np.random.Generator,
    catalogue: Catalogue,
    session: np.ndarray,
    session_count: int,
    stake_cents: np.ndarray,
    game: np.ndarray,
    multiplier: np.ndarray,
) -> np.ndarray:
    """Per round, the factor that brings its session's return to player to the session's
    drawn one (see _SPINS_PER_ROUND); 1 for sessions too short to rescale or that won
    nothing."""
    stakes = np.bincount(session, weights=stake_cents, minlength=session_count)
    rounds = np.bincount(session, minlength=session_count)
    returned = np.bincount(session, weights=stake_cents * multiplier, minlength=session_count)
    expected = np.bincount(
        session, weights=stake_cents * catalogue.rtp_units[game], minlength=session_count
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        realised = returned / stakes
        expected = expected / stakes / 10_000
    spread = _SPIN_SD / np.sqrt(_SPINS_PER_ROUND * np.maximum(rounds, 1))
    big_win = rng.random(session_count) < _BIG_WIN_SHARE
    # The mean of the capped big win, taken off every session: the hold stays 1 - rtp.
    big_win_mean = _BIG_WIN_SHARE * _BIG_WIN_MEAN * (1 - np.exp(-_BIG_WIN_CAP / _BIG_WIN_MEAN))
    drawn = (
        expected
        - big_win_mean
        + spread * rng.standard_normal(session_count)
        + np.where(big_win, rng.exponential(_BIG_WIN_MEAN, session_count), 0.0).clip(
            0.0, _BIG_WIN_CAP
        )
    ).clip(0.0, None)
    scalable = (rounds >= 3) & (realised > 0)
    # A session of three or more rounds that won nothing cannot be rescaled and returns 0;
    # the others return a little more, so that the operator's hold stays 1 - rtp.
    lost = (rounds >= 3) & (realised == 0)
    owed = (expected * stakes)[lost].sum()
    promised = (drawn * stakes)[scalable].sum()
    drawn = drawn * (1.0 + owed / promised if promised > 0 else 1.0)
    factor = np.ones(len(drawn))
    factor[scalable] = (drawn[scalable] / realised[scalable]).clip(0.0, 8.0)
    return factor.astype(np.float32)[session]


def _provider_reports(
    period: Period,
    catalogue: Catalogue,
    population: Population,
    numbers: _RoundNumbers,
    sessions: Sessions,
    corrected: np.ndarray,
    totals: np.ndarray,
) -> pa.Table:
    """Totals per (day, provider, currency) from the dense cube, less the cancelled rounds."""
    providers, currencies = len(catalogue.providers), len(CURRENCIES)
    game = numbers.game[corrected]
    player = sessions.player[numbers.session[corrected]]
    cell = (numbers.settled[corrected] // US_PER_DAY - period.start_day) * providers
    cell = (cell + catalogue.provider_of_game[game]) * currencies + population.currency[player]
    real = ~numbers.bonus[corrected]
    cells = totals.shape[1]
    totals = totals.copy()
    totals[0] -= np.bincount(cell, minlength=cells)
    stakes = numbers.stake_cents[corrected].astype(np.int64) * real
    totals[1] -= np.bincount(cell, weights=stakes, minlength=cells)
    totals[2] -= np.bincount(cell, weights=numbers.win_cents[corrected] * real, minlength=cells)
    totals = np.rint(totals).astype(np.int64)
    present = np.flatnonzero(totals[0] > 0)
    day_offset, rest = np.divmod(present, providers * currencies)
    provider, currency_index = np.divmod(rest, currencies)
    return table(
        "games.provider_reports",
        {
            "report_date": dates(period.start_day + day_offset),
            "provider": labels(catalogue.providers, provider),
            "currency": labels(CURRENCIES, currency_index),
            "rounds_count": ints(totals[0][present]),
            "stakes_real": money(totals[1][present] * UNITS_PER_CENT),
            "wins_real": money(totals[2][present] * UNITS_PER_CENT),
        },
    )


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


# --- reconciliation faults -----------------------------------------------------------------

# A (day, psp, currency) settlement file, or (day, provider, currency) report, is picked for
# a planted fault only where it holds at least this many deposits / rounds.
_FAULT_MIN_DEPOSITS = 3
_FAULT_MIN_ROUNDS = 10


@dataclass(frozen=True)
class ReconFault:
    """A vendor total planted off by one real record (see plant_reconciliation_faults)."""

    fault: str  # settlement_mismatch | provider_report_mismatch
    entity: str
    key: str  # "YYYY-MM-DD|psp_or_provider|currency"
    record_id: str  # the transaction or round the vendor's total misses
    detail: str


def _busiest_cells(counts: np.ndarray, minimum: int) -> np.ndarray:
    """Row positions with at least `minimum`, else the busiest row (a tiny operator)."""
    cells = np.flatnonzero(counts >= minimum)
    return cells if len(cells) else np.array([int(np.argmax(counts))])


def _replace_row(table: pa.Table, row: int, values: dict[str, object]) -> pa.Table:
    """The table with `values` (column -> new value) written into one row."""
    for name, value in values.items():
        column = table.column(name).combine_chunks()
        as_list = column.to_pylist()
        as_list[row] = value
        position = table.schema.get_field_index(name)
        table = table.set_column(position, table.schema.field(name), pa.array(as_list, column.type))
    return table


def _key_text(day, label: str, currency: str) -> str:
    return f"{day.isoformat()}|{label}|{currency}"


def _settlement_fault(
    rng: np.random.Generator, settlements: pa.Table, transactions: pa.Table
) -> tuple[pa.Table, ReconFault]:
    """One PSP's file of one day and currency misses one deposit it approved that day."""
    counts = settlements.column("deposit_count").to_numpy()
    cells = _busiest_cells(counts, _FAULT_MIN_DEPOSITS)
    row = int(cells[rng.integers(0, len(cells))])
    cell = settlements.slice(row, 1).to_pylist()[0]
    day, psp, currency = cell["settlement_date"], cell["psp"], cell["currency"]
    processed_day = pc.cast(
        pc.cast(transactions.column("processed_at"), pa.timestamp("us", tz="UTC")), pa.date32()
    )
    approved = pc.and_(
        pc.and_(
            pc.equal(transactions.column("status"), "approved"),
            pc.equal(transactions.column("kind"), "deposit"),
        ),
        pc.and_(
            pc.and_(
                pc.equal(processed_day, pa.scalar(day, pa.date32())),
                pc.equal(transactions.column("psp"), psp),
            ),
            pc.equal(transactions.column("currency"), currency),
        ),
    )
    deposits = transactions.filter(approved).select(["transaction_id", "amount"])
    deposits = deposits.group_by("transaction_id").aggregate([("amount", "max")])
    deposits = deposits.sort_by("transaction_id")
    picked = deposits.slice(int(rng.integers(0, deposits.num_rows)), 1).to_pylist()[0]
    amount = picked["amount_max"]
    count, total = cell["deposit_count"], cell["deposit_amount"]
    changed = _replace_row(
        settlements, row, {"deposit_count": count - 1, "deposit_amount": total - amount}
    )
    detail = (
        f"the {psp} file of {day.isoformat()} ({currency}) misses approved deposit "
        f"{picked['transaction_id']} of {amount}: deposit_count {count - 1} instead of "
        f"{count}, deposit_amount {total - amount} instead of {total} (fee_amount unchanged)"
    )
    fault = ReconFault(
        "settlement_mismatch",
        "payments.settlements",
        _key_text(day, psp, currency),
        picked["transaction_id"],
        detail,
    )
    return changed, fault


def _provider_report_fault(
    rng: np.random.Generator,
    reports: pa.Table,
    rounds: pa.Table,
    games: pa.Table,
    cancelled_ids: pa.Array,
) -> tuple[pa.Table, ReconFault]:
    """One provider's report of one day and currency misses one settled real-money round."""
    counts = reports.column("rounds_count").to_numpy()
    cells = _busiest_cells(counts, _FAULT_MIN_ROUNDS)
    row = int(cells[rng.integers(0, len(cells))])
    cell = reports.slice(row, 1).to_pylist()[0]
    day, provider, currency = cell["report_date"], cell["provider"], cell["currency"]
    provider_games = pc.unique(
        pc.filter(games.column("game_id"), pc.equal(games.column("provider"), provider))
    )
    settled_day = pc.cast(
        pc.cast(rounds.column("settled_at"), pa.timestamp("us", tz="UTC")), pa.date32()
    )
    in_cell = pc.and_(
        pc.and_(
            pc.equal(settled_day, pa.scalar(day, pa.date32())),
            pc.equal(rounds.column("currency"), currency),
        ),
        pc.and_(
            pc.equal(rounds.column("status"), "settled"),
            pc.is_in(rounds.column("game_id"), provider_games),
        ),
    )
    candidates = rounds.filter(in_cell).select(["round_id", "stake_real", "win_real"])
    candidates = candidates.filter(
        pc.invert(pc.is_in(candidates.column("round_id"), cancelled_ids))
    )
    real = pc.greater(candidates.column("stake_real"), 0)
    both = pc.and_(real, pc.greater(candidates.column("win_real"), 0))
    # A round that staked and won real money moves all three figures; else one that staked.
    preferred = candidates.filter(both)
    candidates = preferred if preferred.num_rows else candidates.filter(real)
    candidates = candidates.group_by("round_id").aggregate(
        [("stake_real", "max"), ("win_real", "max")]
    )
    candidates = candidates.sort_by("round_id")
    picked = candidates.slice(int(rng.integers(0, candidates.num_rows)), 1).to_pylist()[0]
    stake, win = picked["stake_real_max"], picked["win_real_max"]
    count, stakes, wins = cell["rounds_count"], cell["stakes_real"], cell["wins_real"]
    changed = _replace_row(
        reports,
        row,
        {"rounds_count": count - 1, "stakes_real": stakes - stake, "wins_real": wins - win},
    )
    detail = (
        f"the {provider} report of {day.isoformat()} ({currency}) misses settled round "
        f"{picked['round_id']} (stake_real {stake}, win_real {win}): rounds_count "
        f"{count - 1} instead of {count}, stakes_real {stakes - stake} instead of {stakes}, "
        f"wins_real {wins - win} instead of {wins}"
    )
    fault = ReconFault(
        "provider_report_mismatch",
        "games.provider_reports",
        _key_text(day, provider, currency),
        picked["round_id"],
        detail,
    )
    return changed, fault


def plant_reconciliation_faults(
    rng: np.random.Generator, tables: dict[str, pa.Table], cancelled_round_ids: pa.Array
) -> tuple[dict[str, pa.Table], tuple[ReconFault, ...]]:
    """The vendors' totals with two planted disagreements for the reconciliation to catch:
    one PSP settlement file that misses one approved deposit (count and amount), and one
    provider report that misses one settled round (count, real stakes and wins).

    Cells are drawn among those with some activity; only values change, never the row
    count, so nothing else the generator draws moves. Returns the two changed tables and
    the faults.
    """
    settlements, settlement = _settlement_fault(
        rng, tables["payments.settlements"], tables["payments.transactions"]
    )
    reports, report = _provider_report_fault(
        rng,
        tables["games.provider_reports"],
        tables["games.rounds"],
        tables["games.games"],
        cancelled_round_ids,
    )
    changed = {"payments.settlements": settlements, "games.provider_reports": reports}
    return changed, (settlement, report)
