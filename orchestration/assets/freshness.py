"""Freshness of the landed sources: an asset check per landing asset, and the sensor that runs
the checks when a source's deadline passes (`orchestration.source_freshness` says how).

The check reads the landing zone, not Dagster's materializations: the nightly run materializes
every landing asset whether or not its vendor delivered, so a materialization proves that the
run happened, not that the day's data is there.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    Definitions,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    multi_asset_check,
    sensor,
)

from ingestion.contract import load_contract
from orchestration import source_freshness
from orchestration.resources import IgwResource

CHECK_NAME = "freshness"


def landing_key(entity_key: str) -> AssetKey:
    """The landing asset of `source.entity` (orchestration.assets.landing keys it so)."""
    return AssetKey(entity_key.split("."))


def check_key(entity_key: str) -> AssetCheckKey:
    return AssetCheckKey(landing_key(entity_key), CHECK_NAME)


@multi_asset_check(
    name="landed_source_freshness",
    specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=landing_key(key),
            description=(
                "The source's newest due day is in the landing zone (deadlines: "
                "<data-dir>/freshness.yaml, default 05:00 UTC the day after)"
            ),
        )
        for key in load_contract()
    ],
    can_subset=True,
)
def landed_source_freshness(context: AssetCheckExecutionContext, igw: IgwResource):
    data_dir = igw.activate().data_dir
    settings = source_freshness.load_settings(data_dir)
    now = source_freshness.utc_now()
    for selected in sorted(context.selected_asset_check_keys, key=lambda k: k.to_user_string()):
        entity_key = ".".join(selected.asset_key.path)
        deadline = settings.deadlines.get(entity_key)
        if deadline is None:
            # Only entities with a deadline can be late; the sensor never asks for the others.
            yield AssetCheckResult(
                asset_key=selected.asset_key,
                check_name=CHECK_NAME,
                passed=True,
                description=f"{entity_key} has no delivery deadline (freshness.yaml)",
                metadata={"deadline": "none"},
            )
            continue
        freshness = source_freshness.assess(data_dir, now, deadline, settings.lookback_days)
        yield AssetCheckResult(
            asset_key=selected.asset_key,
            check_name=CHECK_NAME,
            passed=not freshness.late,
            # A late source leaves yesterday's figures incomplete: an error, yet not blocking,
            # since the check runs on its own (the sensor), not inside a materialization.
            severity=AssetCheckSeverity.ERROR,
            description=freshness.describe(),
            metadata={
                "expected_day": freshness.expected_day.isoformat(),
                "due_at": MetadataValue.timestamp(freshness.due_at),
                "newest_day_landed": (
                    freshness.newest_day.isoformat() if freshness.newest_day else "none"
                ),
                "late_parts": list(freshness.late_parts),
                "overdue_hours": freshness.overdue_hours(now),
            },
        )


@sensor(
    name="late_sources",
    minimum_interval_seconds=600,
    asset_selection=AssetSelection.checks(landed_source_freshness),
    # Runs by itself once deployed, like the nightly schedule.
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Every 10 minutes, reads the landing zone: when a source's deadline has passed, runs "
        "its freshness check (failing when the day has not landed); a late source that lands "
        "later is checked again, so its check clears."
    ),
)
def late_sources_sensor(context: SensorEvaluationContext, igw: IgwResource):
    data_dir = igw.activate().data_dir
    settings = source_freshness.load_settings(data_dir)
    now = source_freshness.utc_now()
    report = source_freshness.assess_all(data_dir, now, settings)
    state = source_freshness.SensorState.from_cursor(context.cursor)
    due, new_state = source_freshness.plan_evaluations(report, state)
    context.update_cursor(new_state.to_cursor())
    if not due:
        still_late = sorted(new_state.late)
        return SkipReason(
            "no deadline passed and no late source landed since the last evaluation"
            + (f"; still late: {', '.join(still_late)}" if still_late else "")
        )
    late = [freshness for freshness in due if freshness.late]
    for freshness in late:
        context.log.warning(f"late source: {freshness.describe()}")
    return RunRequest(
        run_key=f"freshness:{now:%Y-%m-%dT%H:%M}",
        asset_check_keys=[check_key(freshness.entity) for freshness in due],
        tags={
            "igw/late_sources": ",".join(freshness.entity for freshness in late) or "none",
        },
    )


defs = Definitions(asset_checks=[landed_source_freshness], sensors=[late_sources_sensor])
