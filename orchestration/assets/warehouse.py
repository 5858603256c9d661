"""The dbt models as assets: the daily warehouse build and the monthly payout statements."""

import sys
from pathlib import Path

from dagster import AssetExecutionContext, Definitions
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.partition_args import daily_build_args, monthly_build_args
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


@dbt_assets(
    manifest=igw_dbt_project.manifest_path,
    project=igw_dbt_project,
    exclude="tag:monthly",
    partitions_def=daily_partitions,
    name="warehouse_daily",
)
def warehouse_daily(context: AssetExecutionContext, dbt: DbtCliResource, igw: IgwResource):
    igw.activate()
    window = context.partition_time_window
    yield from dbt.cli(daily_build_args(window.start, window.end), context=context).stream()


@dbt_assets(
    manifest=igw_dbt_project.manifest_path,
    project=igw_dbt_project,
    select="tag:monthly",
    partitions_def=monthly_partitions,
    name="payouts_monthly",
)
def payouts_monthly(context: AssetExecutionContext, dbt: DbtCliResource, igw: IgwResource):
    igw.activate()
    window = context.partition_time_window
    yield from dbt.cli(monthly_build_args(window.start), context=context).stream()


defs = Definitions(
    assets=[warehouse_daily, payouts_monthly],
    resources={
        # The dbt installed beside this Python, whether or not the venv is on PATH.
        "dbt": IgwDbtCliResource(
            project_dir=igw_dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
