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
from igw.payout import PayoutError, StatementSummary, build_payout, close_payout, parse_month

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
        help="Landing zone, warehouse and exports (env IGW_DATA_DIR; default ./data).",
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

    manifest_path = config.dbt_target_dir() / "manifest.json"
    if not manifest_path.exists():
        return None
    manifest = json.loads(manifest_path.read_text())
    # The unit tests are left out of warehouse builds (igw.dbt_runner.build_args).
    nodes = manifest.get("nodes", {})
    monthly = {uid for uid, node in nodes.items() if "monthly" in node.get("tags", [])}
    runnable = ("model", "seed", "test", "snapshot")
    return sum(
        1
        for uid, node in nodes.items()
        if node["resource_type"] in runnable
        and uid not in monthly
        and not (
            node["resource_type"] == "test"
            and monthly & set(node.get("depends_on", {}).get("nodes", []))
        )
    )


def _build_warehouse(full_refresh: bool = False):
    """The daily warehouse build (everything but the monthly statements), with progress.

    Incremental: only the landing partitions since the last build are reprocessed
    (igw.build_state); the first build and `--full-refresh` take all of them."""
    from igw.build_state import (
        build_window_vars,
        landed_through,
        read_built_through,
        write_built_through,
    )

    where = config.paths()
    newest = landed_through(where.landing)
    # A warehouse file that is gone (reset, deleted) is rebuilt from all history.
    built_through = read_built_through(where.data_dir) if where.warehouse.exists() else None
    outcome = _dbt_with_progress(
        build_args(
            exclude="tag:monthly",
            full_refresh=full_refresh,
            dbt_vars=build_window_vars(built_through, full_refresh),
        ),
        "build: dbt nodes done",
        _count_daily_build_nodes(),
    )
    write_built_through(where.data_dir, newest)
    return outcome


def _ingest(data_dir: Path, first: date, last: date, every_days: int = 1, before_day=None):
    """Ingest runs from `first` to `last` against the configured sources, with progress."""
    from ingestion.ingest import IngestionFailed, ingest, run_days
    from ingestion.sources import SourceConfigError, load_settings
    from ingestion.vendors.serve import sources_path

    try:
        settings = load_settings(sources_path(data_dir))
        days = run_days(first, last, every_days)
    except (SourceConfigError, ValueError) as error:
        raise fail(str(error)) from None
    with _progress() as progress:
        task = progress.add_task("ingest: nightly runs done", total=len(days))
        try:
            return ingest(
                settings,
                data_dir,
                first,
                last,
                every_days=every_days,
                before_day=before_day,
                on_day_done=lambda _day, _runs: progress.advance(task),
            )
        except IngestionFailed as error:
            progress.stop()
            err_console.print(f"[red]ingestion failed:[/red] {error}", soft_wrap=True)
            raise typer.Exit(code=1) from None
        except SourceConfigError as error:
            raise fail(str(error)) from None


def _print_landed(landed, data_dir: Path) -> None:
    from igw.demo import landed_rows
    from ingestion.quarantine import quarantine_counts

    quarantined = quarantine_counts(data_dir)
    table = Table(title="Rows landed per entity", title_justify="left")
    table.add_column("entity")
    table.add_column("rows landed", justify="right")
    table.add_column("quarantined", justify="right")
    for key, rows in landed_rows(landed):
        table.add_row(key, f"{rows:,}", f"{quarantined.get(key, 0):,}")
    console.print(table)


def _print_statements(summary: StatementSummary) -> None:
    state = f"closed {summary.closed_at:%Y-%m-%d %H:%M} UTC" if summary.closed_at else "provisional"
    table = Table(
        title=f"Affiliate statements {summary.month:%Y-%m} (EUR, {state})", title_justify="left"
    )
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
    if summary.entries_by_type:
        entries = Table(title="Commission booked by entry type (EUR)", title_justify="left")
        entries.add_column("entry type")
        entries.add_column("amount", justify="right")
        for entry_type, amount in summary.entries_by_type.items():
            entries.add_row(entry_type, f"{amount:,.2f}")
        entries.add_row("[bold]all[/bold]", f"{sum(summary.entries_by_type.values()):,.2f}")
        console.print(entries)
    if summary.export_directory:
        console.print(f"Statements exported to {summary.export_directory}")
    if summary.discarded_months:
        months = ", ".join(f"{m:%Y-%m}" for m in summary.discarded_months)
        console.print(
            f"[yellow]Provisional statements of later months were discarded ({months}): "
            "they were chained on the old figures; build them again.[/yellow]"
        )


