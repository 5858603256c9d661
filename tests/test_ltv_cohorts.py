"""LTV cohorts (marts.player_ltv, marts.ltv_cohorts) from landed records, through dbt.

1. The hand-made operator of tests/ltv_operator.py, landed and built. Every amount is EUR
   (rate 1), taxes 0, deposits without fee: a day's NGR = stakes − wins − chargebacks.
   as_of_date = 06-15 (L1's last round, the last activity of all). Day k = activity day −
   first deposit day. By hand:
     L1 (03-02): day 0 rounds 60/40 and 40/0 → NGR 60, 2 counted rounds (a third one,
        stake 500, was re-sent cancelled: not counted); day 29 (03-31) 30; day 30 (04-01)
        20; day 89 (05-30) 11; day 90 (05-31) 40; day 105 (06-15) 5.
        ngr_30d = 60 + 30 = 90; ngr_90d = 90 + 20 + 11 = 121 (day 90 left out); ngr_365d
        null (its window ends 2027-02-25); ngr_to_date = 121 + 40 + 5 = 166. A round on
        day 30 and on day 90: retained after 30 and 90 days.
     L2 (03-10): day 0 stake 50 win 140 → −90; day 29 (04-08) 10; day 40 (04-19) a
        chargeback of 10 and no round → −10, round_count 0. ngr_30d = −90 + 10 = −80;
        ngr_90d = −80 − 10 = −90 (day 89 = 06-07 <= 06-15); to date −90. Its last round is
        on day 29: not retained after 30 days (nor 90: day 90 = 06-08 has passed).
     L3 (03-25): day 0 40/10 → 30; day 30 (04-24) 10. ngr_30d = 30 (day 29 = 04-23);
        ngr_90d null (day 89 = 06-22 > 06-15); to date 40. Retained after 30 days; day 90
        (06-23) has not come: null.
     L4 (03-06): L1's email, a duplicate account (not an NDC): day 0 stake 1000 → 1000;
        listed in player_ltv (is_ndc false), in no cohort.
     L5 (05-05): day 0 25/5 → 20; day 29 (06-03) 3. ngr_30d 23; ngr_90d null; day 30
        (06-04) passed without a round: not retained after 30 days; after 90: null.
     L6 (06-10): day 0 10. Its 30-day window ends 07-09: ngr_30d null, retention null.
     M1 (aff_ltv2, 03-15): day 0 20. ngr_30d = ngr_90d = 20 (day 89 = 06-12); no later
        round: not retained (day 90 = 06-13 passed). Campaign cmp_ltv2's current version
        is seo (its first one said email).
     O1 (organic, 03-03): day 0 10/70 → −60. ngr_30d = ngr_90d = −60 (day 89 = 05-31);
        not retained (day 90 = 06-01 passed).
   Cohorts (NDCs only; a mean is over the players whose window has elapsed):
     aff_ltv March = L1, L2, L3: players 3, players_30d 3, players_90d 2 (L3's 90 days
       have not elapsed: left out, not counted as 0); ltv_30d = (90 − 80 + 30) / 3 =
       13.3333333333 (L2's negative NGR lowers it: without L2, (90 + 30) / 2 = 60);
       ltv_90d = (121 − 90) / 2 = 15.5 (without L2: 121); retention_30d = 2 / 3 =
       0.6666666667 (L1, L3); retention_90d = 1 / 2 = 0.5 (L1 of L1 and L2; L3 not yet).
     aff_ltv May = L5: ltv_30d 23, players_90d 0 and ltv_90d null (a cohort whose 90-day
       window has not elapsed), retention_30d 0, retention_90d null.
     aff_ltv June = L6: players 1, players_30d 0, everything null.
     aff_ltv2 March = M1: ltv_30d = ltv_90d = 20, retention 0 and 0.
     campaign cmp_ltv_a March = L1, L2: ltv_30d = (90 − 80) / 2 = 5, ltv_90d = 31 / 2 =
       15.5, retention 1 / 2 and 1 / 2; cmp_ltv_b March = L3: 30, null, 1, null.
     traffic_source seo March = L1, L2, M1: ltv_30d = (90 − 80 + 20) / 3 = 10, ltv_90d =
       (121 − 90 + 20) / 3 = 17, retention 1 / 3 = 0.3333333333 both; email March = L3;
       organic March = O1: −60, −60, 0, 0.
     all_affiliates March = L1, L2, L3, M1 (O1 is organic: left out): ltv_30d = (90 − 80
       + 30 + 20) / 4 = 15; ltv_90d = (121 − 90 + 20) / 3 = 17; retention_30d = 2 / 4 =
       0.5; retention_90d = 1 / 3 = 0.3333333333.

2. A generated operator (seed 12, 60 players, January to April 2026) landed as published
   up to 04-15, so as_of_date falls mid-month and some cohorts have their windows elapsed
   for only part of their players: every ltv_cohorts row is recomputed here with pandas
   from marts.player_daily_revenue, the first deposits (int_players__first_deposits), the
   payout attribution and the current campaign versions, by the definitions, and must be
   equal to the last decimal.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import duckdb
import pandas as pd
import pytest
from landed_operator import land_published, publication_days
from ltv_operator import AS_OF, build_ltv_marts, data_dir_env, land_ltv_operator

from ingestion.generator import generate_operator

D = Decimal
MAR, MAY, JUN = date(2026, 3, 1), date(2026, 5, 1), date(2026, 6, 1)
GENERATED_LANDED_THROUGH = date(2026, 4, 15)
COHORT_COLUMNS = (
    "cohort_grouping, cohort_key, cohort_month, affiliate_id, campaign_id, traffic_source, "
    "as_of_date, players, players_30d, players_90d, players_365d, ltv_30d, ltv_90d, "
    "ltv_365d, retention_30d, retention_90d"
)


def query(data_dir, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ltv_handmade")
    with data_dir_env(data_dir):
        land_ltv_operator(data_dir)
        build_ltv_marts(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ltv_generated")
    with data_dir_env(data_dir):
        operator = generate_operator(seed=12, players=60, start=date(2026, 1, 1), months=4)
        days = publication_days(operator)
        land_published(operator, data_dir, days[0], GENERATED_LANDED_THROUGH)
        build_ltv_marts(data_dir)
    return data_dir


def test_round_count_counts_the_rounds_behind_stakes(handmade):
    rows = query(
        handmade,
        "select player_id, activity_date, stakes_real, ngr, round_count "
        "from marts.player_daily_revenue where player_id in ('L1', 'L2') order by 1, 2",
    )
    assert rows == [
        # the cancelled re-send (stake 500) counts neither in stakes nor in round_count
        ("L1", date(2026, 3, 2), D(100), D(60), 2),
        ("L1", date(2026, 3, 31), D(30), D(30), 1),
        ("L1", date(2026, 4, 1), D(20), D(20), 1),
        ("L1", date(2026, 5, 30), D(11), D(11), 1),
        ("L1", date(2026, 5, 31), D(40), D(40), 1),
        ("L1", date(2026, 6, 15), D(5), D(5), 1),
        ("L2", date(2026, 3, 10), D(50), D(-90), 1),
        ("L2", date(2026, 4, 8), D(10), D(10), 1),
        ("L2", date(2026, 4, 19), D(0), D(-10), 0),  # only a chargeback: no round
    ]


def test_player_ltv_by_hand(handmade):
    rows = query(
        handmade,
        "select player_id, affiliate_id, campaign_id, traffic_source, first_deposit_date, "
        "cohort_month, is_ndc, as_of_date, ngr_30d, ngr_90d, ngr_365d, ngr_to_date, "
        "is_retained_30d, is_retained_90d from marts.player_ltv order by player_id",
    )
    a = AS_OF
    assert rows == [
        ("L1", "aff_ltv", "cmp_ltv_a", "seo", date(2026, 3, 2), MAR, True, a,
         D(90), D(121), None, D(166), True, True),
        ("L2", "aff_ltv", "cmp_ltv_a", "seo", date(2026, 3, 10), MAR, True, a,
         D(-80), D(-90), None, D(-90), False, False),
        ("L3", "aff_ltv", "cmp_ltv_b", "email", date(2026, 3, 25), MAR, True, a,
         D(30), None, None, D(40), True, None),
        ("L4", "aff_ltv", "cmp_ltv_a", "seo", date(2026, 3, 6), MAR, False, a,
         D(1000), D(1000), None, D(1000), False, False),
        ("L5", "aff_ltv", "cmp_ltv_a", "seo", date(2026, 5, 5), MAY, True, a,
         D(23), None, None, D(23), False, None),
        ("L6", "aff_ltv", "cmp_ltv_b", "email", date(2026, 6, 10), JUN, True, a,
         None, None, None, D(10), None, None),
        ("M1", "aff_ltv2", "cmp_ltv2", "seo", date(2026, 3, 15), MAR, True, a,
         D(20), D(20), None, D(20), False, False),
        ("O1", None, None, "organic", date(2026, 3, 3), MAR, True, a,
         D(-60), D(-60), None, D(-60), False, False),
    ]  # fmt: skip


def test_ltv_cohorts_by_hand(handmade):
    rows = query(handmade, f"select {COHORT_COLUMNS} from marts.ltv_cohorts")
    assert {row[6] for row in rows} == {AS_OF}
    actual = {(r[0], r[1], r[2]): (r[3:6], r[7:]) for r in rows}
    third, two_thirds = D("0.3333333333"), D("0.6666666667")
    none3 = (None, None, None)
    assert actual == {
        # (affiliate, campaign, source), (players, players_30d/90d/365d,
        #  ltv_30d/90d/365d, retention_30d/90d)
        ("affiliate", "aff_ltv", MAR): (("aff_ltv", None, None),
            (3, 3, 2, 0, D("13.3333333333"), D("15.5"), None, two_thirds, D("0.5"))),
        ("affiliate", "aff_ltv", MAY): (("aff_ltv", None, None),
            (1, 1, 0, 0, D(23), None, None, D(0), None)),
        ("affiliate", "aff_ltv", JUN): (("aff_ltv", None, None),
            (1, 0, 0, 0, None, None, None, None, None)),
        ("affiliate", "aff_ltv2", MAR): (("aff_ltv2", None, None),
            (1, 1, 1, 0, D(20), D(20), None, D(0), D(0))),
        ("campaign", "cmp_ltv_a", MAR): (("aff_ltv", "cmp_ltv_a", None),
            (2, 2, 2, 0, D(5), D("15.5"), None, D("0.5"), D("0.5"))),
        ("campaign", "cmp_ltv_b", MAR): (("aff_ltv", "cmp_ltv_b", None),
            (1, 1, 0, 0, D(30), None, None, D(1), None)),
        ("campaign", "cmp_ltv_a", MAY): (("aff_ltv", "cmp_ltv_a", None),
            (1, 1, 0, 0, D(23), None, None, D(0), None)),
        ("campaign", "cmp_ltv_b", JUN): (("aff_ltv", "cmp_ltv_b", None),
            (1, 0, 0, 0, None, None, None, None, None)),
        ("campaign", "cmp_ltv2", MAR): (("aff_ltv2", "cmp_ltv2", None),
            (1, 1, 1, 0, D(20), D(20), None, D(0), D(0))),
        ("traffic_source", "seo", MAR): ((None, None, "seo"),
            (3, 3, 3, 0, D(10), D(17), None, third, third)),
        ("traffic_source", "email", MAR): ((None, None, "email"),
            (1, 1, 0, 0, D(30), None, None, D(1), None)),
        ("traffic_source", "organic", MAR): ((None, None, "organic"),
            (1, 1, 1, 0, D(-60), D(-60), None, D(0), D(0))),
        ("traffic_source", "seo", MAY): ((None, None, "seo"),
            (1, 1, 0, 0, D(23), None, None, D(0), None)),
        ("traffic_source", "email", JUN): ((None, None, "email"),
            (1, 0, 0, 0, None, None, None, None, None)),
        ("all_affiliates", "all", MAR): (none3,
            (4, 4, 3, 0, D(15), D(17), None, D("0.5"), third)),
        ("all_affiliates", "all", MAY): (none3,
            (1, 1, 0, 0, D(23), None, None, D(0), None)),
        ("all_affiliates", "all", JUN): (none3,
            (1, 0, 0, 0, None, None, None, None, None)),
    }  # fmt: skip


# --- 2. the generated operator, recomputed independently -------------------------------


def exact_mean(total, count: int) -> Decimal | None:
    """total / count rounded half-even to 10 places (the marts' rule); None when count is 0."""
    if count == 0:
        return None
    with localcontext() as context:
        context.prec = 60  # wide enough that the only rounding is the one to 10 places
        return (Decimal(total) / count).quantize(Decimal("1e-10"), rounding=ROUND_HALF_EVEN)


def frame(data_dir, sql: str, columns: str) -> pd.DataFrame:
    """Query results as object columns (exact Decimals and dates, no float)."""
    names = [c.strip() for c in columns.split(",")]
    return pd.DataFrame(query(data_dir, sql.format(columns=columns)), columns=names, dtype=object)


def recomputed_cohorts(data_dir) -> dict:
    """ltv_cohorts by the definitions, from player_daily_revenue and the first deposits."""
    daily = frame(
        data_dir,
        "select {columns} from marts.player_daily_revenue",
        "player_id, activity_date, ngr, round_count",
    )
    firsts = frame(
        data_dir,
        "select {columns} from intermediate.int_players__first_deposits where is_ndc",
        "player_id, first_deposit_date",
    )
    attribution = frame(
        data_dir,
        "select {columns} from marts.player_attribution",
        "player_id, affiliate_id, campaign_id",
    )
    sources = dict(
        query(
            data_dir,
            "select campaign_id, traffic_source from marts.dim_campaigns where is_current_version",
        )
    )
    as_of = max(daily["activity_date"])
    ndcs = firsts.merge(attribution, on="player_id", how="left")
    ndcs["affiliate_id"] = ndcs["affiliate_id"].where(ndcs["affiliate_id"].notna(), None)
    ndcs["observed"] = [(as_of - first).days for first in ndcs["first_deposit_date"]]
    days = daily.merge(ndcs[["player_id", "first_deposit_date"]], on="player_id")
    days["k"] = [
        (a - f).days for a, f in zip(days["activity_date"], days["first_deposit_date"], strict=True)
    ]
    for n in (30, 90, 365):
        window = days[(days["k"] >= 0) & (days["k"] < n)]
        sums = {p: sum(g["ngr"], D(0)) for p, g in window.groupby("player_id")}
        ndcs[f"ngr_{n}d"] = [
            sums.get(p, D(0)) if seen >= n - 1 else None
            for p, seen in zip(ndcs["player_id"], ndcs["observed"], strict=True)
        ]
    for n in (30, 90):
        later = set(days[(days["k"] >= n) & (days["round_count"] > 0)]["player_id"])
        ndcs[f"retained_{n}d"] = [
            (p in later) if seen >= n else None
            for p, seen in zip(ndcs["player_id"], ndcs["observed"], strict=True)
        ]
    ndcs["cohort_month"] = [first.replace(day=1) for first in ndcs["first_deposit_date"]]
    affiliated = ndcs[ndcs["affiliate_id"].notna()]
    ndcs["source"] = [
        "organic" if aff is None else sources.get(campaign, "unknown")
        for aff, campaign in zip(ndcs["affiliate_id"], ndcs["campaign_id"], strict=True)
    ]
    groupings = [
        ("affiliate", affiliated, "affiliate_id", lambda key, g: (key, None, None)),
        ("campaign", affiliated, "campaign_id",
         lambda key, g: (g["affiliate_id"].iloc[0], key, None)),
        ("traffic_source", ndcs, "source", lambda key, g: (None, None, key)),
        ("all_affiliates", affiliated.assign(all="all"), "all", lambda key, g: (None,) * 3),
    ]  # fmt: skip
    expected = {}
    for name, players, key_column, labels in groupings:
        for (key, month), group in players.groupby([key_column, "cohort_month"]):
            figures = [len(group)]
            window = {n: [v for v in group[f"ngr_{n}d"] if v is not None] for n in (30, 90, 365)}
            figures += [len(window[n]) for n in (30, 90, 365)]
            figures += [exact_mean(sum(window[n], D(0)), len(window[n])) for n in (30, 90, 365)]
            for n in (30, 90):
                seen = [v for v in group[f"retained_{n}d"] if v is not None]
                figures.append(exact_mean(sum(seen), len(seen)))
            expected[(name, key, month)] = (labels(key, group), as_of, tuple(figures))
    return expected


def test_every_cohort_figure_recomputes_from_player_daily_revenue(generated):
    rows = query(generated, f"select {COHORT_COLUMNS} from marts.ltv_cohorts")
    actual = {(r[0], r[1], r[2]): (r[3:6], r[6], r[7:]) for r in rows}
    expected = recomputed_cohorts(generated)
    affiliate_rows = {key: value for key, value in expected.items() if key[0] == "affiliate"}
    # The operator exercises the rules: affiliate cohorts with an elapsed 90-day window,
    # and cohorts whose windows have elapsed for some of their players only.
    assert len(affiliate_rows) >= 5
    assert any(figures[2] > 0 for _, _, figures in affiliate_rows.values())
    assert any(0 < figures[1] < figures[0] for _, _, figures in affiliate_rows.values())
    assert any(0 < figures[2] < figures[0] for _, _, figures in expected.values())
    assert {key for key in actual if key[0] == "affiliate"} == set(affiliate_rows)
    for key, value in affiliate_rows.items():
        assert actual[key] == value, key
    # the other groupings, by the same definitions
    assert actual == expected
