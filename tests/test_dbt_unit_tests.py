"""dbt's unit tests (every business rule of the models, on hand-made fixtures) run here,
once per `make test`: warehouse builds leave them out (igw.dbt_runner.build_args), since
they check the models' logic, not the data. A unit test reads the columns of its model's
parents from the warehouse, so the parents are built first, on the hand-made commission
programme (June–October 2026)."""

from __future__ import annotations

import json

from commission_programme import LANDED_ON, land, programme_tables

from igw.dbt_runner import build_args, run_dbt
from igw.payout import MONTHLY_SELECTION


def test_every_dbt_unit_test_runs_and_passes(data_dir, dbt_manifest):
    land(data_dir, programme_tables(), LANDED_ON)
    daily = run_dbt(build_args(exclude="tag:monthly", unit_tests=True), data_dir)
    monthly = run_dbt(
        build_args(
            select=MONTHLY_SELECTION, dbt_vars={"payout_month": "2026-10-01"}, unit_tests=True
        ),
        data_dir,
    )
    # run_dbt raises on any failure; every unit test of the project must have run.
    ran = {uid for uid in daily.succeeded + monthly.succeeded if uid.startswith("unit_test.")}
    declared = set(json.loads(dbt_manifest.read_text())["unit_tests"])
    assert declared and ran == declared, sorted(declared ^ ran)


def test_warehouse_builds_leave_the_unit_tests_out(data_dir):
    land(data_dir, programme_tables(), LANDED_ON)
    outcome = run_dbt(build_args(exclude="tag:monthly"), data_dir)
    assert outcome.models_built > 40
    assert not [uid for uid in outcome.succeeded if uid.startswith("unit_test.")]
    assert any(uid.startswith("test.") for uid in outcome.succeeded)  # data tests still run