@app.command()
def demo(
    data_dir: DataDir = None,
    players: Annotated[int, typer.Option(min=10, help="Players of the simulated operator.")] = 500,
    seed: Annotated[
        int, typer.Option(help="Seed of the simulation (same seed, same operator).")
    ] = 7,
    months: Annotated[int, typer.Option(min=2, max=24, help="Full months simulated.")] = 12,
) -> None:
    """Simulate an operator, ingest it, build the warehouse, last month's payouts and its
    BI report."""
    from igw.demo import (
        DEMO_RUN_EVERY_DAYS,
        DemoError,
        delivery_range,
        demo_period,
        end_of_day_iso,
        prepare_data_dir,
    )
    from ingestion.generator import generate_operator, write_ground_truth
    from ingestion.vendors.outbox import write_vendor_outbox
    from ingestion.vendors.serve import live_vendors

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
        write_ground_truth(operator, where.data_dir / "ground_truth")
    _, last = delivery_range(where.vendors)
    with live_vendors(where.vendors, where.data_dir) as vendors:
        console.print(f"Simulated vendors live at {vendors.root_url}/<source>/v1 (bearer tokens)")
        landed = _ingest(
            where.data_dir,
            period.start,
            last,
            every_days=DEMO_RUN_EVERY_DAYS,
            before_day=lambda day: vendors.set_clock(end_of_day_iso(day)),
        )
    try:
        outcome = _build_warehouse()
        with console.status("payout: booking every month up to the last one") as status:
            summary = build_payout(period.last_month, where.data_dir, on_step=status.update)
    except (DbtError, PayoutError) as error:
        raise fail(str(error)) from None

    _print_landed(landed, where.data_dir)
    console.print(
        f"Models built: {outcome.models_built} ({len(outcome.succeeded)} dbt nodes passed)"
    )
    _print_demo_reconciliation(where.data_dir, period.start, last)
    _print_statements(summary)
    report_path = _demo_report(where.data_dir, period.last_month)
    console.print(f"Warehouse: {where.warehouse}")
    console.print(f"Landing zone: {where.landing}")
    console.print(f"Done in {time.monotonic() - started:.0f} s.")
    console.print(f"Report (open it in a browser): {report_path}", highlight=False, soft_wrap=True)


def _demo_report(data_dir: Path, month: date) -> Path:
    """The BI report of the demo's payout month (igw/report.py)."""
    from igw.report import ReportError, build_report

    try:
        with console.status(f"report: drawing {month:%Y-%m}"):
            return build_report(data_dir, month).path
    except ReportError as error:
        raise fail(str(error)) from None


def _print_demo_reconciliation(data_dir: Path, first: date, last: date) -> None:
    """The demo's whole period through the nightly reconciliation (recon.daily_checks): the
    simulator plants a PSP file and a provider report that disagree, so it fails there."""
    from igw.reconcile import ReconError, read_checks

    try:
        result = read_checks(data_dir, first, last)
    except ReconError as error:
        raise fail(str(error)) from None
    print_recon_summary(result, max_failures=20)
    if not result.passed:
        console.print(
            "The simulated vendors planted these disagreements (ground_truth/faults.parquet); "
            "a nightly run would fail on them. Recheck a day with `igw reconcile --date D`."
        )


@vendors_app.command("generate")
def vendors_generate(
    data_dir: DataDir = None,
    players: Annotated[int, typer.Option(min=10)] = 500,
    seed: Annotated[int, typer.Option()] = 7,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "",
    months: Annotated[int, typer.Option(min=2, max=24)] = 12,
) -> None:
    """Simulate an operator: its vendors' data under <data-dir>/vendors, and ground truth."""
    from igw.demo import demo_period
    from ingestion.generator import generate_operator, write_ground_truth
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
        write_ground_truth(operator, where.data_dir / "ground_truth")
    console.print(f"Vendors' data under {where.vendors}; ground truth under ground_truth/")


