"""A hand-made operator for the affiliate KPI and attribution-credit marts, figures by hand.

Brand `kpi`, every id prefixed `kp_`, so nothing clashes with the other hand-made
operators. Every player is a EUR player in Germany (gaming tax 0) with its own email and
device; a round settles and a transaction is approved at 12:00 with no fee unless said.
kp_alpha has a CPA deal (50 EUR; first deposit >= 20, stakes >= 10 within 30 days, no KYC,
clawback 90 days); kp_beta and kp_gamma have no deal. The players, all kp_alpha's under
payout attribution:

player  registered (click)   deposits              rounds (stake/win)           other
kp_a1   06-01 10:00 (06-01)  06-01 100, 06-15 50   06-01 100/40, 07-10 80/0,    06-15 deposit
                                                   08-05 30/0, 09-20 40/0       charged back
                                                                                07-20 (50)
kp_a2   06-01 11:00 (06-01)  06-02 200             06-05 200/250
kp_a3   06-10 10:00 (06-09)  06-10 30 (fee 3)      09-01 20/0
kp_a4   06-20 10:00 (06-19)  07-02 40              07-03 20/0, 08-10 10/0
kp_a5   07-05 10:00 (07-04)  07-05 60              07-06 10/30, 08-12 100/0     fraud-flagged
                                                                                07-25 08:00
kp_a6   08-15 12:00 (08-08)  08-15 50              08-16 70/0, 09-05 10/0       device clicks
                                                                                (see below)
kp_a7   08-20 10:00 (08-19)  08-20 10              08-20 5/0
kp_a8   09-10 10:00 (09-09)  09-10 25              09-10 15/0

kp_a6 registers with kp_alpha's click of 08-08 12:00 (7 days before); its device also
clicked kp_beta's campaign on 07-25 12:00 (21 days before) and kp_gamma's on 08-01 12:00
(14 days before). Stray clicks of kp_alpha (nobody registers): four in June, one in July,
one in August, each from its own device. The last activity is kp_a1's round of 09-20:
as_of_date = 2026-09-20. The expected figures are worked out in test_affiliate_kpis.py.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from handmade_operator import _round, _table, _txn

from ingestion.contract import load_contract

BRAND = "kpi"
LANDED_ON = date(2026, 11, 1)

# (player, registered_at, the time of its registered click)
PLAYERS = [
    ("kp_a1", "2026-06-01T10:00:00", "2026-06-01T08:00:00"),
    ("kp_a2", "2026-06-01T11:00:00", "2026-06-01T09:00:00"),
    ("kp_a3", "2026-06-10T10:00:00", "2026-06-09T10:00:00"),
    ("kp_a4", "2026-06-20T10:00:00", "2026-06-19T10:00:00"),
    ("kp_a5", "2026-07-05T10:00:00", "2026-07-04T10:00:00"),
    ("kp_a6", "2026-08-15T12:00:00", "2026-08-08T12:00:00"),
    ("kp_a7", "2026-08-20T10:00:00", "2026-08-19T10:00:00"),
    ("kp_a8", "2026-09-10T10:00:00", "2026-09-09T10:00:00"),
]
STRAY_CLICKS = [
    "2026-06-03T12:00:00",
    "2026-06-05T12:00:00",
    "2026-06-12T12:00:00",
    "2026-06-25T12:00:00",
    "2026-07-15T12:00:00",
    "2026-08-25T12:00:00",
]
# kp_a6's device clicked these before it registered with kp_alpha's click.
A6_DEVICE_CLICKS = [
    ("kp_a6_beta_click", "kp_beta", "2026-07-25T12:00:00"),
    ("kp_a6_gamma_click", "kp_gamma", "2026-08-01T12:00:00"),
]
DEPOSITS = [
    ("kp_a1_t1", "kp_a1", "2026-06-01", "100", "0"),
    ("kp_a1_t2", "kp_a1", "2026-06-15", "50", "0"),
    ("kp_a2_t1", "kp_a2", "2026-06-02", "200", "0"),
    ("kp_a3_t1", "kp_a3", "2026-06-10", "30", "3"),
    ("kp_a4_t1", "kp_a4", "2026-07-02", "40", "0"),
    ("kp_a5_t1", "kp_a5", "2026-07-05", "60", "0"),
    ("kp_a6_t1", "kp_a6", "2026-08-15", "50", "0"),
    ("kp_a7_t1", "kp_a7", "2026-08-20", "10", "0"),
    ("kp_a8_t1", "kp_a8", "2026-09-10", "25", "0"),
]
ROUNDS = [
    ("kp_a1", "2026-06-01", "100", "40"),
    ("kp_a1", "2026-07-10", "80", "0"),
    ("kp_a1", "2026-08-05", "30", "0"),
    ("kp_a1", "2026-09-20", "40", "0"),
    ("kp_a2", "2026-06-05", "200", "250"),
    ("kp_a3", "2026-09-01", "20", "0"),
    ("kp_a4", "2026-07-03", "20", "0"),
    ("kp_a4", "2026-08-10", "10", "0"),
    ("kp_a5", "2026-07-06", "10", "30"),
    ("kp_a5", "2026-08-12", "100", "0"),
    ("kp_a6", "2026-08-16", "70", "0"),
    ("kp_a6", "2026-09-05", "10", "0"),
    ("kp_a7", "2026-08-20", "5", "0"),
    ("kp_a8", "2026-09-10", "15", "0"),
]


def _click(click_id: str, affiliate: str, at: str, device: str) -> dict:
    return {
        "click_id": click_id,
        "affiliate_id": affiliate,
        "campaign_id": f"cmp_{affiliate}",
        "brand_id": BRAND,
        "clicked_at": at,
        "ip_address": "198.51.100.9",
        "device_id": device,
        "country": "DE",
    }


def kpi_tables() -> dict[str, pa.Table]:
    """Every contract entity, with the operator's records."""
    rows: dict[str, list[dict]] = {key: [] for key in load_contract()}
    for aff in ("kp_alpha", "kp_beta", "kp_gamma"):
        rows["affiliate.affiliates"].append(
            {
                "affiliate_id": aff,
                "name": f"{aff} media",
                "email": f"{aff}@example.org",
                "country": "DE",
                "parent_affiliate_id": None,
                "status": "active",
                "payout_currency": "EUR",
                "created_at": "2026-01-01",
                "updated_at": "2026-01-01",
            }
        )
        rows["affiliate.campaigns"].append(
            {
                "campaign_id": f"cmp_{aff}",
                "affiliate_id": aff,
                "brand_id": BRAND,
                "name": f"{aff} campaign",
                "traffic_source": "seo",
                "created_at": "2026-01-01",
                "updated_at": "2026-01-01",
            }
        )
    rows["affiliate.deals"] = [
        {
            "deal_id": "kp_deal_alpha",
            "affiliate_id": "kp_alpha",
            "brand_id": None,
            "valid_from": "2026-01-01",
            "valid_to": None,
            "plan_type": "cpa",
            "cpa_amount": "50",
            "cpa_currency": "EUR",
            "cpa_min_first_deposit": "20",
            "cpa_min_wagered": "10",
            "cpa_window_days": 30,
            "cpa_requires_kyc": False,
            "revshare_tiers": None,
            "tier_basis": None,
            "tier_method": None,
            "negative_carryover": False,
            "admin_fee_rate": "0",
            "sub_affiliate_rate": "0",
            "clawback_days": 90,
            "min_payout": "50",
            "updated_at": "2026-01-01",
        }
    ]
    for pid, registered_at, clicked_at in PLAYERS:
        rows["affiliate.clicks"].append(
            _click(f"{pid}_click", "kp_alpha", clicked_at, f"{pid}_dev")
        )
        rows["crm.players"].append(
            {
                "player_id": pid,
                "brand_id": BRAND,
                "registered_at": registered_at,
                "email": f"{pid}@example.org",
                "date_of_birth": "1990-01-01",
                "country": "DE",
                "currency": "EUR",
                "click_id": f"{pid}_click",
                "device_id": f"{pid}_dev",
                "registration_ip": "198.51.100.9",
                "kyc_status": "verified",
                "marketing_consent": True,
                "updated_at": registered_at,
            }
        )
    for number, at in enumerate(STRAY_CLICKS, start=1):
        rows["affiliate.clicks"].append(
            _click(f"kp_stray_{number}", "kp_alpha", at, f"kp_stray_dev_{number}")
        )
    for click_id, affiliate, at in A6_DEVICE_CLICKS:
        rows["affiliate.clicks"].append(_click(click_id, affiliate, at, "kp_a6_dev"))
    for txn_id, pid, day, amount, fee in DEPOSITS:
        rows["payments.transactions"].append(
            _txn(txn_id, pid, "deposit", day, amount, fee, method="card", psp="kp_psp")
        )
    rows["payments.transactions"].append(
        _txn(
            "kp_a1_cb1",
            "kp_a1",
            "chargeback",
            "2026-07-20",
            "50",
            "0",
            method="card",
            psp="kp_psp",
            original_transaction_id="kp_a1_t2",
        )
    )
    for number, (pid, day, stake, win) in enumerate(ROUNDS, start=1):
        rows["games.rounds"].append(
            _round(f"kp_r{number}", pid, day, stake, win, game_id="kp_slot")
        )
    rows["crm.player_events"].append(
        {
            "event_id": "kp_a5_flag",
            "player_id": "kp_a5",
            "event_type": "fraud_flagged",
            "occurred_at": "2026-07-25T08:00:00",
            "reason": "review",
            "actor": "kp_risk",
        }
    )
    rows["games.games"] = [
        {
            "game_id": "kp_slot",
            "provider": "kp_provider",
            "name": "KPI Slot",
            "category": "slots",
            "rtp": "0.9600",
            "bonus_contribution": "1.0000",
            "updated_at": "2026-01-01",
        }
    ]
    return {key: _table(key, key_rows) for key, key_rows in rows.items()}
