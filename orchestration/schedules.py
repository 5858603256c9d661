"""The nightly run: land yesterday's deliveries, rebuild the warehouse for that day, and
reconcile it (a failing check fails the run).
The monthly payout run: build and export the previous month's statements on the 2nd.
"""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from orchestration.assets.freshness import landed_source_freshness
from orchestration.assets.landing import landing_assets
from orchestration.assets.reconciliation import reconciliation
from orchestration.assets.warehouse import payouts_monthly, warehouse_daily
from orchestration.partitions import daily_partitions, monthly_partitions

nightly_job = define_asset_job(
    name="nightly",
    # Landing (with its Great Expectations checks) -> the dbt build (with its dbt tests) ->
    # the reconciliation. The freshness checks are the late_sources sensor's: they judge
    # the sources at the deadline, not at whatever time a run of old partitions happens.
    selection=(
        AssetSelection.assets(*landing_assets, warehouse_daily, reconciliation)
        - AssetSelection.checks(landed_source_freshness)
    ),
    partitions_def=daily_partitions,
    description=(
        "Ingest the day's deliveries of every source, build the warehouse for that landing "
        "day, then reconcile it: a failing reconciliation check fails the run."
    ),
)

# Runs by itself once deployed: schedules are otherwise created stopped.
nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job, hour_of_day=3, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
)

payouts_monthly_job = define_asset_job(
    name="payouts_monthly",
    selection=AssetSelection.assets(payouts_monthly),
    partitions_def=monthly_partitions,
    description=(
        "Build and export one ended month's affiliate statements (igw payout build). "
        "Closing the month stays a human action: igw payout close."
    ),
)

# 06:00 UTC on the 2nd: the month's last day has landed (nightly, 03:00 on the 1st) by then.
# The partitions hold ended months only, so each tick builds the previous month.
payouts_monthly_schedule = build_schedule_from_partitioned_job(
    payouts_monthly_job,
    day_of_month=2,
    hour_of_day=6,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.RUNNING,
)

defs = Definitions(
    jobs=[nightly_job, payouts_monthly_job],
    schedules=[nightly_schedule, payouts_monthly_schedule],
)