@vendors_app.command("serve")
def vendors_serve(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Loopback port to listen on.")] = 8765,
    clock: Annotated[
        str, typer.Option(help="Vendors' clock, ISO 8601 (default: all data published).")
    ] = "",
) -> None:
    """Serve the simulated vendors on 127.0.0.1 until Ctrl-C.

    Prints each source's base URL and the token environment to export, and writes
    <data-dir>/sources.yaml so that `igw ingest` in another shell reaches them.
    """
    import threading

    from ingestion.vendors.serve import live_vendors, sources_path

    where = config.activate(data_dir)
    if not where.vendors.is_dir() or not any(where.vendors.iterdir()):
        raise fail(f"no simulated data at {where.vendors} (run `igw vendors generate` first)")
    try:
        with live_vendors(where.vendors, where.data_dir, port=port) as vendors:
            if clock:
                vendors.set_clock(clock)
            _print_vendors(vendors, sources_path(where.data_dir))
            threading.Event().wait()
    except OSError as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        console.print("vendors stopped")


def _print_vendors(vendors, sources_file: Path) -> None:
    from ingestion.vendors.simulator import SOURCES

    table = Table(title="Simulated vendors (Ctrl-C stops them)", title_justify="left")
    table.add_column("source")
    table.add_column("base URL")
    table.add_column("drop folder")
    for source in SOURCES:
        table.add_row(source, vendors.base_url(source), str(vendors.settings.store_dir / source))
    console.print(table)
    console.print("Tokens (export these in the shell that runs `igw ingest`):")
    for name, value in vendors.token_environment().items():
        console.print(f"  export {name}={value}", highlight=False, soft_wrap=True)
    token = vendors.settings.tokens["crm"]
    console.print(
        f'Try: curl -H "Authorization: Bearer {token}" '
        f'"{vendors.base_url("crm")}/v1/players?limit=2"',
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"Sources configuration written to {sources_file}", highlight=False)


@app.command("ingest")
def ingest_command(
    data_dir: DataDir = None,
    day_from: Annotated[
        str, typer.Option("--from", help="First day, YYYY-MM-DD [yesterday].")
    ] = "",
    day_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD [--from].")] = "",
    every: Annotated[
        int, typer.Option(min=1, help="Run every N days of the range (and on its last day).")
    ] = 1,
) -> None:
    """Run nightly ingestion for those days against the sources in <data-dir>/sources.yaml.

    Each run lands what the vendors published up to the end of its day that earlier runs
    had not landed. Tokens come from the environment variables the file names.
    """
    where = config.activate(data_dir)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    first = parse_day(day_from, "--from") if day_from else yesterday
    last = parse_day(day_to, "--to") if day_to else first
    if last < first:
        raise fail(f"--to {last} is before --from {first}")
    landed = _ingest(where.data_dir, first, last, every_days=every)
    _print_landed(landed, where.data_dir)


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


@app.command()
def report(
    month: Annotated[
        str,
        typer.Option(help="The month, YYYY-MM (default: the last month ended by the as-of date)."),
    ] = "",
    data_dir: DataDir = None,
) -> None:
    """Write the month's BI report (funnel, cohort LTV, affiliate leaderboard,
    reconciliation) as one self-contained HTML file under <data-dir>/exports/reports/."""
    from igw.report import ReportError, build_report, parse_month

    try:
        chosen = parse_month(month) if month else None
        with console.status("report: reading the warehouse and drawing the charts"):
            outcome = build_report(config.paths(data_dir).data_dir, chosen)
    except ReportError as error:
        raise fail(str(error)) from None
    console.print(
        f"Report {outcome.month:%Y-%m} (as of {outcome.as_of_date}, {outcome.charts} charts, "
        f"reconciliation {outcome.recon_verdict}): {outcome.path}",
        highlight=False,
        soft_wrap=True,
    )


# --- reconciliation (igw/reconcile.py) ----------------------------------------------------


