"""Quarantine: where records that failed validation at landing are kept, with their reasons.

Layout: <data-dir>/quarantine/<source>/<entity>/ingest_date=YYYY-MM-DD/<batch_id>.parquet

Each file holds one batch's rejected rows: every contract column as text (as delivered),
`_reason` (all of the row's reasons, "; "-joined), `_row_number` (its position in the
delivery), and `_batch_id`, `_source`, `_quarantined_at` (UTC). Nothing that failed is
dropped: a row is either landed or here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.contract import TIMESTAMP, load_contract
from ingestion.landing import _write_atomically

if TYPE_CHECKING:
    from ingestion.validation import ValidationOutcome

QUARANTINE_DIR = "quarantine"


def quarantine_dir(data_dir: Path, entity_key: str) -> Path:
    source, name = entity_key.split(".", 1)
    return Path(data_dir) / QUARANTINE_DIR / source / name


def write_quarantine(
    data_dir: Path,
    outcome: ValidationOutcome,
    ingest_date: date,
    batch_id: str,
    source_uri: str,
    quarantined_at: datetime | None = None,
) -> Path | None:
    """Write the outcome's rejected rows atomically; None when there are none.

    The same batch id written again replaces its file (same rows, so counts stay right).
    """
    rejected = outcome.rejected
    if rejected.num_rows == 0:
        return None
    n = rejected.num_rows
    moment = quarantined_at or datetime.now(UTC)
    table = rejected.append_column("_batch_id", pa.array([batch_id] * n, pa.string()))
    table = table.append_column("_source", pa.array([source_uri] * n, pa.string()))
    table = table.append_column("_quarantined_at", pa.array([moment] * n, TIMESTAMP))
    folder = quarantine_dir(data_dir, outcome.entity) / f"ingest_date={ingest_date.isoformat()}"
    path = folder / f"{batch_id}.parquet"
    _write_atomically(table, path)
    return path


def quarantine_counts(data_dir: Path) -> dict[str, int]:
    """Rows quarantined so far per entity (`source.entity`; every contract entity, 0 if none).

    Counted from the files' footers, without reading their rows.
    """
    root = Path(data_dir) / QUARANTINE_DIR
    counts = dict.fromkeys(load_contract(), 0)
    # Temporary files of a write in progress end in `.parquet.part`: never counted.
    for path in sorted(root.glob("*/*/ingest_date=*/*.parquet")):
        entity_key = f"{path.parents[2].name}.{path.parents[1].name}"
        counts[entity_key] = counts.get(entity_key, 0) + pq.ParquetFile(path).metadata.num_rows
    return counts
