"""Nightly incremental builds equal a full rebuild, and reopen only the days they touch.

A generated operator lands day by day as its vendors publish it (late clicks, rounds and
events, rounds re-sent cancelled, deposits pending then approved or reversed, a missing USD
rate, players published after their first rounds). The warehouse is built once, then night
by night with the window of each night's landing partitions (dbt vars min_date/max_date,
as Dagster passes them), then once more with `--full-refresh`: every public table and every
incremental fact must hold exactly the same rows.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from landed_operator import land_published, publication_days

from igw.dbt_runner import build_args, run_dbt, window_vars
from ingestion.generator import generate_operator
from ingestion.generator.operator import without_invalid_records

NIGHTS = 4  # single-day builds; then one multi-day catch-up (a backfill is one invocation)
CATCH_UP_DAYS = 6
EXCLUDE = os.environ.get("IGW_TEST_EXCLUDE", "tag:monthly")

# (table, its grain): compared row for row, bookkeeping columns left out.
COMPARED = {
    "marts.player_daily_revenue": "player_id, activity_date",
    "marts.affiliate_daily_performance": "affiliate_id, campaign_id, activity_date",
    "marts.player_attribution": "player_id",
    "intermediate.int_revenue__player_daily": "player_id, activity_date",
    "intermediate.int_performance__daily_clicks": "affiliate_id, campaign_id, click_date",
    "intermediate.int_revenue__counted_rounds": "round_id",
    "intermediate.int_revenue__counted_transactions": "transaction_id, movement",
    "intermediate.int_revenue__counted_bonus_conversions": "bonus_txn_id",
    "staging.stg_games__rounds": "round_id",
    "staging.stg_affiliate__clicks": "click_id",
}
BOOKKEEPING = {"previous_activity_date"}


def snapshot(data_dir) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        tables = {}
        for table, grain in COMPARED.items():
            schema, name = table.split(".")
            columns = [
                column
                for (column,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
                if column not in BOOKKEEPING
            ]
            assert columns, f"{table} was not built"
            tables[table] = con.execute(
                f"select {', '.join(columns)} from {table} order by {grain}"
            ).fetchall()
        return tables


def reopened_days(data_dir) -> set[date]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return {
            day
            for (day,) in con.execute(
                "select reopened_date from intermediate.int_revenue__reopened_days"
            ).fetchall()
        }


def _days(column: pa.ChunkedArray) -> set[date]:
    return {d for d in pc.cast(column, pa.date32()).to_pylist() if d is not None}


def days_a_night_may_touch(operator, night_first: date, night_last: date) -> set[date]:
    """Every activity day of the round, transaction and bonus versions published in the
    night's window and of the earlier versions of the same records, and the days a rate
    published then can convert (its own day and the 7 after it)."""
    touched: set[date] = set()
    for key, key_column, day_columns in (
        ("games.rounds", "round_id", [("settled_at", "updated_at")]),
        (
            "payments.transactions",
            "transaction_id",
            [("processed_at", "updated_at"), ("updated_at",)],
        ),
        ("crm.bonuses", "bonus_txn_id", [("occurred_at",)]),
    ):
        table, published = operator.tables[key], operator.published_on[key]
        first, last = pa.scalar(night_first, pa.date32()), pa.scalar(night_last, pa.date32())
        in_night = pc.and_(pc.greater_equal(published, first), pc.less_equal(published, last))
        keys = pc.unique(pc.filter(table[key_column], in_night))
        versions = table.filter(
            pc.and_(pc.is_in(table[key_column], keys), pc.less_equal(published, last))
        )
        for columns in day_columns:
            value = versions[columns[0]]
            for fallback in columns[1:]:
                value = pc.coalesce(value, versions[fallback])
            touched |= _days(value)
    rates = operator.tables["payments.fx_rates"]
    published = operator.published_on["payments.fx_rates"]
    in_night = pc.and_(
        pc.greater_equal(published, pa.scalar(night_first, pa.date32())),
        pc.less_equal(published, pa.scalar(night_last, pa.date32())),
    )
    for rate_day in _days(pc.filter(rates["rate_date"], in_night)):
        touched |= {rate_day + timedelta(days=n) for n in range(8)}
    return touched


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("nightly")
    previous = os.environ.get("IGW_DATA_DIR")
    os.environ["IGW_DATA_DIR"] = str(data_dir)
    operator = without_invalid_records(
        generate_operator(seed=23, players=300, start=date(2026, 3, 1), months=3)
    )
    days = publication_days(operator)
    history_last = days[-1] - timedelta(days=NIGHTS + CATCH_UP_DAYS)
    land_published(operator, data_dir, days[0], history_last)
    run_dbt(build_args(exclude=EXCLUDE), data_dir)

    windows = [
        (history_last + timedelta(days=n), history_last + timedelta(days=n))
        for n in range(1, NIGHTS + 1)
    ]
    windows.append((windows[-1][1] + timedelta(days=1), days[-1]))
    nights = []
    for first, last in windows:
        landed = land_published(operator, data_dir, first, last)
        run_dbt(
            build_args(
                command="run",
                exclude=EXCLUDE,
                dbt_vars=window_vars(first, last + timedelta(days=1)),
            ),
            data_dir,
        )
        nights.append(
            {
                "first": first,
                "last": last,
                "landed": landed,
                "reopened": reopened_days(data_dir),
                "may_touch": days_a_night_may_touch(operator, first, last),
            }
        )
    incremental = snapshot(data_dir)
    run_dbt(build_args(exclude=EXCLUDE, full_refresh=True), data_dir)
    full = snapshot(data_dir)
    yield {"operator": operator, "nights": nights, "incremental": incremental, "full": full}
    if previous is None:
        os.environ.pop("IGW_DATA_DIR", None)
    else:
        os.environ["IGW_DATA_DIR"] = previous


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_nightly_builds_equal_a_full_refresh(nightly, table):
    incremental, full = nightly["incremental"][table], nightly["full"][table]
    assert len(full) > 0
    missing = sorted(set(full) - set(incremental))[:5]
    extra = sorted(set(incremental) - set(full))[:5]
    assert incremental == full, f"{table}: missing {missing}, extra {extra}"


def test_each_night_reopens_only_the_days_its_records_touch(nightly):
    for night in nightly["nights"]:
        assert night["landed"].get("games.rounds"), f"nothing landed {night['first']}"
        reopened, may_touch = night["reopened"], night["may_touch"]
        assert reopened, f"{night['first']}: no day reopened"
        assert reopened <= may_touch, f"{night['first']}: {sorted(reopened - may_touch)}"
        # A night reopens days, not history: the three months stay closed but for a few days.
        assert len(reopened) < 20, f"{night['first']}: {len(reopened)} days reopened"


def test_late_and_corrected_rounds_reopen_their_own_days(nightly):
    """Rounds published days after they settled (late) or re-sent cancelled: the night that
    lands them reopens their settlement day, which lies before the night."""
    operator = nightly["operator"]
    rounds, published = operator.tables["games.rounds"], operator.published_on["games.rounds"]
    checked = 0
    for night in nightly["nights"]:
        first, last = pa.scalar(night["first"], pa.date32()), pa.scalar(night["last"], pa.date32())
        in_night = pc.and_(pc.greater_equal(published, first), pc.less_equal(published, last))
        settled_days = _days(pc.filter(rounds["settled_at"], in_night))
        older = {day for day in settled_days if day < night["first"] - timedelta(days=1)}
        assert older <= night["reopened"]
        checked += len(older)
    assert checked > 0, "no late or corrected round landed in the nightly windows"
