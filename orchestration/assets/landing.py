"""One daily-partitioned asset per source entity: the nightly ingestion run of that day.

Each materialization pulls what the entity's vendor published up to the end of the day
(`ingestion.ingest`), validates it against the entity's Great Expectations suite, lands the
valid records and quarantines the rest. The suite's result is the asset check
`contract_expectations`; rows, bytes and lag are the materialization's metadata.
"""

from datetime import timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from ingestion.contract import Entity, load_contract
from ingestion.ingest import days_between, ingest_day
from orchestration.ingest_metadata import check_summary, materialization_metadata
from orchestration.partitions import daily_partitions
from orchestration.resources import IgwResource

CHECK_NAME = "contract_expectations"


def landing_asset(entity: Entity) -> AssetsDefinition:
    """The asset key is [source, entity], the key dagster-dbt gives the matching dbt source."""

    @asset(
        name=entity.name,
        key_prefix=[entity.source],
        group_name=f"landing_{entity.source}",
        partitions_def=daily_partitions,
        # A backfill of a date range runs the days one after another in one run.
        backfill_policy=BackfillPolicy.single_run(),
        kinds={"parquet"},
        check_specs=[
            AssetCheckSpec(
                CHECK_NAME,
                asset=[entity.source, entity.name],
                description=f"The {entity.key} records met expectations/{entity.key}.json",
            )
        ],
        description=(
            f"{entity.key}: nightly ingestion ({entity.delivery}), validated and landed as "
            "Parquet under ingest_date = the partition's day."
        ),
    )
    def _landed(context: AssetExecutionContext, igw: IgwResource) -> MaterializeResult:
        where = igw.activate()
        settings = igw.ingest_settings()
        window = context.partition_time_window
        days = days_between(window.start.date(), window.end.date() - timedelta(days=1))
        runs = []
        for day in days:
            (run,) = ingest_day(settings, where.data_dir, day, [entity], raise_on_failure=False)
            runs.append(run)
            if not run.ok:
                # The entity's cursor did not move; re-running the partition picks up here.
                raise Failure(
                    description=f"{entity.key} on {day}: {run.error}",
                    metadata={"days_done": len(runs) - 1},
                )
        summary = check_summary(runs)
        return MaterializeResult(
            metadata={
                **materialization_metadata(runs),
                "quarantine": MetadataValue.path(
                    str(where.data_dir / "quarantine" / entity.source / entity.name)
                ),
            },
            check_results=[
                AssetCheckResult(
                    check_name=CHECK_NAME,
                    passed=summary["passed"],
                    severity=AssetCheckSeverity.WARN,
                    metadata=summary["metadata"],
                )
            ],
        )

    return _landed


landing_assets = [landing_asset(entity) for entity in load_contract().values()]

defs = Definitions(assets=landing_assets)
