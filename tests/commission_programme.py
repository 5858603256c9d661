"""A hand-made "commission programme": one affiliate per commission rule, figures by hand.

Brand `comet`, every id prefixed `cp_`, so nothing here clashes with the other hand-made
operator. Every player is a EUR player in Germany (gaming tax 0, seeds/gaming_tax_rates.csv)
who registers at 10:00 with the click its affiliate's campaign got the day before
(attribution method click_id), each with its own device and email, so no two accounts are
one person except where said. Unless said, a round settles at 12:00 and pays no jackpot, a
transaction is approved at 12:00 with no fee. Every deal covers all brands from 2026-01-01,
open-ended. The expected figures and their arithmetic are in test_commission_rules.py.

affiliate   deal                                                          shape
cp_tiered   revshare 25/30/35% from NGR 0/7,500/50,000, tiered            tier of the base
cp_ladder   the same tiers, ladder                                        slices of the base
cp_ndc      revshare 20/25/30% from 0/11/21 NDCs, tiered                  tier by NDC count
cp_flat     revshare 40%, negative carryover                              carried negative
cp_cpa_usd  CPA 100 USD, first deposit ≥ 50, wagered ≥ 200, 30 days, KYC  CPA at the day rate
cp_sub      hybrid 25% + CPA 50 EUR, sub-affiliate rate 10%, min 500      child of cp_parent
cp_parent   none                                                          sub-affiliate income
cp_minpay   revshare 25%, admin fee 20%, min payout 100 (suspended)       minimum payout
cp_claw     hybrid 30% + CPA 75 EUR, clawback 45 days                     clawbacks
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
from handmade_operator import _round, _table, _txn

from ingestion.contract import load_contract
from ingestion.landing import ensure_schema_file, land_batch

BRAND = "comet"
# Everything lands in one nightly batch per entity after October has ended; the late
# round of the close test lands later still, after September was closed.
LANDED_ON = date(2026, 11, 1)
LATE_LANDED_ON = date(2026, 11, 10)

AFFILIATES = [
    "cp_tiered",
    "cp_ladder",
    "cp_ndc",
    "cp_flat",
    "cp_cpa_usd",
    "cp_sub",
    "cp_parent",
    "cp_minpay",
    "cp_claw",
]
DEAL_OF = {aff: f"cp_deal_{aff[3:]}" for aff in AFFILIATES if aff != "cp_parent"}

STEP_TIERS = [
    {"threshold": "0", "rate": "0.2500"},
    {"threshold": "7500", "rate": "0.3000"},
    {"threshold": "50000", "rate": "0.3500"},
]


def _flat(rate: str) -> list[dict]:
    return [{"threshold": "0", "rate": rate}]


def _deal(aff: str, **fields) -> dict:
    """A deal for every brand from 2026-01-01; nothing a shape does not set."""
    return {
        "deal_id": DEAL_OF[aff],
        "affiliate_id": aff,
        "brand_id": None,
        "valid_from": "2026-01-01",
        "valid_to": None,
        "plan_type": "revshare",
        "cpa_amount": None,
        "cpa_currency": None,
        "cpa_min_first_deposit": None,
        "cpa_min_wagered": None,
        "cpa_window_days": None,
        "cpa_requires_kyc": False,
        "revshare_tiers": None,
        "tier_basis": "ngr",
        "tier_method": "tiered",
        "negative_carryover": False,
        "admin_fee_rate": "0",
        "sub_affiliate_rate": "0",
        "clawback_days": 90,
        "min_payout": "50",
        "updated_at": "2026-01-01",
        **fields,
    }


DEALS = [
    _deal("cp_tiered", revshare_tiers=STEP_TIERS),
    _deal("cp_ladder", revshare_tiers=STEP_TIERS, tier_method="ladder"),
    _deal(
        "cp_ndc",
        revshare_tiers=[
            {"threshold": "0", "rate": "0.2000"},
            {"threshold": "11", "rate": "0.2500"},
            {"threshold": "21", "rate": "0.3000"},
        ],
        tier_basis="ndc",
    ),
    _deal("cp_flat", revshare_tiers=_flat("0.4000"), negative_carryover=True),
    _deal(
        "cp_cpa_usd",
        plan_type="cpa",
        cpa_amount="100",
        cpa_currency="USD",
        cpa_min_first_deposit="50",
        cpa_min_wagered="200",
        cpa_window_days=30,
        cpa_requires_kyc=True,
        tier_basis=None,
        tier_method=None,
    ),
    _deal(
        "cp_sub",
        plan_type="hybrid",
        revshare_tiers=_flat("0.2500"),
        cpa_amount="50",
        cpa_currency="EUR",
        cpa_min_first_deposit="10",
        cpa_min_wagered="10",
        cpa_window_days=30,
        sub_affiliate_rate="0.1000",
        min_payout="500",
    ),
    _deal(
        "cp_minpay",
        revshare_tiers=_flat("0.2500"),
        admin_fee_rate="0.2000",
        min_payout="100",
    ),
    _deal(
        "cp_claw",
        plan_type="hybrid",
        revshare_tiers=_flat("0.3000"),
        cpa_amount="75",
        cpa_currency="EUR",
        cpa_min_first_deposit="20",
        cpa_min_wagered="50",
        cpa_window_days=30,
        clawback_days=45,
    ),
]


class _Rows:
    """Collects the programme's records per contract entity."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {key: [] for key in load_contract()}

    def player(self, pid: str, aff: str, registered: str, email: str | None = None) -> None:
        """A player registering at 10:00 on `registered` with yesterday's click of `aff`."""
        day = date.fromisoformat(registered)
        self.rows["affiliate.clicks"].append(
            {
                "click_id": f"{pid}_click",
                "affiliate_id": aff,
                "campaign_id": f"cmp_{aff}",
                "brand_id": BRAND,
                "clicked_at": f"{day - timedelta(days=1)}T09:00:00",
                "ip_address": "198.51.100.7",
                "device_id": f"{pid}_dev",
                "country": "DE",
            }
        )
        self.rows["crm.players"].append(
            {
                "player_id": pid,
                "brand_id": BRAND,
                "registered_at": f"{registered}T10:00:00",
                "email": email or f"{pid}@example.org",
                "country": "DE",
                "currency": "EUR",
                "click_id": f"{pid}_click",
                "device_id": f"{pid}_dev",
                "registration_ip": "198.51.100.7",
                "kyc_status": "verified",
                "updated_at": f"{registered}T10:00:00",
            }
        )

    def round(self, rid, pid, day, stake, win, jackpot="0") -> None:
        self.rows["games.rounds"].append(
            _round(rid, pid, day, stake, win, jackpot, game_id="cp_slot")
        )

    def txn(self, tid, pid, kind, day, amount, fee="0", **extra) -> None:
        self.rows["payments.transactions"].append(_txn(tid, pid, kind, day, amount, fee, **extra))

    def event(self, eid, pid, event_type, at) -> None:
        self.rows["crm.player_events"].append(
            {
                "event_id": eid,
                "player_id": pid,
                "event_type": event_type,
                "occurred_at": at,
                "reason": None,
                "actor": "cp_staff",
            }
        )

    def bonus(self, bid, pid, kind, day, amount) -> None:
        self.rows["crm.bonuses"].append(
            {
                "bonus_txn_id": bid,
                "player_id": pid,
                "bonus_code": "CP_WELCOME",
                "kind": kind,
                "amount": amount,
                "currency": "EUR",
                "occurred_at": day,
                "updated_at": day,
            }
        )

    def tables(self) -> dict[str, pa.Table]:
        return {key: _table(key, key_rows) for key, key_rows in self.rows.items()}


