"""The whole job on embedded defaults: simulate an operator, ingest, build, pay out."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from igw.config import Paths

DEMO_MARKER = ".igw-demo"
# The demo replays the year as weekly catch-up runs against the live vendors (a nightly
# replay of a whole year would take several minutes); `igw ingest` runs nightly.
DEMO_RUN_EVERY_DAYS = 7


class DemoError(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoPeriod:
    start: date
    months: int

    @property
    def last_month(self) -> date:
        index = self.start.year * 12 + self.start.month - 1 + self.months - 1
        return date(index // 12, index % 12 + 1, 1)


def demo_period(today: date, months: int = 3) -> DemoPeriod:
    """The `months` full months before today's month (today's month has not ended)."""
    if months < 2:
        raise DemoError("the demo needs at least two full months")
    index = today.year * 12 + today.month - 1 - months
    return DemoPeriod(date(index // 12, index % 12 + 1, 1), months)


def prepare_data_dir(where: Paths) -> None:
    """Reset a demo data dir; refuse one that holds anything the demo did not make."""
    data_dir = where.data_dir
    foreign = data_dir.exists() and any(p.name != "README.md" for p in data_dir.iterdir())
    if foreign and not (data_dir / DEMO_MARKER).exists():
        raise DemoError(f"{data_dir} holds data the demo did not make; pick an empty --data-dir")
    runtime_dirs = (where.vendors, where.landing, where.exports)
    scratch = ("quarantine", "ingest_state", "ground_truth")
    for runtime in (*runtime_dirs, *(data_dir / name for name in scratch)):
        shutil.rmtree(runtime, ignore_errors=True)
    where.warehouse.unlink(missing_ok=True)
    (data_dir / "restricted.duckdb").unlink(missing_ok=True)
    (data_dir / "sources.yaml").unlink(missing_ok=True)
    Path(str(where.warehouse) + ".wal").unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("made by `igw demo`; safe to delete\n")
    ensure_pseudonym_key(data_dir)


def ensure_pseudonym_key(data_dir: Path) -> Path | None:
    """Give the demo a pseudonym key (rules §12) when none is configured: a random one in
    `<data_dir>/secrets/pseudonym.key` (kept across demo runs, so pseudonyms stay stable).
    Prints one line and returns the file when it made one."""
    import os

    from igw.pseudonym import KEY_ENV, create_demo_key, key_path

    if os.environ.get(KEY_ENV, "").strip() or key_path(data_dir).is_file():
        return None
    path = create_demo_key(data_dir)
    print(f"No pseudonym key configured: created a random demo key in {path} (or set {KEY_ENV}).")
    return path


def delivery_range(vendor_dir: Path) -> tuple[date, date]:
    from ingestion.contract import load_contract
    from ingestion.vendors.outbox import list_delivery_days

    days = [d for e in load_contract().values() for d in list_delivery_days(vendor_dir, e)]
    if not days:
        raise DemoError(f"no deliveries under {vendor_dir}")
    return min(days), max(days)


def end_of_day_iso(day: date) -> str:
    """Midnight after `day`, UTC: when a nightly run for `day` starts."""
    return f"{day + timedelta(days=1):%Y-%m-%d}T00:00:00Z"


def landed_rows(landed: Counter) -> list[tuple[str, int]]:
    from ingestion.contract import load_contract

    return [(key, landed.get(key, 0)) for key in load_contract()]
