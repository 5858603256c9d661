"""The reconciliation step of the nightly run: the day's checks from recon.daily_checks, whose
failures fail the run.

Which checks a partition judges: partition D is the LANDING day D (what the nightly ingests
at 03:00 on D+1), and its reconciliation fails on the checks with check_date = D. Day D's
vendor totals (its settlement files, its provider reports) arrive in D's landing run with
D's activity, so D is the day the build completes; and a verdict about D alone is the same
whoever runs it and whenever (a retry, a re-execution, a backfill of D), while
int_recon__check_days only describes the last build.
D's build also recomputes older days whose inputs landed on D (late records, re-sent
files): their failing checks are reported too (metadata `earlier_days_failing`, a warning
in the log) but do not fail D's run; a vendor's old disagreement would otherwise fail every
night that reopens its day. A backfill of those days judges them.
A backfill (one run over a range, single-run policy) judges every day of the range.
"""

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.warehouse import warehouse_daily
from orchestration.partition_args import partition_days
from orchestration.partitions import daily_partitions
from orchestration.recon_report import (
    failure_description,
    failure_line,
    failure_table,
    summary_metadata,
)
from orchestration.resources import IgwResource

DAILY_CHECKS = get_asset_key_for_model([warehouse_daily], "daily_checks")


@asset(
    name="reconciliation",
    key_prefix=["recon"],
    group_name="recon",
    deps=[DAILY_CHECKS],
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"duckdb"},
    description=(
        "The partition's reconciliation checks (recon.daily_checks with check_date in the "
        "partition's days): fails the run, listing the failing rows, when any check fails."
    ),
)
def reconciliation(context: AssetExecutionContext, igw: IgwResource) -> MaterializeResult:
    from igw.reconcile import ReconError, read_checks

    data_dir = igw.activate().data_dir
    keys = context.partition_key_range
    first, last = partition_days(keys.start, keys.end)
    try:
        result = read_checks(data_dir, first, last)
    except ReconError as error:
        raise Failure(description=str(error)) from None
    earlier = earlier_failures(data_dir, first)
    metadata = {
        **summary_metadata(result),
        "window": MetadataValue.text(f"{first}..{last}"),
        "earlier_days_failing": failure_table(earlier),
    }
    for row in earlier:
        context.log.warning(f"recomputed earlier day still fails: {failure_line(row)}")
    if result.failures:
        raise Failure(
            description=failure_description(result.failures, first, last),
            metadata={"failing_rows": failure_table(result.failures), **metadata},
        )
    context.log.info(f"reconciliation {first}..{last}: {len(result.rows)} checks passed")
    return MaterializeResult(metadata=metadata)


def earlier_failures(data_dir, first) -> tuple:
    """Failing checks of the days before `first` that the last build recomputed (reported,
    never failing the run: without them the run's verdict stands)."""
    from igw.reconcile import ReconError, read_checks, recomputed_days

    try:
        earlier = {day for day in recomputed_days(data_dir) if day < first}
        if not earlier:
            return ()
        rows = read_checks(data_dir, min(earlier), max(earlier)).failures
    except ReconError:
        return ()
    return tuple(row for row in rows if row.check_date in earlier)


defs = Definitions(assets=[reconciliation])
