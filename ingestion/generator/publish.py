"""Landing a generated operator straight into the landing zone, day by day, without vendors.

For the warehouse's tests and benchmark, which need the landed Parquet that ingestion
would have written but not the HTTP round trips: each entity's rows published on a day
land as one batch with that day as their ingest date, as a nightly run would land them.
Records that break the contract are left out (ingestion would quarantine them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import load_contract
from ingestion.generator.operator import OperatorData, without_invalid_records
from ingestion.landing import ensure_schema_file, land_batch


def publication_days(operator: OperatorData) -> list[date]:
    """Every day on which some vendor published something, in order."""
    days: set[date] = set()
    for published in operator.published_on.values():
        days.update(d for d in pc.unique(published).to_pylist() if d is not None)
    return sorted(days)


def land_published(
    operator: OperatorData, data_dir: Path, first: date, last: date
) -> dict[str, int]:
    """Land every valid row published from `first` to `last` (both included), one batch per
    entity and publication day. Returns rows landed per entity."""
    valid = without_invalid_records(operator)
    contract = load_contract()
    landed: dict[str, int] = {}
    for key, entity in sorted(contract.items()):
        ensure_schema_file(data_dir, entity)
        table = valid.tables.get(key)
        if table is None or table.num_rows == 0:
            continue
        published = valid.published_on[key]
        in_range = pc.and_(
            pc.greater_equal(published, pa.scalar(first, pa.date32())),
            pc.less_equal(published, pa.scalar(last, pa.date32())),
        )
        rows, days = table.filter(in_range), pc.filter(published, in_range)
        for day in sorted(pc.unique(days).to_pylist()):
            batch = rows.filter(pc.equal(days, pa.scalar(day, pa.date32())))
            ingested_at = datetime.combine(day, time(23, 0), tzinfo=UTC)
            land_batch(data_dir, entity, day, batch, f"generated://{key}/{day}", ingested_at)
            landed[key] = landed.get(key, 0) + batch.num_rows
    return landed
