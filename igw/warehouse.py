"""Reading the built warehouse from igw's commands: a read-only connection with one-line
errors, and the warehouse's settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import duckdb
import yaml

from igw.config import DBT_PROJECT_DIR


def open_read_only(warehouse: Path, error: Callable[[str], Exception]) -> duckdb.DuckDBPyConnection:
    """Read-only (the commands never change the warehouse, and BI readers may be connected),
    in UTC (timestamps read as the UTC instants they are). `error` makes the command's own
    exception from a one-line message."""
    if not warehouse.exists():
        raise error(f"no warehouse at {warehouse}: run `igw build` first")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as failure:
        raise error(f"cannot open {warehouse} read-only: {first_line(failure)}") from None
    con.execute("set TimeZone = 'UTC'")
    return con


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@cache
def base_currency() -> str:
    """The currency every amount is in (dbt var `base_currency`, rules §1: EUR by default)."""
    try:
        project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
        return str(project["vars"]["base_currency"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "EUR"
