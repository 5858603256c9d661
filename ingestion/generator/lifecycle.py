"""What happens to player accounts: KYC, consent, responsible gambling, fraud, erasure.

Produces `crm.player_events` and the players' later versions (`crm.players` is mutable:
a version per KYC or consent change). Compliance events come before activity is drawn,
because they end it (self-exclusion, closure) or pause it (cooling off); fraud flags come
after, because the stolen-card ones follow chargebacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ingestion.contract import entity
from ingestion.generator.arrays import (
    US_PER_DAY,
    US_PER_HOUR,
    Period,
    bools,
    choose,
    dates,
    labels,
    numbered,
    table,
    timestamps,
)
from ingestion.generator.partners import BRANDS
from ingestion.generator.players import COUNTRIES, CURRENCIES, Population

EVENT_TYPES = entity("crm.player_events").column("event_type").enum
KYC_STATUSES = ("pending", "verified", "failed")
COOLING_OFF_DAYS = 7
REASONS = (
    None,
    "document_mismatch",
    "document_expired",
    "player_request",
    "period_expired",
    "responsible_gambling",
    "chargeback",
    "bonus_abuse",
    "multi_accounting",
    "review_passed",
    "gdpr_article_17",
)
ACTORS = ("system", "kyc_vendor", "player", "risk_engine", "staff_017", "staff_042", "staff_108")


@dataclass
class EventLog:
    """Events under construction, as parallel arrays."""

    player: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    occurred_us: list[np.ndarray] = field(default_factory=list)
    reason: list[np.ndarray] = field(default_factory=list)
    actor: list[np.ndarray] = field(default_factory=list)
    end_us: int = 0

    def add(self, player, event_type: str, occurred_us, reason, actor) -> np.ndarray:
        """Append the events that happen before the period ends; return the kept mask."""
        player = np.asarray(player, dtype=np.int64)
        occurred_us = np.asarray(occurred_us, dtype=np.int64)
        kept = occurred_us < self.end_us
        size = int(kept.sum())
        self.player.append(player[kept])
        self.kind.append(np.full(size, EVENT_TYPES.index(event_type)))
        self.occurred_us.append(occurred_us[kept])
        self.reason.append(np.broadcast_to(np.asarray(reason), player.shape)[kept])
        self.actor.append(np.broadcast_to(np.asarray(actor), player.shape)[kept])
        return kept

    def table(self, population: Population) -> pa.Table:
        player = np.concatenate(self.player)
        occurred_us = np.concatenate(self.occurred_us)
        kind = np.concatenate(self.kind)
        order = np.lexsort((kind, player, occurred_us))
        reason = np.concatenate(self.reason)[order]
        return table(
            "crm.player_events",
            {
                "event_id": numbered("evt_", np.arange(1, len(order) + 1), 7),
                "player_id": population.player_ids.take(pa.array(player[order])),
                "event_type": labels(EVENT_TYPES, kind[order]),
                "occurred_at": timestamps(occurred_us[order]),
                "reason": labels(REASONS, reason, null_mask=reason == 0),
                "actor": labels(ACTORS, np.concatenate(self.actor)[order]),
            },
        )


@dataclass
class Lifecycle:
    log: EventLog
    activity_end_us: np.ndarray  # no activity from here on (self-exclusion, closure)
    cooling_start_us: np.ndarray  # -1: never; else 7 days without activity from here
    kyc_us: np.ndarray  # (players, 2): times of up to two KYC decisions, -1 if none
    kyc_status: np.ndarray  # (players, 2): index into KYC_STATUSES
    consent_change_us: np.ndarray  # -1: never changed
    planted: dict[str, int]


def _early_pick(
    rng: np.random.Generator, population: Population, free: np.ndarray, size: int
) -> np.ndarray:
    """`size` free players from the first third of sign-ups (their events fit the period)."""
    early = np.flatnonzero(free[: max(size, population.count // 3)])
    return rng.permutation(early)[:size]


def make_lifecycle(rng: np.random.Generator, period: Period, population: Population) -> Lifecycle:
    count = population.count
    registered = population.registered_us
    log = EventLog(end_us=period.end_us)

    # KYC: verified, failed, failed then verified, verified then failed (a review), pending.
    path = choose(rng, (0.76, 0.03, 0.02, 0.01, 0.18), count)
    hours = rng.lognormal(np.log(6.0), 1.5, count).clip(5 / 60, 20 * 24)
    first_us = registered + (hours * US_PER_HOUR).astype(np.int64)
    second_us = first_us + rng.integers(US_PER_DAY, 20 * US_PER_DAY, count)
    first_status = np.where(np.isin(path, (0, 3)), 1, 2)
    second_status = np.where(path == 2, 1, 2)
    decided = path < 4
    twice = np.isin(path, (2, 3))
    kyc_us = np.full((count, 2), -1, dtype=np.int64)
    kyc_status = np.zeros((count, 2), dtype=np.int64)
    for column, (when, status, who) in enumerate(
        ((first_us, first_status, decided), (second_us, second_status, twice))
    ):
        for status_index, event_type in ((1, "kyc_verified"), (2, "kyc_failed")):
            players = np.flatnonzero(who & (status == status_index))
            reason = np.where(status_index == 2, rng.integers(1, 3, len(players)), 0)
            actor = 1 if column == 0 else rng.integers(4, 7, len(players))
            kept = log.add(players, event_type, when[players], reason, actor)
            kyc_us[players[kept], column] = when[players[kept]]
            kyc_status[players[kept], column] = status_index

    # Marketing consent changes (the player's choice).
    changer = np.flatnonzero(rng.random(count) < 0.10)
    change_us = registered[changer] + rng.integers(US_PER_DAY, 60 * US_PER_DAY, len(changer))
    consent_change_us = np.full(count, -1, dtype=np.int64)
    for granted, event_type in ((False, "consent_granted"), (True, "consent_withdrawn")):
        chosen = population.consent[changer] == granted
        kept = log.add(changer[chosen], event_type, change_us[chosen], 0, 2)
        consent_change_us[changer[chosen][kept]] = change_us[chosen][kept]

    # Responsible gambling and closures: each player at most one of these.
    category = choose(rng, (0.012, 0.015, 0.006, 0.967), count)
    free = category == 3
    for forced_category in (0, 1, 2):
        if not (category == forced_category).any():
            category[_early_pick(rng, population, free, 1)] = forced_category
            free = category == 3
    erased = _early_pick(rng, population, free, max(2, round(0.001 * count)))
    category[erased] = 2

    activity_end_us = np.full(count, period.end_us, dtype=np.int64)
    excluded = np.flatnonzero(category == 0)
    excluded_us = registered[excluded] + rng.integers(
        2 * US_PER_DAY, 50 * US_PER_DAY, len(excluded)
    )
    kept = log.add(excluded, "self_exclusion_started", excluded_us, 3, 2)
    activity_end_us[excluded[kept]] = excluded_us[kept]
    ended = kept & (rng.random(len(excluded)) < 0.3)
    log.add(excluded[ended], "self_exclusion_ended", excluded_us[ended] + 30 * US_PER_DAY, 4, 0)

    cooling = np.flatnonzero(category == 1)
    cooling_us = registered[cooling] + rng.integers(US_PER_DAY, 40 * US_PER_DAY, len(cooling))
    kept = log.add(cooling, "cooling_off_started", cooling_us, 3, 2)
    cooling_start_us = np.full(count, -1, dtype=np.int64)
    cooling_start_us[cooling[kept]] = cooling_us[kept]

    closed = np.flatnonzero(category == 2)
    closed_us = registered[closed] + rng.integers(3 * US_PER_DAY, 60 * US_PER_DAY, len(closed))
    reason = np.where(rng.random(len(closed)) < 0.5, 3, 5)
    kept = log.add(closed, "account_closed", closed_us, reason, 2)
    activity_end_us[closed[kept]] = closed_us[kept]
    erasing = np.isin(closed, erased) & kept
    log.add(
        closed[erasing],
        "erasure_requested",
        closed_us[erasing] + rng.integers(US_PER_DAY, 5 * US_PER_DAY, int(erasing.sum())),
        10,
        2,
    )
    planted = {
        "self_exclusions": int((activity_end_us[excluded] < period.end_us).sum()),
        "cooling_offs": int((cooling_start_us >= 0).sum()),
        "account_closures": int((activity_end_us[closed] < period.end_us).sum()),
        "erasure_requests": int(erasing.sum()),
    }
    return Lifecycle(
        log=log,
        activity_end_us=activity_end_us,
        cooling_start_us=cooling_start_us,
        kyc_us=kyc_us,
        kyc_status=kyc_status,
        consent_change_us=consent_change_us,
        planted=planted,
    )


def add_fraud_events(
    rng: np.random.Generator,
    population: Population,
    lifecycle: Lifecycle,
    chargeback_player: np.ndarray,
    chargeback_us: np.ndarray,
    first_deposit_us: np.ndarray,
    depositor: np.ndarray,
) -> np.ndarray:
    """Fraud flags (after chargebacks, bonus abuse, multi-accounting) and some clearances.

    Returns, per chargeback, whether it got its player flagged (chargeback fraud).
    """
    log = lifecycle.log
    # Half the chargebacks look like stolen cards and get the player flagged.
    stolen = rng.random(len(chargeback_player)) < 0.5
    if len(stolen):
        stolen[np.argmin(chargeback_us)] = True  # at least one, early enough to be flagged
    flagged = [chargeback_player[stolen]]
    flagged_us = [chargeback_us[stolen] + rng.integers(0, 2 * US_PER_DAY, int(stolen.sum()))]
    reasons = [np.full(int(stolen.sum()), 6)]

    # Bonus-abuse rings: most of their accounts are caught within weeks.
    abusers = np.flatnonzero(population.bonus_abuser & depositor)
    spotted = rng.random(len(abusers)) < 0.6
    spotted[:1] = True  # at least one abuser is caught
    caught = abusers[spotted]
    flagged.append(caught)
    flagged_us.append(
        first_deposit_us[caught] + rng.integers(5 * US_PER_DAY, 30 * US_PER_DAY, len(caught))
    )
    reasons.append(np.full(len(caught), 7))

    # Other rings: some duplicate accounts are caught by the risk engine.
    rings = population.rings
    duplicate = rings.member[(rings.linked_to >= 0) & ~rings.abusive[rings.ring]]
    caught = duplicate[depositor[duplicate] & (rng.random(len(duplicate)) < 0.3)]
    flagged.append(caught)
    flagged_us.append(
        population.registered_us[caught]
        + rng.integers(2 * US_PER_DAY, 20 * US_PER_DAY, len(caught))
    )
    reasons.append(np.full(len(caught), 8))

    player = np.concatenate(flagged)
    when = np.concatenate(flagged_us)
    reason = np.concatenate(reasons)
    _, first = np.unique(player, return_index=True)  # one flag per player is enough
    player, when, reason = player[first], when[first], reason[first]
    kept = log.add(player, "fraud_flagged", when, reason, 3)
    player, when = player[kept], when[kept]

    cleared = rng.random(len(player)) < 0.3
    if len(player) and not cleared.any():
        cleared[np.argmin(when)] = True
    cleared_us = when[cleared] + rng.integers(3 * US_PER_DAY, 20 * US_PER_DAY, int(cleared.sum()))
    kept_cleared = log.add(player[cleared], "fraud_cleared", cleared_us, 9, 5)
    lifecycle.planted["fraud_flags"] = len(player)
    lifecycle.planted["fraud_clearances"] = int(kept_cleared.sum())
    flagged_for_chargeback = np.isin(chargeback_player, player[reason[kept] == 6])
    return stolen & flagged_for_chargeback


def player_versions(
    population: Population, lifecycle: Lifecycle, first_published_us: np.ndarray
) -> pa.Table:
    """`crm.players`: a first version at sign-up, then one per KYC decision or consent change.

    A player whose first version is published late (`first_published_us` after sign-up:
    the CRM lagged) has no version before that moment; the first one carries the state as
    of its publication.
    """
    count = population.count
    kyc_us, kyc_status = lifecycle.kyc_us, lifecycle.kyc_status
    consent_us = lifecycle.consent_change_us
    version_player = [np.arange(count)]
    version_us = [first_published_us]
    for column in (0, 1):
        changed = np.flatnonzero(kyc_us[:, column] >= 0)
        version_player.append(changed)
        version_us.append(kyc_us[changed, column])
    changed = np.flatnonzero(consent_us >= 0)
    version_player.append(changed)
    version_us.append(consent_us[changed])
    player = np.concatenate(version_player)
    updated_us = np.concatenate(version_us)
    published = updated_us >= first_published_us[player]
    player, updated_us = player[published], updated_us[published]

    # The state as of each version: the latest KYC decision and consent at that moment.
    decided_first = (kyc_us[player, 0] >= 0) & (kyc_us[player, 0] <= updated_us)
    decided_second = (kyc_us[player, 1] >= 0) & (kyc_us[player, 1] <= updated_us)
    status = np.where(
        decided_second, kyc_status[player, 1], np.where(decided_first, kyc_status[player, 0], 0)
    )
    flipped = (consent_us[player] >= 0) & (consent_us[player] <= updated_us)
    consent = population.consent[player] ^ flipped

    order = np.lexsort((player, updated_us))
    # Two changes at the same instant are one version (equal pairs are adjacent now).
    distinct = np.ones(len(order), dtype=bool)
    distinct[1:] = (player[order][1:] != player[order][:-1]) | (
        updated_us[order][1:] != updated_us[order][:-1]
    )
    order = order[distinct]
    player, updated_us, status, consent = (
        player[order],
        updated_us[order],
        status[order],
        consent[order],
    )
    taken = pa.array(player)
    return table(
        "crm.players",
        {
            "player_id": population.player_ids.take(taken),
            "brand_id": labels(BRANDS, population.brand[player]),
            "registered_at": timestamps(population.registered_us[player]),
            "email": population.emails.take(taken),
            "date_of_birth": dates(population.birth_day[player]),
            "country": labels(COUNTRIES, population.country[player]),
            "currency": labels(CURRENCIES, population.currency[player]),
            "click_id": population.click_id.take(taken),
            "device_id": population.device_ids.take(taken),
            "registration_ip": population.registration_ip.take(taken),
            "kyc_status": labels(KYC_STATUSES, status),
            "marketing_consent": bools(consent),
            "updated_at": timestamps(updated_us),
        },
    )
