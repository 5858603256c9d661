"""The monthly payout export: what finance hands over once a month's statements are built.

Under `<data-dir>/exports/payouts/YYYY-MM/` it writes the month's statements and ledger
entries as CSV and Parquet (copied by DuckDB itself, so decimals stay exact) and one
self-contained HTML statement per affiliate: the document an affiliate manager sends to
settle a dispute, listing every ledger entry behind the total.

The month is written into a hidden sibling directory and then swapped in place of the
previous export, so a rebuild replaces the export wholesale and a crash never leaves a
half-written one.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from igw.config import paths
from igw.html import load_template
from igw.warehouse import base_currency, open_read_only

TEMPLATE_NAME = "affiliate_statement.html.j2"

STATEMENTS_SQL = """
    select * from finance.affiliate_statements
    where period_month = ?
    order by affiliate_id
"""
LEDGER_SQL = """
    select * from finance.commission_ledger
    where period_month = ?
    order by affiliate_id, entry_type, entry_id
"""
REVSHARE_SQL = """
    select * from finance.revshare_periods
    where period_month = ?
    order by affiliate_id, deal_id
"""
NAMES_SQL = "select affiliate_id, name from staging.stg_affiliate__affiliates"

# An affiliate id becomes a file name: no separators, no leading dot, nothing to escape.
SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
CENT = Decimal("0.01")

Row = dict[str, Any]


@dataclass(frozen=True)
class PayoutExport:
    directory: Path
    files: list[Path]  # every file written
    affiliates: int  # statements written


def export_month(month: date, data_dir: Path | str | None = None) -> PayoutExport:
    """Write the month's payout export and swap it in place of any previous one."""
    _check_month(month)
    where = paths(data_dir)
    target = where.exports / "payouts" / f"{month:%Y-%m}"
    with _connect(where.warehouse) as con:
        statements = _month_statements(con, month)
        staged = _staging_dir(target)
        try:
            written = _write_tables(con, month, staged)
            written += _write_html_statements(con, month, statements, staged)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
    _swap_in(staged, target)
    return PayoutExport(target, [target / name for name in written], len(statements))


# --- input ------------------------------------------------------------------------------


def _payout_error(message: str) -> Exception:
    """igw.payout imports dbt's runner; import its error only when there is one to raise."""
    from igw.payout import PayoutError

    return PayoutError(message)


def _check_month(month: date) -> None:
    """A month is named by its first day, like period_month; anything else is a caller bug."""
    if month.day != 1:
        raise _payout_error(f"a payout month is its first day, got {month.isoformat()}")


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return open_read_only(warehouse, _payout_error)


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> duckdb.DuckDBPyConnection:
    """A warehouse built before the finance tables existed gets a one-line error."""
    try:
        return con.execute(sql, params)
    except duckdb.CatalogException as missing:
        first_line = str(missing).splitlines()[0]
        raise _payout_error(
            f"the warehouse lacks a table the export reads ({first_line}): run `igw build`"
        ) from None


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[Row]:
    """Rows as dicts keyed by column, so the template names columns, not positions."""
    cursor = _execute(con, sql, params)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def _month_statements(con: duckdb.DuckDBPyConnection, month: date) -> list[Row]:
    """The month's statements; an export without any would be an empty promise."""
    statements = _rows(con, STATEMENTS_SQL, [month])
    if not statements:
        raise _payout_error(
            f"no statements for {month:%Y-%m}: run `igw payout build --month {month:%Y-%m}` first"
        )
    return statements


