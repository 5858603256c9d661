"""Hand-made records for the reconciliation tests, landed after a generated operator's period.

Everything happens in October 2026 (the generated operator covers August and September),
with its own PSPs, providers, games, affiliate and players, so each check's figures are
worked out by hand in test_reconciliation.py from these rows alone. `LANDINGS` says which
rows land on which ingest date (and which are landed twice, as a re-sent batch).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from ingestion.contract import entity
from ingestion.landing import land_batch

ACTIVITY_DAY = date(2026, 10, 5)  # settlements, provider reports, orphans, unconvertible
UNKNOWN_CLICKS_DAY = date(2026, 10, 6)  # four registrations whose click_id is unknown
ONE_UNKNOWN_CLICK_DAY = date(2026, 10, 7)  # one: within the tolerance
CLICKS_DAY = date(2026, 10, 8)  # twelve clicks landed twice; a click of an unknown campaign
EVENTS_LANDED_DAY = date(2026, 10, 9)  # eleven events of ACTIVITY_DAY landed late

DEFAULTS: dict[str, dict] = {
    "crm.players": {
        "brand_id": "aurora",
        "email": None,  # filled per player
        "date_of_birth": "1990-01-01",
        "country": "DE",
        "currency": "EUR",
        "click_id": None,
        "device_id": None,
        "registration_ip": "198.51.100.9",
        "kyc_status": "verified",
        "marketing_consent": False,
    },
    "payments.transactions": {
        "status": "approved",
        "currency": "EUR",
        "method": "card",
        "original_transaction_id": None,
    },
    "games.rounds": {
        "currency": "EUR",
        "stake_bonus": "0",
        "win_bonus": "0",
        "jackpot_contribution": "0",
        "status": "settled",
    },
    "payments.settlements": {
        "currency": "EUR",
        "deposit_count": 0,
        "deposit_amount": "0",
        "withdrawal_count": 0,
        "withdrawal_amount": "0",
        "chargeback_count": 0,
        "chargeback_amount": "0",
        "fee_amount": "0",
    },
    "affiliate.clicks": {
        "affiliate_id": "recon_aff",
        "campaign_id": "recon_cmp",
        "brand_id": "aurora",
        "ip_address": "198.51.100.7",
        "user_agent": "Mozilla/5.0",
        "device_id": "recon_dev",
        "country": "DE",
        "sub_id": None,
    },
}


def _at(day: date, hour: int = 12, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00"


def _coerce(value, arrow_type: pa.DataType):
    if value is None:
        return None
    if pa.types.is_decimal(arrow_type):
        return Decimal(str(value))
    if pa.types.is_timestamp(arrow_type):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if pa.types.is_date(arrow_type):
        return date.fromisoformat(value) if isinstance(value, str) else value
    return value


def table(key: str, rows: list[dict]) -> pa.Table:
    """Rows with the entity's exact contract schema (defaults filled in)."""
    schema = entity(key).schema
    full = [
        {f.name: _coerce({**DEFAULTS.get(key, {}), **row}.get(f.name), f.type) for f in schema}
        for row in rows
    ]
    return pa.Table.from_pylist(full, schema=schema)


def _player(player_id: str, day: date, click_id: str | None = None) -> dict:
    at = _at(day, 8)
    return {
        "player_id": player_id,
        "registered_at": at,
        "updated_at": at,
        "email": f"{player_id}@example.org",
        "click_id": click_id,
    }


def _txn(txn_id: str, kind: str, psp: str, amount: str, fee: str) -> dict:
    at = _at(ACTIVITY_DAY, 10)
    return {
        "transaction_id": txn_id,
        "player_id": "recon_p1",
        "kind": kind,
        "amount": amount,
        "fee_amount": fee,
        "psp": psp,
        "created_at": at,
        "processed_at": at,
        "updated_at": at,
    }


def _round(round_id: str, player: str, game: str, stake: str, win: str, **extra) -> dict:
    at = _at(ACTIVITY_DAY, 14)
    return {
        "round_id": round_id,
        "player_id": player,
        "game_id": game,
        "started_at": at,
        "settled_at": at,
        "updated_at": at,
        "stake_real": stake,
        "win_real": win,
        **extra,
    }


def _report(provider: str, currency: str, rounds: int, stakes: str, wins: str) -> dict:
    return {
        "report_date": ACTIVITY_DAY,
        "provider": provider,
        "currency": currency,
        "rounds_count": rounds,
        "stakes_real": stakes,
        "wins_real": wins,
    }


