"""The nightly run: land yesterday's deliveries and rebuild the warehouse for that day."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from orchestration.assets.landing import landing_assets
from orchestration.assets.warehouse import warehouse_daily
from orchestration.partitions import daily_partitions

nightly_job = define_asset_job(
    name="nightly",
    selection=AssetSelection.assets(*landing_assets) | AssetSelection.assets(warehouse_daily),
    partitions_def=daily_partitions,
    description="Ingest the day's deliveries of every source, then build the warehouse.",
)

# Runs by itself once deployed: schedules are otherwise created stopped.
nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job, hour_of_day=3, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
)

defs = Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
