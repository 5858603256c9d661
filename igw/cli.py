"""The `igw` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from igw import config
from igw.dbt_runner import DbtError, build_args, run_dbt
from igw.payout import PayoutError, StatementSummary, build_payout, parse_month

app = typer.Typer(
    help="igw: the iGaming affiliate & player warehouse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
payout_app = typer.Typer(help="Finance's monthly payout build.", no_args_is_help=True)
vendors_app = typer.Typer(help="The simulated operator's source systems.", no_args_is_help=True)
app.add_typer(payout_app, name="payout")
app.add_typer(vendors_app, name="vendors")

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Landing zone, warehouse and exports [env IGW_DATA_DIR; default ./data].",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} must be a date YYYY-MM-DD, got {text!r}") from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _dbt_with_progress(args: list[str], description: str, total: int | None = None):
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        return run_dbt(args, on_node_done=lambda _name, _status: progress.advance(task))


def _count_daily_build_nodes() -> int | None:
    """How many nodes `dbt build --exclude tag:monthly` runs, for an honest progress bar.

    dbt drops the tests of excluded models too, so a node that depends on a monthly model
    is left out with it.
    """
    import json

    manifest_path = config.DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text())
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    monthly = {uid for uid, node in nodes.items() if "monthly" in node.get("tags", [])}
    runnable = ("model", "seed", "test", "unit_test", "snapshot")
    return sum(
        1
        for uid, node in nodes.items()
        if node["resource_type"] in runnable
        and uid not in monthly
        and not monthly & set(node.get("depends_on", {}).get("nodes", []))
    )


def _build_warehouse(full_refresh: bool = False):
    """The daily warehouse build (everything but the monthly statements), with progress."""
    return _dbt_with_progress(
        build_args(exclude="tag:monthly", full_refresh=full_refresh),
        "build: dbt nodes done",
        _count_daily_build_nodes(),
    )


def _ingest(vendor_dir: Path, data_dir: Path, first: date, last: date):
    from ingestion.ingest import days_between, ingest

    days = days_between(first, last)
    with _progress() as progress:
        task = progress.add_task("ingest: days landed", total=len(days))
        return ingest(
            vendor_dir, data_dir, first, last, on_day_done=lambda _d: progress.advance(task)
        )


def _print_landed(landed) -> None:
    from igw.demo import landed_rows

    table = Table(title="Rows landed per entity", title_justify="left")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for key, rows in landed_rows(landed):
        table.add_row(key, f"{rows:,}")
    console.print(table)


def _print_statements(summary: StatementSummary) -> None:
    table = Table(title=f"Affiliate statements {summary.month:%Y-%m} (EUR)", title_justify="left")
    for column in ("affiliates", "payable", "under limit", "negative", "total", "payable total"):
        table.add_column(column, justify="right")
    table.add_row(
        str(summary.affiliates),
        str(summary.payable),
        str(summary.under_limit),
        str(summary.negative_balance),
        f"{summary.total:,.2f}",
        f"{summary.payable_total:,.2f}",
    )
    console.print(table)


@app.command()
def demo(
    data_dir: DataDir = None,
    players: Annotated[int, typer.Option(min=10, help="Players of the simulated operator.")] = 500,
    seed: Annotated[
        int, typer.Option(help="Seed of the simulation (same seed, same operator).")
    ] = 7,
    months: Annotated[int, typer.Option(min=2, max=24, help="Full months simulated.")] = 3,
) -> None:
    """Simulate an operator, ingest it, build the warehouse and last month's payouts."""
    from igw.demo import DemoError, delivery_range, demo_period, prepare_data_dir
    from ingestion.generator import generate_operator
    from ingestion.vendors.outbox import write_vendor_outbox

    started = time.monotonic()
    where = config.activate(data_dir)
    period = demo_period(datetime.now(UTC).date(), months)
    try:
        prepare_data_dir(where)
    except DemoError as error:
        raise fail(str(error)) from None
    console.print(
        f"[bold]igw demo[/bold]: {players} players from {period.start:%Y-%m} to "
        f"{period.last_month:%Y-%m} (seed {seed}) in {where.data_dir}"
    )
    with console.status("simulating the operator's source systems"):
        operator = generate_operator(seed=seed, players=players, start=period.start, months=months)
        write_vendor_outbox(operator, where.vendors)
    first, last = delivery_range(where.vendors)
    landed = _ingest(where.vendors, where.data_dir, first, last)
    try:
        outcome = _build_warehouse()
        with console.status("payout: building statements month by month"):
            summary = build_payout(period.last_month, where.data_dir)
    except (DbtError, PayoutError) as error:
        raise fail(str(error)) from None

    _print_landed(landed)
    console.print(
        f"Models built: {outcome.models_built} ({len(outcome.succeeded)} dbt nodes passed)"
    )
    _print_statements(summary)
    console.print(f"Warehouse: {where.warehouse}")
    console.print(f"Landing zone: {where.landing}")
    console.print(f"Done in {time.monotonic() - started:.0f} s.")


