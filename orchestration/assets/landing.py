"""One daily-partitioned asset per landed source entity: the day's deliveries, landed."""

from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Definitions,
    MaterializeResult,
    asset,
)

from ingestion.contract import Entity, load_contract
from ingestion.ingest import days_between, ingest_entity_day
from orchestration.partitions import daily_partitions
from orchestration.resources import IgwResource


def landing_asset(entity: Entity) -> AssetsDefinition:
    """The asset key is [source, entity], the key dagster-dbt gives the matching dbt source."""

    @asset(
        name=entity.name,
        key_prefix=[entity.source],
        group_name=f"landing_{entity.source}",
        partitions_def=daily_partitions,
        # A backfill of a date range lands every day in one run, like the dbt build after it.
        backfill_policy=BackfillPolicy.single_run(),
        kinds={"parquet"},
        description=(
            f"{entity.key} landed as Parquet ({entity.delivery}); partition = delivery day."
        ),
    )
    def _landed(context: AssetExecutionContext, igw: IgwResource) -> MaterializeResult:
        where = igw.activate()
        window = context.partition_time_window
        days = days_between(window.start.date(), window.end.date() - timedelta(days=1))
        batches = [
            batch
            for day in days
            for batch in ingest_entity_day(where.vendors, where.data_dir, entity, day)
        ]
        return MaterializeResult(
            metadata={
                "rows_landed": sum(b.rows for b in batches if b.written),
                "rows_already_landed": sum(b.rows for b in batches if not b.written),
                "batches": len(batches),
                "files": [str(b.path.relative_to(where.data_dir)) for b in batches],
            }
        )

    return _landed


landing_assets = [landing_asset(entity) for entity in load_contract().values()]

defs = Definitions(assets=landing_assets)
