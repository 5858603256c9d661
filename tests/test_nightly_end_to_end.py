"""The nightly job end to end on a generated operator: landing -> dbt -> reconciliation.

The operator (seed 4, 40 players, August and September 2026) carries the two planted
vendor-total faults (`operator.ground_truth["faults"]`, key "YYYY-MM-DD|psp_or_provider|
currency"): for this seed the PSP settlement file of 09-01 misses one approved deposit and
a provider's report of 09-10 misses one settled round. The days are read from the ground
truth, not written here. A night can only be clean if what the vendors' totals count has
landed by then: a record due on the day but published days late, or a round settled that
day and re-sent cancelled days later (its provider's report already leaves it out), makes
the day disagree until the late version lands, and the reconciliation rightly fails it.
So the clean night is the latest day before the settlement fault that is complete at its
own night (`incomplete_days`; for this seed 08-30: 08-31 has a NOK round re-sent cancelled
on 09-03), and the backfill's days must be complete at its last one.

The vendors are served live with their clock at midnight after each night's day, as the
real nightly sees them:
1. catch-up ingestion up to the clean day's eve, then the `nightly` job for the clean day
   (a complete day before the settlement fault): it succeeds, every check passes;
2. catch-up to the fault day's eve, then the `nightly` job for the settlement fault day:
   landing and the dbt build succeed, the reconciliation fails the run and lists the
   planted rows;
3. catch-up to the day after the provider fault, then a backfill of the three days around
   it (warehouse_daily + reconciliation, single-run policy): ONE run, ONE dbt invocation
   whose window is the three days, and a reconciliation that fails on the provider's row.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from igw.config import DATA_DIR_ENV, dbt_target_dir
from igw.demo import delivery_range, end_of_day_iso
from ingestion.generator import generate_operator
from ingestion.ingest import ingest
from ingestion.sources import load_settings
from ingestion.vendors.outbox import write_vendor_outbox
from ingestion.vendors.serve import live_vendors, sources_path

SEED = 4
PLAYERS = 40
START = date(2026, 8, 1)
MONTHS = 2
RECON = dg.AssetKey(["recon", "reconciliation"])
DBT_CALLS: list[list[str]] = []


def planted_fault(operator, name: str) -> tuple[date, str]:
    """(day, "psp_or_provider|currency") of a planted reconciliation fault."""
    (key,) = [row["key"] for row in operator.ground_truth["faults"].to_pylist()
              if row["fault"] == name]  # fmt: skip
    day, partner, currency = key.split("|")
    return date.fromisoformat(day), f"{partner}|{currency}"


def incomplete_days(operator, night: date) -> set[date]:
    """Days whose vendor totals count something not yet landed at the night of `night`:
    records published after `night` for an earlier due day, and rounds settled on a day
    but re-sent cancelled after `night` (the provider's report never counted them)."""
    truth = operator.ground_truth
    days = {r["due_on"] for r in truth["late"].to_pylist() if r["published_on"] > night}
    cancelled = {r["key"] for r in truth["faults"].to_pylist()
                 if r["fault"] == "round_resent_cancelled"}  # fmt: skip
    versions = [r for r in operator.tables["games.rounds"].to_pylist()
                if r["round_id"] in cancelled]  # fmt: skip
    for round_id in cancelled:
        mine = [r for r in versions if r["round_id"] == round_id]
        settled = min(r["settled_at"] for r in mine if r["settled_at"] is not None).date()
        cancelled_on = max(r["updated_at"] for r in mine if r["status"] == "cancelled").date()
        if cancelled_on > night:
            days.add(settled)
    return days


def vendor_row(operator, entity: str, day_column: str, day: date, partner_column: str, source):
    """The vendor's own totals row (what the vendor delivered) for a day and partner|currency."""
    partner, currency = source.split("|")
    (row,) = [r for r in operator.tables[entity].to_pylist()
              if r[day_column] == day and r[partner_column] == partner
              and r["currency"] == currency]  # fmt: skip
    return row


def approved_deposits(operator, day: date, source: str) -> tuple[int, Decimal]:
    """Count and sum of the deposits a PSP approved on `day` in a currency, by the rules
    (§2): each transaction's current version (latest updated_at), approved or reversed
    later (it was approved that day), dated by processed_at; invalid records never land."""
    psp, currency = source.split("|")
    invalid = {r["key"] for r in operator.ground_truth["faults"].to_pylist()
               if r["fault"] == "invalid_record"}  # fmt: skip
    current: dict[str, dict] = {}
    for row in operator.tables["payments.transactions"].to_pylist():
        kept = current.get(row["transaction_id"])
        if kept is None or row["updated_at"] > kept["updated_at"]:
            current[row["transaction_id"]] = row
    deposits = [
        row["amount"]
        for row in current.values()
        if row["transaction_id"] not in invalid
        and row["kind"] == "deposit"
        and row["status"] in ("approved", "reversed")
        and row["processed_at"] is not None
        and row["processed_at"].date() == day
        and (row["psp"], row["currency"]) == (psp, currency)
    ]
    return len(deposits), sum(deposits, Decimal(0))


def catch_up(live, data_dir, first: date, last: date) -> None:
    """Weekly catch-up runs for first..last, the vendors' clock at midnight after `last`."""
    if last >= first:
        live.set_clock(end_of_day_iso(last))
        ingest(load_settings(sources_path(data_dir)), data_dir, first, last, every_days=7)


def failure_of(result: dg.ExecuteInProcessResult):
    """The run's one step failure event."""
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return failure


@pytest.fixture(scope="module")
def nights(tmp_path_factory, dbt_manifest):
    from orchestration.assets.reconciliation import reconciliation
    from orchestration.assets.warehouse import IgwDbtCliResource, warehouse_daily
    from orchestration.definitions import build_definitions
    from orchestration.project import igw_dbt_project
    from orchestration.resources import IgwResource

    class CountingDbt(IgwDbtCliResource):
        """The project's dbt resource, noting each invocation's arguments."""

        def cli(self, args, **kwargs):
            DBT_CALLS.append(list(args))
            return super().cli(args, **kwargs)

    data_dir = tmp_path_factory.mktemp("nightly")
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(data_dir)
    operator = generate_operator(seed=SEED, players=PLAYERS, start=START, months=MONTHS)
    settlement_day, settlement_source = planted_fault(operator, "settlement_mismatch")
    provider_day, provider_source = planted_fault(operator, "provider_report_mismatch")
    rounds_days = {r["updated_at"].date() for r in operator.tables["games.rounds"].to_pylist()}
    clean_day = max(
        day
        for day in (settlement_day - timedelta(days=k) for k in range(1, 15))
        if day in rounds_days and day not in incomplete_days(operator, day)
    )
    backfill_days = [provider_day + timedelta(days=k) for k in (-1, 0, 1)]
    assert provider_day > settlement_day + timedelta(days=1)
    assert not incomplete_days(operator, backfill_days[-1]) & set(backfill_days)

    vendors = data_dir / "vendors"
    write_vendor_outbox(operator, vendors)
    first, _ = delivery_range(vendors)
    igw = IgwResource(data_dir=str(data_dir))
    nightly = build_definitions(igw).resolve_job_def("nightly")
    try:
        with live_vendors(vendors, data_dir) as live:
            catch_up(live, data_dir, first, clean_day - timedelta(days=1))
            live.set_clock(end_of_day_iso(clean_day))
            clean = nightly.execute_in_process(partition_key=clean_day.isoformat())
            catch_up(live, data_dir, clean_day + timedelta(days=1), settlement_day - timedelta(1))
            live.set_clock(end_of_day_iso(settlement_day))
            faulty = nightly.execute_in_process(
                partition_key=settlement_day.isoformat(), raise_on_error=False
            )
            catch_up(live, data_dir, settlement_day + timedelta(days=1), backfill_days[-1])
        DBT_CALLS.clear()
        backfill = dg.materialize(
            [warehouse_daily, reconciliation],
            tags={
                "dagster/asset_partition_range_start": backfill_days[0].isoformat(),
                "dagster/asset_partition_range_end": backfill_days[-1].isoformat(),
            },
            resources={
                "igw": igw,
                "dbt": CountingDbt(
                    project_dir=igw_dbt_project,
                    dbt_executable=str(Path(sys.executable).parent / "dbt"),
                ),
            },
            raise_on_error=False,
        )
        yield {
            "operator": operator,
            "clean_day": clean_day,
            "clean": clean,
            "settlement": (settlement_day, settlement_source),
            "faulty": faulty,
            "provider": (provider_day, provider_source),
            "backfill_days": backfill_days,
            "backfill": backfill,
            "backfill_dbt_calls": list(DBT_CALLS),
        }
    finally:
        if previous is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = previous


def materialized(result) -> dict[str, set[str]]:
    """Asset key -> partitions materialized by the run."""
    out: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        out.setdefault(event.asset_key.to_user_string(), set()).add(event.partition)
    return out


def test_the_clean_night_lands_builds_and_reconciles(nights):
    result, day = nights["clean"], nights["clean_day"].isoformat()
    assert result.success
    done = materialized(result)
    # every landing asset (13 entities), the dbt models and the reconciliation, for the day
    assert sum(1 for key in done if key.split("/")[0] in {"affiliate", "crm", "payments",
                                                          "games"}) == 13  # fmt: skip
    assert done["marts/player_daily_revenue"] == {day}
    assert done["recon/daily_checks"] == {day}
    assert done["recon/reconciliation"] == {day}

    checks = result.get_asset_check_evaluations()
    # Great Expectations on every landing asset, and dbt's tests, as asset checks
    assert len([c for c in checks if c.check_name == "contract_expectations"]) == 13
    assert not [c for c in checks if c.check_name == "freshness"]  # the sensor's, not the run's
    dbt_checks = [
        c for c in checks if c.asset_key.path[0] not in {"affiliate", "crm", "payments", "games"}
    ]
    assert len(dbt_checks) > 100 and all(c.passed for c in dbt_checks)

    (recon,) = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == RECON
    ]
    rows, passed, failed = (recon.metadata[k].value for k in ("rows", "passed", "failed"))
    assert rows > 0 and passed == rows and failed == 0
    per_check = {r.data["check_name"]: r.data for r in recon.metadata["checks"].value.records}
    # one deposit-count check per settlement file of the day, one rounds-count check per
    # provider report of the day (every file and report of a complete day has activity)
    operator, clean_day = nights["operator"], nights["clean_day"]
    files = {(r["psp"], r["currency"]) for r in operator.tables["payments.settlements"].to_pylist()
             if r["settlement_date"] == clean_day}  # fmt: skip
    reports = {(r["provider"], r["currency"])
               for r in operator.tables["games.provider_reports"].to_pylist()
               if r["report_date"] == clean_day}  # fmt: skip
    assert files and reports
    assert per_check["settlement_deposit_count"]["passed"] == len(files)
    assert per_check["provider_rounds_count"]["passed"] == len(reports)
    assert all(r["failed"] == 0 for r in per_check.values())
    assert sum(r["passed"] for r in per_check.values()) == rows


