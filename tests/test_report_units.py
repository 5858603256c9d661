"""The report's pure functions and its reading of the warehouse, on hand-made rows.

A scratch DuckDB holds the marts the report reads, with the agreed columns, filled by hand;
every expected figure is worked out in the comments.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from igw import report
from igw.cli import app
from igw.report import (
    ReportError,
    build_report,
    curve_lines,
    default_month,
    funnel_totals,
    leaderboard,
    money,
    parse_month,
    percent,
    ratio,
    read_report_data,
    recon_summary,
    render_report,
)

D = Decimal
AS_OF = date(2026, 3, 10)

# --- a scratch warehouse -------------------------------------------------------------------

SCHEMA = """
create schema marts;
create schema recon;
create table marts.player_daily_revenue (
    player_id varchar, activity_date date, affiliate_id varchar,
    ngr decimal(38, 10), round_count integer
);
create table marts.player_ltv (
    player_id varchar, affiliate_id varchar, first_deposit_date date, is_ndc boolean,
    as_of_date date
);
create table marts.ltv_cohorts (
    cohort_grouping varchar, cohort_key varchar, affiliate_id varchar, cohort_month date,
    as_of_date date, players integer, players_30d integer, players_90d integer,
    players_365d integer, ltv_30d decimal(38, 10), ltv_90d decimal(38, 10),
    ltv_365d decimal(38, 10), retention_30d decimal(38, 10), retention_90d decimal(38, 10)
);
create table marts.affiliate_kpis_monthly (
    affiliate_id varchar, period_month date, clicks bigint, registrations bigint,
    click_to_registration_rate decimal(38, 10), ndcs bigint,
    registration_to_deposit_rate decimal(38, 10), active_players bigint,
    player_ngr decimal(38, 10), affiliate_ngr decimal(38, 10),
    commission_cost decimal(38, 10), commission_per_ndc decimal(38, 10),
    ltv_90d_players bigint, ltv_90d decimal(38, 10), cpa_vs_ltv_ratio decimal(38, 10)
);
create table recon.daily_checks (
    check_date date, check_name varchar, source varchar, expected decimal(38, 10),
    actual decimal(38, 10), difference decimal(38, 10), tolerance decimal(38, 10),
    status varchar, detail varchar
);
"""

# The LTV curve's players (as of 2026-03-10):
#   p1 aff_a, first deposit 03-01: NGR 02-28 100 (before day 0: not counted), 03-01 10,
#      03-03 -4, 03-10 5. Days 0..9 have elapsed. Cumulative: d0 10, d1 10, d2..d8 6, d9 11.
#   p2 aff_a, first deposit 03-08: NGR 03-08 20. Days 0..2. Cumulative 20 on d0..d2.
#   p3 aff_b, first deposit 03-05: NGR 03-06 -30. Days 0..5. Cumulative d0 0, d1..d5 -30.
#   p6 aff_b, first deposit 2025-01-01: NGR 2025-01-01 7, 2026-02-05 (day 400) 1000 (past
#      day 365: not counted). Days 0..365. Cumulative 7 on d0..d365.
#   p4 organic (no affiliate), first deposit 03-01, NGR 1000: not on any line.
#   p5 aff_a but not an NDC (a duplicate account), NGR 500: not on any line.
PLAYER_LTV = [
    ("p1", "aff_a", date(2026, 3, 1), True),
    ("p2", "aff_a", date(2026, 3, 8), True),
    ("p3", "aff_b", date(2026, 3, 5), True),
    ("p6", "aff_b", date(2025, 1, 1), True),
    ("p4", None, date(2026, 3, 1), True),
    ("p5", "aff_a", date(2026, 3, 2), False),
]
DAILY = [
    ("p1", date(2026, 2, 28), "aff_a", D("100"), 1),
    ("p1", date(2026, 3, 1), "aff_a", D("10"), 3),
    ("p1", date(2026, 3, 3), "aff_a", D("-4"), 0),
    ("p1", date(2026, 3, 10), "aff_a", D("5"), 2),
    ("p2", date(2026, 3, 8), "aff_a", D("20"), 1),
    ("p3", date(2026, 3, 6), "aff_b", D("-30"), 4),
    ("p6", date(2025, 1, 1), "aff_b", D("7"), 1),
    ("p6", date(2026, 2, 5), "aff_b", D("1000"), 1),
    ("p4", date(2026, 3, 1), None, D("1000"), 1),
    ("p5", date(2026, 3, 2), "aff_a", D("500"), 1),
]


def kpi(affiliate_id, month, **figures):
    row = dict.fromkeys(report.KPI_COLUMNS)
    row.update(affiliate_id=affiliate_id, period_month=month, clicks=0, registrations=0,
               ndcs=0, active_players=0, player_ngr=D(0), affiliate_ngr=D(0))  # fmt: skip
    row.update(figures)
    return row


# March 2026: aff_b first by player NGR; aff_c has a row but nothing in it.
# Player NGR total 100.50 + 31.005 = 131.505 -> shown half-even as 131.50 (half-up: 131.51).
KPIS = [
    kpi(
        "aff_a",
        date(2026, 3, 1),
        clicks=40,
        registrations=4,
        ndcs=2,
        active_players=3,
        player_ngr=D("31.005"),
        affiliate_ngr=D("25.125"),
        commission_cost=D("50"),
        commission_per_ndc=D("25"),
        click_to_registration_rate=D("0.1"),
        registration_to_deposit_rate=D("0.5"),
    ),
    kpi(
        "aff_b",
        date(2026, 3, 1),
        clicks=10,
        registrations=1,
        ndcs=1,
        active_players=2,
        player_ngr=D("100.50"),
        affiliate_ngr=D("-3.335"),
        commission_cost=D("30"),
        commission_per_ndc=D("30"),
        ltv_90d_players=1,
        ltv_90d=D("40"),
        cpa_vs_ltv_ratio=D("0.75"),
        click_to_registration_rate=D("0.1"),
        registration_to_deposit_rate=D("1"),
    ),
    kpi("aff_c", date(2026, 3, 1)),
    kpi("aff_a", date(2026, 2, 1), clicks=5),
]
COHORTS = [
    ("all_affiliates", "all", None, date(2026, 3, 1), AS_OF, 3, 0, 0, 0, None, None, None,
     None, None),
    ("affiliate", "aff_a", "aff_a", date(2026, 3, 1), AS_OF, 2, 0, 0, 0, None, None, None,
     None, None),
    ("all_affiliates", "all", None, date(2025, 1, 1), AS_OF, 1, 1, 1, 1, D("7"), D("7"),
     D("7"), D("0"), D("0")),
]  # fmt: skip
CHECKS = [
    (date(2026, 3, 1), "psp_settlement", "psp1|EUR", D(10), D(10), D(0), D(0), "pass", None),
    (date(2026, 3, 1), "orphan_records", "crm", D(0), D(0), D(0), D(0), "pass", None),
    (date(2026, 3, 2), "psp_settlement", "psp1|EUR", D(10), D("7.5"), D("-2.5"), D(0),
     "fail", "one deposit missing"),
    (date(2026, 3, 2), "orphan_records", "crm", D(0), D(0), D(0), D(0), "pass", None),
    (date(2026, 2, 27), "psp_settlement", "psp1|EUR", D(1), D(2), D(1), D(0), "fail", None),
]  # fmt: skip


def make_warehouse(data_dir, daily=DAILY, with_kpis=True):
    data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute(SCHEMA)
        if daily:
            con.executemany("insert into marts.player_daily_revenue values (?, ?, ?, ?, ?)", daily)
        con.executemany(
            "insert into marts.player_ltv values (?, ?, ?, ?, ?)",
            [(*row, AS_OF) for row in PLAYER_LTV],
        )
        con.executemany(f"insert into marts.ltv_cohorts values ({', '.join('?' * 14)})", COHORTS)
        if with_kpis:
            columns = ("period_month", *report.KPI_COLUMNS)
            con.executemany(
                f"insert into marts.affiliate_kpis_monthly ({', '.join(columns)}) "
                f"values ({', '.join('?' * len(columns))})",
                [[row[c] for c in columns] for row in KPIS],
            )
        con.executemany(f"insert into recon.daily_checks values ({', '.join('?' * 9)})", CHECKS)
    return data_dir


@pytest.fixture
def warehouse(data_dir):
    return make_warehouse(data_dir)


def read(data_dir, month=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return read_report_data(con, month, data_dir / "warehouse.duckdb")


# --- months and display ----------------------------------------------------------------


def test_months():
    assert parse_month("2026-10") == date(2026, 10, 1)
    for bad in ("2026-13", "10-2026", "2026-1x", ""):
        with pytest.raises(ReportError, match="--month must be a month YYYY-MM"):
            parse_month(bad)
    # as of the month's last day: that month has ended; any other day: the month before
    assert default_month(date(2026, 10, 31)) == date(2026, 10, 1)
    assert default_month(date(2026, 10, 30)) == date(2026, 9, 1)
    assert default_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert default_month(date(2028, 2, 29)) == date(2028, 2, 1)


def test_money_is_rounded_half_even_to_cents():
    assert money(D("2.345")) == "2.34"  # half to even: 4 stays
    assert money(D("2.355")) == "2.36"  # half to even: 5 goes up to 6
    assert money(D("1234567.125")) == "1,234,567.12"
    assert money(D("-0.004")) == "0.00"  # never "-0.00"
    assert money(D("-1234.5")) == "-1,234.50"
    assert money(None) == "—"
    assert percent(D("0.123450")) == "12.34%"  # 12.345% half-even
    assert percent(D("1.5")) == "150.00%"
    assert ratio(D("0.8350")) == "0.84" and ratio(D("0.8250")) == "0.82"


# --- the LTV curves --------------------------------------------------------------------


def test_curve_sql_counts_each_player_only_on_elapsed_days(warehouse):
    rows = {(r["affiliate_id"], r["day_index"]): r for r in read(warehouse).curve_rows}
    # aff_a: d0 p1 10 + p2 20 = 30 over 2; d2 6 + 20 = 26 over 2; d3 only p1 (p2's day 3
    # is 03-11, after the as-of date) 6 over 1; d9 p1 11 over 1; no day 10 (03-11).
    assert (rows["aff_a", 0]["players"], rows["aff_a", 0]["cumulative_ngr_sum"]) == (2, D(30))
    assert (rows["aff_a", 2]["players"], rows["aff_a", 2]["cumulative_ngr_sum"]) == (2, D(26))
    assert (rows["aff_a", 3]["players"], rows["aff_a", 3]["cumulative_ngr_sum"]) == (1, D(6))
    assert (rows["aff_a", 9]["players"], rows["aff_a", 9]["cumulative_ngr_sum"]) == (1, D(11))
    assert ("aff_a", 10) not in rows
    # aff_b: d0 p3 0 + p6 7 = 7 over 2; d1 -30 + 7 = -23 over 2; d6 only p6: 7 over 1;
    # d365 p6 7 (its day-400 NGR of 1000 never counts); nothing past day 365.
    assert (rows["aff_b", 0]["players"], rows["aff_b", 0]["cumulative_ngr_sum"]) == (2, D(7))
    assert (rows["aff_b", 1]["players"], rows["aff_b", 1]["cumulative_ngr_sum"]) == (2, D(-23))
    assert (rows["aff_b", 6]["players"], rows["aff_b", 6]["cumulative_ngr_sum"]) == (1, D(7))
    assert (rows["aff_b", 365]["players"], rows["aff_b", 365]["cumulative_ngr_sum"]) == (1, D(7))
    assert max(day for _, day in rows) == 365
    # organic p4 and the duplicate p5 are on no line
    assert {affiliate for affiliate, _ in rows} == {"aff_a", "aff_b"}


def test_curve_lines_pool_exactly(warehouse):
    lines = curve_lines(read(warehouse).curve_rows, top=1)
    # aff_a and aff_b have 2 NDCs each: the tie goes to the lower id, aff_b is "other"
    assert [line.name for line in lines] == ["all affiliates", "aff_a", "other affiliates (1)"]
    everyone, aff_a, others = lines
    assert everyone.ndcs == 4 and aff_a.ndcs == 2 and others.affiliates == 1
    by_day = dict(zip(everyone.days, zip(everyone.players, everyone.mean_ngr, strict=True),
                      strict=True))  # fmt: skip
    # all affiliates, d0: (10 + 20 + 0 + 7) / 4 = 9.25
    assert by_day[0] == (4, D("9.25"))
    # d2: p1 6 + p2 20 + p3 -30 + p6 7 = 3 over 4 = 0.75
    assert by_day[2] == (4, D("0.75"))
    # d3: p2's day 3 has not elapsed: p1 6 + p3 -30 + p6 7 = -17 over 3
    assert by_day[3] == (3, D(-17) / 3)
    # d6: p3's day 6 is 03-11, not elapsed: p1 6 + p6 7 = 13 over 2 = 6.5
    assert by_day[6] == (2, D("6.5"))
    # d10..d365: p6 alone, 7
    assert by_day[10] == (1, D(7)) and by_day[365] == (1, D(7))
    assert dict(zip(aff_a.days, aff_a.mean_ngr, strict=True))[0] == D(15)  # (10 + 20) / 2
    assert curve_lines([]) == []


# --- leaderboard, funnel, reconciliation ----------------------------------------------


def test_leaderboard_sorts_by_player_ngr_and_totals_exactly():
    march = [row for row in KPIS if row["period_month"] == date(2026, 3, 1)]
    board = leaderboard(march)
    assert [row["affiliate_id"] for row in board.rows] == ["aff_b", "aff_a"]
    assert board.left_out == 1  # aff_c: a row with nothing in it
    assert board.ndcs == 3  # 2 + 1
    assert board.player_ngr == D("131.505")  # 100.50 + 31.005
    assert money(board.player_ngr) == "131.50"  # half-even
    assert board.affiliate_ngr == D("21.790")  # 25.125 - 3.335
    assert board.commission_cost == D(80)  # 50 + 30
    assert board.commission_per_ndc == D(80) / 3
    # no statement built: no commission at all, not zero
    unbuilt = [{**row, "commission_cost": None} for row in march]
    assert leaderboard(unbuilt).commission_cost is None
    assert leaderboard(unbuilt).commission_per_ndc is None


def test_funnel_totals():
    march = [row for row in KPIS if row["period_month"] == date(2026, 3, 1)]
    funnel = funnel_totals(march)
    assert (funnel.clicks, funnel.registrations, funnel.ndcs, funnel.active_players) == (
        50, 5, 3, 5,
    )  # fmt: skip
    assert funnel.click_to_registration_rate == D("0.1")  # 5 / 50
    assert funnel.registration_to_deposit_rate == D("0.6")  # 3 / 5


def test_recon_summary_counts_rows_by_check_and_day():
    rows = [dict(zip(report.CHECK_COLUMNS, row, strict=True)) for row in CHECKS[:4]]
    summary = recon_summary(rows)
    assert summary.verdict == "fail" and (summary.rows, summary.failed) == (4, 1)
    assert summary.by_check == [("orphan_records", 2, 0), ("psp_settlement", 1, 1)]
    assert summary.by_day == [(date(2026, 3, 1), 2, 0), (date(2026, 3, 2), 1, 1)]
    assert [row["detail"] for row in summary.failures] == ["one deposit missing"]
    assert recon_summary(rows[:2]).verdict == "pass"
    assert recon_summary([]).verdict == "no checks"


# --- reading and rendering ------------------------------------------------------------


def test_read_report_data_takes_the_month_and_its_checks(warehouse):
    data = read(warehouse)
    # as of 2026-03-10: March has not ended, so the default month is February
    assert data.month == date(2026, 2, 1) and data.as_of_date == AS_OF
    assert data.first_activity_date == date(2025, 1, 1)
    # February: p6's 02-05 1000 and p1's 02-28 100, both with rounds
    assert data.month_activity == {"player_ngr": D(1100), "active_players": 2, "players": 2}
    assert [r["check_date"] for r in data.checks] == [date(2026, 2, 27)]
    march = read(warehouse, date(2026, 3, 1))
    assert march.is_partial_month
    # March: 10 - 4 + 5 + 20 - 30 + 1000 + 500 = 1501; active: p1, p2, p3, p4, p5 (p1's
    # 03-03 has no round but its other days do)
    assert march.month_activity["player_ngr"] == D(1501)
    assert march.month_activity["active_players"] == 5
    assert [r["affiliate_id"] for r in march.kpis] == ["aff_a", "aff_b", "aff_c"]
    assert len(march.checks) == 4


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (date(2026, 4, 1), "no data for 2026-04: the warehouse has player activity from "
         "2025-01-01 to 2026-03-10"),
        (date(2025, 6, 1), "no data for 2025-06"),
    ],
)  # fmt: skip
def test_a_month_without_data_is_refused(warehouse, month, message):
    with pytest.raises(ReportError, match=message):
        read(warehouse, month)


def test_missing_marts_are_named(data_dir):
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("create schema marts; create table marts.player_daily_revenue (x int)")
    with pytest.raises(ReportError, match="no marts.affiliate_kpis_monthly, marts.player_ltv, "
                       "marts.ltv_cohorts, recon.daily_checks: run `igw build` first"):  # fmt: skip
        read(data_dir)


def test_an_empty_warehouse_is_refused(data_dir):
    make_warehouse(data_dir, daily=[])
    with pytest.raises(ReportError, match="no activity yet"):
        read(data_dir)


def element_text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def test_render_report_shows_exact_figures(warehouse):
    html = render_report(
        read(warehouse, date(2026, 3, 1)), datetime(2026, 3, 11, 6, 0, tzinfo=UTC),
        embed_plotly=False,
    )  # fmt: skip
    assert element_text(html, "leaderboard-total-ndcs") == "3"
    assert element_text(html, "leaderboard-total-player-ngr") == "131.50"
    assert element_text(html, "leaderboard-total-affiliate-ngr") == "21.79"
    assert element_text(html, "leaderboard-total-commission") == "80.00"
    assert element_text(html, "headline-player-ngr") == "1,501.00"
    assert element_text(html, "headline-affiliate-player-ngr") == "131.50"
    assert element_text(html, "headline-commission") == "80.00"
    assert element_text(html, "headline-ndcs") == "3"
    assert element_text(html, "headline-recon") == "FAIL"
    assert element_text(html, "funnel-total-clicks") == "50"
    assert element_text(html, "recon-total-failed") == "1"
    assert "PARTIAL MONTH" in html and "Generated 2026-03-11 06:00 UTC" in html
    # 6 charts: funnel, curves, cohorts (the 2025-01 cohort has an LTV), leaderboard,
    # CPA vs LTV (aff_b has both), reconciliation
    assert html.count('class="plotly-graph-div"') == 6
    assert "one deposit missing" in html


def test_build_report_embeds_plotly_once_and_swaps_the_file_in(warehouse):
    outcome = build_report(warehouse, date(2026, 3, 1), datetime(2026, 3, 11, tzinfo=UTC))
    assert outcome.path == warehouse / "exports/reports/report-2026-03.html"
    assert outcome.charts == 6 and outcome.recon_verdict == "fail"
    html = outcome.path.read_text()
    assert html.count("* plotly.js v") == 1  # the bundle's banner: embedded once
    assert html.count("Plotly.newPlot(") == 6
    # plotly.js is the library's own bundle, unchanged; the rest of the page names no URL
    bundle, page = report.split_plotly_js(html)
    assert bundle == report.plotly_js()
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE)
    assert [p.name for p in outcome.path.parent.iterdir()] == ["report-2026-03.html"]


runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month must be a month YYYY-MM, got '2026-13'"),
        (["--month", "2026-04"], "no data for 2026-04"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(warehouse, args, message):
    before = sorted(p.name for p in warehouse.iterdir())
    result = runner.invoke(app, ["report", *args, "--data-dir", str(warehouse)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert sorted(p.name for p in warehouse.iterdir()) == before


def test_cli_without_a_warehouse(data_dir):
    result = runner.invoke(app, ["report", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    warehouse = data_dir / "warehouse.duckdb"
    assert result.output.strip() == f"error: no warehouse at {warehouse}: run `igw build` first"
    assert list(data_dir.iterdir()) == []


def test_funnel_chart_labels_the_conversions():
    figure = report.funnel_figure(report.Funnel(clicks=50, registrations=5, ndcs=3,
                                                active_players=5))  # fmt: skip
    (bars,) = figure.data
    # 5 / 50 = 10%, 3 / 5 = 60%; active players are no conversion of NDCs: no share
    assert list(bars.text) == ["50", "5 (10.00% of previous)", "3 (60.00% of previous)", "5"]
    # a bar's length is its count, zero stages included (a linear axis)
    empty = report.funnel_figure(report.Funnel(clicks=4, registrations=0, ndcs=0,
                                               active_players=0))  # fmt: skip
    assert list(empty.data[0].x) == [4, 0, 0, 0]
    assert empty.layout.xaxis.type in (None, "linear")
