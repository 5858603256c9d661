"""A generated operator plus hand-made compliance cases, landed and built once per session.

Shared by tests/test_privacy.py and tests/test_audit_export.py (both only read it). The
generated operator (seed 31, 50 players, January to March 2026) lands as its vendors
publish it; the hand-made records below land on 2026-03-31. The warehouse is built
(daily models), then `igw payout build --month 2026-02` books January and February.
The build uses a random pseudonym key, so a test can look for the key in every file.

Hand-made cases (affiliate aff_cmp, a CPA deal: 100 EUR, first deposit >= 10, wagered
>= 10, within 30 days, KYC required; campaign cmp_camp, brand aurora):
  cmp_erased registers 01-05 10:00 with click cmp_c1; KYC verified 01-05 12:00 (cmp_e1);
    deposits 50 EUR on 01-06 (cmp_t1), plays round cmp_r1 on 01-06 (stake 20, win 5:
    GGR = NGR = 15). It qualifies on 01-06 (deposit 50 >= 10, wagered 20 >= 10, verified):
    a CPA of 100.00 booked in January. It closes its account 01-20 09:00 (cmp_e2) and
    asks for erasure 01-22 09:00 (cmp_e3): its PII must go, its revenue and CPA stay.
  cmp_excluded registers 01-10 10:00 with click cmp_c2; verified 01-10 12:00 (cmp_e4);
    self-excluded from 02-10 08:00 (cmp_e5) to 02-20 08:00 (cmp_e6). During it: deposit
    cmp_t2 (02-12, 30 EUR), round cmp_r2 (02-13, stake 10), bonus cmp_b1 granted (02-15,
    5 EUR); after it: bonus cmp_b2 granted (02-25). No CPA: the exclusion started before
    it met the criteria (and its 30-day window ended 02-09).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from landed_operator import land_published, publication_days

from igw.config import DATA_DIR_ENV
from igw.dbt_runner import build_args, run_dbt
from igw.payout import build_payout
from igw.pseudonym import KEY_ENV
from ingestion.contract import entity, load_contract
from ingestion.generator import generate_operator
from ingestion.landing import land_batch

SEED = 31
PLAYERS = 50
START = date(2026, 1, 1)
MONTHS = 3
PAYOUT_MONTH = date(2026, 2, 1)
TODAY = date(2026, 11, 21)
HANDMADE_DAY = date(2026, 3, 31)
BRAND = "aurora"

ERASED = "cmp_erased"
EXCLUDED = "cmp_excluded"
ERASED_EMAIL = " Erased.Person@Example.ORG "
ERASED_IP = "203.0.113.50"
ERASED_BIRTH = date(1980, 4, 4)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text if "T" in text else f"{text}T12:00:00").replace(tzinfo=UTC)


def _deal() -> dict:
    return {
        "deal_id": "deal_cmp",
        "affiliate_id": "aff_cmp",
        "brand_id": None,
        "valid_from": date(2025, 12, 1),
        "valid_to": None,
        "plan_type": "cpa",
        "cpa_amount": Decimal("100"),
        "cpa_currency": "EUR",
        "cpa_min_first_deposit": Decimal("10"),
        "cpa_min_wagered": Decimal("10"),
        "cpa_window_days": 30,
        "cpa_requires_kyc": True,
        "revshare_tiers": None,
        "tier_basis": None,
        "tier_method": None,
        "negative_carryover": False,
        "admin_fee_rate": Decimal("0"),
        "sub_affiliate_rate": Decimal("0"),
        "clawback_days": 30,
        "min_payout": Decimal("0"),
        "updated_at": _at("2025-12-01"),
    }


def _player(player_id: str, registered: str, email: str, birth: date, click: str, ip: str):
    return {
        "player_id": player_id,
        "brand_id": BRAND,
        "registered_at": _at(registered),
        "email": email,
        "date_of_birth": birth,
        "country": "DE",
        "currency": "EUR",
        "click_id": click,
        "device_id": f"{player_id}_device",
        "registration_ip": ip,
        "kyc_status": "verified",
        "marketing_consent": True,
        "updated_at": _at(registered),
    }


def _click(click_id: str, clicked: str, player_id: str, ip: str) -> dict:
    return {
        "click_id": click_id,
        "affiliate_id": "aff_cmp",
        "campaign_id": "cmp_camp",
        "brand_id": BRAND,
        "clicked_at": _at(clicked),
        "ip_address": ip,
        "user_agent": "Mozilla/5.0",
        "device_id": f"{player_id}_device",
        "country": "DE",
        "sub_id": None,
    }


def _event(event_id: str, player_id: str, event_type: str, occurred: str) -> dict:
    return {
        "event_id": event_id,
        "player_id": player_id,
        "event_type": event_type,
        "occurred_at": _at(occurred),
        "reason": None,
        "actor": "compliance_test",
    }


def _deposit(txn_id: str, player_id: str, day: str, amount: str) -> dict:
    return {
        "transaction_id": txn_id,
        "player_id": player_id,
        "kind": "deposit",
        "status": "approved",
        "amount": Decimal(amount),
        "fee_amount": Decimal("0"),
        "currency": "EUR",
        "method": "card",
        "psp": "cmp_psp",
        "original_transaction_id": None,
        "created_at": _at(day),
        "processed_at": _at(day),
        "updated_at": _at(day),
    }


def _round(round_id: str, player_id: str, day: str, stake: str, win: str) -> dict:
    return {
        "round_id": round_id,
        "player_id": player_id,
        "game_id": "cmp_slot",
        "started_at": _at(day),
        "settled_at": _at(day),
        "currency": "EUR",
        "stake_real": Decimal(stake),
        "stake_bonus": Decimal("0"),
        "win_real": Decimal(win),
        "win_bonus": Decimal("0"),
        "jackpot_contribution": Decimal("0"),
        "status": "settled",
        "updated_at": _at(day),
    }


def _bonus(bonus_id: str, player_id: str, day: str) -> dict:
    return {
        "bonus_txn_id": bonus_id,
        "player_id": player_id,
        "bonus_code": "RELOAD",
        "kind": "granted",
        "amount": Decimal("5"),
        "currency": "EUR",
        "occurred_at": _at(day),
        "updated_at": _at(day),
    }


def handmade_rows() -> dict[str, list[dict]]:
    return {
        "affiliate.affiliates": [
            {
                "affiliate_id": "aff_cmp",
                "name": "Compliance Media",
                "email": "affiliate.cmp@example.org",
                "country": "DE",
                "parent_affiliate_id": None,
                "status": "active",
                "payout_currency": "EUR",
                "created_at": _at("2025-12-01"),
                "updated_at": _at("2025-12-01"),
            }
        ],
        "affiliate.campaigns": [
            {
                "campaign_id": "cmp_camp",
                "affiliate_id": "aff_cmp",
                "brand_id": BRAND,
                "name": "cmp campaign",
                "traffic_source": "seo",
                "created_at": _at("2025-12-01"),
                "updated_at": _at("2025-12-01"),
            }
        ],
        "affiliate.deals": [_deal()],
        "affiliate.clicks": [
            _click("cmp_c1", "2026-01-05T09:00:00", ERASED, ERASED_IP),
            _click("cmp_c2", "2026-01-10T09:00:00", EXCLUDED, "203.0.113.51"),
        ],
        "crm.players": [
            _player(ERASED, "2026-01-05T10:00:00", ERASED_EMAIL, ERASED_BIRTH, "cmp_c1", ERASED_IP),
            _player(
                EXCLUDED,
                "2026-01-10T10:00:00",
                "excluded.person@example.org",
                date(1975, 7, 7),
                "cmp_c2",
                "203.0.113.51",
            ),
        ],
        "crm.player_events": [
            _event("cmp_e1", ERASED, "kyc_verified", "2026-01-05T12:00:00"),
            _event("cmp_e2", ERASED, "account_closed", "2026-01-20T09:00:00"),
            _event("cmp_e3", ERASED, "erasure_requested", "2026-01-22T09:00:00"),
            _event("cmp_e4", EXCLUDED, "kyc_verified", "2026-01-10T12:00:00"),
            _event("cmp_e5", EXCLUDED, "self_exclusion_started", "2026-02-10T08:00:00"),
            _event("cmp_e6", EXCLUDED, "self_exclusion_ended", "2026-02-20T08:00:00"),
        ],
        "payments.transactions": [
            _deposit("cmp_t1", ERASED, "2026-01-06T10:00:00", "50.00"),
            _deposit("cmp_t2", EXCLUDED, "2026-02-12T10:00:00", "30.00"),
        ],
        "games.games": [
            {
                "game_id": "cmp_slot",
                "provider": "cmp_provider",
                "name": "Compliance Slot",
                "category": "slots",
                "rtp": Decimal("0.9600"),
                "bonus_contribution": Decimal("1.0000"),
                "updated_at": _at("2025-12-01"),
            }
        ],
        "games.rounds": [
            _round("cmp_r1", ERASED, "2026-01-06T11:00:00", "20.00", "5.00"),
            _round("cmp_r2", EXCLUDED, "2026-02-13T11:00:00", "10.00", "0"),
        ],
        "crm.bonuses": [
            _bonus("cmp_b1", EXCLUDED, "2026-02-15T10:00:00"),
            _bonus("cmp_b2", EXCLUDED, "2026-02-25T10:00:00"),
        ],
    }


def land_rows(data_dir: Path, key: str, rows: list[dict], day: date) -> None:
    """Land rows of one contract entity as one batch of ingest date `day`."""
    schema = entity(key).schema
    table = pa.Table.from_pylist([{f.name: row.get(f.name) for f in schema} for row in rows])
    ingested_at = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=23)
    land_batch(data_dir, entity(key), day, table.cast(schema), f"handmade://{key}", ingested_at)


def land_handmade(data_dir: Path) -> None:
    for key, rows in handmade_rows().items():
        land_rows(data_dir, key, rows, HANDMADE_DAY)


_BUILT: dict[str, dict] = {}


def compliance_warehouse(tmp_path_factory) -> dict:
    """The built warehouse (once per session): data_dir, operator, and the key it used."""
    if "built" in _BUILT:
        return _BUILT["built"]
    data_dir = tmp_path_factory.mktemp("compliance")
    saved = {name: os.environ.get(name) for name in (DATA_DIR_ENV, KEY_ENV)}
    key = secrets.token_hex(32)  # never written anywhere by the test
    os.environ[DATA_DIR_ENV] = str(data_dir)
    os.environ[KEY_ENV] = key
    try:
        assert set(handmade_rows()) <= set(load_contract())
        operator = generate_operator(seed=SEED, players=PLAYERS, start=START, months=MONTHS)
        days = publication_days(operator)
        land_published(operator, data_dir, days[0], days[-1])
        land_handmade(data_dir)
        run_dbt(build_args(exclude="tag:monthly"), data_dir)
        build_payout(PAYOUT_MONTH, data_dir, today=TODAY, export=False)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    _BUILT["built"] = {"data_dir": data_dir, "operator": operator, "key": key}
    return _BUILT["built"]