def test_the_settlement_fault_night_fails_with_the_planted_rows(nights):
    result = nights["faulty"]
    day, source = nights["settlement"]
    assert not result.success
    done = materialized(result)
    # landing and the dbt build went through; only the reconciliation failed
    assert done["payments/settlements"] == {day.isoformat()}
    assert done["recon/daily_checks"] == {day.isoformat()}
    assert "recon/reconciliation" not in done
    failure = failure_of(result)
    assert failure.step_key == "recon__reconciliation"
    error = failure.step_failure_data.user_failure_data
    rows = [r.data for r in error.metadata["failing_rows"].value.records]
    # The file misses one approved deposit: the deposit count is one short, the amount
    # short by that deposit's amount; nothing else of that day fails.
    assert {(r["check_date"], r["check_name"], r["source"]) for r in rows} == {
        (day.isoformat(), "settlement_deposit_count", source),
        (day.isoformat(), "settlement_deposit_amount", source),
    }
    by_name = {r["check_name"]: r for r in rows}
    vendor = vendor_row(
        nights["operator"], "payments.settlements", "settlement_date", day, "psp", source
    )
    approved_count, approved_amount = approved_deposits(nights["operator"], day, source)
    count = by_name["settlement_deposit_count"]
    assert Decimal(count["actual"]) == vendor["deposit_count"]  # what the file says
    assert Decimal(count["expected"]) == approved_count  # what the PSP approved
    assert vendor["deposit_count"] == approved_count - 1  # the planted fault: one missing
    assert Decimal(count["difference"]) == -1
    amount = by_name["settlement_deposit_amount"]
    assert Decimal(amount["actual"]) == vendor["deposit_amount"]
    assert Decimal(amount["expected"]) == approved_amount
    # short by the missing deposit's amount: actual − expected
    assert Decimal(amount["difference"]) == vendor["deposit_amount"] - approved_amount < 0
    # the run's failure message names them too
    assert f"2 reconciliation check(s) failed for {day}" in error.description
    assert f"settlement_deposit_count [{source}]" in error.description
    assert error.metadata["failed"].value == 2