@vendors_app.command("generate")
def vendors_generate(
    data_dir: DataDir = None,
    players: Annotated[int, typer.Option(min=10)] = 500,
    seed: Annotated[int, typer.Option()] = 7,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "",
    months: Annotated[int, typer.Option(min=2, max=24)] = 3,
) -> None:
    """Write a simulated operator's deliveries under <data-dir>/vendors."""
    from igw.demo import demo_period
    from ingestion.generator import generate_operator
    from ingestion.vendors.outbox import write_vendor_outbox

    where = config.activate(data_dir)
    try:
        first_month = (
            parse_month(start) if start else demo_period(datetime.now(UTC).date(), months).start
        )
    except PayoutError as error:
        raise fail(str(error).replace("--month", "--start")) from None
    if (where.vendors).exists() and any(where.vendors.iterdir()):
        raise fail(f"{where.vendors} already holds deliveries; remove it to simulate anew")
    with console.status("simulating"):
        operator = generate_operator(seed=seed, players=players, start=first_month, months=months)
        write_vendor_outbox(operator, where.vendors)
    console.print(f"Deliveries written under {where.vendors}")


@app.command("ingest")
def ingest_command(
    data_dir: DataDir = None,
    day_from: Annotated[
        str, typer.Option("--from", help="First day, YYYY-MM-DD [yesterday].")
    ] = "",
    day_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD [--from].")] = "",
    vendor_dir: Annotated[
        Path | None, typer.Option(help="Where the vendors deliver [<data-dir>/vendors].")
    ] = None,
) -> None:
    """Pull every source for those days into the landing zone."""
    where = config.activate(data_dir)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    first = parse_day(day_from, "--from") if day_from else yesterday
    last = parse_day(day_to, "--to") if day_to else first
    if last < first:
        raise fail(f"--to {last} is before --from {first}")
    source = vendor_dir or where.vendors
    if not Path(source).is_dir():
        raise fail(f"no vendor deliveries at {source} (run `igw vendors generate` first)")
    landed = _ingest(Path(source), where.data_dir, first, last)
    _print_landed(landed)


@app.command()
def build(
    data_dir: DataDir = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every model from scratch.")] = False,
) -> None:
    """Build the warehouse from the landing zone."""
    where = config.activate(data_dir)
    if not where.landing.is_dir():
        raise fail(f"nothing landed under {where.landing} (run `igw ingest` first)")
    try:
        outcome = _build_warehouse(full_refresh)
    except DbtError as error:
        raise fail(str(error)) from None
    console.print(f"Models built: {outcome.models_built}; warehouse: {where.warehouse}")


@payout_app.command("build")
def payout_build(
    month: Annotated[str, typer.Option(help="The month to build, YYYY-MM.")],
    data_dir: DataDir = None,
) -> None:
    """Build (or rebuild) that month's statements; refuses a month that has not ended."""
    where = config.activate(data_dir)
    try:
        chosen = parse_month(month)
        with console.status(f"payout: building statements up to {chosen:%Y-%m}") as status:
            summary = build_payout(
                chosen,
                where.data_dir,
                on_month=lambda m: status.update(f"payout: building {m:%Y-%m}"),
            )
    except (PayoutError, DbtError) as error:
        raise fail(str(error)) from None
    _print_statements(summary)


@app.command()
def dagster(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Start `dagster dev` on the project's definitions, with its storage in the data dir."""
    where = config.activate(data_dir)
    where.dagster_home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(config.REPO_ROOT),
        "IGW_DAGSTER_DIR": str(where.dagster_home),
        # dagster-dbt prepares the manifest with the `dbt` installed beside this Python.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    definitions = ["-m", "orchestration.definitions", "-p", str(port)]
    command = [sys.executable, "-m", "dagster", "dev", *definitions]
    # Run from the data dir so Dagster's and dbt's scratch files land there, not in the repo.
    raise typer.Exit(subprocess.call(command, env=env, cwd=where.dagster_home))


if __name__ == "__main__":
    app()
