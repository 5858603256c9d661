"""The nightly path through Dagster: land one day's deliveries and build the warehouse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import dagster as dg
import duckdb
from handmade_operator import handmade_tables

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
