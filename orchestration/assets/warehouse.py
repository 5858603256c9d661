"""The dbt models as assets: the daily warehouse build and the monthly payout statements."""

import shutil
import sys
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetObservation,
    BackfillPolicy,
    Definitions,
    MetadataValue,
)
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from orchestration.partition_args import daily_range_build_args, monthly_build_args, payout_month
from orchestration.partitions import daily_partitions, monthly_partitions
from orchestration.project import igw_dbt_project
from orchestration.resources import IgwResource


class IgwDbtCliResource(DbtCliResource):
    """dbt's CLI with the pseudonym key in its environment: the dbt subprocess inherits this
    process's, so the key ($IGW_PSEUDONYM_KEY, else the data dir's key file) is exported
    before each invocation, never passed on a command line. Assets activate the data dir first.
    """

    def cli(self, args, **kwargs):
        from igw.config import resolve_data_dir
        from igw.pseudonym import export_key

        export_key(resolve_data_dir())
        return super().cli(args, **kwargs)


def stream_and_clean_up(invocation):
    """The invocation's events; then its target folder goes. dagster-dbt gives every
    invocation its own folder under dbt_project/target (~25 MB of compiled SQL and run
    results on a small warehouse), which would pile up one per night. A failed invocation
    raises first and keeps its folder for the post-mortem; dbt's log is in the data dir."""
    yield from invocation.stream()
    shutil.rmtree(invocation.target_path, ignore_errors=True)


@dbt_assets(
    manifest=igw_dbt_project.manifest_path,
    project=igw_dbt_project,
    exclude="tag:monthly",
    partitions_def=daily_partitions,
    # A backfill of a date range is ONE run and ONE dbt invocation whose window covers the
    # range (dbt's incremental models reprocess the range's landing days in one pass).
    backfill_policy=BackfillPolicy.single_run(),
    name="warehouse_daily",
)
def warehouse_daily(context: AssetExecutionContext, dbt: DbtCliResource, igw: IgwResource):
    """The daily build: min_date/max_date are the LANDING days of the run's partitions (the
    nightly's one day, or a backfill's range). dbt's data tests are this asset's checks: an
    error-severity test is blocking (dbt skips what depends on it, the step and run fail);
    a warn-severity test is recorded as a WARN check and blocks nothing."""
    igw.activate()
    keys = context.partition_key_range
    yield from stream_and_clean_up(
        dbt.cli(daily_range_build_args(keys.start, keys.end), context=context)
    )


@dbt_assets(
    manifest=igw_dbt_project.manifest_path,
    project=igw_dbt_project,
    select="tag:monthly",
    partitions_def=monthly_partitions,
    # Not "payouts_monthly": that is the job's name, and ops and jobs share one namespace.
    name="payout_statements",
)
def payouts_monthly(context: AssetExecutionContext, dbt: DbtCliResource, igw: IgwResource):
    """What `igw payout build --month` does, for the partition's month: refuse a month that has
    not ended or is closed (PayoutError fails the run), build its statements, export them.
    Closing a month stays a human action (`igw payout close`): tag:monthly includes
    finance.payout_closures, but without the close_month var its build appends nothing.
    """
    from igw.payout import check_buildable
    from igw.payout_export import export_month

    data_dir = igw.activate().data_dir
    month = payout_month(context.partition_time_window.start)
    check_buildable(month, data_dir)
    yield from stream_and_clean_up(dbt.cli(monthly_build_args(month), context=context))
    export = export_month(month, data_dir)
    context.log.info(f"payout export for {month:%Y-%m} written to {export.directory}")
    # The statements' Output is already yielded (Dagster refuses metadata added after it):
    # the export is recorded as an observation of the statements' partition.
    yield AssetObservation(
        asset_key=get_asset_key_for_model([payouts_monthly], "affiliate_statements"),
        partition=context.partition_key,
        metadata={
            "export_directory": MetadataValue.path(str(export.directory)),
            "export_files": len(export.files),  # one HTML per affiliate: a count, not names
            "affiliates": export.affiliates,
        },
    )


defs = Definitions(
    assets=[warehouse_daily, payouts_monthly],
    resources={
        # The dbt installed beside this Python, whether or not the venv is on PATH.
        "dbt": IgwDbtCliResource(
            project_dir=igw_dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
