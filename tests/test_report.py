"""The report end to end, opened in a real browser.

A generated operator (seed 11, 40 players, August to October 2026) goes through the real
pipeline: vendor files served live, ingestion, the daily dbt build, then the payout build
of October so the commission is booked. `igw report --month 2026-10` writes the report,
and headless Chromium (Debian's chromium + chromedriver, driven by selenium, the network
switched off) opens it: every chart must be drawn by plotly.js from the file alone, with
no console error and no resource fetched, and the figures on the page must equal sums read
straight from the marts and the books (rounded half-even here, independently).

The hand-made warehouse of test_report_units.py is opened too: it has a chart of every
kind, the CPA-vs-LTV one included (a 3-month operator has no elapsed 90-day window yet).
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest
from test_report_units import make_warehouse
from typer.testing import CliRunner

from igw import report
from igw.cli import app
from igw.dbt_runner import build_args, run_dbt
from igw.demo import delivery_range
from igw.payout import build_payout
from igw.report_screenshot import browser_missing, chromium, full_page_screenshot, open_report
from ingestion.generator import generate_operator
from ingestion.ingest import ingest
from ingestion.sources import load_settings
from ingestion.vendors.outbox import write_vendor_outbox
from ingestion.vendors.serve import live_vendors, sources_path

MONTH = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)
TODAY = date(2026, 11, 21)
CHART_IDS = (
    "chart-funnel",
    "chart-ltv-curves",
    "chart-cohorts",
    "chart-leaderboard",
    "chart-cpa-vs-ltv",
    "chart-recon",
)


def cents(value) -> str:
    """The page's money format, computed here: half-even to cents, thousands separated."""
    rounded = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{rounded + 0:,.2f}"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("report-operator")
    previous = os.environ.get("IGW_DATA_DIR")
    os.environ["IGW_DATA_DIR"] = str(data_dir)
    vendors = data_dir / "vendors"
    operator = generate_operator(seed=11, players=40, start=date(2026, 8, 1), months=3)
    write_vendor_outbox(operator, vendors)
    first, last = delivery_range(vendors)
    with live_vendors(vendors, data_dir):
        ingest(load_settings(sources_path(data_dir)), data_dir, first, last, every_days=7)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    build_payout(MONTH, data_dir, today=TODAY)
    yield data_dir
    if previous is None:
        os.environ.pop("IGW_DATA_DIR", None)
    else:
        os.environ["IGW_DATA_DIR"] = previous


@pytest.fixture(scope="module")
def built_report(warehouse) -> Path:
    result = CliRunner().invoke(app, ["report", "--month", "2026-10", "--data-dir", str(warehouse)])
    assert result.exit_code == 0, result.output
    path = warehouse / "exports" / "reports" / "report-2026-10.html"
    assert str(path) in result.output.replace("\n", "")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = browser_missing()
    if missing:
        if os.environ.get("IGW_SKIP_BROWSER_TESTS"):
            pytest.skip(missing)
        pytest.fail(f"the browser test needs Chromium: {missing}")
    with chromium(profile_dir=tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture(scope="module")
def page(browser, built_report):
    """The report loaded once: its charts' state, console log and fetched resources."""
    charts = open_report(browser, built_report)
    return {
        "charts": charts,
        "console": browser.get_log("browser"),
        "resources": browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        ),
    }


@pytest.fixture
def on_report(browser, built_report, page):
    """The browser showing the report (a test may have opened another page)."""
    if browser.current_url != built_report.resolve().as_uri():
        open_report(browser, built_report)
    return browser


