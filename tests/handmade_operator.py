"""A hand-made operator whose payout figures are worked out by hand in the tests.

Affiliate `aff_hand` (revenue share 25%, admin fee 20%, min payout 50, paid in CAD) brings
two players; a third player's click is too old, so it is organic. CAD is a currency the
generator never uses, so every rate below is ours. The expected figures live in
test_payout_end_to_end.py, derived there from business-rules.md.
"""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from ingestion.contract import entity, load_contract

BRAND = "aurora"
DEFAULTS: dict[str, dict] = {
    "affiliate.affiliates": {"country": "CA", "parent_affiliate_id": None, "status": "active"},
    "affiliate.deals": {
        "plan_type": "revshare",
        "brand_id": None,
        "valid_from": "2026-01-01",
        "valid_to": None,
        "cpa_amount": None,
        "cpa_currency": None,
        "cpa_min_first_deposit": None,
        "cpa_min_wagered": None,
        "cpa_window_days": None,
        "cpa_requires_kyc": False,
        "tier_basis": "ngr",
        "tier_method": "tiered",
        "negative_carryover": False,
        "admin_fee_rate": "0.2000",
        "sub_affiliate_rate": "0.0000",
        "clawback_days": 90,
        "min_payout": "50.0000",
    },
    "affiliate.clicks": {"user_agent": "Mozilla/5.0", "country": "DE", "sub_id": None},
    "crm.players": {
        "brand_id": BRAND,
        "kyc_status": "verified",
        "marketing_consent": True,
        "date_of_birth": "1990-01-01",
    },
    "games.rounds": {
        "game_id": "hand_slot",
        "stake_bonus": "0",
        "win_bonus": "0",
        "jackpot_contribution": "0",
        "status": "settled",
    },
    "payments.transactions": {
        "method": "card",
        "psp": "hand_psp",
        "original_transaction_id": None,
        "status": "approved",
    },
}


def _ts(text: str) -> str:
    return text if "T" in text else f"{text}T12:00:00"


def _coerce(value, arrow_type: pa.DataType):
    from datetime import date, datetime

    if value is None:
        return None
    if pa.types.is_decimal(arrow_type):
        return Decimal(str(value))
    if pa.types.is_timestamp(arrow_type):
        return datetime.fromisoformat(_ts(value) + "+00:00")
    if pa.types.is_date(arrow_type):
        return date.fromisoformat(value)
    if pa.types.is_list(arrow_type):
        return [{k: Decimal(str(v)) for k, v in item.items()} for item in value]
    return value


def _table(key: str, rows: list[dict]) -> pa.Table:
    schema = entity(key).schema
    full = []
    for row in rows:
        merged = {**DEFAULTS.get(key, {}), **row}
        full.append({f.name: _coerce(merged.get(f.name), f.type) for f in schema})
    return pa.Table.from_pylist(full, schema=schema)


def _round(round_id, player, day, stake, win, jackpot="0", currency="EUR", **extra):
    at = _ts(day)
    return {
        "round_id": round_id,
        "player_id": player,
        "started_at": at,
        "settled_at": at,
        "updated_at": at,
        "currency": currency,
        "stake_real": stake,
        "win_real": win,
        "jackpot_contribution": jackpot,
        **extra,
    }


def _txn(txn_id, player, kind, day, amount, fee, currency="EUR", **extra):
    at = _ts(day)
    return {
        "transaction_id": txn_id,
        "player_id": player,
        "kind": kind,
        "amount": amount,
        "fee_amount": fee,
        "currency": currency,
        "created_at": at,
        "processed_at": at,
        "updated_at": at,
        **extra,
    }


