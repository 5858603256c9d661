"""Running dbt in-process (one invocation per build; dbt's import alone costs seconds)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from igw.config import DBT_PROJECT_DIR, activate

# dbt's flag leaving the unit tests out of a build (data tests still run).
WITHOUT_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


class DbtError(RuntimeError):
    """A dbt invocation failed; the message names the failing nodes."""


@dataclass
class DbtOutcome:
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    models_built: int = 0


def build_args(
    select: str | None = None,
    exclude: str | None = None,
    dbt_vars: dict | None = None,
    full_refresh: bool = False,
    command: str = "build",
    unit_tests: bool = False,
) -> list[str]:
    """The dbt command line for one invocation (pure, so it is unit-tested).

    A build leaves dbt's unit tests out unless asked: they check the models' logic against
    fixtures, not the data, so they run in `make test` (tests/test_dbt_unit_tests.py), not
    in every warehouse build, where they cost more than the models."""
    args = [command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    if command == "build" and not unit_tests:
        args += WITHOUT_UNIT_TESTS
    if full_refresh:
        args.append("--full-refresh")
    return args


def window_vars(start: date, end_exclusive: date) -> dict[str, str]:
    """dbt vars for a partition window; Dagster windows are end-exclusive, dbt's max_date is not."""
    from datetime import timedelta

    if end_exclusive <= start:
        raise ValueError(f"empty window {start}..{end_exclusive}")
    return {
        "min_date": start.isoformat(),
        "max_date": (end_exclusive - timedelta(days=1)).isoformat(),
    }


def payout_vars(month_start: date) -> dict[str, str]:
    if month_start.day != 1:
        raise ValueError(f"a payout month starts on day 1, not {month_start}")
    return {"payout_month": month_start.isoformat()}


def run_dbt(
    args: list[str],
    data_dir=None,
    on_node_done: Callable[[str, str], None] | None = None,
) -> DbtOutcome:
    """Run dbt with the profile pointed at `data_dir`; raise DbtError naming what failed."""
    from dbt.cli.main import dbtRunner

    resolved = activate(data_dir)
    # The pseudonym key for the warehouse plugin (parsing connects to nothing, needs none).
    if args[0] != "parse":
        from igw.pseudonym import PseudonymKeyMissing, export_key

        try:
            export_key(resolved.data_dir)
        except PseudonymKeyMissing as error:
            raise DbtError(str(error)) from None
    outcome = DbtOutcome()

    def callback(event) -> None:
        if event.info.name != "NodeFinished":
            return
        node = event.data.node_info
        status = node.node_status
        name = node.unique_id
        if status in ("success", "pass"):
            outcome.succeeded.append(name)
            if name.startswith(("model.", "seed.")):
                outcome.models_built += 1
        elif status == "warn":
            outcome.warned.append(name)
        elif status not in ("skipped", "no-op"):
            outcome.failed.append(name)
        if on_node_done:
            on_node_done(name, status)

    try:
        result = dbtRunner(callbacks=[callback]).invoke(
            [
                *args,
                "--quiet",
                "--no-use-colors",
                "--log-path",
                str(resolved.data_dir / "logs" / "dbt"),
            ]
        )
    finally:
        _release_duckdb()
    if result.exception is not None:
        raise DbtError(f"dbt {args[0]} could not run: {result.exception}")
    if not result.success:
        failed = ", ".join(outcome.failed) or "see dbt_project/logs/dbt.log"
        raise DbtError(f"dbt {args[0]} failed: {failed}")
    return outcome


def _release_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps for the process after an in-process run.

    Otherwise the warehouse file stays locked: readers in this process (payout summaries)
    and in others (BI tools, the next run) could not open it.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
