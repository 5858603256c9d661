"""marts.affiliate_kpis_monthly and marts.attribution_credit end to end, figures by hand.

The records are in affiliate_kpis_operator.py (its docstring has the table of players);
they are landed, built by the daily build (`--exclude tag:monthly`, on a fresh warehouse:
no finance tables yet), then `igw payout build --month 2026-08` books June to August and
refreshes the KPI mart. Every figure below is worked out from the rules, never read back.
All players are kp_alpha's (payout attribution: each registered with its own kp_alpha
click); EUR, tax 0, no fees except kp_a3's deposit fee 3. Player NGR = stakes − wins −
chargebacks − fees (rules §5).

June: clicks = 4 players' clicks (a1, a2, a3, a4) + 4 stray = 8; registrations a1..a4 = 4
  → 4 ÷ 8 = 0.5. NDCs (first deposit in June): a1, a2, a3 = 3 → 3 ÷ 4 = 0.75.
  Deposits a1 100 + 50, a2 200, a3 30 = 380 over 4 deposits by 3 depositors → per deposit
  380 ÷ 4 = 95, per depositor 380 ÷ 3 = 126.6666666667. Player NGR a1 100 − 40 = 60, a2
  200 − 250 = −50, a3 −3 (its fee; no round: not active) = 7; active a1, a2 → ARPU 7 ÷ 2
  = 3.5 (not 7 ÷ 3). Nobody active in May → retention and churn null.
July: clicks a5's + 1 stray = 2, registrations a5 = 1 → 0.5; NDCs a4 (registered in June)
  and a5 = 2 → 2 ÷ 1 = 2 (period-based, above 1). Chargeback of a1's 06-15 deposit: 50
  over July's deposits a4 40 + a5 60 = 100 → 0.5. a5 is fraud-flagged (07-25): 1 of the 2
  July NDCs → 0.5. Active a1, a4, a5; of June's a1, a2 only a1 → retention 1 ÷ 2 = 0.5,
  churn 0.5.
August: clicks a6's, a7's + 1 stray = 3, registrations a6, a7 = 2 → 0.6666666667; NDCs a6,
  a7 = 2 → 1. Player NGR a1 30 + a4 10 + a5 100 + a6 70 + a7 5 = 215 over 5 active → ARPU
  43; affiliate NGR leaves out a5's fraud-flagged day: 115. Of July's a1, a4, a5 all three
  active → retention 1, churn 0.
September: active a1, a3, a6, a8; of August's five a1 and a6 → 2 ÷ 5 = 0.4, churn 0.6.
  as_of_date = 09-20 (a1's last round).
90-day LTV (player NGR of days 0..89 after the first deposit): a1 (06-01..08-29) 60 + 80
  (07-10) − 50 (chargeback) + 30 (08-05) = 120; a2 (06-02..08-30) −50; a3 (06-10..09-07)
  −3 + 20 (09-01) = 17; a4 (07-02..09-28) ends after as_of_date. By August's end: a1, a2 →
  (120 − 50) ÷ 2 = 35. By September's: a1, a2, a3 → 87 ÷ 3 = 29 (a4's window would end
  within September, but after as_of_date: left out). July: nobody → null.
Commissions (CPA 50; first deposit ≥ 20, stakes ≥ 10 within 30 days): June a1 (06-01), a2
  (06-05) → 100.00; a3 never stakes in its window. July a4 (07-03), a5 (07-06), and a5's
  fraud flag (07-25) claws its CPA back: 50 + 50 − 50 = 50.00. August a6 (08-16) → 50.00; a7's
  first deposit 10 < 20. Per NDC: June 100 ÷ 3 = 33.3333333333, July 50 ÷ 2 = 25, August 50
  ÷ 2 = 25; CPA-vs-LTV in August 25 ÷ 35 = 0.7142857143 (June, July: no LTV → null).
  September is not built: commission null although it has an NDC (a8).
Attribution credit: a6's person clicked kp_beta 21 days (504 h), kp_gamma 14 days (336 h)
  and kp_alpha 7 days (168 h) before registering on 08-15 12:00. First click kp_beta, last
  click kp_alpha; linear 0.3333333333, 0.3333333333, 1 − 0.6666666666 = 0.3333333334; time
  decay weights 2^(−504/168) = 1/8, 1/4, 1/2, sum 7/8 → 1/7 = 0.1428571429, 2/7 =
  0.2857142857, the last 1 − 0.4285714286 = 0.5714285714; position-based 0.4, 0.2, 0.4.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest
from affiliate_kpis_operator import LANDED_ON, kpi_tables
from commission_programme import land
from ltv_operator import data_dir_env

from igw.dbt_runner import build_args, run_dbt
from igw.payout import build_payout

D = Decimal
TODAY = date(2026, 11, 21)
JUN, JUL, AUG, SEP = (date(2026, m, 1) for m in range(6, 10))
MODELS = ["first_click", "last_click", "linear", "time_decay", "position_based", "payout"]
# The daily models the KPI and attribution marts and the books are built from, and the two
# marts: the daily build on a fresh warehouse (no finance table yet), models and seeds only
# (the payout build runs the KPI mart's data and unit tests).
DAILY_SELECT = "+tag:monthly +affiliate_kpis_monthly +attribution_credit"
COMMISSION_SQL = (
    "select affiliate_id, period_month, commission_cost, commission_per_ndc, cpa_vs_ltv_ratio "
    "from marts.affiliate_kpis_monthly order by 1, 2"
)


def query(data_dir, sql, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("kpis")
    with data_dir_env(data_dir):
        land(data_dir, kpi_tables(), LANDED_ON)
        args = build_args(select=DAILY_SELECT, exclude="tag:monthly")
        run_dbt([*args, "--resource-type", "model", "--resource-type", "seed"], data_dir)
        before_payouts = query(data_dir, COMMISSION_SQL)
        build_payout(AUG, data_dir, today=TODAY, export=False)
        yield {"data_dir": data_dir, "before_payouts": before_payouts}


def kpis(warehouse, affiliate: str, columns: str) -> dict[date, tuple]:
    rows = query(
        warehouse["data_dir"],
        f"select period_month, {columns} from marts.affiliate_kpis_monthly "
        "where affiliate_id = ? order by period_month",
        [affiliate],
    )
    return {row[0]: row[1:] for row in rows}


def test_one_row_per_month_from_the_first_figure_to_as_of_date(warehouse):
    # kp_alpha from its first clicks (June); kp_beta from a6's device click (07-25);
    # kp_gamma from 08-01; all through September, the month of as_of_date 09-20.
    rows = query(
        warehouse["data_dir"],
        "select affiliate_id, period_month, clicks from marts.affiliate_kpis_monthly order by 1, 2",
    )
    assert rows == [
        ("kp_alpha", JUN, 8), ("kp_alpha", JUL, 2), ("kp_alpha", AUG, 3), ("kp_alpha", SEP, 1),
        ("kp_beta", JUL, 1), ("kp_beta", AUG, 0), ("kp_beta", SEP, 0),
        ("kp_gamma", AUG, 1), ("kp_gamma", SEP, 0),
    ]  # fmt: skip


def test_funnel_and_its_rates(warehouse):
    got = kpis(
        warehouse,
        "kp_alpha",
        "clicks, registrations, click_to_registration_rate, ndcs, registration_to_deposit_rate",
    )
    assert got[JUN] == (8, 4, D("0.5"), 3, D("0.75"))
    assert got[JUL] == (2, 1, D("0.5"), 2, D("2"))
    assert got[AUG] == (3, 2, D("0.6666666667"), 2, D("1"))
    # kp_beta's July: a click, no registration → rate 0; no registration → no reg rate
    assert kpis(warehouse, "kp_beta", "clicks, registrations, click_to_registration_rate, "
                "registration_to_deposit_rate")[JUL] == (1, 0, D(0), None)  # fmt: skip


def test_deposit_averages_per_deposit_and_per_depositor(warehouse):
    got = kpis(
        warehouse,
        "kp_alpha",
        "deposits, deposit_count, depositors, avg_deposit_per_deposit, avg_deposit_per_depositor",
    )
    assert got[JUN] == (D(380), 4, 3, D(95), D("126.6666666667"))
    assert got[JUL] == (D(100), 2, 2, D(50), D(50))


def test_arpu_is_player_ngr_per_active_player(warehouse):
    got = kpis(warehouse, "kp_alpha", "player_ngr, affiliate_ngr, active_players, arpu")
    assert got[JUN] == (D(7), D(7), 2, D("3.5"))
    assert got[AUG] == (D(215), D(115), 5, D(43))
    # nobody of kp_beta's played: no ARPU
    assert kpis(warehouse, "kp_beta", "active_players, arpu")[AUG] == (0, None)


def test_chargeback_and_fraud_flag_rates(warehouse):
    got = kpis(
        warehouse,
        "kp_alpha",
        "chargebacks, chargeback_rate, fraud_flagged_ndcs, fraud_flag_rate",
    )
    assert got[JUN] == (D(0), D(0), 0, D(0))
    assert got[JUL] == (D(50), D("0.5"), 1, D("0.5"))


def test_ltv_90d_counts_the_windows_ended_by_the_month_and_as_of_date(warehouse):
    got = kpis(warehouse, "kp_alpha", "ltv_90d_players, ltv_90d")
    assert got == {JUN: (0, None), JUL: (0, None), AUG: (2, D(35)), SEP: (3, D(29))}


def test_commission_cost_of_built_months_and_null_for_the_others(warehouse):
    rows = query(warehouse["data_dir"], COMMISSION_SQL)
    alpha = {month: row for (aff, month, *row) in rows if aff == "kp_alpha"}
    assert alpha == {
        JUN: [D(100), D("33.3333333333"), None],
        JUL: [D(50), D(25), None],
        AUG: [D(50), D(25), D("0.7142857143")],
        SEP: [None, None, None],  # its statements are not built
    }
    # kp_beta and kp_gamma have no deal, so no statement: null, not 0
    assert {tuple(row[2:]) for row in rows if row[0] != "kp_alpha"} == {(None, None, None)}


def test_commission_is_null_everywhere_before_the_first_payout_build(warehouse):
    # the daily build ran on a fresh warehouse with no finance tables
    before = warehouse["before_payouts"]
    assert len(before) == 9
    assert {tuple(row[2:]) for row in before} == {(None, None, None)}


def test_retention_and_churn_month_over_month(warehouse):
    got = kpis(
        warehouse,
        "kp_alpha",
        "previously_active_players, retained_players, retention_rate, churn_rate",
    )
    assert got == {
        JUN: (0, 0, None, None),
        JUL: (2, 1, D("0.5"), D("0.5")),
        AUG: (3, 3, D(1), D(0)),
        SEP: (5, 2, D("0.4"), D("0.6")),
    }


def test_the_credits_of_a_multi_click_person(warehouse):
    rows = query(
        warehouse["data_dir"],
        """
        select affiliate_id, first_click_credit, last_click_credit, linear_credit,
               time_decay_credit, position_based_credit
        from intermediate.int_attribution__analysis_credit
        where player_id = 'kp_a6' order by click_order
        """,
    )
    assert rows == [
        ("kp_beta", D(1), D(0), D("0.3333333333"), D("0.1428571429"), D("0.4")),
        ("kp_gamma", D(0), D(0), D("0.3333333333"), D("0.2857142857"), D("0.2")),
        ("kp_alpha", D(0), D(1), D("0.3333333334"), D("0.5714285714"), D("0.4")),
    ]


def credits(warehouse, affiliate: str, month: date) -> dict[str, tuple]:
    rows = query(
        warehouse["data_dir"],
        "select attribution_model, credited_registrations, credited_ndcs, credited_player_ngr "
        "from marts.attribution_credit where affiliate_id = ? and period_month = ?",
        [affiliate, month],
    )
    return {row[0]: row[1:] for row in rows}


def test_attribution_credit_of_the_clicked_affiliates(warehouse):
    # kp_beta's and kp_gamma's only credit is a6's, who registered and first deposited in
    # August (NGR 70) and played for 10 in September: credited NGR = credit × NGR.
    def same(credit: str, ngr: str) -> tuple:
        return (D(credit), D(credit), D(ngr))

    assert credits(warehouse, "kp_beta", AUG) == {
        "first_click": same("1", "70"),
        "last_click": same("0", "0"),
        "linear": same("0.3333333333", "23.333333331"),  # 70 × 0.3333333333
        "time_decay": same("0.1428571429", "10.000000003"),  # 70 × 0.1428571429
        "position_based": same("0.4", "28"),
        "payout": same("0", "0"),
    }
    assert credits(warehouse, "kp_gamma", SEP) == {
        "first_click": (D(0), D(0), D(0)),
        "last_click": (D(0), D(0), D(0)),
        "linear": (D(0), D(0), D("3.333333333")),  # 10 × 0.3333333333
        "time_decay": (D(0), D(0), D("2.857142857")),  # 10 × 0.2857142857
        "position_based": (D(0), D(0), D(2)),  # 10 × 0.2
        "payout": (D(0), D(0), D(0)),
    }
    # kp_alpha in August: a7 (credit 1; NGR 5), a1 30, a4 10, a5 100 (registered earlier;
    # credit 1) and a6 with its credit c (NGR 70): registrations and NDCs 1 + c, NGR
    # 145 + 70c.
    assert credits(warehouse, "kp_alpha", AUG) == {
        "first_click": (D(1), D(1), D(145)),
        "last_click": (D(2), D(2), D(215)),
        "linear": (D("1.3333333334"), D("1.3333333334"), D("168.333333338")),
        "time_decay": (D("1.5714285714"), D("1.5714285714"), D("184.999999998")),
        "position_based": (D("1.4"), D("1.4"), D(173)),
        "payout": (D(2), D(2), D(215)),
    }
    keys = query(
        warehouse["data_dir"],
        "select affiliate_id, period_month, count(*), "
        "list(attribution_model order by attribution_model) "
        "from marts.attribution_credit group by 1, 2 order by 1, 2",
    )
    every = sorted(MODELS)
    assert keys == [
        ("kp_alpha", JUN, 6, every), ("kp_alpha", JUL, 6, every), ("kp_alpha", AUG, 6, every),
        ("kp_alpha", SEP, 6, every), ("kp_beta", AUG, 6, every), ("kp_beta", SEP, 6, every),
        ("kp_gamma", AUG, 6, every), ("kp_gamma", SEP, 6, every),
    ]  # fmt: skip


def test_payout_credit_matches_the_kpis(warehouse):
    # Under payout attribution every attributed player credits its affiliate 1: the same
    # registrations, NDCs and player NGR as affiliate_kpis_monthly.
    mismatched = query(
        warehouse["data_dir"],
        """
        select k.affiliate_id, k.period_month
        from marts.affiliate_kpis_monthly k
        left join marts.attribution_credit c
          on c.affiliate_id = k.affiliate_id and c.period_month = k.period_month
          and c.attribution_model = 'payout'
        where coalesce(c.credited_registrations, 0) != k.registrations
           or coalesce(c.credited_ndcs, 0) != k.ndcs
           or coalesce(c.credited_player_ngr, 0) != k.player_ngr
        """,
    )
    assert mismatched == []


def test_the_nightly_build_after_a_payout_keeps_the_commission(warehouse):
    # The daily build reads the books once they exist: rebuilding the mart alone, as the
    # nightly does, gives the same figures the payout build left.
    data_dir = warehouse["data_dir"]
    before = query(data_dir, "select * from marts.affiliate_kpis_monthly order by 1, 2")
    run_dbt(build_args(select="affiliate_kpis_monthly", command="run"), data_dir)
    assert query(data_dir, "select * from marts.affiliate_kpis_monthly order by 1, 2") == before
    assert query(data_dir, COMMISSION_SQL)[2][2] == D(50)  # kp_alpha, August
