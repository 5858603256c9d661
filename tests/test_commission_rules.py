"""Every commission rule (business-rules §5–11) on the hand-made programme, figures by hand.

The records are in commission_programme.py; every figure below is worked out from the
rules, never read back from the code. All players are EUR players in DE (gaming tax 0).
NGR = GGR − converted bonuses − chargebacks − fees of counted transactions − jackpot − tax
(§5); affiliate NGR = Σ players' NGR − admin_fee_rate × Σ players' GGR where that sum is
positive. Booked entries are rounded half-even to cents; bases stay exact (§1). Statements:
total = carried in + the month's entries; negative → negative_balance, zero or below
min_payout → under_limit (both carried), else payable (§11). Payouts are built from June
(the first month with activity) to October; EUR converts at 1.

cp_tiered (25% from 0, 30% from 7,500, 35% from 50,000; tiered, basis NGR; no carryover):
  Jun NGR 1,000 → 25% → 250.00.  Jul NGR 7,500: the 30% tier applies from its threshold
  upward → 2,250.00.  Aug stake 100,000 win 40,000 → NGR 60,000 → 35% × 60,000 = 21,000.00.
  Sep stake 1,000 win 3,000 → NGR −2,000: no revenue share, and without negative_carryover
  nothing is carried (carried_negative_ngr 0), total 0.00 under_limit.
  Oct NGR 10,000 → 30% × 10,000 = 3,000.00 (a carried −2,000 would have given 2,400).
cp_ladder (the same tiers as a ladder):
  Jul 10,000 → 25% × 7,500 + 30% × 2,500 = 1,875 + 750 = 2,625.00, rate 0.262500.
  Aug 60,000 → 25% × 7,500 + 30% × 42,500 + 35% × 10,000 = 1,875 + 12,750 + 3,500
    = 18,125.00; applied rate 18,125 ÷ 60,000 = 0.3020833… → 0.302083.
  Sep 50,000 → 1,875 + 30% × 42,500 = 14,625.00 (the 35% slice is empty), rate 0.292500.
cp_ndc (20% from 0 NDCs, 25% from 11, 30% from 21; tiered, basis NDC):
  Aug: a01..a10 first-deposit on 08-05 (10 NDCs); cp_nd_dup (email "  CP_ND_A01@Example.ORG "
    normalises to a01's: a duplicate, registered later) first-deposits on 08-12 but is no
    NDC (§3, §5). Each of the 11 stakes 100: NGR 1,100 (a duplicate's play still counts).
    10 NDCs → 20% → 220.00.
  Sep: s01..s12 first-deposit (12 NDCs); a01 deposits again (not an NDC again). NGR
    12 × 100 + a01's 100 = 1,300; 12 NDCs → 25% on the whole base → 325.00.
cp_flat (40%, negative carryover, admin fee 0):
  Jul: stake 1,000 win 400 → GGR 600; converted bonus 50 (the grant is no cost); fees:
    deposit 10 + withdrawal 2 = 12 (the declined deposit's fee 3 is not counted); jackpot 5.
    NGR = 600 − 50 − 12 − 5 = 533 → 40% → 213.20, payable.
  Aug: stake 100 win 1,100 → NGR −1,000; base −1,000: nothing earned, −1,000 carried
    (carried_negative_ngr −1,000), total 0.00 under_limit.
  Sep: NGR 400; base 400 − 1,000 = −600: nothing, −600 carried, total 0.00.
  Oct: NGR 1,100; base 1,100 − 600 = 500 → 40% → 200.00, rate 200 ÷ 500 = 0.40, nothing
    carried; payable (nothing carried in: Aug and Sep totals were 0.00).
cp_cpa_usd (CPA 100 USD; first deposit ≥ 50, stakes ≥ 200 within 30 days, KYC required):
  USD rates: 08-03 0.90, 08-06 0.91, 08-07 0.92, 08-08 0.94, 08-15 0.93, 08-22 0.96,
  08-31 0.95 (and 0.90 on the other month ends).
  p1 (registered 08-03): first deposit 50.00 (≥ 50) on 08-03; stakes 150 (08-04) + 50
    (08-05) = 200 by 08-05; kyc_verified 08-07 23:00. First day all hold at its end: 08-07
    → 100 × 0.92 = 92.00.
  p2: first deposit 20 < 50: never qualifies (its second deposit of 200 does not count).
  p3 (registered 08-10, window to 09-09): KYC only on 09-15: never.
  p4 (registered 08-08): verified and then failed on 08-10 (not verified at the end of the
    day), verified again 08-20: qualifies 08-20, which has no rate; 08-15's (5 days older)
    converts it: 100 × 0.93 = 93.00.
  Aug: cpa_count 2, cpa_amount 185.00, payable; in USD 185.00 ÷ 0.95 (08-31)
    = 194.736… → 194.74.
cp_sub (hybrid: 25% and CPA 50 EUR, first deposit ≥ 10, stakes ≥ 10; sub-affiliate rate
  10%; min payout 500; parent cp_parent, which has no deal):
  Aug: p1 stakes 1,481 (no deposit, never a CPA); p2 deposits 100 and stakes 100, wins
    100 (NGR 0) on 08-02: CPA 50.00 on 08-02. NGR 1,481 → 25% → 370.25. Commission
    370.25 + 50.00 = 420.25 < 500: under_limit, carried.
    cp_parent: 10% × 420.25 = 42.025 → half-even 42.02 (half-up would give 42.03).
  Sep: p2's first deposit charged back on 09-05 (100, fee 5): NGR −105, no revenue share;
    clawback −50.00 reversing the CPA (within 90 days). Commission −50.00 ≤ 0: cp_parent
    earns nothing. Total 420.25 − 50.00 = 370.25, under_limit.
  Oct: p1 stakes 800 → 200.00; total 370.25 + 200.00 = 570.25 ≥ 500: payable.
    cp_parent: 10% × 200.00 = 20.00 (the carried balance is not commission of the month).
  cp_parent has no deal, so no minimum payout: 42.02 and 20.00 are payable.
cp_minpay (25%, admin fee 20%, min payout 100; status suspended, which changes nothing):
  Aug: p1 GGR 400, converted bonus 80 → NGR 320; fee 20% × 400 = 80 → affiliate NGR 240
    → 60.00 < 100: under_limit, carried.
  Sep: p1 GGR 300, p2 GGR −50 (stake 50 win 100): Σ NGR 250, Σ GGR 250 → fee 50 →
    200 → 50.00 (a fee player by player, 20% × 300, would give 47.50). carried_in 60.00,
    total 110.00: payable.
  Oct: p1 GGR 100 → 100 − 20 = 80 → 20.00; carried_in 0.00; total 20.00 under_limit.
cp_claw (hybrid: 30% and CPA 75 EUR, first deposit ≥ 20, stakes ≥ 50; clawback 45 days):
  Jul: p1 (deposit 100, stake 60 on 07-06) qualifies 07-06; p2 (deposit 200, stake 100 on
    07-10) 07-10; p3 (deposit 50, stake 50 on 07-01) 07-01: cpa_count 3, 225.00. NGR
    60 + 100 + (50 + 150) = 360 → 30% → 108.00. Total 333.00 payable.
  Aug: p1 starts a self-exclusion on 08-10 (≤ 07-06 + 45 = 08-20): clawback −75.00;
    p2's first deposit is charged back on 08-20 (200, fee 10; ≤ 07-10 + 45 = 08-24):
    clawback −75.00. NGR p2 −210 + p3 (500 − 100) 400 = 190 → 57.00. Total
    57.00 − 150.00 = −93.00: negative_balance, carried.
  Sep: p3 is fraud-flagged on 09-15 (its CPA of 07-01 is past 08-15: not clawed back); its
    09-20 round is left out, its 09-05 one counts: NGR 100 → 30.00. The flag reverses
    revenue share of each earlier month whose last day is within 45 days before 09-15,
    i.e. on 08-01..09-15: August (not July, 07-31 is 46 days before): 0.30 × p3's August
    NGR 400 = −120.00, naming August's revenue-share entry. Total −93.00 + 30.00 − 120.00
    = −183.00: negative_balance.
  Oct: p4 (no deposit, no CPA) stakes 1,000 → 300.00; total −183.00 + 300.00 = 117.00
    payable.
carried_negative_ngr is the negative base a month carries into the next (finance model
docs); it is 0 wherever nothing is carried.

Close and late data (own warehouse): statements built June..September and closed in order.
A round of cp_mp_p1 settled 09-25 (stake 40.125, nothing won) lands on 11-10, after the
close. Recomputed September: Σ NGR = Σ GGR = 290.125, fee 58.025 → 232.10 → 25% →
58.025 → half-even 58.02; booked 50.00 → October adjustment 58.02 − 50.00 = 8.02 (half-up
8.03), naming September's revenue-share entry. October for cp_minpay: carried_in 0.00
(September stays payable as closed), 20.00 + 8.02 = 28.02 under_limit. Every closed row
(statements and entries, booked_at and closed_at included) stays as it was.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from commission_programme import (
    AFFILIATES,
    DEAL_OF,
    LANDED_ON,
    LATE_LANDED_ON,
    land,
    late_round_tables,
    programme_tables,
)

from igw.dbt_runner import build_args, run_dbt
from igw.payout import PayoutError, build_payout, close_payout

D = Decimal
TODAY = date(2026, 11, 21)
JUN, JUL, AUG, SEP, OCT = (date(2026, m, 1) for m in range(6, 11))
MONTHS = [JUN, JUL, AUG, SEP, OCT]

STATEMENT_COLUMNS = [
    "affiliate_ngr",
    "revshare_rate",
    "revshare_amount",
    "cpa_count",
    "cpa_amount",
    "sub_affiliate_amount",
    "clawback_amount",
    "adjustment_amount",
    "carried_in",
    "carried_negative_ngr",
    "total",
    "status",
]


def stmt(
    ngr="0",
    rate=None,
    rev="0",
    cpa_count=0,
    cpa="0",
    sub="0",
    claw="0",
    adj="0",
    carried_in="0",
    carried_neg="0",
    total="0",
    status="under_limit",
) -> dict:
    return {
        "affiliate_ngr": D(ngr),
        "revshare_rate": None if rate is None else D(rate),
        "revshare_amount": D(rev),
        "cpa_count": cpa_count,
        "cpa_amount": D(cpa),
        "sub_affiliate_amount": D(sub),
        "clawback_amount": D(claw),
        "adjustment_amount": D(adj),
        "carried_in": D(carried_in),
        "carried_negative_ngr": D(carried_neg),
        "total": D(total),
        "status": status,
    }


def query(data_dir, sql, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def statements(data_dir, affiliate: str, columns=STATEMENT_COLUMNS) -> dict[date, dict]:
    rows = query(
        data_dir,
        f"select period_month, {', '.join(columns)} from finance.affiliate_statements "
        "where affiliate_id = ? order by period_month",
        [affiliate],
    )
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}


def entries(data_dir, affiliate: str) -> list[tuple]:
    """The affiliate's non-zero entries: (month, type, amount, player, deal, reversed entry
    as (type, month, player, affiliate), child), sorted."""
    ledger = query(
        data_dir,
        "select entry_id, affiliate_id, period_month, entry_type, amount, player_id, deal_id, "
        "reverses_entry_id, child_affiliate_id from finance.commission_ledger",
    )
    by_id = {row[0]: (row[3], row[2], row[5], row[1]) for row in ledger}
    picked = [
        (month, kind, amount, player, deal, by_id.get(reverses, reverses), child)
        for (_, aff, month, kind, amount, player, deal, reverses, child) in ledger
        if aff == affiliate and amount != 0
    ]
    return sorted(picked, key=repr)


def expect(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


def _with_data_dir(data_dir):
    previous = os.environ.get("IGW_DATA_DIR")
    os.environ["IGW_DATA_DIR"] = str(data_dir)
    return previous


def _restore(previous) -> None:
    if previous is None:
        os.environ.pop("IGW_DATA_DIR", None)
    else:
        os.environ["IGW_DATA_DIR"] = previous


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("commission_programme")
    previous = _with_data_dir(data_dir)
    land(data_dir, programme_tables(), LANDED_ON)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    build_payout(OCT, data_dir, today=TODAY)
    yield data_dir
    _restore(previous)


# --- the figures §5 feeds the commission rules with (independent of §6–11) ---


def test_player_revenue_behind_the_flat_deal(programme):
    rows = query(
        programme,
        """
        select sum(ggr), sum(bonus_cost), sum(payment_fees), sum(jackpot), sum(ngr)
        from marts.player_daily_revenue
        where player_id = 'cp_fl_p1' and activity_date between '2026-07-01' and '2026-07-31'
        """,
    )
    assert rows == [(D(600), D(50), D(12), D(5), D(533))]


def test_every_programme_player_is_attributed_by_its_click(programme):
    rows = query(
        programme,
        """
        select player_id, affiliate_id, attribution_method, person_id, is_duplicate_account
        from marts.player_attribution where player_id like 'cp\\_%' escape '\\'
        """,
    )
    assert len(rows) == 38
    assert all(method == "click_id" and aff is not None for _, aff, method, _, _ in rows)
    assert [r for r in rows if r[4]] == [("cp_nd_dup", "cp_ndc", "click_id", "cp_nd_a01", True)]


# --- §7 revenue share: tiers, ladder, NDC basis, carryover ---


def test_tiered_revenue_share(programme):
    assert statements(programme, "cp_tiered") == {
        JUN: stmt("1000", "0.25", "250.00", total="250.00", status="payable"),
        JUL: stmt("7500", "0.30", "2250.00", total="2250.00", status="payable"),
        AUG: stmt("60000", "0.35", "21000.00", total="21000.00", status="payable"),
        SEP: stmt("-2000"),
        OCT: stmt("10000", "0.30", "3000.00", total="3000.00", status="payable"),
    }
    deal = DEAL_OF["cp_tiered"]
    assert entries(programme, "cp_tiered") == expect(
        [
            (JUN, "revshare", D("250.00"), None, deal, None, None),
            (JUL, "revshare", D("2250.00"), None, deal, None, None),
            (AUG, "revshare", D("21000.00"), None, deal, None, None),
            (OCT, "revshare", D("3000.00"), None, deal, None, None),
        ]
    )


def test_ladder_revenue_share(programme):
    got = statements(programme, "cp_ladder")
    assert {m: got.get(m) for m in (JUL, AUG, SEP)} == {
        JUL: stmt("10000", "0.262500", "2625.00", total="2625.00", status="payable"),
        AUG: stmt("60000", "0.302083", "18125.00", total="18125.00", status="payable"),
        SEP: stmt("50000", "0.292500", "14625.00", total="14625.00", status="payable"),
    }
    deal = DEAL_OF["cp_ladder"]
    assert entries(programme, "cp_ladder") == expect(
        [
            (JUL, "revshare", D("2625.00"), None, deal, None, None),
            (AUG, "revshare", D("18125.00"), None, deal, None, None),
            (SEP, "revshare", D("14625.00"), None, deal, None, None),
        ]
    )


def test_tier_by_ndc_count(programme):
    got = statements(programme, "cp_ndc")
    assert {m: got.get(m) for m in (AUG, SEP)} == {
        AUG: stmt("1100", "0.20", "220.00", total="220.00", status="payable"),
        SEP: stmt("1300", "0.25", "325.00", total="325.00", status="payable"),
    }
    deal = DEAL_OF["cp_ndc"]
    assert entries(programme, "cp_ndc") == expect(
        [
            (AUG, "revshare", D("220.00"), None, deal, None, None),
            (SEP, "revshare", D("325.00"), None, deal, None, None),
        ]
    )


def test_negative_carryover(programme):
    got = statements(programme, "cp_flat")
    assert {m: got.get(m) for m in (JUL, AUG, SEP, OCT)} == {
        JUL: stmt("533", "0.40", "213.20", total="213.20", status="payable"),
        AUG: stmt("-1000", carried_neg="-1000"),
        SEP: stmt("400", carried_neg="-600"),
        OCT: stmt("1100", "0.40", "200.00", total="200.00", status="payable"),
    }
    deal = DEAL_OF["cp_flat"]
    assert entries(programme, "cp_flat") == expect(
        [
            (JUL, "revshare", D("213.20"), None, deal, None, None),
            (OCT, "revshare", D("200.00"), None, deal, None, None),
        ]
    )


# --- §8 CPA ---


def test_cpa_converts_at_the_qualifying_days_rate(programme):
    deal = DEAL_OF["cp_cpa_usd"]
    assert entries(programme, "cp_cpa_usd") == expect(
        [
            (AUG, "cpa", D("92.00"), "cp_cu_p1", deal, None, None),
            (AUG, "cpa", D("93.00"), "cp_cu_p4", deal, None, None),
        ]
    )
    columns = [c for c in STATEMENT_COLUMNS if c != "affiliate_ngr"]
    columns += ["payout_currency", "total_in_payout_currency"]
    aug = statements(programme, "cp_cpa_usd", columns)[AUG]
    expected = stmt(cpa_count=2, cpa="185.00", total="185.00", status="payable")
    del expected["affiliate_ngr"]
    assert aug == {**expected, "payout_currency": "USD", "total_in_payout_currency": D("194.74")}


# --- §10 sub-affiliates ---


def test_sub_affiliate_child(programme):
    got = statements(programme, "cp_sub")
    assert {m: got.get(m) for m in (AUG, SEP, OCT)} == {
        AUG: stmt("1481", "0.25", "370.25", 1, "50.00", total="420.25"),
        SEP: stmt("-105", claw="-50.00", carried_in="420.25", total="370.25"),
        OCT: stmt("800", "0.25", "200.00", carried_in="370.25", total="570.25", status="payable"),
    }
    deal = DEAL_OF["cp_sub"]
    assert entries(programme, "cp_sub") == expect(
        [
            (AUG, "revshare", D("370.25"), None, deal, None, None),
            (AUG, "cpa", D("50.00"), "cp_su_p2", deal, None, None),
            (SEP, "clawback", D("-50.00"), "cp_su_p2", deal, ("cpa", AUG, "cp_su_p2", "cp_sub"),
             None),
            (OCT, "revshare", D("200.00"), None, deal, None, None),
        ]
    )  # fmt: skip


def test_sub_affiliate_parent(programme):
    deal = DEAL_OF["cp_sub"]
    assert entries(programme, "cp_parent") == expect(
        [
            (AUG, "sub_affiliate", D("42.02"), None, deal, None, "cp_sub"),
            (OCT, "sub_affiliate", D("20.00"), None, deal, None, "cp_sub"),
        ]
    )
    got = statements(programme, "cp_parent")
    assert {m: got.get(m) for m in (AUG, OCT)} == {
        AUG: stmt(sub="42.02", total="42.02", status="payable"),
        OCT: stmt(sub="20.00", total="20.00", status="payable"),
    }
    # September (the child's commission is −50.00): nothing earned, nothing carried
    assert got.get(SEP) in (None, stmt())


# --- §11 minimum payout and carried balances ---


def test_minimum_payout_carries_the_balance(programme):
    got = statements(programme, "cp_minpay")
    assert {m: got.get(m) for m in (AUG, SEP, OCT)} == {
        AUG: stmt("240", "0.25", "60.00", total="60.00"),
        SEP: stmt("200", "0.25", "50.00", carried_in="60.00", total="110.00", status="payable"),
        OCT: stmt("80", "0.25", "20.00", total="20.00"),
    }
    deal = DEAL_OF["cp_minpay"]
    assert entries(programme, "cp_minpay") == expect(
        [
            (AUG, "revshare", D("60.00"), None, deal, None, None),
            (SEP, "revshare", D("50.00"), None, deal, None, None),
            (OCT, "revshare", D("20.00"), None, deal, None, None),
        ]
    )


def test_statements_show_status_and_minimum_payout(programme):
    rows = query(
        programme,
        "select distinct affiliate_id, affiliate_status, min_payout "
        "from finance.affiliate_statements "
        "where affiliate_id in ('cp_minpay', 'cp_sub', 'cp_tiered') order by 1",
    )
    assert rows == [
        ("cp_minpay", "suspended", D(100)),
        ("cp_sub", "active", D(500)),
        ("cp_tiered", "active", D(50)),
    ]


# --- §9 clawbacks ---


def test_clawbacks(programme):
    got = statements(programme, "cp_claw")
    assert {m: got.get(m) for m in (JUL, AUG, SEP, OCT)} == {
        JUL: stmt("360", "0.30", "108.00", 3, "225.00", total="333.00", status="payable"),
        AUG: stmt("190", "0.30", "57.00", claw="-150.00", total="-93.00",
                  status="negative_balance"),
        SEP: stmt("100", "0.30", "30.00", claw="-120.00", carried_in="-93.00",
                  total="-183.00", status="negative_balance"),
        OCT: stmt("1000", "0.30", "300.00", carried_in="-183.00", total="117.00",
                  status="payable"),
    }  # fmt: skip
    deal = DEAL_OF["cp_claw"]
    assert entries(programme, "cp_claw") == expect(
        [
            (JUL, "revshare", D("108.00"), None, deal, None, None),
            (JUL, "cpa", D("75.00"), "cp_cl_p1", deal, None, None),
            (JUL, "cpa", D("75.00"), "cp_cl_p2", deal, None, None),
            (JUL, "cpa", D("75.00"), "cp_cl_p3", deal, None, None),
            (AUG, "revshare", D("57.00"), None, deal, None, None),
            (AUG, "clawback", D("-75.00"), "cp_cl_p1", deal, ("cpa", JUL, "cp_cl_p1", "cp_claw"),
             None),
            (AUG, "clawback", D("-75.00"), "cp_cl_p2", deal, ("cpa", JUL, "cp_cl_p2", "cp_claw"),
             None),
            (SEP, "revshare", D("30.00"), None, deal, None, None),
            (SEP, "clawback", D("-120.00"), "cp_cl_p3", deal,
             ("revshare", AUG, None, "cp_claw"), None),
            (OCT, "revshare", D("300.00"), None, deal, None, None),
        ]
    )  # fmt: skip


# --- the programme as a whole ---


def test_every_deal_affiliate_has_a_statement_each_month(programme):
    quiet = {
        "cp_tiered": [],
        "cp_ladder": [JUN, OCT],
        "cp_ndc": [JUN, JUL, OCT],
        "cp_flat": [JUN],
        "cp_cpa_usd": [JUN, JUL, SEP, OCT],
        "cp_sub": [JUN, JUL],
        "cp_minpay": [JUN, JUL],
        "cp_claw": [JUN],
    }
    assert set(quiet) == set(AFFILIATES) - {"cp_parent"}
    for affiliate, months in quiet.items():
        got = statements(programme, affiliate)
        assert sorted(got) == MONTHS, affiliate
        assert {m: got[m] for m in months} == {m: stmt() for m in months}, affiliate


def test_totals_in_euro_payout_currency(programme):
    rows = query(
        programme,
        "select affiliate_id, period_month, total, total_in_payout_currency, payout_currency "
        "from finance.affiliate_statements where affiliate_id != 'cp_cpa_usd'",
    )
    assert rows and all(r[2] == r[3] and r[4] == "EUR" for r in rows)


def test_entry_ids_are_unique_and_reversals_name_existing_entries(programme):
    ledger = query(programme, "select entry_id, reverses_entry_id from finance.commission_ledger")
    ids = [entry_id for entry_id, _ in ledger]
    assert None not in ids and len(ids) == len(set(ids))
    assert {rev for _, rev in ledger if rev is not None} <= set(ids)


LEDGER_COLUMNS = (
    "entry_id, affiliate_id, period_month, entry_type, amount, player_id, deal_id, "
    "reverses_entry_id, reason, child_affiliate_id, source_month, source_date"
)


def test_rebuilding_gives_the_same_entries_and_statements(programme):
    """Rebuilding (all open months up to October, then up to September) changes nothing:
    the same entry ids, the same rows, no duplicate (booked_at aside: open months are
    provisional, each build books them again)."""
    ledger_sql = (
        f"select {LEDGER_COLUMNS} from finance.commission_ledger "
        "where period_month <= ? order by entry_id"
    )
    statements_sql = (
        "select * from finance.affiliate_statements "
        "where period_month <= ? order by affiliate_id, period_month"
    )
    ledger, stmts = query(programme, ledger_sql, [OCT]), query(programme, statements_sql, [OCT])
    assert ledger and stmts
    build_payout(OCT, programme, today=TODAY)
    assert query(programme, ledger_sql, [OCT]) == ledger
    assert query(programme, statements_sql, [OCT]) == stmts
    build_payout(SEP, programme, today=TODAY)
    assert query(programme, ledger_sql, [SEP]) == [r for r in ledger if r[2] <= SEP]
    assert query(programme, statements_sql, [SEP]) == [r for r in stmts if r[1] <= SEP]
    ids = [row[0] for row in ledger]
    assert len(ids) == len(set(ids))


# --- closing a month, and late data after the close (§9, §11) ---


def _outcome(call):
    try:
        call()
    except PayoutError as error:
        return error
    return None


def _frozen(data_dir, months_up_to: date) -> dict[str, list[tuple]]:
    """Every row of the months up to `months_up_to`, as reprs (scale and type included)."""
    tables = {
        "statements": "select * from finance.affiliate_statements where period_month <= ? "
        "order by affiliate_id, period_month",
        "ledger": "select * from finance.commission_ledger where period_month <= ? "
        "order by entry_id",
    }
    return {
        name: [tuple(repr(v) for v in row) for row in query(data_dir, sql, [months_up_to])]
        for name, sql in tables.items()
    }


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("commission_close")
    previous = _with_data_dir(data_dir)
    land(data_dir, programme_tables(), LANDED_ON)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    build_payout(SEP, data_dir, today=TODAY)
    outcomes = {"close_july_before_june": _outcome(lambda: close_payout(JUL, data_dir))}
    for month in (JUN, JUL, AUG, SEP):
        close_payout(month, data_dir)
    outcomes["close_october_unbuilt"] = _outcome(lambda: close_payout(OCT, data_dir))
    outcomes["close_september_twice"] = _outcome(lambda: close_payout(SEP, data_dir))
    before = _frozen(data_dir, SEP)
    sep_revshare = query(
        data_dir,
        "select entry_id from finance.commission_ledger "
        "where affiliate_id = 'cp_minpay' and period_month = ? and entry_type = 'revshare'",
        [SEP],
    )
    land(data_dir, late_round_tables(), LATE_LANDED_ON)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    build_payout(OCT, data_dir, today=TODAY)
    outcomes["build_september_closed"] = _outcome(lambda: build_payout(SEP, data_dir, today=TODAY))
    yield {
        "data_dir": data_dir,
        "before": before,
        "after": _frozen(data_dir, SEP),
        "sep_revshare": sep_revshare,
        "outcomes": outcomes,
    }
    _restore(previous)


def test_the_late_round_reached_the_warehouse(closed):
    rows = query(
        closed["data_dir"],
        "select ggr from marts.player_daily_revenue "
        "where player_id = 'cp_mp_p1' and activity_date = '2026-09-25'",
    )
    assert rows == [(D("40.125"),)]


def test_a_closed_months_players_keep_their_payout_attribution(closed):
    # The late player version names cp_tiered's click: the rule now says cp_tiered, but
    # cp_mp_p1 registered in August, which is closed, so its payout attribution is frozen.
    data_dir = closed["data_dir"]
    assert query(
        data_dir,
        "select affiliate_id, click_id from intermediate.int_attribution__last_click "
        "where player_id = 'cp_mp_p1'",
    ) == [("cp_tiered", "cp_late_click")]
    assert query(
        data_dir,
        "select affiliate_id, click_id, is_frozen, frozen_by_month "
        "from intermediate.int_attribution__payout where player_id = 'cp_mp_p1'",
    ) == [("cp_minpay", "cp_mp_p1_click", True, AUG)]
    assert query(
        data_dir, "select affiliate_id from marts.player_attribution where player_id = 'cp_mp_p1'"
    ) == [("cp_minpay",)]


def test_closed_months_never_change(closed):
    before, after = closed["before"], closed["after"]
    assert before["statements"] and before["ledger"]
    assert after == before
    closed_at = query(
        closed["data_dir"],
        "select period_month, count(*), count(closed_at) from finance.affiliate_statements "
        "group by 1 order by 1",
    )
    # every statement of June..September is closed, none of October
    assert [(m, c == (n if m < OCT else 0)) for m, n, c in closed_at] == [(m, True) for m in MONTHS]


def test_late_revshare_becomes_an_adjustment_in_the_first_open_month(closed):
    data_dir = closed["data_dir"]
    [(sep_entry,)] = closed["sep_revshare"]
    rows = query(
        data_dir,
        "select affiliate_id, period_month, amount, player_id, deal_id, reverses_entry_id "
        "from finance.commission_ledger where entry_type = 'adjustment'",
    )
    assert rows == [("cp_minpay", OCT, D("8.02"), None, DEAL_OF["cp_minpay"], sep_entry)]
    assert statements(data_dir, "cp_minpay")[OCT] == stmt(
        "80", "0.25", "20.00", adj="8.02", total="28.02"
    )
    # the recomputed September is not booked in September
    assert statements(data_dir, "cp_minpay")[SEP] == stmt(
        "200", "0.25", "50.00", carried_in="60.00", total="110.00", status="payable"
    )


def test_payout_refusals_around_a_close(closed):
    outcomes = closed["outcomes"]
    for name in (
        "close_july_before_june",
        "close_october_unbuilt",
        "close_september_twice",
        "build_september_closed",
    ):
        assert isinstance(outcomes[name], PayoutError), name
