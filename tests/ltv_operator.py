"""A hand-made operator for the LTV cohorts, and the build the LTV tests share.

Every amount is EUR (the base currency: rate 1), every market is taxed at 0 and deposits
carry no fee, so a day's player NGR is its stakes − wins (− chargebacks). The figures the
records should give are worked out by hand in tests/test_ltv_cohorts.py.

Affiliates: aff_ltv (campaigns cmp_ltv_a, seo, and cmp_ltv_b, email) and aff_ltv2
(campaign cmp_ltv2, first landed as email, then changed to seo: its current version is seo).
Players (first deposit day = day 0; the last activity of all, L1's round of 06-15, makes
as_of_date 2026-06-15):
  L1  aff_ltv / cmp_ltv_a  first deposit 03-02; two rounds on day 0 (a third one re-sent
      cancelled), rounds on days 29, 30, 89, 90 and 105 (06-15).
  L2  aff_ltv / cmp_ltv_a  first deposit 03-10; loses money for the operator: a big win on
      day 0, a round on day 29 (04-08), a chargeback without any round on day 40 (04-19).
  L3  aff_ltv / cmp_ltv_b  first deposit 03-25; rounds on days 0 and 30 (04-24).
  L4  aff_ltv / cmp_ltv_a  L1's email: a duplicate account, no NDC; first deposit 03-06.
  L5  aff_ltv / cmp_ltv_a  first deposit 05-05; rounds on days 0 and 29 (06-03).
  L6  aff_ltv / cmp_ltv_b  first deposit 06-10; a round on day 0.
  M1  aff_ltv2 / cmp_ltv2  first deposit 03-15; a round on day 0.
  O1  organic (no click)    first deposit 03-03; a round on day 0 that it wins.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from igw.config import DATA_DIR_ENV
from igw.dbt_runner import DbtOutcome, build_args, run_dbt
from ingestion.contract import load_contract
from ingestion.landing import ensure_schema_file, land_batch

BRAND = "aurora"
AS_OF = date(2026, 6, 15)
LANDED_ON = date(2026, 6, 16)

# The LTV marts and everything they are built from. Cautious indirect selection: a test
# runs only when all its parents are built (the relationships tests of unrelated models
# would otherwise read tables this build leaves out).
LTV_SELECT = "+ltv_cohorts"


def build_ltv_marts(data_dir: Path) -> DbtOutcome:
    """dbt build of the LTV marts and their ancestors (models, data and unit tests)."""
    args = build_args(select=LTV_SELECT, exclude="tag:monthly")
    return run_dbt([*args, "--indirect-selection", "cautious"], data_dir)


@contextmanager
def data_dir_env(data_dir: Path):
    """IGW_DATA_DIR points at `data_dir` inside the block (module fixtures cannot
    use monkeypatch), restored after."""
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(data_dir)
    try:
        yield data_dir
    finally:
        if previous is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = previous


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text if "T" in text else f"{text}T12:00:00").replace(tzinfo=UTC)


def _affiliate(affiliate_id: str) -> dict:
    return {
        "affiliate_id": affiliate_id,
        "name": f"{affiliate_id} media",
        "email": f"{affiliate_id}@example.org",
        "country": "DE",
        "parent_affiliate_id": None,
        "status": "active",
        "payout_currency": "EUR",
        "created_at": _at("2026-01-01"),
        "updated_at": _at("2026-01-01"),
    }


def _campaign(campaign_id: str, affiliate_id: str, source: str, updated: str) -> dict:
    return {
        "campaign_id": campaign_id,
        "affiliate_id": affiliate_id,
        "brand_id": BRAND,
        "name": f"{campaign_id} campaign",
        "traffic_source": source,
        "created_at": _at("2026-01-01"),
        "updated_at": _at(updated),
    }


# player -> (affiliate, campaign, registration day, email); organic players have no click.
PLAYERS = {
    "L1": ("aff_ltv", "cmp_ltv_a", "2026-03-01", "l1@example.org"),
    "L2": ("aff_ltv", "cmp_ltv_a", "2026-03-09", "l2@example.org"),
    "L3": ("aff_ltv", "cmp_ltv_b", "2026-03-24", "l3@example.org"),
    "L4": ("aff_ltv", "cmp_ltv_a", "2026-03-05", "l1@example.org"),
    "L5": ("aff_ltv", "cmp_ltv_a", "2026-05-04", "l5@example.org"),
    "L6": ("aff_ltv", "cmp_ltv_b", "2026-06-09", "l6@example.org"),
    "M1": ("aff_ltv2", "cmp_ltv2", "2026-03-14", "m1@example.org"),
    "O1": (None, None, "2026-03-02", "o1@example.org"),
}

# player -> its first (and only) deposit day
FIRST_DEPOSITS = {
    "L1": "2026-03-02",
    "L2": "2026-03-10",
    "L3": "2026-03-25",
    "L4": "2026-03-06",
    "L5": "2026-05-05",
    "L6": "2026-06-10",
    "M1": "2026-03-15",
    "O1": "2026-03-03",
}

# (round_id, player, settlement day, stake, win, status, updated day)
ROUNDS = [
    ("ltv_r1", "L1", "2026-03-02", "60", "40", "settled", "2026-03-02"),
    ("ltv_r2", "L1", "2026-03-02", "40", "0", "settled", "2026-03-02"),
    ("ltv_r3", "L1", "2026-03-02", "500", "0", "settled", "2026-03-02"),
    ("ltv_r3", "L1", "2026-03-02", "500", "0", "cancelled", "2026-03-04"),
    ("ltv_r4", "L1", "2026-03-31", "30", "0", "settled", "2026-03-31"),
    ("ltv_r5", "L1", "2026-04-01", "20", "0", "settled", "2026-04-01"),
    ("ltv_r6", "L1", "2026-05-30", "11", "0", "settled", "2026-05-30"),
    ("ltv_r7", "L1", "2026-05-31", "40", "0", "settled", "2026-05-31"),
    ("ltv_r8", "L1", "2026-06-15", "5", "0", "settled", "2026-06-15"),
    ("ltv_r9", "L2", "2026-03-10", "50", "140", "settled", "2026-03-10"),
    ("ltv_r10", "L2", "2026-04-08", "10", "0", "settled", "2026-04-08"),
    ("ltv_r11", "L3", "2026-03-25", "40", "10", "settled", "2026-03-25"),
    ("ltv_r12", "L3", "2026-04-24", "10", "0", "settled", "2026-04-24"),
    ("ltv_r13", "L4", "2026-03-06", "1000", "0", "settled", "2026-03-06"),
    ("ltv_r14", "L5", "2026-05-05", "25", "5", "settled", "2026-05-05"),
    ("ltv_r15", "L5", "2026-06-03", "3", "0", "settled", "2026-06-03"),
    ("ltv_r16", "L6", "2026-06-10", "10", "0", "settled", "2026-06-10"),
    ("ltv_r17", "M1", "2026-03-15", "20", "0", "settled", "2026-03-15"),
    ("ltv_r18", "O1", "2026-03-03", "10", "70", "settled", "2026-03-03"),
]


def _transaction(txn_id: str, player: str, kind: str, day: str, amount: str, original=None):
    at = _at(f"{day}T10:00:00")
    return {
        "transaction_id": txn_id,
        "player_id": player,
        "kind": kind,
        "status": "approved",
        "amount": Decimal(amount),
        "fee_amount": Decimal("0"),
        "currency": "EUR",
        "method": "card",
        "psp": "ltv_psp",
        "original_transaction_id": original,
        "created_at": at,
        "processed_at": at,
        "updated_at": at,
    }


def ltv_rows() -> dict[str, list[dict]]:
    """The hand-made records, per contract entity."""
    clicks, players = [], []
    for player, (affiliate, campaign, registered, email) in PLAYERS.items():
        click_id = None
        if affiliate is not None:
            click_id = f"ltv_c_{player}"
            clicks.append(
                {
                    "click_id": click_id,
                    "affiliate_id": affiliate,
                    "campaign_id": campaign,
                    "brand_id": BRAND,
                    "clicked_at": _at(f"{registered}T09:00:00"),
                    "ip_address": "192.0.2.10",
                    "user_agent": "Mozilla/5.0",
                    "device_id": f"ltv_dev_{player}",
                    "country": "DE",
                    "sub_id": None,
                }
            )
        players.append(
            {
                "player_id": player,
                "brand_id": BRAND,
                "registered_at": _at(f"{registered}T10:00:00"),
                "email": email,
                "date_of_birth": date(1990, 1, 1),
                "country": "DE",
                "currency": "EUR",
                "click_id": click_id,
                "device_id": f"ltv_dev_{player}",
                "registration_ip": "192.0.2.10",
                "kyc_status": "verified",
                "marketing_consent": True,
                "updated_at": _at(f"{registered}T10:00:00"),
            }
        )
    transactions = [
        _transaction(f"ltv_t_{player}", player, "deposit", day, "100")
        for player, day in FIRST_DEPOSITS.items()
    ]
    transactions.append(
        _transaction("ltv_t_L2_cb", "L2", "chargeback", "2026-04-19", "10", original="ltv_t_L2")
    )
    rounds = [
        {
            "round_id": round_id,
            "player_id": player,
            "game_id": "ltv_slot",
            "started_at": _at(day),
            "settled_at": _at(day),
            "currency": "EUR",
            "stake_real": Decimal(stake),
            "stake_bonus": Decimal("0"),
            "win_real": Decimal(win),
            "win_bonus": Decimal("0"),
            "jackpot_contribution": Decimal("0"),
            "status": status,
            "updated_at": _at(updated),
        }
        for round_id, player, day, stake, win, status, updated in ROUNDS
    ]
    return {
        "affiliate.affiliates": [_affiliate("aff_ltv"), _affiliate("aff_ltv2")],
        "affiliate.campaigns": [
            _campaign("cmp_ltv_a", "aff_ltv", "seo", "2026-01-01"),
            _campaign("cmp_ltv_b", "aff_ltv", "email", "2026-01-01"),
            _campaign("cmp_ltv2", "aff_ltv2", "email", "2026-01-01"),
            _campaign("cmp_ltv2", "aff_ltv2", "seo", "2026-02-01"),
        ],
        "affiliate.clicks": clicks,
        "crm.players": players,
        "payments.transactions": transactions,
        "games.games": [
            {
                "game_id": "ltv_slot",
                "provider": "ltv_provider",
                "name": "LTV Slot",
                "category": "slots",
                "rtp": Decimal("0.9600"),
                "bonus_contribution": Decimal("1.0000"),
                "updated_at": _at("2026-01-01"),
            }
        ],
        "games.rounds": rounds,
    }


def land_ltv_operator(data_dir: Path) -> None:
    """Land every entity (empty ones as their schema file) as one batch of LANDED_ON."""
    ingested_at = datetime.combine(LANDED_ON, datetime.min.time(), tzinfo=UTC).replace(hour=23)
    rows_by_key = ltv_rows()
    for key, entity in load_contract().items():
        ensure_schema_file(data_dir, entity)
        rows = rows_by_key.get(key)
        if not rows:
            continue
        schema = entity.schema
        table = pa.Table.from_pylist(
            [{f.name: row.get(f.name) for f in schema} for row in rows], schema=schema
        )
        land_batch(data_dir, entity, LANDED_ON, table, f"handmade://ltv/{key}", ingested_at)
