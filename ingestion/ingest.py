"""Pulling the source systems' deliveries for a range of days into the landing zone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

from ingestion.connectors import read_delivery
from ingestion.contract import Entity, load_contract
from ingestion.landing import LandedBatch, ensure_schema_file, land_batch


def days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def ingest_entity_day(
    vendor_dir: Path, data_dir: Path, entity: Entity, day: date
) -> list[LandedBatch]:
    """Land everything the entity's vendor delivered for `day`, one batch per delivered file.

    The landing partition is the delivery day, so re-running a day lands the same files
    under the same batch ids, and nothing twice.
    """
    ensure_schema_file(data_dir, entity)
    return [
        land_batch(data_dir, entity, day, table, source_uri)
        for table, source_uri in read_delivery(vendor_dir, entity, day)
    ]


def ingest(
    vendor_dir: Path,
    data_dir: Path,
    first: date,
    last: date,
    entities: Iterable[Entity] | None = None,
    on_day_done: Callable[[date], None] | None = None,
) -> Counter:
    """Ingest every entity for every day from `first` to `last`; rows landed per entity."""
    vendor_dir = Path(vendor_dir)
    if not vendor_dir.is_dir():
        raise FileNotFoundError(f"no vendor deliveries at {vendor_dir}")
    chosen = list(entities or load_contract().values())
    landed: Counter = Counter()
    for day in days_between(first, last):
        for entity in chosen:
            for batch in ingest_entity_day(vendor_dir, data_dir, entity, day):
                landed[entity.key] += batch.rows if batch.written else 0
        if on_day_done:
            on_day_done(day)
    return landed
