"""The monthly BI report: one self-contained HTML file a person opens in a browser.

`igw report [--month YYYY-MM]` writes `<data-dir>/exports/reports/report-YYYY-MM.html`:
headline figures, the affiliate funnel, cohort LTV curves, the affiliate leaderboard and
the month's reconciliation, with plotly charts. plotly.js is embedded once, inline, so the
file opens with no network.

The shape is query -> rows -> figures -> html, each step a function:
- `read_report_data` runs the queries (read-only) and returns rows as dicts whose money
  is `Decimal` (DuckDB's decimals, never through a float);
- the pure functions below turn rows into the tables' figures (`leaderboard`,
  `funnel_totals`, `curve_lines`, `recon_summary`, ...), still exact;
- `*_figure` build the plotly figures (they alone convert to float, for plotting);
- `render_report` fills the jinja2 template, and `write_report` swaps the file in.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from igw.config import paths
from igw.html import load_template
from igw.reconcile import CHECK_COLUMNS
from igw.warehouse import base_currency, first_line, open_read_only

TEMPLATE_NAME = "report.html.j2"
REPORTS_SUBDIR = "reports"
CENT = Decimal("0.01")
ZERO = Decimal(0)
# The LTV curves run over days 0..365 since the first deposit.
CURVE_LAST_DAY = 365
# Curves drawn one per affiliate for the affiliates with the most NDCs; the rest pooled.
CURVE_TOP_AFFILIATES = 6
# A line resting on fewer NDCs swings with one player: drawn only on a click on its legend.
CURVE_MIN_NDCS = 10
# Bars of the leaderboard chart (the table lists every affiliate).
LEADERBOARD_CHART_AFFILIATES = 15
ALL_AFFILIATES = "all affiliates"

REQUIRED_TABLES = (
    "marts.player_daily_revenue",
    "marts.affiliate_kpis_monthly",
    "marts.player_ltv",
    "marts.ltv_cohorts",
    "recon.daily_checks",
)

Row = dict[str, Any]


class ReportError(RuntimeError):
    """The report cannot be made; the message is one line."""


# --- months ---------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """'2026-10' -> date(2026, 10, 1)."""
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise ReportError(f"--month must be a month YYYY-MM, got {text!r}") from None
    return date(parsed.year, parsed.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def default_month(as_of_date: date) -> date:
    """The latest month that has fully ended by `as_of_date`: its own month when it is the
    month's last day, else the month before."""
    if (as_of_date + timedelta(days=1)).day == 1:
        return as_of_date.replace(day=1)
    return (as_of_date.replace(day=1) - timedelta(days=1)).replace(day=1)


# --- display: exact decimals, rounded half-even -------------------------------------------


def money(value: Decimal | None) -> str:
    """A money figure rounded half-even to cents, with thousands separators; a dash for null."""
    if value is None:
        return "—"
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return f"{rounded + 0:,.2f}"  # + 0 turns -0.00 into 0.00