def query(data_dir: Path, sql: str, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def text_of(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text.strip()


def expected_charts(data_dir: Path) -> list[str]:
    """The charts the month's data calls for, decided from the marts (not by the report)."""
    (clicks, registrations, with_ratio, active), = query(
        data_dir,
        """
        select sum(clicks), sum(registrations),
            count(*) filter (where cpa_vs_ltv_ratio is not null),
            count(*) filter (where clicks + registrations + ndcs + active_players > 0
                or player_ngr <> 0 or affiliate_ngr <> 0 or commission_cost <> 0)
        from marts.affiliate_kpis_monthly where period_month = ?
        """,
        [MONTH],
    )  # fmt: skip
    has = {
        "chart-funnel": bool(clicks or registrations),
        "chart-ltv-curves": query(
            data_dir,
            "select count(*) from marts.player_ltv where is_ndc and affiliate_id is not null",
        )[0][0] > 0,
        "chart-cohorts": query(
            data_dir,
            "select count(*) from marts.ltv_cohorts where cohort_grouping = 'all_affiliates' "
            "and (ltv_30d is not null or ltv_90d is not null)",
        )[0][0] > 0,
        "chart-leaderboard": active > 0,
        "chart-cpa-vs-ltv": with_ratio > 0,
        "chart-recon": query(
            data_dir,
            "select count(*) from recon.daily_checks where check_date between ? and ?",
            [MONTH, MONTH_END],
        )[0][0] > 0,
    }  # fmt: skip
    return [chart for chart in CHART_IDS if has[chart]]


def assert_drawn(charts: list[dict]) -> None:
    for chart in charts:
        assert chart["rendered"], chart  # plotly.js turned the div into a .js-plotly-plot
        assert chart["svgs"] >= 1 and chart["traces"] >= 1, chart
        assert chart["marks"] >= 1, chart  # bars, points or lines actually drawn


def severe(console: list[dict]) -> list[dict]:
    return [entry for entry in console if entry["level"] == "SEVERE"]


def test_every_chart_is_drawn_from_the_file_alone(page, warehouse):
    expected = expected_charts(warehouse)
    # a 3-month operator: October's NDCs have no elapsed 90-day window, so no CPA-vs-LTV
    # chart (the page says why); every other chart has data
    assert expected == [c for c in CHART_IDS if c != "chart-cpa-vs-ltv"]
    assert [chart["id"] for chart in page["charts"]] == expected
    assert_drawn(page["charts"])
    assert severe(page["console"]) == []
    assert page["resources"] == []  # nothing fetched: plotly.js and all data are inline


def test_the_file_references_no_network_resource(built_report):
    html = built_report.read_text(encoding="utf-8")
    bundle, rest = report.split_plotly_js(html)
    # plotly.js once, as shipped (its own inert strings: SVG namespaces, map tile defaults)
    assert bundle == report.plotly_js() and html.count("* plotly.js v") == 1
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", rest, re.IGNORECASE)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", rest, re.IGNORECASE)


def test_headline_and_funnel_equal_the_marts(on_report, warehouse):
    browser = on_report
    (clicks, registrations, ndcs), = query(
        warehouse,
        "select sum(clicks), sum(registrations), sum(ftd_count) "
        "from marts.affiliate_daily_performance where activity_date between ? and ?",
        [MONTH, MONTH_END],
    )  # fmt: skip
    (player_ngr, active), = query(
        warehouse,
        "select sum(ngr), count(distinct player_id) filter (where round_count > 0) "
        "from marts.player_daily_revenue where activity_date between ? and ?",
        [MONTH, MONTH_END],
    )  # fmt: skip
    assert text_of(browser, "headline-clicks") == f"{clicks:,}"
    assert text_of(browser, "funnel-total-clicks") == f"{clicks:,}"
    assert text_of(browser, "headline-registrations") == f"{registrations:,}"
    assert text_of(browser, "headline-ndcs") == f"{ndcs:,}"
    assert text_of(browser, "funnel-total-ndcs") == f"{ndcs:,}"
    assert text_of(browser, "headline-player-ngr") == cents(player_ngr)
    assert text_of(browser, "headline-active-players") == f"{active:,}"
    assert clicks > 0 and ndcs > 0 and active > 0


def test_leaderboard_totals_equal_the_marts_and_the_books(on_report, warehouse):
    browser = on_report
    (ndcs, player_ngr, affiliate_ngr), = query(
        warehouse,
        "select sum(ndcs), sum(player_ngr), sum(affiliate_ngr) "
        "from marts.affiliate_kpis_monthly where period_month = ?",
        [MONTH],
    )  # fmt: skip
    # the commission as booked in the ledger: the payout build of October booked it
    (commission,) = query(
        warehouse,
        "select sum(amount) from finance.commission_ledger where period_month = ?",
        [MONTH],
    )[0]
    assert commission is not None
    assert text_of(browser, "leaderboard-total-ndcs") == f"{ndcs:,}"
    assert text_of(browser, "leaderboard-total-player-ngr") == cents(player_ngr)
    assert text_of(browser, "leaderboard-total-affiliate-ngr") == cents(affiliate_ngr)
    assert text_of(browser, "leaderboard-total-commission") == cents(commission)
    assert text_of(browser, "headline-commission") == cents(commission)
    # the table's rows add up to its total row
    rows = browser.find_elements("css selector", "#leaderboard-table tbody tr")
    assert sum(int(row.find_elements("tag name", "td")[2].text) for row in rows) == ndcs


def test_reconciliation_equals_recon_daily_checks(on_report, warehouse):
    browser = on_report
    (rows, failed), = query(
        warehouse,
        "select count(*), count(*) filter (where status <> 'pass') from recon.daily_checks "
        "where check_date between ? and ?",
        [MONTH, MONTH_END],
    )  # fmt: skip
    assert text_of(browser, "recon-total-failed") == f"{failed:,}"
    assert text_of(browser, "recon-total-passed") == f"{rows - failed:,}"
    assert text_of(browser, "recon-verdict") == ("PASS" if failed == 0 else "FAIL")
    listed = browser.find_elements("css selector", "#recon-failures tbody tr")
    assert len(listed) == failed


def test_full_page_screenshot(on_report, tmp_path_factory):
    browser = on_report
    out = tmp_path_factory.mktemp("screenshot") / "report-2026-10.png"
    full_page_screenshot(browser, out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    height = int.from_bytes(data[20:24], "big")  # the IHDR chunk's height
    page_height = browser.execute_script("return document.documentElement.scrollHeight")
    assert height >= page_height > 2000
    print(f"screenshot: {out}")


def test_a_report_with_every_kind_of_chart(browser, tmp_path):
    """The hand-made warehouse (figures worked out in test_report_units.py): all six."""
    data_dir = make_warehouse(tmp_path / "handmade")
    outcome = report.build_report(data_dir, date(2026, 3, 1))
    charts = open_report(browser, outcome.path)
    assert [chart["id"] for chart in charts] == list(CHART_IDS)
    assert_drawn(charts)
    assert severe(browser.get_log("browser")) == []
    assert text_of(browser, "leaderboard-total-player-ngr") == "131.50"  # 131.505 half-even


def test_without_month_the_last_month_ended_by_the_as_of_date(warehouse, built_report):
    ((as_of,),) = query(warehouse, "select max(activity_date) from marts.player_daily_revenue")
    assert as_of == MONTH_END  # October's last day: October has fully ended
    result = CliRunner().invoke(app, ["report", "--data-dir", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "Report 2026-10 (as of 2026-10-31" in result.output
    assert sorted(p.name for p in built_report.parent.iterdir()) == ["report-2026-10.html"]
