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
