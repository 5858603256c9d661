"""Writing batches into the landing zone, atomically and idempotently.

Layout: <data-dir>/landing/<source>/<entity>/ingest_date=YYYY-MM-DD/<batch_id>.parquet
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.contract import Entity


@dataclass(frozen=True)
class LandedBatch:
    entity: str
    ingest_date: date
    batch_id: str
    path: Path
    rows: int
    written: bool  # False: the same content had landed already, nothing was written


def entity_dir(data_dir: Path, entity: Entity) -> Path:
    return Path(data_dir) / "landing" / entity.source / entity.name


SCHEMA_PARTITION = "ingest_date=1970-01-01"
SCHEMA_FILE = "_contract_schema.parquet"


def ensure_schema_file(data_dir: Path, entity: Entity) -> Path:
    """A zero-row Parquet file with the entity's landed schema, once per entity.

    Readers glob an entity's batches; before its first delivery there would be nothing to
    read and the warehouse build would fail. This file holds no rows, so it adds none.
    """
    path = entity_dir(data_dir, entity) / SCHEMA_PARTITION / SCHEMA_FILE
    if not path.exists():
        _write_atomically(entity.landed_schema.empty_table(), path)
    return path


def _write_atomically(table: pa.Table, path: Path) -> None:
    """Write to a hidden temporary name in the same folder, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet.part", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp_name, compression="zstd")
        with open(tmp_name, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def conform(table: pa.Table, entity: Entity) -> pa.Table:
    """Select and cast the entity's columns in contract order; a missing column is an error."""
    missing = [name for name in entity.schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{entity.key}: batch lacks contract columns {missing}")
    columns = [
        table.column(name).cast(entity.schema.field(name).type) for name in entity.schema.names
    ]
    return pa.Table.from_arrays(columns, schema=entity.schema)


def content_digest(table: pa.Table) -> str:
    """A digest of the rows' content, so the same delivery always gets the same batch id."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def land_batch(
    data_dir: Path,
    entity: Entity,
    ingest_date: date,
    table: pa.Table,
    source_uri: str,
    ingested_at: datetime | None = None,
) -> LandedBatch:
    """Land one batch with the three load columns.

    The batch id is the ingest date, the entity and a digest of content and source, so
    landing the same delivery again finds its file and writes nothing. The file is written
    to a hidden temporary name in the same folder and renamed into place, so a crash never
    leaves a half-written Parquet file where readers look (they glob `*.parquet`).
    """
    rows = conform(table, entity)
    digest = content_digest(rows)
    digest = hashlib.sha256(f"{digest}|{source_uri}".encode()).hexdigest()[:16]
    batch_id = f"{ingest_date:%Y%m%d}-{entity.source}-{entity.name}-{digest}"
    folder = entity_dir(data_dir, entity) / f"ingest_date={ingest_date.isoformat()}"
    path = folder / f"{batch_id}.parquet"
    if path.exists():
        return LandedBatch(entity.key, ingest_date, batch_id, path, rows.num_rows, written=False)

    ingested_at = ingested_at or datetime.now(UTC)
    n = rows.num_rows
    landed = rows.append_column(
        entity.landed_schema.field("_batch_id"), pa.array([batch_id] * n, pa.string())
    )
    landed = landed.append_column(
        entity.landed_schema.field("_ingested_at"),
        pa.array([ingested_at] * n, entity.landed_schema.field("_ingested_at").type),
    )
    landed = landed.append_column(
        entity.landed_schema.field("_source"), pa.array([source_uri] * n, pa.string())
    )

    _write_atomically(landed, path)
    return LandedBatch(entity.key, ingest_date, batch_id, path, n, written=True)