def _affiliates_and_campaigns(r: _Rows) -> None:
    for aff in AFFILIATES:
        r.rows["affiliate.affiliates"].append(
            {
                "affiliate_id": aff,
                "name": f"{aff} media",
                "email": f"{aff}@example.org",
                "country": "DE",
                "parent_affiliate_id": "cp_parent" if aff == "cp_sub" else None,
                "status": "suspended" if aff == "cp_minpay" else "active",
                "payout_currency": "USD" if aff == "cp_cpa_usd" else "EUR",
                "created_at": "2026-01-01",
                "updated_at": "2026-01-01",
            }
        )
        if aff != "cp_parent":
            r.rows["affiliate.campaigns"].append(
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
    r.rows["affiliate.deals"] = list(DEALS)


def _tiered_and_ladder(r: _Rows) -> None:
    # cp_tiered: NGR 1,000 (Jun), 7,500 (Jul), 60,000 (Aug), -2,000 (Sep), 10,000 (Oct).
    r.player("cp_ti_p1", "cp_tiered", "2026-06-20")
    r.round("cp_ti_r1", "cp_ti_p1", "2026-06-25", "1000", "0")
    r.round("cp_ti_r2", "cp_ti_p1", "2026-07-15", "7500", "0")
    r.round("cp_ti_r3", "cp_ti_p1", "2026-08-15", "100000", "40000")
    r.round("cp_ti_r4", "cp_ti_p1", "2026-09-15", "1000", "3000")
    r.round("cp_ti_r5", "cp_ti_p1", "2026-10-15", "10000", "0")
    # cp_ladder: NGR 10,000 (Jul), 60,000 (Aug), 50,000 (Sep).
    r.player("cp_la_p1", "cp_ladder", "2026-07-01")
    r.round("cp_la_r1", "cp_la_p1", "2026-07-15", "10000", "0")
    r.round("cp_la_r2", "cp_la_p1", "2026-08-15", "60000", "0")
    r.round("cp_la_r3", "cp_la_p1", "2026-09-15", "50000", "0")


def _ndc(r: _Rows) -> None:
    # August: ten NDCs, and a duplicate of cp_nd_a01 (same email once normalised) that
    # deposits but is no NDC; September: twelve NDCs, and cp_nd_a01 depositing again.
    # Every one of them deposits 20 and stakes 100 that nothing wins back.
    players = [(f"cp_nd_a{i:02}", "2026-08-05") for i in range(1, 11)]
    players += [("cp_nd_dup", "2026-08-12")]
    players += [(f"cp_nd_s{i:02}", "2026-09-05") for i in range(1, 13)]
    for pid, day in players:
        email = "  CP_ND_A01@Example.ORG " if pid == "cp_nd_dup" else None
        r.player(pid, "cp_ndc", day, email=email)
        r.txn(f"{pid}_t1", pid, "deposit", day, "20")
        next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        r.round(f"{pid}_r1", pid, next_day, "100", "0")
    r.txn("cp_nd_a01_t2", "cp_nd_a01", "deposit", "2026-09-10", "20")
    r.round("cp_nd_a01_r2", "cp_nd_a01", "2026-09-10", "100", "0")


def _flat_with_carryover(r: _Rows) -> None:
    p = "cp_fl_p1"
    r.player(p, "cp_flat", "2026-07-01")
    r.txn("cp_fl_t1", p, "deposit", "2026-07-01", "500", "10")
    # declined: not counted, so neither is its fee
    r.txn("cp_fl_t2", p, "deposit", "2026-07-01T13:00:00", "300", "3", status="declined")
    r.round("cp_fl_r1", p, "2026-07-02", "1000", "400", jackpot="5")
    r.bonus("cp_fl_b1", p, "granted", "2026-07-02", "50")
    r.bonus("cp_fl_b2", p, "converted", "2026-07-03", "50")
    r.txn("cp_fl_t3", p, "withdrawal", "2026-07-20", "100", "2")
    r.round("cp_fl_r2", p, "2026-08-10", "100", "1100")
    r.round("cp_fl_r3", p, "2026-09-10", "400", "0")
    r.round("cp_fl_r4", p, "2026-10-10", "1100", "0")


def _cpa_usd(r: _Rows) -> None:
    # p1 qualifies on 2026-08-07: first deposit exactly 50; stakes 150 + 50 = 200 by 08-05;
    # KYC verified at 23:00 on 08-07.
    r.player("cp_cu_p1", "cp_cpa_usd", "2026-08-03")
    r.txn("cp_cu_p1_t1", "cp_cu_p1", "deposit", "2026-08-03", "50")
    r.round("cp_cu_p1_r1", "cp_cu_p1", "2026-08-04", "150", "100")
    r.round("cp_cu_p1_r2", "cp_cu_p1", "2026-08-05", "50", "0")
    r.event("cp_cu_p1_e1", "cp_cu_p1", "kyc_verified", "2026-08-07T23:00:00")
    # p2 never: its first deposit (20) is below the minimum; the second one does not help.
    r.player("cp_cu_p2", "cp_cpa_usd", "2026-08-04")
    r.txn("cp_cu_p2_t1", "cp_cu_p2", "deposit", "2026-08-04", "20")
    r.txn("cp_cu_p2_t2", "cp_cu_p2", "deposit", "2026-08-05", "200")
    r.round("cp_cu_p2_r1", "cp_cu_p2", "2026-08-05T13:00:00", "500", "0")
    r.event("cp_cu_p2_e1", "cp_cu_p2", "kyc_verified", "2026-08-05T14:00:00")
    # p3 never: KYC on 09-15, after its window (registered 08-10, window to 09-09).
    r.player("cp_cu_p3", "cp_cpa_usd", "2026-08-10")
    r.txn("cp_cu_p3_t1", "cp_cu_p3", "deposit", "2026-08-10", "100")
    r.round("cp_cu_p3_r1", "cp_cu_p3", "2026-08-11", "300", "0")
    r.event("cp_cu_p3_e1", "cp_cu_p3", "kyc_verified", "2026-09-15T09:00:00")
    # p4: verified and then failed on 08-10 (not verified at the end of that day), verified
    # again on 08-20: qualifies on 08-20, a day without a USD rate (08-15's converts it).
    r.player("cp_cu_p4", "cp_cpa_usd", "2026-08-08")
    r.txn("cp_cu_p4_t1", "cp_cu_p4", "deposit", "2026-08-08", "100")
    r.round("cp_cu_p4_r1", "cp_cu_p4", "2026-08-09", "300", "0")
    r.event("cp_cu_p4_e1", "cp_cu_p4", "kyc_verified", "2026-08-10T09:00:00")
    r.event("cp_cu_p4_e2", "cp_cu_p4", "kyc_failed", "2026-08-10T15:00:00")
    r.event("cp_cu_p4_e3", "cp_cu_p4", "kyc_verified", "2026-08-20T10:00:00")


USD_RATES = {
    "2026-06-30": "0.9000",
    "2026-07-31": "0.9000",
    "2026-08-03": "0.9000",
    "2026-08-06": "0.9100",
    "2026-08-07": "0.9200",
    "2026-08-08": "0.9400",
    "2026-08-15": "0.9300",
    "2026-08-22": "0.9600",
    "2026-08-31": "0.9500",
    "2026-09-30": "0.9000",
    "2026-10-31": "0.9000",
}


def _sub_and_parent(r: _Rows) -> None:
    # cp_su_p1: NGR 1,481 (Aug) and 800 (Oct); never deposits, so never a CPA.
    r.player("cp_su_p1", "cp_sub", "2026-08-01")
    r.round("cp_su_p1_r1", "cp_su_p1", "2026-08-10", "1481", "0")
    r.round("cp_su_p1_r2", "cp_su_p1", "2026-10-10", "800", "0")
    # cp_su_p2: qualifies for CPA on 08-02 (deposit 100, stakes 100, NGR 0); its first
    # deposit is charged back on 09-05 (fee 5).
    r.player("cp_su_p2", "cp_sub", "2026-08-02")
    r.txn("cp_su_p2_t1", "cp_su_p2", "deposit", "2026-08-02", "100")
    r.round("cp_su_p2_r1", "cp_su_p2", "2026-08-02T13:00:00", "100", "100")
    r.txn(
        "cp_su_p2_t2",
        "cp_su_p2",
        "chargeback",
        "2026-09-05",
        "100",
        "5",
        original_transaction_id="cp_su_p2_t1",
    )


def _minpay(r: _Rows) -> None:
    r.player("cp_mp_p1", "cp_minpay", "2026-08-01")
    r.round("cp_mp_p1_r1", "cp_mp_p1", "2026-08-10", "400", "0")
    r.bonus("cp_mp_p1_b1", "cp_mp_p1", "granted", "2026-08-10", "80")
    r.bonus("cp_mp_p1_b2", "cp_mp_p1", "converted", "2026-08-11", "80")
    r.round("cp_mp_p1_r2", "cp_mp_p1", "2026-09-10", "300", "0")
    r.round("cp_mp_p1_r3", "cp_mp_p1", "2026-10-10", "100", "0")
    r.player("cp_mp_p2", "cp_minpay", "2026-09-01")
    r.round("cp_mp_p2_r1", "cp_mp_p2", "2026-09-12", "50", "100")


def _claw(r: _Rows) -> None:
    # p1 qualifies 07-06 (deposit 100, stakes 60); starts a self-exclusion on 08-10.
    r.player("cp_cl_p1", "cp_claw", "2026-07-05")
    r.txn("cp_cl_p1_t1", "cp_cl_p1", "deposit", "2026-07-05", "100")
    r.round("cp_cl_p1_r1", "cp_cl_p1", "2026-07-06", "60", "0")
    r.event("cp_cl_p1_e1", "cp_cl_p1", "self_exclusion_started", "2026-08-10T08:00:00")
    # p2 qualifies 07-10 (deposit 200, stakes 100); the deposit is charged back on 08-20.
    r.player("cp_cl_p2", "cp_claw", "2026-07-10")
    r.txn("cp_cl_p2_t1", "cp_cl_p2", "deposit", "2026-07-10", "200")
    r.round("cp_cl_p2_r1", "cp_cl_p2", "2026-07-10T13:00:00", "100", "0")
    r.txn(
        "cp_cl_p2_t2",
        "cp_cl_p2",
        "chargeback",
        "2026-08-20",
        "200",
        "10",
        original_transaction_id="cp_cl_p2_t1",
    )
    # p3 qualifies 07-01 (deposit 50, stakes 50); NGR 200 (Jul), 400 (Aug), 100 (Sep before
    # its flag); fraud-flagged on 09-15, after which its 09-20 round is left out.
    r.player("cp_cl_p3", "cp_claw", "2026-07-01")
    r.txn("cp_cl_p3_t1", "cp_cl_p3", "deposit", "2026-07-01", "50")
    r.round("cp_cl_p3_r1", "cp_cl_p3", "2026-07-01T13:00:00", "50", "0")
    r.round("cp_cl_p3_r2", "cp_cl_p3", "2026-07-15", "150", "0")
    r.round("cp_cl_p3_r3", "cp_cl_p3", "2026-08-10", "500", "100")
    r.round("cp_cl_p3_r4", "cp_cl_p3", "2026-09-05", "100", "0")
    r.event("cp_cl_p3_e1", "cp_cl_p3", "fraud_flagged", "2026-09-15T08:00:00")
    r.round("cp_cl_p3_r5", "cp_cl_p3", "2026-09-20", "1000", "0")
    # p4 never deposits (no CPA): NGR 1,000 in October.
    r.player("cp_cl_p4", "cp_claw", "2026-10-01")
    r.round("cp_cl_p4_r1", "cp_cl_p4", "2026-10-05", "1000", "0")


def programme_tables() -> dict[str, pa.Table]:
    """Every contract entity, with the programme's records (the base scenario)."""
    r = _Rows()
    _affiliates_and_campaigns(r)
    _tiered_and_ladder(r)
    _ndc(r)
    _flat_with_carryover(r)
    _cpa_usd(r)
    _sub_and_parent(r)
    _minpay(r)
    _claw(r)
    r.rows["games.games"] = [
        {
            "game_id": "cp_slot",
            "provider": "cp_provider",
            "name": "Comet Slot",
            "category": "slots",
            "rtp": "0.9600",
            "bonus_contribution": "1.0000",
            "updated_at": "2026-01-01",
        }
    ]
    r.rows["payments.fx_rates"] = [
        {"rate_date": day, "currency": "USD", "rate_to_base": rate}
        for day, rate in USD_RATES.items()
    ]
    return r.tables()


def late_round_tables() -> dict[str, pa.Table]:
    """The close test's late data: cp_mp_p1 stakes 40.125 on 2026-09-25, nothing won; and a
    re-delivered cp_mp_p1 naming a click of cp_tiered made before its registration, which
    by the rule would now attribute it to cp_tiered: its registration month is closed, so
    its payout attribution stays frozen with cp_minpay (rules §4)."""
    r = _Rows()
    r.round("cp_mp_p1_r_late", "cp_mp_p1", "2026-09-25", "40.1250", "0")
    r.player("cp_mp_p1", "cp_minpay", "2026-08-01")
    r.rows["affiliate.clicks"] = [
        {**r.rows["affiliate.clicks"][0], "click_id": "cp_late_click", "affiliate_id": "cp_tiered",
         "campaign_id": "cmp_cp_tiered", "clicked_at": "2026-07-31T12:00:00"}
    ]  # fmt: skip
    player = r.rows["crm.players"][0]
    r.rows["crm.players"] = [
        {**player, "click_id": "cp_late_click", "updated_at": "2026-11-05T08:00:00"}
    ]
    tables = r.tables()
    return {key: tables[key] for key in ("games.rounds", "affiliate.clicks", "crm.players")}


def land(data_dir: Path, tables: dict[str, pa.Table], day: date) -> None:
    """Land each non-empty table as one nightly batch of `day` (23:00 UTC)."""
    ingested_at = datetime.combine(day, time(23, 0), tzinfo=UTC)
    for key, entity in load_contract().items():
        ensure_schema_file(data_dir, entity)
        table = tables.get(key)
        if table is not None and table.num_rows:
            uri = f"handmade://commission_programme/{key}/{day}"
            land_batch(data_dir, entity, day, table, uri, ingested_at)