def handmade_tables() -> dict[str, pa.Table]:
    """Every contract entity, with only the hand-made records."""
    rows: dict[str, list[dict]] = {key: [] for key in load_contract()}
    rows["affiliate.affiliates"] = [
        {
            "affiliate_id": aff,
            "name": name,
            "email": f"{aff}@example.org",
            "payout_currency": "CAD",
            "created_at": "2026-01-01",
            "updated_at": "2026-01-01",
        }
        for aff, name in [("aff_hand", "Hand Media"), ("aff_hand2", "Hand Two")]
    ]
    rows["affiliate.campaigns"] = [
        {
            "campaign_id": f"cmp_{aff}",
            "affiliate_id": aff,
            "brand_id": BRAND,
            "name": f"{aff} campaign",
            "traffic_source": "seo",
            "created_at": "2026-01-01",
            "updated_at": "2026-01-01",
        }
        for aff in ["aff_hand", "aff_hand2"]
    ]
    rows["affiliate.deals"] = [
        {
            "deal_id": f"deal_{aff}",
            "affiliate_id": aff,
            "revshare_tiers": [{"threshold": "0", "rate": "0.2500"}],
            "updated_at": "2026-01-01",
        }
        for aff in ["aff_hand", "aff_hand2"]
    ]
    rows["affiliate.clicks"] = [
        # hand_p1 registers with this click two days later: method click_id.
        {
            "click_id": "hand_c1",
            "affiliate_id": "aff_hand",
            "campaign_id": "cmp_aff_hand",
            "brand_id": BRAND,
            "clicked_at": "2026-08-01T09:00:00",
            "ip_address": "192.0.2.1",
            "device_id": "hand_dev1",
        },
        # hand_p2 registers without a click id; its device clicked five days before: device.
        {
            "click_id": "hand_c2",
            "affiliate_id": "aff_hand",
            "campaign_id": "cmp_aff_hand",
            "brand_id": BRAND,
            "clicked_at": "2026-08-05T08:00:00",
            "ip_address": "192.0.2.2",
            "device_id": "hand_dev2",
        },
        # A click after hand_p2's registration never changes its attribution.
        {
            "click_id": "hand_c2_late",
            "affiliate_id": "aff_hand2",
            "campaign_id": "cmp_aff_hand2",
            "brand_id": BRAND,
            "clicked_at": "2026-08-11T08:00:00",
            "ip_address": "192.0.2.2",
            "device_id": "hand_dev2",
        },
        # hand_p3's click is 36 days before its registration: outside the window, organic.
        {
            "click_id": "hand_c3",
            "affiliate_id": "aff_hand",
            "campaign_id": "cmp_aff_hand",
            "brand_id": BRAND,
            "clicked_at": "2026-07-10T12:00:00",
            "ip_address": "192.0.2.3",
            "device_id": "hand_dev3",
        },
    ]
    hand_p1 = {
        "player_id": "hand_p1",
        "registered_at": "2026-08-03T10:00:00",
        "email": "hand.one@example.org",
        "country": "DE",
        "currency": "EUR",
        "click_id": "hand_c1",
        "device_id": "hand_dev1",
        "registration_ip": "192.0.2.1",
        "kyc_status": "pending",
        "updated_at": "2026-08-03T10:00:00",
    }
    rows["crm.players"] = [
        hand_p1,
        # A later version of hand_p1 (KYC verified) supersedes the first.
        {**hand_p1, "kyc_status": "verified", "updated_at": "2026-08-04T10:00:00"},
        {
            "player_id": "hand_p2",
            "registered_at": "2026-08-10T12:00:00",
            "email": "hand.two@example.org",
            "country": "CA",
            "currency": "CAD",
            "click_id": None,
            "device_id": "hand_dev2",
            "registration_ip": "192.0.2.2",
            "updated_at": "2026-08-10T12:00:00",
        },
        {
            "player_id": "hand_p3",
            "registered_at": "2026-08-15T12:00:00",
            "email": "hand.three@example.org",
            "country": "DE",
            "currency": "EUR",
            "click_id": "hand_c3",
            "device_id": "hand_dev3",
            "registration_ip": "192.0.2.3",
            "updated_at": "2026-08-15T12:00:00",
        },
    ]
    rows["crm.player_events"] = [
        {
            "event_id": "hand_e1",
            "player_id": "hand_p1",
            "event_type": "fraud_flagged",
            "occurred_at": "2026-09-10T08:00:00",
            "reason": "review",
            "actor": "risk_team",
        },
        {
            "event_id": "hand_e2",
            "player_id": "hand_p1",
            "event_type": "fraud_cleared",
            "occurred_at": "2026-09-12T08:00:00",
            "reason": "cleared",
            "actor": "risk_team",
        },
    ]
    rows["crm.bonuses"] = [
        {
            "bonus_txn_id": "hand_b1",
            "player_id": "hand_p1",
            "bonus_code": "WELCOME",
            "kind": "granted",
            "amount": "10.00",
            "currency": "EUR",
            "occurred_at": "2026-08-04",
            "updated_at": "2026-08-04",
        },
        {
            "bonus_txn_id": "hand_b2",
            "player_id": "hand_p1",
            "bonus_code": "WELCOME",
            "kind": "converted",
            "amount": "10.00",
            "currency": "EUR",
            "occurred_at": "2026-08-07",
            "updated_at": "2026-08-07",
        },
    ]
    hand_t1_pending = _txn(
        "hand_t1",
        "hand_p1",
        "deposit",
        "2026-08-03T10:30:00",
        "200.00",
        "4.00",
        status="pending",
        processed_at=None,
    )
    rows["payments.transactions"] = [
        # hand_p1's deposit arrives pending, then approved: counted once, approved.
        hand_t1_pending,
        {
            **hand_t1_pending,
            "status": "approved",
            "processed_at": "2026-08-03T11:00:00",
            "updated_at": "2026-08-03T11:00:00",
        },
        _txn("hand_t2", "hand_p1", "withdrawal", "2026-08-20", "100.00", "1.00"),
        _txn("hand_t3", "hand_p2", "deposit", "2026-08-20", "500.00", "10.00", currency="CAD"),
        _txn(
            "hand_t4",
            "hand_p2",
            "chargeback",
            "2026-10-05",
            "500.00",
            "15.00",
            currency="CAD",
            original_transaction_id="hand_t3",
        ),
    ]
    rows["payments.fx_rates"] = [
        {"rate_date": day, "currency": "CAD", "rate_to_base": rate}
        for day, rate in [
            ("2026-08-20", "0.6500"),
            ("2026-08-28", "0.6800"),
            ("2026-09-01", "0.7000"),
            ("2026-09-30", "0.6600"),
            ("2026-10-01", "0.7000"),
            ("2026-10-30", "0.7100"),
        ]
    ]
    rows["payments.settlements"] = [
        {
            "settlement_date": "2026-08-20",
            "psp": "hand_psp",
            "currency": "CAD",
            "deposit_count": 1,
            "deposit_amount": "500.00",
            "withdrawal_count": 0,
            "withdrawal_amount": "0",
            "chargeback_count": 0,
            "chargeback_amount": "0",
            "fee_amount": "10.00",
        },
    ]
    rows["games.games"] = [
        {
            "game_id": "hand_slot",
            "provider": "hand_provider",
            "name": "Hand Slot",
            "category": "slots",
            "rtp": "0.9600",
            "bonus_contribution": "1.0000",
            "updated_at": "2026-01-01",
        },
    ]
    r1 = _round("hand_r1", "hand_p1", "2026-08-05T10:00:00", "100.00", "30.00", "0.45")
    rows["games.rounds"] = [
        r1,
        dict(r1),  # an identical re-delivery counts once
        _round("hand_r2", "hand_p1", "2026-08-05T11:00:00", "50.00", "80.00", "0.25"),
        _round("hand_r3", "hand_p1", "2026-08-06", "20.00", "0"),
        # hand_r3 re-sent as cancelled two days later: it no longer counts.
        _round(
            "hand_r3",
            "hand_p1",
            "2026-08-06",
            "20.00",
            "0",
            status="cancelled",
            updated_at="2026-08-08T12:00:00",
        ),
        _round("hand_r4", "hand_p2", "2026-08-20", "400.00", "100.00", "2.00", currency="CAD"),
        # No CAD rate on 2026-08-23: the 2026-08-20 rate (3 days older) converts it.
        _round("hand_r5", "hand_p2", "2026-08-23", "100.00", "300.00", currency="CAD"),
        _round("hand_r6", "hand_p3", "2026-08-16", "50.00", "0"),
        _round("hand_r7", "hand_p1", "2026-09-02", "300.00", "100.00", "1.00"),
        # During hand_p1's fraud flag (2026-09-10 to 2026-09-11): left out of affiliate NGR.
        _round("hand_r8", "hand_p1", "2026-09-11", "1000.00", "0"),
        _round("hand_r9", "hand_p1", "2026-09-12", "10.00", "0"),
        # The last CAD rate is 19 days older: unconvertible, held back, never zero.
        _round("hand_r10", "hand_p2", "2026-09-20", "100.00", "0", currency="CAD"),
    ]
    rows["games.provider_reports"] = [
        {
            "report_date": "2026-08-05",
            "provider": "hand_provider",
            "currency": "EUR",
            "rounds_count": 2,
            "stakes_real": "150.00",
            "wins_real": "110.00",
        },
    ]
    return {key: _table(key, key_rows) for key, key_rows in rows.items()}