def count(value: int | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def percent(value: Decimal | None) -> str:
    """A stored rate (0.123456) as a percentage rounded half-even to 2 places (12.35%)."""
    if value is None:
        return "—"
    rounded = (Decimal(value) * 100).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return f"{rounded + 0:,.2f}%"


def ratio(value: Decimal | None) -> str:
    """A ratio rounded half-even to 2 places (commission per NDC ÷ LTV: 0.85)."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN) + 0:,.2f}"


def divide(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """numerator / denominator as a Decimal; null when either is null or the denominator 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


# --- reading the warehouse ---------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows for one month, as read from the warehouse."""

    month: date
    as_of_date: date
    first_activity_date: date
    warehouse: Path
    month_activity: Row  # player_ngr, active_players, players of every player in the month
    kpis: list[Row]  # marts.affiliate_kpis_monthly rows of the month
    curve_rows: list[Row]  # affiliate_id, day_index, players, cumulative_ngr_sum
    cohorts: list[Row]  # marts.ltv_cohorts rows: all_affiliates and affiliate groupings
    checks: list[Row]  # recon.daily_checks rows of the month

    @property
    def is_partial_month(self) -> bool:
        return month_end(self.month) > self.as_of_date


KPI_COLUMNS = (
    "affiliate_id",
    "clicks",
    "registrations",
    "click_to_registration_rate",
    "ndcs",
    "registration_to_deposit_rate",
    "active_players",
    "player_ngr",
    "affiliate_ngr",
    "commission_cost",
    "commission_per_ndc",
    "ltv_90d_players",
    "ltv_90d",
    "cpa_vs_ltv_ratio",
)
COHORT_COLUMNS = (
    "cohort_grouping",
    "cohort_key",
    "cohort_month",
    "players",
    "players_30d",
    "ltv_30d",
    "players_90d",
    "ltv_90d",
    "players_365d",
    "ltv_365d",
    "retention_30d",
    "retention_90d",
)

MONTH_ACTIVITY_SQL = """
    select
        coalesce(sum(ngr), 0) as player_ngr,
        count(distinct player_id) filter (where round_count > 0) as active_players,
        count(distinct player_id) as players
    from marts.player_daily_revenue
    where activity_date between ? and ?
"""

# Mean cumulative player NGR by day since the first deposit, per affiliate: the NDCs of
# marts.player_ltv attributed to an affiliate, each counted on day k only once day k has
# elapsed (first_deposit_date + k <= as_of_date). Returned as sums and counts per
# affiliate so that any pooling (all affiliates, "other affiliates") stays exact.
CURVE_SQL = f"""
    with

    cohort as (
        select player_id, affiliate_id, first_deposit_date
        from marts.player_ltv
        where is_ndc and affiliate_id is not null
    ),

    days as (
        select range as day_index from range(0, {CURVE_LAST_DAY + 1})
    ),

    elapsed_days as (
        select cohort.player_id, cohort.affiliate_id, days.day_index
        from cohort
        inner join days
            on cohort.first_deposit_date + cast(days.day_index as integer) <= ?
    ),

    daily as (
        select
            revenue.player_id,
            datediff('day', cohort.first_deposit_date, revenue.activity_date) as day_index,
            coalesce(revenue.ngr, 0) as ngr
        from marts.player_daily_revenue as revenue
        inner join cohort on revenue.player_id = cohort.player_id
        where revenue.activity_date >= cohort.first_deposit_date
            and revenue.activity_date <= cohort.first_deposit_date + {CURVE_LAST_DAY}
    ),

    cumulative as (
        select
            elapsed_days.affiliate_id,
            elapsed_days.day_index,
            sum(coalesce(daily.ngr, 0)) over (
                partition by elapsed_days.player_id
                order by elapsed_days.day_index
                rows between unbounded preceding and current row
            ) as cumulative_ngr
        from elapsed_days
        left join daily
            on elapsed_days.player_id = daily.player_id
            and elapsed_days.day_index = daily.day_index
    )

    select
        affiliate_id,
        cast(day_index as integer) as day_index,
        count(*) as players,
        sum(cumulative_ngr) as cumulative_ngr_sum
    from cumulative
    group by affiliate_id, day_index
    order by affiliate_id, day_index
"""


def connect(data_dir: Path | str | None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, or a ReportError saying why not."""
    return open_read_only(paths(data_dir).warehouse, ReportError)


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[Row]:
    """Rows as dicts; DuckDB hands decimals over as Decimal (never float)."""
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    return [table for table in REQUIRED_TABLES if table not in present]


def read_report_data(
    con: duckdb.DuckDBPyConnection, month: date | None, warehouse: Path
) -> ReportData:
    """Read the month's figures (the default month when `month` is None)."""
    missing = missing_tables(con)
    if missing:
        raise ReportError(f"the warehouse has no {', '.join(missing)}: run `igw build` first")
    first_day, as_of_date = con.execute(
        "select min(activity_date), max(activity_date) from marts.player_daily_revenue"
    ).fetchone()
    if as_of_date is None:
        raise ReportError("the warehouse has no activity yet: ingest and build data first")
    chosen = month or default_month(as_of_date)
    hint = "" if month else f" (pass --month {as_of_date:%Y-%m} for the month so far)"
    no_data = ReportError(
        f"no data for {chosen:%Y-%m}: the warehouse has player activity from {first_day} "
        f"to {as_of_date}{hint}"
    )
    if chosen > as_of_date:
        raise no_data
    last_day = month_end(chosen)
    kpis = fetch(
        con,
        f"select {', '.join(KPI_COLUMNS)} from marts.affiliate_kpis_monthly "
        "where period_month = ? order by affiliate_id",
        [chosen],
    )
    month_activity = fetch(con, MONTH_ACTIVITY_SQL, [chosen, last_day])[0]
    # A month before the first player activity still has data when affiliates sent clicks.
    if not month_activity["players"] and not any(is_active_row(row) for row in kpis):
        raise no_data
    return ReportData(
        month=chosen,
        as_of_date=as_of_date,
        first_activity_date=first_day,
        warehouse=warehouse,
        month_activity=month_activity,
        kpis=kpis,
        curve_rows=fetch(con, CURVE_SQL, [as_of_date]),
        cohorts=fetch(
            con,
            f"select {', '.join(COHORT_COLUMNS)} from marts.ltv_cohorts "
            "where cohort_grouping in ('all_affiliates', 'affiliate') "
            "order by cohort_grouping, cohort_key, cohort_month",
        ),
        checks=fetch(
            con,
            f"select {', '.join(CHECK_COLUMNS)} from recon.daily_checks "
            "where check_date between ? and ? order by check_date, check_name, source",
            [chosen, last_day],
        ),
    )


# --- the figures (pure, exact) -----------------------------------------------------------


def _sum(rows: list[Row], column: str) -> Decimal | int:
    return sum((row[column] for row in rows if row[column] is not None), 0)


def _sum_or_none(rows: list[Row], column: str) -> Decimal | None:
    """The sum over the rows that have a value; null when none has one."""
    values = [row[column] for row in rows if row[column] is not None]
    return sum(values, ZERO) if values else None


def is_active_row(row: Row) -> bool:
    """An affiliate-month with anything to show (kpis have a row for every month from an
    affiliate's first activity on, most of them all zeros for small affiliates)."""
    figures = ("clicks", "registrations", "ndcs", "active_players", "player_ngr")
    return any(row[c] for c in figures) or bool(row["affiliate_ngr"] or row["commission_cost"])


@dataclass(frozen=True)
class Funnel:
    clicks: int
    registrations: int
    ndcs: int
    active_players: int

    @property
    def click_to_registration_rate(self) -> Decimal | None:
        return divide(self.registrations, self.clicks)

    @property
    def registration_to_deposit_rate(self) -> Decimal | None:
        return divide(self.ndcs, self.registrations)


def funnel_totals(kpis: list[Row]) -> Funnel:
    """The month's funnel over all affiliates (each attributed player has one affiliate, so
    active players add up)."""
    return Funnel(
        clicks=int(_sum(kpis, "clicks")),
        registrations=int(_sum(kpis, "registrations")),
        ndcs=int(_sum(kpis, "ndcs")),
        active_players=int(_sum(kpis, "active_players")),
    )


def funnel_rows(kpis: list[Row]) -> list[Row]:
    """The per-affiliate funnel table: affiliates with anything that month, most clicks first."""
    rows = [row for row in kpis if is_active_row(row)]
    return sorted(rows, key=lambda r: (-(r["clicks"] or 0), -(r["ndcs"] or 0), r["affiliate_id"]))


@dataclass(frozen=True)
class Leaderboard:
    rows: list[Row]
    left_out: int  # affiliates with a row that month but nothing in it
    ndcs: int
    player_ngr: Decimal
    affiliate_ngr: Decimal
    commission_cost: Decimal | None  # null when no statement of the month is built

    @property
    def commission_per_ndc(self) -> Decimal | None:
        return divide(self.commission_cost, self.ndcs)


def leaderboard(kpis: list[Row]) -> Leaderboard:
    """The month's affiliates by player NGR (highest first), with exact totals."""
    rows = sorted(
        (row for row in kpis if is_active_row(row)),
        key=lambda r: (-(r["player_ngr"] or ZERO), r["affiliate_id"]),
    )
    return Leaderboard(
        rows=rows,
        left_out=len(kpis) - len(rows),
        ndcs=int(_sum(rows, "ndcs")),
        player_ngr=_sum(rows, "player_ngr") + ZERO,
        affiliate_ngr=_sum(rows, "affiliate_ngr") + ZERO,
        commission_cost=_sum_or_none(rows, "commission_cost"),
    )


@dataclass
class CurveLine:
    name: str
    affiliates: int
    ndcs: int  # players on day 0: every NDC of the line
    days: list[int] = field(default_factory=list)
    players: list[int] = field(default_factory=list)  # whose day has elapsed
    mean_ngr: list[Decimal] = field(default_factory=list)


def _pooled_line(name: str, rows: list[Row], affiliates: int) -> CurveLine:
    players: dict[int, int] = defaultdict(int)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        players[row["day_index"]] += row["players"]
        sums[row["day_index"]] += row["cumulative_ngr_sum"]
    line = CurveLine(name, affiliates, players.get(0, 0))
    for day in sorted(players):
        line.days.append(day)
        line.players.append(players[day])
        line.mean_ngr.append(sums[day] / players[day])
    return line


def curve_lines(curve_rows: list[Row], top: int = CURVE_TOP_AFFILIATES) -> list[CurveLine]:
    """All affiliates pooled, then the `top` affiliates with the most NDCs (ties by id), then
    the other affiliates pooled into one line. Each point is the mean cumulative NGR over the
    players whose day has elapsed: sum of their cumulative NGR / their number."""
    if not curve_rows:
        return []
    by_affiliate: dict[str, list[Row]] = defaultdict(list)
    for row in curve_rows:
        by_affiliate[row["affiliate_id"]].append(row)
    ndcs = {
        affiliate: sum(r["players"] for r in rows if r["day_index"] == 0)
        for affiliate, rows in by_affiliate.items()
    }
    ranked = sorted(by_affiliate, key=lambda a: (-ndcs[a], a))
    lines = [_pooled_line(ALL_AFFILIATES, curve_rows, len(ranked))]
    lines += [_pooled_line(a, by_affiliate[a], 1) for a in ranked[:top]]
    others = ranked[top:]
    if others:
        rest = [row for a in others for row in by_affiliate[a]]
        lines.append(_pooled_line(f"other affiliates ({len(others)})", rest, len(others)))
    return lines


def cohort_table(cohorts: list[Row], grouping: str = "all_affiliates") -> list[Row]:
    return [row for row in cohorts if row["cohort_grouping"] == grouping]


@dataclass(frozen=True)
class ReconSummary:
    rows: int
    failed: int
    by_check: list[tuple[str, int, int]]  # check_name, rows passed, rows failed
    by_day: list[tuple[date, int, int]]  # check_date, rows passed, rows failed
    failures: list[Row]

    @property
    def verdict(self) -> str:
        if not self.rows:
            return "no checks"
        return "pass" if not self.failed else "fail"


def recon_summary(checks: list[Row]) -> ReconSummary:
    """Rows passed and failed per check name and per day; a row fails unless status 'pass'."""
    per_check: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for row in checks:
        failed = row["status"] != "pass"
        per_check[row["check_name"]][failed] += 1
        per_day[row["check_date"]][failed] += 1
        if failed:
            failures.append(row)
    return ReconSummary(
        rows=len(checks),
        failed=len(failures),
        by_check=[(name, *per_check[name]) for name in sorted(per_check)],
        by_day=[(day, *per_day[day]) for day in sorted(per_day)],
        failures=failures,
    )


@dataclass(frozen=True)
class Headline:
    clicks: int
    registrations: int
    ndcs: int
    active_players: int  # every player with a counted round in the month, organic included
    player_ngr: Decimal  # every player, organic included
    affiliate_player_ngr: Decimal  # the affiliate-attributed players' part
    affiliate_ngr: Decimal
    commission_cost: Decimal | None
    recon_verdict: str
    recon_failed: int
    recon_rows: int


def headline(data: ReportData, board: Leaderboard, recon: ReconSummary) -> Headline:
    funnel = funnel_totals(data.kpis)
    return Headline(
        clicks=funnel.clicks,
        registrations=funnel.registrations,
        ndcs=funnel.ndcs,
        active_players=int(data.month_activity["active_players"]),
        player_ngr=data.month_activity["player_ngr"] + ZERO,
        affiliate_player_ngr=board.player_ngr,
        affiliate_ngr=board.affiliate_ngr,
        commission_cost=board.commission_cost,
        recon_verdict=recon.verdict,
        recon_failed=recon.failed,
        recon_rows=recon.rows,
    )


# --- charts (plotly; floats from here on, for plotting only) -------------------------------

CHART_HEIGHT = 420
COLOURS = {
    "clicks": "#4c78a8",
    "player_ngr": "#4c78a8",
    "affiliate_ngr": "#72b7b2",
    "commission": "#f58518",
    "pass": "#54a24b",
    "fail": "#e45756",
}


def _float(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _layout(fig, title: str, **axes) -> None:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        template="plotly_white",
        height=CHART_HEIGHT,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.18},
        font={"family": "Helvetica, Arial, sans-serif", "size": 12},
        **axes,
    )


def funnel_figure(funnel: Funnel):
    """Horizontal bars on a linear axis, each labelled with its count and its conversion:
    a bar's length is its count (a log axis would make small stages look large)."""
    import plotly.graph_objects as go

    stages = ["Clicks", "Registrations", "NDCs", "Active players"]
    values = [funnel.clicks, funnel.registrations, funnel.ndcs, funnel.active_players]
    # conversions for the steps that are ones; active players include earlier NDCs
    texts = [f"{values[0]:,}"]
    for previous, value in zip(values[:2], values[1:3], strict=True):
        share = divide(value, previous)
        texts.append(f"{value:,}" + ("" if share is None else f" ({percent(share)} of previous)"))
    texts.append(f"{values[3]:,}")
    fig = go.Figure(
        go.Bar(
            y=stages,
            x=values,
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            marker={"color": ["#4c78a8", "#72b7b2", "#54a24b", "#f58518"]},
            name="players / clicks",
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    _layout(
        fig,
        "Funnel, all affiliates",
        xaxis={"title": {"text": "count"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        showlegend=False,
    )
    fig.update_layout(margin={"r": 160})
    return fig


def ltv_curve_figure(lines: list[CurveLine], currency: str):
    import plotly.graph_objects as go

    fig = go.Figure()
    for line in lines:
        is_all = line.name == ALL_AFFILIATES
        fig.add_trace(
            go.Scatter(
                x=line.days,
                y=[float(v) for v in line.mean_ngr],
                customdata=line.players,
                mode="lines",
                name=f"{line.name} ({line.ndcs} NDCs)",
                line={"width": 3.5 if is_all else 1.6, **({"color": "#222"} if is_all else {})},
                visible=True if is_all or line.ndcs >= CURVE_MIN_NDCS else "legendonly",
                hovertemplate="day %{x}: %{y:,.2f} per player over %{customdata} players"
                "<extra>%{fullData.name}</extra>",
            )
        )
    _layout(
        fig,
        "Mean cumulative player NGR per player by days since first deposit",
        xaxis={"title": {"text": "days since first deposit"}, "rangemode": "tozero"},
        yaxis={"title": {"text": f"{currency} per player"}, "zeroline": True},
    )
    return fig


def cohort_figure(rows: list[Row], currency: str):
    import plotly.graph_objects as go

    months = [f"{row['cohort_month']:%Y-%m}" for row in rows]
    fig = go.Figure()
    for column, label in (("ltv_30d", "LTV 30d"), ("ltv_90d", "LTV 90d"), ("ltv_365d", "LTV 365d")):
        fig.add_trace(go.Bar(x=months, y=[_float(row[column]) for row in rows], name=label))
    _layout(
        fig,
        "LTV per cohort month, all affiliates (windows fully elapsed only)",
        barmode="group",
        xaxis={"title": {"text": "first-deposit month"}, "type": "category"},
        yaxis={"title": {"text": f"{currency} per player"}},
    )
    return fig


def leaderboard_figure(board: Leaderboard, currency: str):
    import plotly.graph_objects as go

    rows = board.rows[:LEADERBOARD_CHART_AFFILIATES]
    names = [row["affiliate_id"] for row in rows]
    fig = go.Figure()
    for column, label, colour in (
        ("player_ngr", "player NGR", COLOURS["player_ngr"]),
        ("affiliate_ngr", "affiliate NGR", COLOURS["affiliate_ngr"]),
        ("commission_cost", "commission", COLOURS["commission"]),
    ):
        values = [_float(row[column]) for row in rows]
        fig.add_trace(go.Bar(x=names, y=values, name=label, marker={"color": colour}))
    shown = "" if len(board.rows) <= len(rows) else f" (top {len(rows)} by player NGR)"
    _layout(
        fig,
        f"Affiliates: NGR and commission{shown}",
        barmode="group",
        xaxis={"type": "category"},
        yaxis={"title": {"text": currency}},
    )
    return fig


def cpa_vs_ltv_points(board: Leaderboard) -> list[Row]:
    """Affiliates with a CPA-vs-LTV ratio: a commission per NDC and a positive 90-day LTV
    (the ratio means nothing against an LTV at or below zero)."""
    return [row for row in board.rows if row["cpa_vs_ltv_ratio"] is not None]


def cpa_vs_ltv_figure(points: list[Row], currency: str):
    import plotly.graph_objects as go

    x = [float(row["ltv_90d"]) for row in points]
    y = [float(row["commission_per_ndc"]) for row in points]
    top = max([0.0, *x, *y]) * 1.1 or 1.0
    low = min([0.0, *x, *y]) * 1.1
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[low, top],
            y=[low, top],
            mode="lines",
            name="commission per NDC = LTV 90d",
            line={"dash": "dash", "color": "#999"},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text",
            text=[row["affiliate_id"] for row in points],
            textposition="top center",
            marker={"size": [max(8, min(30, 6 + 2 * (row["ndcs"] or 0))) for row in points]},
            name="affiliates (marker size: NDCs)",
            hovertemplate="%{text}: LTV 90d %{x:,.2f}, commission per NDC %{y:,.2f}<extra></extra>",
        )
    )
    _layout(
        fig,
        "Commission per NDC against 90-day LTV (above the line: paying more than they bring)",
        xaxis={"title": {"text": f"LTV 90d ({currency} per NDC)"}},
        yaxis={"title": {"text": f"commission per NDC ({currency})"}},
    )
    return fig


def recon_figure(summary: ReconSummary):
    import plotly.graph_objects as go

    days = [day.isoformat() for day, _, _ in summary.by_day]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=days,
            y=[p for _, p, _ in summary.by_day],
            name="rows passed",
            marker={"color": COLOURS["pass"]},
        )
    )
    fig.add_trace(
        go.Bar(
            x=days,
            y=[f for _, _, f in summary.by_day],
            name="rows failed",
            marker={"color": COLOURS["fail"]},
        )
    )
    _layout(
        fig,
        "Reconciliation check rows by day",
        barmode="stack",
        xaxis={"type": "date"},
        yaxis={"title": {"text": "check rows"}},
    )
    return fig


def figure_html(fig, div_id: str) -> str:
    """One chart's div and script; plotly.js itself is embedded once by the template."""
    import plotly.io as pio

    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        default_height=f"{CHART_HEIGHT}px",
        # no "share chart" button: it would upload the chart to Plotly's cloud
        config={
            "displaylogo": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "lasso2d"],
        },
    )


