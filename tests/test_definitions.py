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