def test_a_three_day_backfill_is_one_dbt_invocation(nights):
    result = nights["backfill"]
    days = [d.isoformat() for d in nights["backfill_days"]]
    calls = nights["backfill_dbt_calls"]
    assert len(calls) == 1  # one dbt build for the three partitions
    (args,) = calls
    assert args[0] == "build"
    assert json.loads(args[args.index("--vars") + 1]) == {"min_date": days[0], "max_date": days[-1]}
    # dbt's own events agree: every model materialized came from one invocation
    invocations = {
        e.event_specific_data.materialization.metadata["invocation_id"].value
        for e in result.get_asset_materialization_events()
        if "invocation_id" in e.event_specific_data.materialization.metadata
    }
    assert len(invocations) == 1
    # one materialization per partition of the range for each model
    assert materialized(result)["recon/daily_checks"] == set(days)
    # the invocation's own target folder (dagster-dbt makes one per run) was removed
    assert not list(dbt_target_dir().glob(f"warehouse_daily-{result.run_id[:7]}-*"))

    # The range's reconciliation judges the three days: the provider report of the middle
    # day misses a settled round, so rounds, stakes and (if it won) wins disagree.
    assert not result.success
    day, source = nights["provider"]
    error = failure_of(result).step_failure_data.user_failure_data
    rows = [r.data for r in error.metadata["failing_rows"].value.records]
    assert {(r["check_date"], r["source"]) for r in rows} == {(day.isoformat(), source)}
    by_name = {r["check_name"]: r for r in rows}
    assert Decimal(by_name["provider_rounds_count"]["difference"]) == -1
    assert Decimal(by_name["provider_stakes_real"]["difference"]) < 0
    vendor = vendor_row(
        nights["operator"], "games.provider_reports", "report_date", day, "provider", source
    )
    assert Decimal(by_name["provider_rounds_count"]["actual"]) == vendor["rounds_count"]
    assert f"failed for {days[0]}..{days[-1]}" in error.description