PLOTLY_SCRIPT_OPEN = '<script id="plotly-js">'


def split_plotly_js(html: str) -> tuple[str, str]:
    """(the embedded plotly.js bundle, the rest of the page): the bundle carries inert URL
    strings of its own (SVG namespaces, map tile defaults, licence links) that the report
    never loads; the rest of the page must carry none."""
    start = html.index(PLOTLY_SCRIPT_OPEN) + len(PLOTLY_SCRIPT_OPEN)
    end = html.index("</script>", start)
    return html[start:end], html[:start] + html[end:]


@cache
def plotly_js() -> str:
    """The plotly.js bundle that ships with plotly.py (no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


# --- html --------------------------------------------------------------------------------


@cache
def _template() -> jinja2.Template:
    filters = {"money": money, "count": count, "percent": percent, "ratio": ratio}
    return load_template(TEMPLATE_NAME, filters)


def build_charts(
    funnel: Funnel,
    lines: list[CurveLine],
    cohorts: list[Row],
    board: Leaderboard,
    points: list[Row],
    recon: ReconSummary,
    currency: str,
) -> dict[str, str | None]:
    """Each chart's HTML by name; None where there is nothing to draw (the page says so)."""
    has_cohort_ltv = any(row[c] is not None for row in cohorts for c in ("ltv_30d", "ltv_90d"))
    built = {
        "funnel": funnel_figure(funnel) if funnel.clicks or funnel.registrations else None,
        "ltv_curves": ltv_curve_figure(lines, currency) if lines else None,
        "cohorts": cohort_figure(cohorts, currency) if has_cohort_ltv else None,
        "leaderboard": leaderboard_figure(board, currency) if board.rows else None,
        "cpa_vs_ltv": cpa_vs_ltv_figure(points, currency) if points else None,
        "recon": recon_figure(recon) if recon.rows else None,
    }
    return {
        name: None if fig is None else figure_html(fig, f"chart-{name.replace('_', '-')}")
        for name, fig in built.items()
    }