def _figure(value) -> str:
    """A check figure without trailing zeros (counts and amounts share one column type)."""
    if value is None:
        return "-"
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def print_recon_summary(result, max_failures: int | None = 50) -> None:
    """Rows passed and failed per check, then the failing rows (at most `max_failures`)."""
    span = f"{result.first}" if result.first == result.last else f"{result.first} to {result.last}"
    table = Table(title=f"Reconciliation {span}", title_justify="left")
    table.add_column("check")
    table.add_column("rows passed", justify="right")
    table.add_column("rows failed", justify="right")
    for check_name, passed, failed in result.by_check():
        shown = f"[red]{failed:,}[/red]" if failed else "0"
        table.add_row(check_name, f"{passed:,}", shown)
    console.print(table)
    failures = result.failures
    if not failures:
        console.print(f"[green]Every check passed[/green] ({len(result.rows):,} rows).")
        return
    shown_rows = failures if max_failures is None else failures[:max_failures]
    # One line per failing row, never cut to the terminal's width.
    console.print(f"[red]Failing checks ({len(failures):,}):[/red]")
    for row in shown_rows:
        console.print(
            f"{row.check_date} {row.check_name} {row.source}: "
            f"expected {_figure(row.expected)}, actual {_figure(row.actual)}, "
            f"difference {_figure(row.difference)}, tolerance {_figure(row.tolerance)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(shown_rows) < len(failures):
        console.print(
            f"… and {len(failures) - len(shown_rows):,} more failing rows in recon.daily_checks"
        )


@app.command()
def reconcile(
    day: Annotated[str, typer.Option("--date", help="The day to reconcile, YYYY-MM-DD.")],
    data_dir: DataDir = None,
) -> None:
    """Recompute and print one day's reconciliation; exit 1 when a check fails beyond its
    tolerance, 0 when every check passes."""
    from igw.reconcile import ReconError, reconcile_day

    where = config.paths(data_dir)
    chosen = parse_day(day, "--date")
    try:
        with console.status(f"reconcile: recomputing {chosen}"):
            result = reconcile_day(where.data_dir, chosen)
    except ReconError as error:
        raise fail(str(error)) from None
    print_recon_summary(result, max_failures=None)
    if not result.passed:
        raise typer.Exit(code=1)


@payout_app.command("build")
def payout_build(
    month: Annotated[str, typer.Option(help="The month to build, YYYY-MM.")],
    data_dir: DataDir = None,
) -> None:
    """Build (or rebuild) that month's statements and export them; refuses a month that has
    not ended or is closed."""
    where = config.activate(data_dir)
    try:
        chosen = parse_month(month)
        with console.status(f"payout: building {chosen:%Y-%m}") as status:
            summary = build_payout(chosen, where.data_dir, on_step=status.update)
    except (PayoutError, DbtError) as error:
        raise fail(str(error)) from None
    _print_statements(summary)


@payout_app.command("close")
def payout_close(
    month: Annotated[str, typer.Option(help="The month to close, YYYY-MM.")],
    data_dir: DataDir = None,
) -> None:
    """Close a built month: its statements and entries become final, its players' payout
    attribution frozen; later data is booked in the first open month."""
    where = config.activate(data_dir)
    try:
        chosen = parse_month(month)
        with console.status(f"payout: closing {chosen:%Y-%m}"):
            summary = close_payout(chosen, where.data_dir)
    except (PayoutError, DbtError) as error:
        raise fail(str(error)) from None
    _print_statements(summary)


export_app = typer.Typer(help="Exports for compliance.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("audit")
def export_audit_command(
    month: Annotated[str, typer.Option(help="The month to export, YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="A new (or empty) directory to write into.")],
    export_format: Annotated[
        str, typer.Option("--format", help="csv or parquet.", show_default=True)
    ] = "csv",
    data_dir: DataDir = None,
) -> None:
    """Write a month's compliance tables and ledger with a manifest (row counts, SHA-256)
    and a SHA256SUMS file: `sha256sum -c SHA256SUMS` in the directory verifies it."""
    from igw.audit_export import AuditExportError, check_format, export_audit, parse_month

    try:
        check_format(export_format)
        chosen = parse_month(month)
        export = export_audit(chosen, out, export_format, config.paths(data_dir).data_dir)
    except AuditExportError as error:
        raise fail(str(error)) from None
    table = Table(title=f"Audit export {chosen:%Y-%m} ({export_format})", title_justify="left")
    for column in ("file", "table", "rows", "sha256"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for file in export.files:
        table.add_row(file.name, file.table, f"{file.rows:,}", file.sha256[:16] + "…")
    console.print(table)
    console.print(
        f"Written to {export.directory}; verify with: cd {export.directory} && "
        "sha256sum -c SHA256SUMS",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def bench(
    players: Annotated[int, typer.Option(min=10, help="Players simulated.")] = 30000,
    months: Annotated[int, typer.Option(min=1, max=24, help="Months simulated.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 7,
    every: Annotated[int, typer.Option(min=1, help="Ingest every N days (1 = nightly).")] = 1,
    work_dir: Annotated[
        Path | None, typer.Option(help="Scratch folder [a temporary one, removed after].")
    ] = None,
    warehouse: Annotated[
        bool, typer.Option(help="Measure nightly warehouse builds against history instead.")
    ] = False,
) -> None:
    """Measure generation and ingestion throughput and peak memory against floors; with
    --warehouse, whether a nightly build costs its day rather than its history."""
    import shutil
    import tempfile

    from igw.bench import run_bench

    scratch = work_dir or Path(tempfile.mkdtemp(prefix="igw-bench-"))
    if warehouse:
        _bench_warehouse(scratch, players, months, seed, keep=work_dir is not None)
        return
    try:
        with console.status(f"bench: {players:,} players over {months} months"):
            report = run_bench(scratch, players, months, seed, every)
    except RuntimeError as error:
        raise fail(str(error)) from None
    finally:
        if work_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    table = Table(
        title=f"igw bench: {players:,} players, {months} months, "
        f"{report.generate['rounds']:,} rounds, {report.ingest['rows']:,} rows landed",
        title_justify="left",
    )
    for column in ("measure", "value", "vs floor", "peak RSS"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for line in report.lines():
        table.add_row(*line)
    console.print(table)


def _bench_warehouse(scratch: Path, players: int, months: int, seed: int, keep: bool) -> None:
    import shutil

    from igw.bench_warehouse import report_lines, run_warehouse_bench

    try:
        with console.status(f"bench: nightly builds, {players:,} players over {months} months"):
            figures = run_warehouse_bench(scratch, players, months, seed)
    except RuntimeError as error:
        raise fail(str(error)) from None
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    table = Table(
        title=f"igw bench --warehouse: {players:,} players, {months} months "
        f"(dbt run of the daily models; peak {figures['peak_rss_mb']:,.0f} MB)",
        title_justify="left",
    )
    for column in ("measure", "value", "vs floor"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for line in report_lines(figures):
        table.add_row(*line)
    console.print(table)


@app.command()
def docs(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Port of the docs site (0: any free port).")] = 8080,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the site after building it.")
    ] = True,
    build_site: Annotated[
        bool, typer.Option("--build/--no-build", help="Generate the site first.")
    ] = True,
) -> None:
    """Build the dbt docs site (models, columns, tests, exposures and lineage from the
    landing zone to the statements) into <data-dir>/exports/docs/ and serve it."""
    from igw.docs import DocsError, build_docs, docs_dir, docs_server

    where = config.activate(data_dir)
    try:
        if build_site:
            console.print("docs: generating the dbt docs site ...")
            site = build_docs(where.data_dir)
            console.print(f"docs: site in {site} (static_index.html opens without a server)")
        else:
            site = docs_dir(where.data_dir)
        if not serve:
            return
        server = docs_server(site, host, port)
    except DocsError as error:
        raise fail(str(error)) from None
    bound_host, bound_port = server.server_address[:2]
    url = f"http://{bound_host}:{bound_port}/"
    console.print(f"docs: serving {url} (Ctrl-C stops)", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def dagster(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Start `dagster dev` on the project's definitions, with its storage in the data dir
    (or, where DAGSTER_HOME is set, the instance configured there, e.g. a Postgres one)."""
    where = config.activate(data_dir)
    where.dagster_home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        # The repo's dagster.yaml (SQLite under the data dir) unless an instance is chosen.
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME") or str(config.REPO_ROOT),
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
