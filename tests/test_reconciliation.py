"""The reconciliation (recon.daily_checks, igw reconcile) on a generated operator plus
hand-made records whose figures are worked out here by hand.

One warehouse for the module: the generated operator (August and September 2026) lands
night by night up to the day before one of its players-published-late lands, and is
built; then the rest lands with the hand-made records (October, tests/recon_handmade.py)
and an incremental build takes the window. The generator's planted faults (a PSP file
missing one deposit, a provider report missing one round) must fail on exactly their
cells; every other generated day must pass.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pyarrow.compute as pc
import pytest
from landed_operator import land_published, publication_days
from recon_handmade import (
    ACTIVITY_DAY,
    CLICKS_DAY,
    EVENTS_LANDED_DAY,
    ONE_UNKNOWN_CLICK_DAY,
    UNKNOWN_CLICKS_DAY,
    land_handmade,
)
from typer.testing import CliRunner

from igw.cli import app
from igw.config import DATA_DIR_ENV
from igw.dbt_runner import build_args, run_dbt, window_vars
from igw.reconcile import CheckRow, ReconError, ReconResult, read_checks, reconcile_day
from ingestion.generator import generate_operator
from ingestion.generator.operator import without_invalid_records

D = Decimal
SEED = 11
PLAYERS = 50
START = date(2026, 8, 1)
GENERATED_END = date(2026, 9, 30)
EVERYTHING = (date(2026, 1, 1), date(2026, 12, 31))
RECON_MODELS = "stg_landing__deliveries path:models/intermediate/recon daily_checks"
runner = CliRunner()


def _orphan_split(operator) -> tuple[str, date]:
    """A player published after its first rounds, and the day before it lands: built up to
    that day, its rounds are orphans."""
    players, rounds = operator.tables["crm.players"], operator.tables["games.rounds"]
    candidates = []
    for row in operator.ground_truth["faults"].to_pylist():
        if row["fault"] != "player_published_late":
            continue
        player = row["key"]
        landed = pc.filter(
            operator.published_on["crm.players"], pc.equal(players["player_id"], player)
        )
        first_round = pc.filter(
            operator.published_on["games.rounds"], pc.equal(rounds["player_id"], player)
        )
        published = min(landed.to_pylist())
        if first_round and min(first_round.to_pylist()) < published:
            candidates.append((published, player))
    published, player = max(candidates)
    return player, published - timedelta(days=1)


def _snapshot(data_dir) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select * from recon.daily_checks order by 1, 2, 3").fetchall()


@pytest.fixture(scope="module")
def recon(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("recon")
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(data_dir)
    operator = generate_operator(seed=SEED, players=PLAYERS, start=START, months=2)
    orphan, split = _orphan_split(operator)
    days = publication_days(operator)
    land_published(operator, data_dir, days[0], split)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    before = read_checks(data_dir, *EVERYTHING)
    land_published(operator, data_dir, split + timedelta(days=1), days[-1])
    last_landing = land_handmade(data_dir)
    window = window_vars(split + timedelta(days=1), last_landing + timedelta(days=1))
    run_dbt(build_args(exclude="tag:monthly", dbt_vars=window, command="run"), data_dir)
    incremental = _snapshot(data_dir)
    run_dbt(
        build_args(select=RECON_MODELS, exclude="tag:monthly", full_refresh=True, command="run"),
        data_dir,
    )
    yield {
        "data_dir": data_dir,
        "operator": operator,
        "orphan": orphan,
        "split": split,
        "before": before,
        "incremental": incremental,
        "checks": read_checks(data_dir, *EVERYTHING),
    }
    if previous is None:
        os.environ.pop(DATA_DIR_ENV, None)
    else:
        os.environ[DATA_DIR_ENV] = previous


def rows_of(result: ReconResult, day: date | None = None, check=None, source=None) -> list:
    return [
        row
        for row in result.rows
        if (day is None or row.check_date == day)
        and (check is None or row.check_name == check)
        and (source is None or row.source == source)
    ]


def figures(row: CheckRow) -> tuple:
    return (row.expected, row.actual, row.difference, row.tolerance, row.status)


def one(result: ReconResult, day: date, check: str, source: str) -> tuple:
    (row,) = rows_of(result, day, check, source)
    return figures(row)


def planted(operator, fault: str) -> dict:
    (row,) = [r for r in operator.ground_truth["faults"].to_pylist() if r["fault"] == fault]
    return row


DAILY_FAMILIES = {
    "settlement_file",
    "settlement_deposit_amount",
    "provider_report",
    "provider_stakes_real",
    "orphan_records",
    "unconvertible_amounts",
    "duplicate_deliveries",
    "late_arrivals",
    "revenue_ngr",
}


def clean_day(recon) -> date:
    """The first generated day, other than the planted ones, with every daily family."""
    planted_days = {
        date.fromisoformat(planted(recon["operator"], fault)["key"][:10])
        for fault in ("settlement_mismatch", "provider_report_mismatch")
    }
    families = defaultdict(set)
    for row in recon["checks"].rows:
        families[row.check_date].add(row.check_name)
    return min(
        day
        for day, names in families.items()
        if START <= day <= GENERATED_END and day not in planted_days and names >= DAILY_FAMILIES
    )


# --- the generated operator ----------------------------------------------------------------


def test_incremental_build_equals_a_full_rebuild(recon):
    assert recon["incremental"] == _snapshot(recon["data_dir"])
    grain = Counter((r.check_date, r.check_name, r.source) for r in recon["checks"].rows)
    assert max(grain.values()) == 1  # one row per day, check and source


def test_planted_settlement_file_fails_on_exactly_its_cell(recon):
    fault = planted(recon["operator"], "settlement_mismatch")
    day, psp, currency = fault["key"].split("|")
    # the generator's own totals, from its detail: "... deposit_count 2 instead of 3,
    # deposit_amount 30.0000 instead of 1075.0000": the file misses one deposit
    (count_file, count_true), (amount_file, amount_true) = (
        (D(a), D(b))
        for a, b in re.findall(r"deposit_\w+ (-?[\d.]+) instead of (-?[\d.]+)", fault["detail"])
    )
    failures = {
        (r.check_date, r.check_name, r.source): figures(r)
        for r in recon["checks"].failures
        if r.check_name.startswith("settlement")
    }
    cell = f"{psp}|{currency}"
    day = date.fromisoformat(day)
    generated = {k: v for k, v in failures.items() if k[0] <= GENERATED_END}
    assert generated == {
        (day, "settlement_deposit_count", cell): (
            count_true,
            count_file,
            count_file - count_true,
            0,
            "fail",
        ),
        (day, "settlement_deposit_amount", cell): (
            amount_true,
            amount_file,
            amount_file - amount_true,
            0,
            "fail",
        ),
    }
    assert count_file - count_true == -1  # exactly one deposit
    # the file's other figures agree
    assert one(recon["checks"], day, "settlement_fee_amount", cell)[4] == "pass"


def test_planted_provider_report_fails_on_exactly_its_cell(recon):
    fault = planted(recon["operator"], "provider_report_mismatch")
    day, provider, currency = fault["key"].split("|")
    # "... rounds_count 73 instead of 74, stakes_real 313.21 instead of 317.36, wins_real ..."
    found = dict(
        (name, (D(a), D(b)))
        for name, a, b in re.findall(r"(\w+) (-?[\d.]+) instead of (-?[\d.]+)", fault["detail"])
    )
    cell = f"{provider}|{currency}"
    day = date.fromisoformat(day)
    expected = {
        (day, f"provider_{name}", cell): (true, reported, reported - true, 0, "fail")
        for name, (reported, true) in found.items()
        if reported != true
    }
    failures = {
        (r.check_date, r.check_name, r.source): figures(r)
        for r in recon["checks"].failures
        if r.check_name.startswith("provider") and r.check_date <= GENERATED_END
    }
    assert failures == expected
    assert found["rounds_count"][1] - found["rounds_count"][0] == 1  # one round missing
    assert len(expected) == 3  # the round missed staked and won real money


def test_every_other_generated_day_passes_every_check(recon):
    operator = recon["operator"]
    planted_cells = {
        planted(operator, fault)["key"]
        for fault in ("settlement_mismatch", "provider_report_mismatch")
    }
    unexpected = [
        r
        for r in recon["checks"].failures
        if r.check_date <= GENERATED_END and f"{r.check_date}|{r.source}" not in planted_cells
    ]
    assert unexpected == []
    # a clean day with rows of every daily family passes every one of them
    day_rows = rows_of(recon["checks"], clean_day(recon))
    assert {r.status for r in day_rows} == {"pass"}
    assert {r.check_name for r in day_rows} >= DAILY_FAMILIES


def test_orphan_rounds_fail_until_their_player_lands(recon):
    operator, player, split = recon["operator"], recon["orphan"], recon["split"]
    valid = without_invalid_records(operator)
    rounds, published = valid.tables["games.rounds"], valid.published_on["games.rounds"]
    # the player's rounds landed by the split day, by settlement day (one per round id)
    landed = defaultdict(set)
    mine = pc.equal(rounds["player_id"], player).to_pylist()
    for is_mine, row, day in zip(
        mine,
        rounds.select(["round_id", "settled_at"]).to_pylist(),
        published.to_pylist(),
        strict=True,
    ):
        if is_mine and day <= split:
            landed[row["settled_at"].date()].add(row["round_id"])
    assert landed
    for day, round_ids in landed.items():
        before = one(recon["before"], day, "orphan_records", "games.rounds.player_id")
        # the other rounds of the day belong to known players: exactly this player's count
        assert before[:2] == (0, len(round_ids)) and before[4] == "fail"
        after = one(recon["checks"], day, "orphan_records", "games.rounds.player_id")
        assert after == (0, 0, 0, 0, "pass")


def test_late_arrivals_and_duplicates_are_the_generators(recon):
    operator = recon["operator"]
    checks = recon["checks"]
    late = Counter()
    for row in operator.ground_truth["late"].to_pylist():
        late[(row["published_on"], row["entity"])] += 1
    counted = Counter()
    for row in rows_of(checks, check="late_arrivals"):
        if row.check_date <= GENERATED_END and row.actual:
            counted[(row.check_date, row.source)] = int(row.actual)
    assert counted == late  # nightly landings: late = landed on a later day than its own
    duplicates = Counter(
        row["entity"]
        for row in operator.ground_truth["faults"].to_pylist()
        if row["fault"] == "duplicate_delivery"
    )
    found = Counter()
    for row in rows_of(checks, check="duplicate_deliveries"):
        if row.check_date <= GENERATED_END:
            found[row.source] += int(row.actual)
    assert +found == duplicates


def test_the_warehouse_agrees_with_itself(recon):
    revenue = [r for r in recon["checks"].rows if r.check_name.startswith("revenue_")]
    assert revenue and all(r.status == "pass" and r.difference == 0 for r in revenue)
    assert {r.check_name for r in revenue} == {
        f"revenue_{name}"
        for name in (
            "ggr",
            "bonus_cost",
            "chargebacks",
            "payment_fees",
            "jackpot",
            "gaming_tax",
            "ngr",
            "deposits",
            "deposit_count",
            "withdrawals",
        )
    }


# --- hand-made records (tests/recon_handmade.py) -------------------------------------------


def test_a_settlement_file_with_one_deposit_too_many(recon):
    checks = recon["checks"]
    # recon_psp approved 100.00 + 50.00 (fees 2.00 + 1.00); its file says 3 deposits of
    # 175.00: one deposit of 25.00 more. expected 2, actual 3, difference 1; expected
    # 150.00, actual 175.00, difference 25.00; fees 3.00 = 3.00.
    cell = "recon_psp|EUR"
    assert one(checks, ACTIVITY_DAY, "settlement_deposit_count", cell) == (2, 3, 1, 0, "fail")
    assert one(checks, ACTIVITY_DAY, "settlement_deposit_amount", cell) == (
        D("150.00"),
        D("175.00"),
        D("25.00"),
        0,
        "fail",
    )
    assert one(checks, ACTIVITY_DAY, "settlement_fee_amount", cell) == (
        D("3.00"),
        D("3.00"),
        0,
        0,
        "pass",
    )
    assert one(checks, ACTIVITY_DAY, "settlement_withdrawal_amount", cell)[4] == "pass"
    assert one(checks, ACTIVITY_DAY, "settlement_file", cell) == (1, 1, 0, 0, "pass")
    # recon_psp2 paid out 40.00 and sent no file; recon_psp3 sent a file with nothing behind
    assert one(checks, ACTIVITY_DAY, "settlement_file", "recon_psp2|EUR") == (1, 0, -1, 0, "fail")
    assert one(checks, ACTIVITY_DAY, "settlement_file", "recon_psp3|EUR") == (0, 1, 1, 0, "fail")
    assert rows_of(checks, ACTIVITY_DAY, "settlement_withdrawal_amount", "recon_psp2|EUR") == []


def test_a_provider_report_that_counts_a_cancelled_round(recon):
    checks = recon["checks"]
    # recon_provider: recon_r1 (10.00, win 4.00) and recon_r2 (20.00, 0) count; recon_r3
    # (5.00) was re-sent cancelled. The report still counts it: 3 rounds, stakes 35.00.
    cell = "recon_provider|EUR"
    assert one(checks, ACTIVITY_DAY, "provider_rounds_count", cell) == (2, 3, 1, 0, "fail")
    assert one(checks, ACTIVITY_DAY, "provider_stakes_real", cell) == (
        D("30.00"),
        D("35.00"),
        D("5.00"),
        0,
        "fail",
    )
    assert one(checks, ACTIVITY_DAY, "provider_wins_real", cell) == (
        D("4.00"),
        D("4.00"),
        0,
        0,
        "pass",
    )
    # recon_provider2 reports its EUR round (an orphan's) and its CHF round (no rate) right
    for cell in ("recon_provider2|EUR", "recon_provider2|CHF"):
        day_rows = [r for r in rows_of(checks, ACTIVITY_DAY, source=cell)]
        assert len(day_rows) == 4 and {r.status for r in day_rows} == {"pass"}


def test_orphans_unconvertible_amounts_and_unknown_clicks(recon):
    checks = recon["checks"]
    # recon_r4 belongs to recon_ghost, a player the CRM never sent: 1 orphan, tolerance 0
    assert one(checks, ACTIVITY_DAY, "orphan_records", "games.rounds.player_id") == (
        0,
        1,
        1,
        0,
        "fail",
    )
    # recon_r5 is in CHF, which has no rate at all: held back, 1, tolerance 0
    assert one(checks, ACTIVITY_DAY, "unconvertible_amounts", "games.rounds") == (
        0,
        1,
        1,
        0,
        "fail",
    )
    assert one(checks, ACTIVITY_DAY, "unconvertible_amounts", "payments.transactions") == (
        0,
        0,
        0,
        0,
        "pass",
    )
    # four registrations whose click ids are unknown: 4 > max(3, 0.25 × 4 = 1) = 3
    assert one(checks, UNKNOWN_CLICKS_DAY, "orphan_records", "crm.players.click_id") == (
        0,
        4,
        4,
        3,
        "fail",
    )
    # one: 1 ≤ max(3, 0.25 × 1) = 3
    assert one(checks, ONE_UNKNOWN_CLICK_DAY, "orphan_records", "crm.players.click_id") == (
        0,
        1,
        1,
        3,
        "pass",
    )
    # a click of campaign recon_cmp_missing, which never landed
    assert one(checks, CLICKS_DAY, "orphan_records", "affiliate.clicks.campaign_id") == (
        0,
        1,
        1,
        0,
        "fail",
    )
    assert one(checks, CLICKS_DAY, "orphan_records", "affiliate.clicks.affiliate_id")[4] == "pass"


def test_duplicate_deliveries_and_late_arrivals_beyond_a_share_of_the_day(recon):
    checks = recon["checks"]
    # 12 clicks landed twice, plus one more: 25 rows, 12 duplicates > max(10, 10% × 25) = 10
    assert one(checks, CLICKS_DAY, "duplicate_deliveries", "affiliate.clicks") == (
        0,
        12,
        12,
        10,
        "fail",
    )
    assert one(checks, CLICKS_DAY, "late_arrivals", "affiliate.clicks") == (0, 0, 0, 10, "pass")
    # 11 events of 10-05 landed on 10-09, after the runs of 10-05 to 10-08: 11 > 10
    assert one(checks, EVENTS_LANDED_DAY, "late_arrivals", "crm.player_events") == (
        0,
        11,
        11,
        10,
        "fail",
    )
    # a corrected round (another version) is no duplicate: 6 rows of 10-05, 0 duplicates
    assert one(checks, ACTIVITY_DAY, "duplicate_deliveries", "games.rounds") == (
        0,
        0,
        0,
        10,
        "pass",
    )


# --- reading and the command line ----------------------------------------------------------


def test_read_checks_summarises_a_day(recon):
    fault = planted(recon["operator"], "provider_report_mismatch")
    day = date.fromisoformat(fault["key"][:10])
    result = read_checks(recon["data_dir"], day, day)
    assert not result.passed
    assert {(r.check_name, r.source) for r in result.failures} == {
        (f"provider_{name}", fault["key"][11:])
        for name in ("rounds_count", "stakes_real", "wins_real")
    }
    by_check = {name: (passed, failed) for name, passed, failed in result.by_check()}
    assert by_check["provider_rounds_count"][1] == 1
    assert sum(p + f for p, f in by_check.values()) == len(result.rows)
    with pytest.raises(ReconError, match="no reconciliation for 2031-01-01"):
        read_checks(recon["data_dir"], date(2031, 1, 1), date(2031, 1, 1))


def test_reconcile_a_failing_day_prints_its_rows_and_exits_1(recon):
    fault = planted(recon["operator"], "settlement_mismatch")
    day, psp, currency = fault["key"].split("|")
    result = runner.invoke(app, ["reconcile", "--date", day, "--data-dir", str(recon["data_dir"])])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "settlement_deposit_count" in line]
    # the summary line and the failing row: expected n, actual n - 1, difference -1
    assert any(
        f"{day} settlement_deposit_count {psp}|{currency}: expected" in line
        and "difference -1, tolerance 0" in line
        for line in lines
    ), result.output
    assert "settlement_deposit_amount" in result.output


def test_reconcile_a_clean_day_exits_0(recon):
    clean = clean_day(recon)
    result = runner.invoke(
        app, ["reconcile", "--date", clean.isoformat(), "--data-dir", str(recon["data_dir"])]
    )
    assert result.exit_code == 0, result.output
    assert "Every check passed" in result.output
    # recomputing changed nothing
    assert read_checks(recon["data_dir"], clean, clean).rows == tuple(
        rows_of(recon["checks"], clean)
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-9-1", "--date must be a date YYYY-MM-DD"),
        ("2031-01-01", "no reconciliation for 2031-01-01"),
    ],
)
def test_reconcile_bad_input_exits_2(recon, day, message):
    result = runner.invoke(app, ["reconcile", "--date", day, "--data-dir", str(recon["data_dir"])])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_reconcile_without_a_warehouse_exits_2(data_dir):
    result = runner.invoke(app, ["reconcile", "--date", "2026-08-01", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "no warehouse at" in result.output
    assert list(data_dir.iterdir()) == []


# --- statements (the monthly payout build) -------------------------------------------------


def test_a_payout_build_adds_statement_checks_that_a_daily_rebuild_keeps(recon):
    from igw.payout import build_payout

    data_dir = recon["data_dir"]
    build_payout(date(2026, 9, 1), data_dir, today=date(2026, 11, 21), export=False)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        statements = dict(
            con.execute(
                "select period_month, count(*) from finance.statement_periods group by 1"
            ).fetchall()
        )
    month_ends = {date(2026, 8, 1): date(2026, 8, 31), date(2026, 9, 1): date(2026, 9, 30)}
    checks = read_checks(data_dir, *EVERYTHING)
    for month, end in month_ends.items():
        rows = rows_of(checks, end, "statement_total")
        assert len(rows) == statements[month] > 0
        assert all(r.status == "pass" and r.difference == 0 for r in rows)
    # recomputing the month's last day reads the statement checks again
    again = reconcile_day(data_dir, date(2026, 9, 30))
    assert rows_of(again, check="statement_total") == rows_of(
        checks, date(2026, 9, 30), "statement_total"
    )
