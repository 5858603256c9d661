"""Through Dagster: the nightly path (land a day, build the warehouse) and the monthly payout."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import dagster as dg
import duckdb
import pytest
from handmade_operator import handmade_tables

from igw.dbt_runner import build_args, run_dbt
from igw.demo import delivery_range
from ingestion.ingest import ingest
from ingestion.sources import load_settings
from ingestion.vendors.outbox import write_vendor_outbox
from ingestion.vendors.serve import live_vendors, sources_path


def test_materialize_a_daily_partition(dbt_manifest, data_dir):
    from orchestration.assets.landing import landing_assets
    from orchestration.assets.warehouse import warehouse_daily
    from orchestration.definitions import defs
    from orchestration.resources import IgwResource

    vendors = data_dir / "vendors"
    write_vendor_outbox(handmade_tables(), vendors)
    first, _ = delivery_range(vendors)
    with live_vendors(vendors, data_dir) as live:
        # The vendors' clock: the nightly run of 08-04 happens at midnight after it.
        live.set_clock("2026-08-05T00:00:00Z")
        # Every earlier day lands first; the partition under test is the day of hand_r1/r2.
        settings = load_settings(sources_path(data_dir))
        ingest(settings, data_dir, first, date(2026, 8, 4), every_days=7)
        rounds_file_count = len(list((data_dir / "landing/games/rounds").rglob("*.parquet")))
        live.set_clock("2026-08-06T00:00:00Z")
        result = dg.materialize(
            [*landing_assets, warehouse_daily],
            partition_key="2026-08-05",
            resources={
                "igw": IgwResource(data_dir=str(data_dir)),
                "dbt": defs.resources["dbt"],
            },
        )
    assert result.success
    landed = {
        m.asset_key.to_user_string(): m.metadata["rows_landed"].value
        for m in result.get_asset_materialization_events()
        and [
            e.event_specific_data.materialization for e in result.get_asset_materialization_events()
        ]
        if "rows_landed" in m.metadata
    }
    # 08-05 delivered hand_r1 twice (one file, two identical rows) and hand_r2: three rows.
    assert landed["games/rounds"] == 3
    assert (
        len(list((data_dir / "landing/games/rounds").rglob("*.parquet"))) == rounds_file_count + 1
    )

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        day = con.execute(
            "select ggr, ngr from marts.player_daily_revenue "
            "where player_id = 'hand_p1' and activity_date = '2026-08-05'"
        ).fetchall()
    # stakes 100 + 50, wins 30 + 80 → GGR 40; jackpot 0.45 + 0.25 → NGR 39.30
    assert day == [(Decimal("40"), Decimal("39.30"))]

    # Every landing asset reported its Great Expectations suite as an asset check, and the
    # hand-made deliveries of 08-05 broke none of it.
    checks = {
        e.asset_key.to_user_string(): e.passed
        for e in result.get_asset_check_evaluations()
        if e.check_name == "contract_expectations"
    }
    assert len(checks) == 13 and all(checks.values())
    rounds = next(
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "games/rounds"
    )
    assert rounds.metadata["bytes_landed"].value > 0
    # The newest round landed (hand_r2, updated 08-05 11:00) is 13 h before the day's end.
    assert rounds.metadata["lag_seconds"].value == 13 * 3600


def test_materialize_a_monthly_payout_partition(dbt_manifest, data_dir):
    """The payout job's asset for August: statements built like `igw payout build`, exported;
    once August is closed, a rebuild fails the run with check_buildable's message."""
    from orchestration.assets.warehouse import payouts_monthly
    from orchestration.definitions import defs
    from orchestration.resources import IgwResource

    vendors = data_dir / "vendors"
    write_vendor_outbox(handmade_tables(), vendors)
    first, last = delivery_range(vendors)
    # Everything published (the vendors' clock stays at "all"), then the daily build.
    with live_vendors(vendors, data_dir):
        ingest(load_settings(sources_path(data_dir)), data_dir, first, last, every_days=7)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)

    result = dg.materialize(
        [payouts_monthly],
        partition_key="2026-08-01",
        resources={"igw": IgwResource(data_dir=str(data_dir)), "dbt": defs.resources["dbt"]},
    )
    assert result.success

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select affiliate_id, total, status from finance.affiliate_statements "
            "where period_month = '2026-08-01'"
        ).fetchall()
    # aff_hand's August (worked out in test_payout_end_to_end): 15.12, carried under the limit.
    assert ("aff_hand", Decimal("15.12"), "under_limit") in rows

    export = data_dir / "exports/payouts/2026-08"
    assert (export / "statements.csv").is_file()
    observation = next(
        e.event_specific_data.asset_observation
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    )
    assert observation.asset_key == dg.AssetKey(["finance", "affiliate_statements"])
    assert observation.partition == "2026-08-01"
    assert observation.metadata["export_directory"].value == str(export)
    assert observation.metadata["affiliates"].value == len(rows)

    # Once finance closed August (by hand: no job or schedule closes a month), the asset's
    # first step refuses to rebuild it and the run fails with the PayoutError's line.
    from igw.payout import close_payout

    close_payout(date(2026, 8, 1), data_dir, export=False)
    again = dg.materialize(
        [payouts_monthly],
        partition_key="2026-08-01",
        resources={"igw": IgwResource(data_dir=str(data_dir)), "dbt": defs.resources["dbt"]},
        raise_on_error=False,
    )
    assert not again.success
    failure = next(e for e in again.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    cause = failure.step_failure_data.error.cause  # Dagster wraps what the asset raised
    assert cause.cls_name == "PayoutError"
    assert cause.message.startswith("igw.payout.PayoutError: 2026-08 is closed on ")
    assert not again.get_asset_materialization_events()  # refused before dbt ran


def test_a_month_that_has_not_ended_cannot_be_built(dbt_manifest, data_dir):
    """Monthly partitions hold ended months only, so Dagster never offers the running month;
    and were it asked to, check_buildable (the asset's first step) refuses it."""
    from igw.payout import PayoutError, check_buildable
    from orchestration.assets.warehouse import payouts_monthly
    from orchestration.definitions import defs
    from orchestration.partitions import monthly_partitions
    from orchestration.resources import IgwResource

    today = datetime.now(UTC).date()
    running = today.replace(day=1)
    keys = monthly_partitions.get_partition_keys()
    assert running.isoformat() not in keys
    assert keys[-1] < running.isoformat()  # the newest partition is last month

    with pytest.raises(dg.DagsterUnknownPartitionError):
        dg.materialize(
            [payouts_monthly],
            partition_key=running.isoformat(),
            resources={"igw": IgwResource(data_dir=str(data_dir)), "dbt": defs.resources["dbt"]},
        )
    with pytest.raises(PayoutError, match=f"{running:%Y-%m}"):
        check_buildable(running, data_dir, today=today)