def _affiliate_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Names from the affiliate tracker's staging model, when the warehouse has it.

    No public mart carries names, so a warehouse without the staging model (or with a
    differently shaped one) still exports; its statements show the id alone.
    """
    try:
        return {row[0]: row[1] for row in con.execute(NAMES_SQL).fetchall() if row[1]}
    except (duckdb.CatalogException, duckdb.BinderException):
        return {}


# --- the tables -------------------------------------------------------------------------


def _copy(con: duckdb.DuckDBPyConnection, sql: str, month: date, path: Path, fmt: str) -> None:
    """DuckDB writes the file itself, so decimals keep their exact value and scale."""
    literal = str(path).replace("'", "''")
    options = "FORMAT csv, HEADER" if fmt == "csv" else "FORMAT parquet"
    _execute(con, f"COPY ({sql}) TO '{literal}' ({options})", [month])


def _write_tables(con: duckdb.DuckDBPyConnection, month: date, directory: Path) -> list[str]:
    """statements.csv/.parquet and ledger.csv/.parquet; returns the names written."""
    written = []
    for stem, sql in (("statements", STATEMENTS_SQL), ("ledger", LEDGER_SQL)):
        for fmt in ("csv", "parquet"):
            name = f"{stem}.{fmt}"
            _copy(con, sql, month, directory / name, fmt)
            written.append(name)
    return written


# --- the HTML statements ----------------------------------------------------------------


def _write_html_statements(
    con: duckdb.DuckDBPyConnection, month: date, statements: list[Row], directory: Path
) -> list[str]:
    """One HTML file per statement, with its deals and every ledger entry of the month."""
    entries = _by_affiliate(_rows(con, LEDGER_SQL, [month]))
    deals = _by_affiliate(_rows(con, REVSHARE_SQL, [month]))
    names = _affiliate_names(con)
    (directory / "statements").mkdir()
    written = []
    for statement in statements:
        affiliate = statement["affiliate_id"]
        mine = entries.get(affiliate, [])
        _check_adds_up(statement, mine)
        html = render_statement(
            statement, mine, deals.get(affiliate, []), names.get(affiliate), base_currency()
        )
        name = f"statements/{_file_stem(affiliate)}.html"
        (directory / name).write_text(html, encoding="utf-8")
        written.append(name)
    return written


def _by_affiliate(rows: list[Row]) -> dict[str, list[Row]]:
    """Group rows by affiliate, keeping the query's order within each."""
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["affiliate_id"], []).append(row)
    return grouped


def _file_stem(affiliate_id: str) -> str:
    """The id is the file name, so one that could escape the directory is refused."""
    if not SAFE_FILE_STEM.fullmatch(affiliate_id):
        raise _payout_error(f"affiliate id {affiliate_id!r} cannot name a statement file")
    return affiliate_id


def _check_adds_up(statement: Row, entries: list[Row]) -> None:
    """Rules §11: total = carried in + the month's entries. A document sent to settle a
    dispute must add up on its face, so one that does not is refused, not written."""
    entries_sum = sum((entry["amount"] for entry in entries), Decimal("0"))
    if statement["carried_in"] + entries_sum != statement["total"]:
        raise _payout_error(
            f"statement of {statement['affiliate_id']} for {statement['period_month']:%Y-%m}"
            f" does not add up: carried in {statement['carried_in']} + entries {entries_sum}"
            f" != total {statement['total']}"
        )


def money(value: Decimal | None) -> str:
    """Two decimals, from the Decimal itself (never a float): amounts stored with 2 places
    show exactly as stored; NGR-like figures (4 places) are rounded half up for display."""
    if value is None:
        return "—"
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # -0.0001 rounds to -0.00; a statement shows 0.00
    return f"{rounded:f}"


def percent(value: Decimal | None) -> str:
    """A stored rate (0.237500) as the percentage a person reads (23.75%), exactly."""
    if value is None:
        return "—"
    return f"{(value * 100).normalize():f}%"


def text(value: Any) -> str:
    """Nullable ids and dates: a dash where there is nothing, so empty cells read as such."""
    if value is None or value == "":
        return "—"
    return value.isoformat(sep=" ") if hasattr(value, "hour") else str(value)


@cache
def _template() -> jinja2.Template:
    return load_template(TEMPLATE_NAME, {"money": money, "percent": percent, "text": text})


def render_statement(
    statement: Row, entries: list[Row], deals: list[Row], name: str | None, currency: str
) -> str:
    """The affiliate's statement as one HTML document (inline CSS, no network resources)."""
    return _template().render(
        s=statement,
        entries=entries,
        deals=deals,
        name=name,
        currency=currency,
        entries_total=sum((entry["amount"] for entry in entries), Decimal("0")),
        deals_total=sum((deal["revshare_amount"] for deal in deals), Decimal("0")),
    )


# --- the swap ---------------------------------------------------------------------------


def _staging_dir(target: Path) -> Path:
    """A fresh hidden sibling of the month's directory (same filesystem, so renames are
    atomic); leftovers of an earlier crashed build of this month are cleared first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staged = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex}"
    staged.mkdir()
    return staged


def _swap_in(staged: Path, target: Path) -> None:
    """Replace the previous export by the staged one with two renames: a reader sees the
    old export or the new one whole, never a mix, and no stale file survives."""
    retired = target.parent / f".{target.name}.old-{uuid.uuid4().hex}"
    if target.exists():
        target.rename(retired)
    staged.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
