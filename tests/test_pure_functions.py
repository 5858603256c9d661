"""Unit tests of the pure functions that build arguments, windows and months."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from igw.config import resolve_data_dir
from igw.dbt_runner import build_args, payout_vars, window_vars
from igw.demo import demo_period
from igw.payout import PayoutError, PayoutState, ensure_ended, next_month, parse_month
from ingestion.contract import MONEY, TIMESTAMP, entity, load_contract, parse_type
from ingestion.landing import conform, land_batch
from orchestration.partition_args import daily_build_args, monthly_build_args, payout_month


def test_build_args_passes_selection_vars_and_full_refresh():
    args = build_args(exclude="tag:monthly", dbt_vars={"b": 2, "a": 1}, full_refresh=True)
    assert args[0] == "build"
    assert args[args.index("--exclude") + 1] == "tag:monthly"
    assert json.loads(args[args.index("--vars") + 1]) == {"a": 1, "b": 2}
    assert args[-1] == "--full-refresh"
    assert "--select" not in args
    # dbt's unit tests run in `make test`, not in warehouse builds, unless asked for
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert "--exclude-resource-type" not in build_args(unit_tests=True)
    assert "--exclude-resource-type" not in build_args(command="run")


def test_partition_window_is_end_exclusive():
    # A Dagster daily partition 2026-08-05 is the window [08-05, 08-06): one day.
    assert window_vars(date(2026, 8, 5), date(2026, 8, 6)) == {
        "min_date": "2026-08-05",
        "max_date": "2026-08-05",
    }
    with pytest.raises(ValueError):
        window_vars(date(2026, 8, 5), date(2026, 8, 5))


def test_dagster_partitions_map_to_dbt_vars():
    daily = daily_build_args(datetime(2026, 8, 1), datetime(2026, 8, 8))
    assert json.loads(daily[2]) == {"min_date": "2026-08-01", "max_date": "2026-08-07"}
    monthly = monthly_build_args(datetime(2026, 9, 1))
    assert json.loads(monthly[2]) == {"payout_month": "2026-09-01"}
    for args in (daily, monthly):
        assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    with pytest.raises(ValueError):
        payout_vars(date(2026, 9, 2))


def test_a_monthly_partition_is_its_payout_month():
    # A Dagster monthly window starts at midnight UTC on the 1st: the month is that date.
    assert payout_month(datetime(2026, 11, 1, tzinfo=UTC)) == date(2026, 11, 1)
    assert payout_month(date(2026, 11, 1)) == date(2026, 11, 1)
    with pytest.raises(ValueError, match="day 1"):
        payout_month(datetime(2026, 11, 2))
    assert json.loads(monthly_build_args(date(2026, 11, 1))[2]) == {"payout_month": "2026-11-01"}


def test_parse_month_and_refusing_open_months():
    assert parse_month("2026-10") == date(2026, 10, 1)
    for bad in ("2026-13", "2026-1", "october", "2026-10-01"):
        with pytest.raises(PayoutError, match="YYYY-MM"):
            parse_month(bad)
    ensure_ended(date(2026, 10, 1), today=date(2026, 11, 1))  # ended the day before
    with pytest.raises(PayoutError, match="has not ended"):
        ensure_ended(date(2026, 11, 1), today=date(2026, 11, 30))


def test_next_month_crosses_years():
    assert next_month(date(2025, 11, 1)) == date(2025, 12, 1)
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)


def test_the_first_open_month_follows_the_latest_closed_one():
    from datetime import datetime

    nothing_closed = PayoutState(built=(date(2026, 8, 1),), closed={})
    assert (nothing_closed.last_closed, nothing_closed.first_open) == (None, None)
    closed = {date(2026, 11, 1): datetime(2026, 12, 2), date(2026, 12, 1): datetime(2027, 1, 3)}
    state = PayoutState(built=(date(2026, 11, 1), date(2026, 12, 1)), closed=closed)
    assert (state.last_closed, state.first_open) == (date(2026, 12, 1), date(2027, 1, 1))


def test_demo_period_is_the_full_months_before_today():
    period = demo_period(date(2026, 1, 15), months=3)
    assert period.start == date(2025, 10, 1)
    assert period.last_month == date(2025, 12, 1)


def test_data_dir_resolution_prefers_flag_then_env(monkeypatch, tmp_path):
    monkeypatch.setenv("IGW_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_data_dir() == tmp_path / "env"


def test_contract_types_and_keys():
    contract = load_contract()
    assert len(contract) == 13
    assert parse_type("decimal nullable") == (MONEY, True, None)
    assert parse_type("enum [ngr, ndc] nullable") == (pa.string(), True, ("ngr", "ndc"))
    rounds = entity("games.rounds")
    assert rounds.primary_key == ("round_id",)
    assert rounds.schema.field("settled_at").type == TIMESTAMP
    assert rounds.delivery_style == "bulk_export"
    assert entity("payments.settlements").primary_key == ("settlement_date", "psp", "currency")
    assert entity("crm.player_events").delivery_day_field == "occurred_at"
    pii = {(e.name, c.name) for e in contract.values() for c in e.columns if c.pii}
    assert pii == {
        ("affiliates", "email"),
        ("clicks", "ip_address"),
        ("players", "email"),
        ("players", "date_of_birth"),
        ("players", "registration_ip"),
    }


def _fx_rows(rate: str) -> pa.Table:
    from decimal import Decimal

    return pa.table(
        {
            "rate_date": [date(2026, 8, 1)],
            "currency": ["USD"],
            "rate_to_base": pa.array([Decimal(rate)], MONEY),
        }
    )


def test_landing_is_atomic_idempotent_and_carries_load_columns(tmp_path):
    fx = entity("payments.fx_rates")
    first = land_batch(tmp_path, fx, date(2026, 8, 1), _fx_rows("0.9200"), "fx_2026-08-01.csv")
    again = land_batch(tmp_path, fx, date(2026, 8, 1), _fx_rows("0.9200"), "fx_2026-08-01.csv")
    changed = land_batch(tmp_path, fx, date(2026, 8, 1), _fx_rows("0.9300"), "fx_2026-08-01.csv")
    assert first.written and not again.written and changed.written
    assert first.batch_id == again.batch_id != changed.batch_id
    folder = tmp_path / "landing/payments/fx_rates/ingest_date=2026-08-01"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{first.batch_id}.parquet", f"{changed.batch_id}.parquet"]
    )  # no temporary file left behind
    landed = pq.read_table(first.path)
    assert landed.schema.names[-3:] == ["_batch_id", "_ingested_at", "_source"]
    assert landed.column("_source").to_pylist() == ["fx_2026-08-01.csv"]
    assert str(landed.column("rate_to_base")[0]) == "0.9200"


def test_landing_refuses_a_batch_missing_contract_columns():
    with pytest.raises(ValueError, match="lacks contract columns"):
        conform(pa.table({"currency": ["USD"]}), entity("payments.fx_rates"))


def test_igw_build_takes_the_landing_days_since_its_last_build(tmp_path):
    from igw.build_state import (
        build_window_vars,
        landed_through,
        read_built_through,
        write_built_through,
    )

    landing = tmp_path / "landing"
    for folder, day in (("games/rounds", "2026-08-03"), ("crm/players", "2026-08-05")):
        (landing / folder / f"ingest_date={day}").mkdir(parents=True)
    (landing / "games/rounds/ingest_date=1970-01-01").mkdir()  # the schema-only partition
    (landing / "games/rounds/not_a_partition").mkdir()
    assert landed_through(landing) == date(2026, 8, 5)
    assert landed_through(tmp_path / "nothing") is None

    assert read_built_through(tmp_path) is None
    assert build_window_vars(None, full_refresh=False) is None  # first build: all history
    write_built_through(tmp_path, date(2026, 8, 5))
    built = read_built_through(tmp_path)
    assert built == date(2026, 8, 5)
    assert build_window_vars(built, full_refresh=False) == {
        "min_date": "2026-08-05",
        "max_date": "2999-12-31",
    }
    assert build_window_vars(built, full_refresh=True) is None
