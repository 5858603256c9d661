"""Which landing partitions `igw build` has built, so the next build takes only newer ones.

The warehouse's incremental models reprocess the landing partitions (ingest dates) of the
build's window, dbt vars min_date/max_date. Dagster passes each partition's day; `igw
build` passes the days landed since its last successful build, kept in
`<data-dir>/build_state.json`. The last built day is taken again (a later run of the same
day may have landed more), which is harmless: the models are idempotent per window.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

STATE_FILE = "build_state.json"
_PARTITION = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")
_SCHEMA_ONLY_DAY = date(1970, 1, 1)  # the zero-row schema partition of every entity


def landed_through(landing_dir: Path) -> date | None:
    """The latest ingest date landed under `landing_dir` (<source>/<entity>/ingest_date=D)."""
    latest = None
    for folder in Path(landing_dir).glob("*/*/ingest_date=*"):
        match = _PARTITION.match(folder.name)
        if not match:
            continue
        day = date.fromisoformat(match.group(1))
        if day != _SCHEMA_ONLY_DAY and (latest is None or day > latest):
            latest = day
    return latest


def read_built_through(data_dir: Path) -> date | None:
    path = Path(data_dir) / STATE_FILE
    if not path.exists():
        return None
    return date.fromisoformat(json.loads(path.read_text())["built_through"])


def write_built_through(data_dir: Path, day: date | None) -> None:
    path = Path(data_dir) / STATE_FILE
    if day is None:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"built_through": day.isoformat()}) + "\n")
    temporary.replace(path)


def build_window_vars(built_through: date | None, full_refresh: bool) -> dict[str, str] | None:
    """dbt vars for `igw build`: none (all history) for a first build or a full refresh,
    else the window from the last built landing day on."""
    if full_refresh or built_through is None:
        return None
    return {"min_date": built_through.isoformat(), "max_date": "2999-12-31"}