def render_report(
    data: ReportData,
    generated_at: datetime,
    currency: str = "EUR",
    embed_plotly: bool = True,
) -> str:
    """The report as one HTML document (plotly.js inline once; no network resources)."""
    from igw import __version__

    funnel = funnel_totals(data.kpis)
    board = leaderboard(data.kpis)
    recon = recon_summary(data.checks)
    lines = curve_lines(data.curve_rows)
    all_cohorts = cohort_table(data.cohorts, "all_affiliates")
    shown_affiliates = [line.name for line in lines[1 : CURVE_TOP_AFFILIATES + 1]]
    affiliate_cohorts = [
        row
        for row in cohort_table(data.cohorts, "affiliate")
        if row["cohort_key"] in shown_affiliates
    ]
    points = cpa_vs_ltv_points(board)
    charts = build_charts(funnel, lines, all_cohorts, board, points, recon, currency)
    return _template().render(
        data=data,
        month=f"{data.month:%Y-%m}",
        month_last_day=month_end(data.month),
        generated_at=generated_at.astimezone(UTC),
        version=__version__,
        currency=currency,
        head=headline(data, board, recon),
        funnel=funnel,
        funnel_rows=funnel_rows(data.kpis),
        lines=lines,
        curve_top=CURVE_TOP_AFFILIATES,
        curve_min_ndcs=CURVE_MIN_NDCS,
        all_cohorts=all_cohorts,
        affiliate_cohorts=affiliate_cohorts,
        board=board,
        points=points,
        recon=recon,
        charts=charts,
        plotly_js=plotly_js() if embed_plotly else "",
        chart_count=sum(1 for html in charts.values() if html),
    )


