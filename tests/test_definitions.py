"""The Dagster definitions load, with the asset graph the project promises."""

from __future__ import annotations

import dagster as dg


def test_definitions_load_with_landing_dbt_and_schedule(dbt_manifest):
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}

    # one landing asset per contract entity, keyed as dagster-dbt keys the dbt sources
    assert {"payments/transactions", "games/rounds", "affiliate/clicks", "crm/players"} <= keys
    assert (
        sum(1 for k in keys if k.split("/")[0] in {"affiliate", "crm", "payments", "games"}) == 13
    )
    # the public tables are assets, fed by the landing assets through staging
    assert {"marts/player_attribution", "marts/player_daily_revenue"} <= keys
    assert "finance/affiliate_statements" in keys
    staging = graph.get(dg.AssetKey(["staging", "stg_payments__transactions"]))
    assert staging.parent_keys == {dg.AssetKey(["payments", "transactions"])}

    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job = defs.resolve_job_def("nightly")
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)


def test_monthly_payout_job_and_schedule_build_the_previous_month_on_the_2nd(dbt_manifest):
    from datetime import UTC, datetime

    from orchestration.assets.warehouse import payouts_monthly
    from orchestration.definitions import defs

    job = defs.resolve_job_def("payouts_monthly")
    assert isinstance(job.partitions_def, dg.MonthlyPartitionsDefinition)
    # the dbt models tagged monthly (commissions, finance), nothing of the daily build
    assert job.asset_layer.selected_asset_keys == set(payouts_monthly.keys)
    assert dg.AssetKey(["finance", "affiliate_statements"]) in payouts_monthly.keys
    assert dg.AssetKey(["marts", "player_daily_revenue"]) not in payouts_monthly.keys

    schedule = defs.resolve_schedule_def("payouts_monthly_schedule")
    assert schedule.job_name == "payouts_monthly"
    assert schedule.cron_schedule == "0 6 2 * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    # Closing a month stays a human action: no schedule targets anything but these two jobs.
    assert {s.job_name for s in defs.schedules} == {"nightly", "payouts_monthly"}

    for tick, month in (
        (datetime(2026, 12, 2, 6, 0, tzinfo=UTC), "2026-11-01"),
        (datetime(2027, 1, 2, 6, 0, tzinfo=UTC), "2026-12-01"),
    ):
        context = dg.build_schedule_context(scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
        assert [r.partition_key for r in requests] == [month]


def test_the_nightly_job_lands_builds_and_reconciles_yesterday(dbt_manifest):
    from datetime import UTC, datetime

    from orchestration.assets.reconciliation import DAILY_CHECKS, reconciliation
    from orchestration.assets.warehouse import warehouse_daily
    from orchestration.definitions import defs

    job = defs.resolve_job_def("nightly")
    selected = job.asset_layer.selected_asset_keys
    recon_key = dg.AssetKey(["recon", "reconciliation"])
    assert recon_key in selected
    assert set(warehouse_daily.keys) <= selected
    assert dg.AssetKey(["games", "rounds"]) in selected
    # the reconciliation reads the dbt model recon.daily_checks of the same partition
    assert dg.AssetKey(["recon", "daily_checks"]) == DAILY_CHECKS
    assert defs.resolve_asset_graph().get(recon_key).parent_keys == {DAILY_CHECKS}

    # Great Expectations (landing) and dbt tests run in the nightly as asset checks;
    # the freshness checks are left to the late_sources sensor.
    from orchestration.schedules import nightly_job

    checks = nightly_job.selection.resolve_checks(defs.resolve_asset_graph())
    names = {(key.asset_key.to_user_string(), key.name) for key in checks}
    assert ("games/rounds", "contract_expectations") in names
    assert not any(name == "freshness" for _, name in names)
    dbt_specs = list(warehouse_daily.check_specs)
    assert dbt_specs and {spec.key for spec in dbt_specs} <= checks
    # dagster-dbt makes an error-severity dbt test a blocking check: what depends on a
    # model whose test failed is not built (dbt skips it too)
    grain = [spec for spec in dbt_specs if spec.name.startswith(("unique_", "not_null_"))]
    assert grain and all(spec.blocking for spec in grain)

    # A backfill of a range is one run: landing, dbt and reconciliation alike.
    assert warehouse_daily.backfill_policy == dg.BackfillPolicy.single_run()
    assert reconciliation.backfill_policy == dg.BackfillPolicy.single_run()

    # 03:00 UTC every day, for yesterday's partition.
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 3 * * *" and schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 9, 15, 3, 0, tzinfo=UTC)
    )
    assert [r.partition_key for r in schedule.evaluate_tick(context).run_requests] == ["2026-09-14"]


def test_the_late_sources_sensor_runs_the_freshness_checks(dbt_manifest):
    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("late_sources")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 600
    graph = defs.resolve_asset_graph()
    targeted = sensor.asset_selection.resolve_checks(graph)
    # one freshness check per landing asset (13 entities in the contract)
    assert len(targeted) == 13 and {key.name for key in targeted} == {"freshness"}
