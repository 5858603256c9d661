"""Compliance's audit export: one month's compliance tables and ledger, checksummed.

`igw export audit --month YYYY-MM --out DIR [--format csv|parquet]` writes into DIR:

    commission_ledger.<fmt>    finance.commission_ledger, the entries booked in the month
    commission_lineage.<fmt>   compliance.commission_lineage of those entries
    responsible_gaming.<fmt>   compliance.responsible_gaming, every row of each restriction
                               in force at some time during the month
    kyc_gating.<fmt>           compliance.kyc_gating, the CPAs booked in the month
    erasure_log.<fmt>          compliance.erasure_log, the requests made in the month
    manifest.json              month, generated_at, warehouse, and per file: name, table,
                               selection, rows, bytes, sha256
    SHA256SUMS                 `sha256sum -c SHA256SUMS` (run in DIR) verifies every file
                               above, the manifest included

DuckDB writes the files itself (decimals keep their exact value and scale), from a
read-only connection in UTC, with every table in a fixed row order, so the same warehouse
gives the same rows. The export is written into a hidden sibling of DIR and renamed into
place at the end: DIR holds a whole export or none. An existing non-empty DIR is refused,
never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from igw.config import paths
from igw.warehouse import open_read_only

FORMATS = ("csv", "parquet")
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class AuditTable:
    """One exported file: the public table it comes from, and the month's rows of it.

    `where` takes two parameters, the month's first day and the next month's first day.
    """

    stem: str
    table: str
    where: str
    order_by: str
    selection: str  # the rule, as the manifest states it

    def sql(self) -> str:
        return f"select * from {self.table} where {self.where} order by {self.order_by}"


AUDIT_TABLES = (
    AuditTable(
        "commission_ledger",
        "finance.commission_ledger",
        "period_month = $month",
        "entry_id",
        "entries booked in the month (period_month)",
    ),
    AuditTable(
        "commission_lineage",
        "compliance.commission_lineage",
        "period_month = $month",
        "entry_id, source_system, source_entity, record_id, record_role",
        "the source records of the entries booked in the month",
    ),
    AuditTable(
        "responsible_gaming",
        "compliance.responsible_gaming",
        "restricted_from < $next_month and (restricted_until is null or restricted_until > $month)",
        "restriction_event_id, touched_at nulls first, touch_entity, touch_record_id",
        "every row of each restriction in force at some time during the month",
    ),
    AuditTable(
        "kyc_gating",
        "compliance.kyc_gating",
        "period_month = $month",
        "entry_id",
        "the CPAs booked in the month",
    ),
    AuditTable(
        "erasure_log",
        "compliance.erasure_log",
        "requested_at >= $month and requested_at < $next_month",
        "event_id",
        "the erasure requests made in the month",
    ),
)


class AuditExportError(ValueError):
    """Bad input or state; the message is the one line the user sees."""


@dataclass(frozen=True)
class AuditFile:
    name: str
    table: str
    selection: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class AuditExport:
    directory: Path
    month: date
    files: tuple[AuditFile, ...]


def parse_month(text: str) -> date:
    from igw.payout import PayoutError
    from igw.payout import parse_month as parse_payout_month

    try:
        return parse_payout_month(text)
    except PayoutError as error:
        raise AuditExportError(str(error)) from None


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise AuditExportError(f"--format must be csv or parquet, got {fmt!r}")
    return fmt


def check_out(out: Path) -> None:
    """The export never lands on top of anything: DIR must be new or an empty directory."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AuditExportError(
            f"--out {out} exists and is not empty: choose a new directory "
            "(an audit export is never overwritten)"
        )


def export_audit(
    month: date, out: Path | str, fmt: str = "csv", data_dir: Path | str | None = None
) -> AuditExport:
    """Write the month's audit export into `out` (see the module docstring)."""
    check_format(fmt)
    if month.day != 1:
        raise AuditExportError(f"a month is its first day, got {month.isoformat()}")
    out = Path(out).expanduser().absolute()
    check_out(out)
    warehouse = paths(data_dir).warehouse
    with _connect(warehouse) as con:
        _check_month_built(con, month)
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex}"
        staged.mkdir()
        try:
            files = tuple(_write_table(con, table, month, staged, fmt) for table in AUDIT_TABLES)
            _write_manifest(staged, month, fmt, warehouse, files)
            _write_sums(staged, [file.name for file in files] + [MANIFEST])
            check_out(out)  # a directory filled meanwhile is not replaced
            # rename(2) replaces an empty directory atomically, and fails on a full one.
            os.rename(staged, out)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
    return AuditExport(out, month, files)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_export(directory: Path | str) -> list[str]:
    """What `sha256sum -c SHA256SUMS` would report: the files whose checksum does not
    match (or that are missing), empty when the export is intact."""
    directory = Path(directory)
    problems = []
    for line in (directory / SUMS).read_text(encoding="utf-8").splitlines():
        expected, name = line.split("  ", 1)
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_of(path) != expected:
            problems.append(f"{name}: checksum differs")
    return problems


# --- internals --------------------------------------------------------------------------


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return open_read_only(warehouse, AuditExportError)


def _check_month_built(con: duckdb.DuckDBPyConnection, month: date) -> None:
    """An audit of a month without statements would certify books that were never built."""
    try:
        statements = con.execute(
            "select count(*) from finance.affiliate_statements where period_month = ?", [month]
        ).fetchone()[0]
    except duckdb.CatalogException:
        statements = 0
    if not statements:
        raise AuditExportError(
            f"{month:%Y-%m} is not built (no statements): "
            f"run `igw payout build --month {month:%Y-%m}` first"
        )


def _write_table(
    con: duckdb.DuckDBPyConnection, table: AuditTable, month: date, directory: Path, fmt: str
) -> AuditFile:
    name = f"{table.stem}.{fmt}"
    path = directory / name
    literal = str(path).replace("'", "''")
    options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
    sql = table.sql()
    known = {"next_month": next_month(month), "month": month}
    parameters = {key: value for key, value in known.items() if f"${key}" in sql}
    try:
        rows = con.execute(f"copy ({sql}) to '{literal}' ({options})", parameters)
        written = rows.fetchone()[0]
    except duckdb.CatalogException as missing:
        first_line = str(missing).splitlines()[0]
        raise AuditExportError(
            f"the warehouse lacks {table.table} ({first_line}): "
            f"run `igw build` and `igw payout build --month {month:%Y-%m}`"
        ) from None
    return AuditFile(
        name=name,
        table=table.table,
        selection=table.selection,
        rows=int(written),
        bytes=path.stat().st_size,
        sha256=sha256_of(path),
    )


def _write_manifest(
    directory: Path, month: date, fmt: str, warehouse: Path, files: tuple[AuditFile, ...]
) -> None:
    manifest = {
        "month": f"{month:%Y-%m}",
        "period_month": month.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "format": fmt,
        "warehouse": str(warehouse),
        "files": [
            {
                "name": file.name,
                "table": file.table,
                "selection": file.selection,
                "rows": file.rows,
                "bytes": file.bytes,
                "sha256": file.sha256,
            }
            for file in files
        ],
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _write_sums(directory: Path, names: list[str]) -> None:
    """GNU coreutils' format: the hex digest, two spaces (text mode), the file name."""
    lines = [f"{sha256_of(directory / name)}  {name}\n" for name in names]
    (directory / SUMS).write_text("".join(lines), encoding="utf-8")