def report_path(data_dir: Path | str | None, month: date) -> Path:
    return paths(data_dir).exports / REPORTS_SUBDIR / f"report-{month:%Y-%m}.html"


def write_report(html: str, target: Path) -> Path:
    """Write next to the target, then rename over it: a reader sees the old file or the new
    one whole, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex}"
    try:
        staged.write_text(html, encoding="utf-8")
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class ReportOutcome:
    path: Path
    month: date
    as_of_date: date
    charts: int
    recon_verdict: str


def build_report(
    data_dir: Path | str | None = None,
    month: date | None = None,
    generated_at: datetime | None = None,
) -> ReportOutcome:
    """Read the warehouse, render the month's report and write it under exports/reports/."""
    warehouse = paths(data_dir).warehouse
    with connect(data_dir) as con:
        try:
            data = read_report_data(con, month, warehouse)
        except duckdb.Error as error:
            raise ReportError(f"cannot read {warehouse}: {first_line(error)}") from None
    html = render_report(data, generated_at or datetime.now(UTC), base_currency())
    target = write_report(html, report_path(data_dir, data.month))
    return ReportOutcome(
        path=target,
        month=data.month,
        as_of_date=data.as_of_date,
        charts=html.count('class="plotly-graph-div"'),
        recon_verdict=recon_summary(data.checks).verdict,
    )