def landings() -> list[tuple[date, str, pa.Table, str]]:
    """(ingest date, entity, rows, source) in landing order; a source ending in #resend
    lands the same rows again as another batch (a duplicate delivery)."""
    day = ACTIVITY_DAY
    games = [
        {"game_id": "recon_slot", "provider": "recon_provider", "name": "Recon Slot"},
        {"game_id": "recon_table", "provider": "recon_provider2", "name": "Recon Table"},
    ]
    for game in games:
        game |= {
            "category": "slots",
            "rtp": "0.9600",
            "bonus_contribution": "1.0000",
            "updated_at": _at(day, 6),
        }
    rr3 = _round("recon_r3", "recon_p1", "recon_slot", "5.00", "0")
    clicks = [
        {"click_id": f"recon_c{n:02d}", "clicked_at": _at(CLICKS_DAY, 9, n)} for n in range(12)
    ]
    events = [
        {
            "event_id": f"recon_e{n:02d}",
            "player_id": "recon_p1",
            "event_type": "consent_granted",
            "occurred_at": _at(day, 9, n),
            "reason": None,
            "actor": "crm",
        }
        for n in range(11)
    ]
    return [
        (day, "affiliate.affiliates", table("affiliate.affiliates", [{
            "affiliate_id": "recon_aff", "name": "Recon Media", "email": "recon@example.org",
            "country": "DE", "parent_affiliate_id": None, "status": "active",
            "payout_currency": "EUR", "created_at": _at(day, 6), "updated_at": _at(day, 6),
        }]), "hand://affiliates"),
        (day, "affiliate.campaigns", table("affiliate.campaigns", [{
            "campaign_id": "recon_cmp", "affiliate_id": "recon_aff", "brand_id": "aurora",
            "name": "Recon campaign", "traffic_source": "seo", "created_at": _at(day, 6),
            "updated_at": _at(day, 6),
        }]), "hand://campaigns"),
        (day, "games.games", table("games.games", games), "hand://games"),
        (day, "crm.players", table("crm.players", [_player("recon_p1", day)]), "hand://players"),
        (day, "payments.transactions", table("payments.transactions", [
            _txn("recon_t1", "deposit", "recon_psp", "100.00", "2.00"),
            _txn("recon_t2", "deposit", "recon_psp", "50.00", "1.00"),
            _txn("recon_t3", "withdrawal", "recon_psp2", "40.00", "0.20"),
        ]), "hand://transactions"),
        (day, "payments.settlements", table("payments.settlements", [
            # one deposit of 25.00 more than recon_psp approved
            {"settlement_date": day, "psp": "recon_psp", "deposit_count": 3,
             "deposit_amount": "175.00", "fee_amount": "3.00"},
            # a file with no transactions behind it
            {"settlement_date": day, "psp": "recon_psp3"},
        ]), "hand://settlements"),
        (day, "games.rounds", table("games.rounds", [
            _round("recon_r1", "recon_p1", "recon_slot", "10.00", "4.00"),
            _round("recon_r2", "recon_p1", "recon_slot", "20.00", "0"),
            rr3,
            # a player the CRM never sent
            _round("recon_r4", "recon_ghost", "recon_table", "1.00", "0"),
            # a currency without any FX rate
            _round("recon_r5", "recon_p1", "recon_table", "3.00", "0", currency="CHF"),
        ]), "hand://rounds"),
        (day, "games.rounds", table("games.rounds", [
            {**rr3, "status": "cancelled", "updated_at": _at(day, 20)},
        ]), "hand://rounds-corrections"),
        (day, "games.provider_reports", table("games.provider_reports", [
            # still counts the cancelled recon_r3: 3 rounds, stakes 35.00
            _report("recon_provider", "EUR", 3, "35.00", "4.00"),
            _report("recon_provider2", "EUR", 1, "1.00", "0"),
            _report("recon_provider2", "CHF", 1, "3.00", "0"),
        ]), "hand://provider_reports"),
        (UNKNOWN_CLICKS_DAY, "crm.players", table("crm.players", [
            _player(f"recon_p{n}", UNKNOWN_CLICKS_DAY, f"recon_lost_{n}") for n in range(2, 6)
        ]), "hand://players"),
        (ONE_UNKNOWN_CLICK_DAY, "crm.players", table("crm.players", [
            _player("recon_p6", ONE_UNKNOWN_CLICK_DAY, "recon_lost_6")
        ]), "hand://players"),
        (CLICKS_DAY, "affiliate.clicks", table("affiliate.clicks", clicks), "hand://clicks"),
        (CLICKS_DAY, "affiliate.clicks", table("affiliate.clicks", clicks), "hand://clicks#resend"),
        (CLICKS_DAY, "affiliate.clicks", table("affiliate.clicks", [{
            "click_id": "recon_c_orphan", "campaign_id": "recon_cmp_missing",
            "clicked_at": _at(CLICKS_DAY, 11),
        }]), "hand://clicks-orphan"),
        (EVENTS_LANDED_DAY, "crm.player_events", table("crm.player_events", events),
         "hand://player_events"),
    ]  # fmt: skip


def land_handmade(data_dir: Path) -> date:
    """Land every hand-made batch; returns the last ingest date."""
    for ingest_day, key, rows, source in landings():
        ingested_at = datetime.combine(ingest_day, time(23, 30), tzinfo=UTC)
        land_batch(data_dir, entity(key), ingest_day, rows, source, ingested_at)
    return max(day for day, *_ in landings())
