"""The vendors' side: write each entity as its source system delivers it, one file per day.

The layout (which directory, which format, one file per PSP or not) comes from
`ingestion.connectors.layout_for`, so the files written here are exactly the ones the
connectors read. Values are encoded with arrow compute over whole columns (no per-row
Python): money and rates as decimal strings ("12.3400"), timestamps as ISO 8601 UTC with
microseconds and `Z`, dates as `YYYY-MM-DD`.

Writing is deterministic (same rows, same bytes; gzip with mtime 0) and merging: when a
day's file already exists, its rows are read back, the new ones appended, and the file is
rewritten in a stable order (delivery day field, then primary key, ties kept in arrival
order).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.connectors import (
    DeliveryLayout,
    delivery_day_of,
    delivery_files,
    layout_for,
    parse_delivery_file,
)
from ingestion.contract import Entity
from ingestion.contract import entity as contract_entity

if TYPE_CHECKING:
    from ingestion.generator.operator import OperatorData

_ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"  # %S carries the microseconds of a `us` timestamp
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_CONTROL_CHARS = r"[\x00-\x1f]"
_EPOCH = date(1970, 1, 1)


# --- value encoding --------------------------------------------------------------------------


def _plain_text(array: pa.Array) -> pa.Array:
    """A scalar column as unquoted text (nulls stay null)."""
    kind = array.type
    if pa.types.is_timestamp(kind):
        if kind.tz not in ("UTC", "+00:00") or kind.unit != "us":
            array = array.cast(pa.timestamp("us", tz="UTC"))
        return pc.strftime(array, format=_ISO_TIMESTAMP)
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "true", "false")
    if pa.types.is_string(kind):
        return array
    if pa.types.is_decimal(kind) or pa.types.is_integer(kind) or pa.types.is_date(kind):
        return array.cast(pa.string())
    raise TypeError(f"cannot encode values of type {kind}")


def _json_string(text: pa.Array) -> pa.Array:
    """JSON string literals for a text column (nulls stay null)."""
    escaped = text
    for raw, replacement in _JSON_ESCAPES:
        escaped = pc.replace_substring(escaped, raw, replacement)
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    rare = pc.fill_null(pc.match_substring_regex(escaped, _CONTROL_CHARS), False)
    if pc.any(rare).as_py():
        # Other control characters are vanishingly rare; let the json module escape those few.
        positions = np.flatnonzero(rare.to_numpy(zero_copy_only=False))
        values = quoted.to_pylist()
        for position in positions:
            values[position] = json.dumps(text[position].as_py())
        quoted = pa.array(values, pa.string())
    return quoted


def json_values(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value of a column as a JSON literal; nested lists and structs included."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = array.type
    if pa.types.is_list(kind):
        inner = json_values(array.values)
        joined = pc.binary_join(pa.ListArray.from_arrays(array.offsets, inner), ",")
        encoded = pc.binary_join_element_wise("[", joined, "]", "")
    elif pa.types.is_struct(kind):
        parts = []
        # flatten() gives the children aligned with this (possibly sliced) struct array.
        for index, (field, child) in enumerate(zip(kind, array.flatten(), strict=True)):
            separator = "," if index else ""
            parts.append(pa.scalar(f"{separator}{json.dumps(field.name)}:"))
            parts.append(json_values(child))
        encoded = pc.binary_join_element_wise("{", *parts, "}", "")
    elif pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        encoded = _plain_text(array)
    else:
        encoded = _json_string(_plain_text(array))
    return pc.if_else(array.is_null(), "null", encoded)


def _json_records(table: pa.Table) -> pa.Array:
    """One compact JSON object per row, keys in contract order."""
    if table.num_rows == 0:
        return pa.array([], pa.string())
    parts = []
    for index, name in enumerate(table.column_names):
        parts.append(pa.scalar(("," if index else "") + json.dumps(name) + ":"))
        parts.append(json_values(table.column(name)))
    return pc.binary_join_element_wise("{", *parts, "}", "")


def _join(lines: pa.Array, separator: str) -> str:
    """Join a text column into one string in C, not in a Python loop."""
    whole = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    return pc.binary_join(whole, separator)[0].as_py()


def _csv_values(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """CSV cells: plain text, quoted only where a comma, quote or line break needs it."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    text = _plain_text(array)
    # An empty string is quoted so that it reads back as "" and not as a null (empty cell).
    needs_quotes = pc.or_(
        pc.match_substring_regex(text, r'[,"\r\n]'), pc.equal(pc.utf8_length(text), 0)
    )
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.fill_null(pc.if_else(needs_quotes, quoted, text), "")


# --- file writers --------------------------------------------------------------------------


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _encode_api_json(table: pa.Table) -> bytes:
    records = _json_records(table)
    if len(records) == 0:
        return b'{"data": []}\n'
    return ('{"data": [\n' + _join(records, ",\n") + "\n]}\n").encode()


def _encode_ndjson_gz(table: pa.Table) -> bytes:
    text = _join(_json_records(table), "\n") + "\n" if table.num_rows else ""
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)


def _encode_parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _encode_csv(table: pa.Table) -> bytes:
    header = ",".join(table.column_names)
    if table.num_rows == 0:
        return (header + "\n").encode()
    cells = [_csv_values(table.column(name)) for name in table.column_names]
    rows = pc.binary_join_element_wise(*cells, ",")
    return (header + "\n" + _join(rows, "\n") + "\n").encode()


_ENCODERS = {
    "json": _encode_api_json,
    "ndjson.gz": _encode_ndjson_gz,
    "parquet": _encode_parquet,
    "csv": _encode_csv,
}


# --- splitting and merging -----------------------------------------------------------------


def delivery_days(table: pa.Table, entity: Entity) -> np.ndarray:
    """The UTC delivery day of every row, as days since 1970-01-01."""
    column = table.column(entity.delivery_day_field)
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.date32())
    return column.cast(pa.int32()).to_numpy().astype(np.int64)


def _stable_order(table: pa.Table, entity: Entity) -> pa.Table:
    keys = [entity.delivery_day_field, *entity.primary_key]
    unique_keys = list(dict.fromkeys(keys))
    # arrow's sort is stable: rows equal on the keys keep their arrival order.
    return table.sort_by([(name, "ascending") for name in unique_keys])


def _vendor_schema(entity: Entity) -> pa.Schema:
    """The contract's columns with every field nullable: a vendor can break the contract
    (a null key, say), and the simulator must be able to send that record."""
    return pa.schema([field.with_nullable(True) for field in entity.schema])


def _conform_input(table: pa.Table, entity: Entity) -> pa.Table:
    missing = [name for name in entity.schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{entity.key}: table lacks contract columns {missing}")
    columns = [table.column(f.name).cast(f.type) for f in entity.schema]
    breaches_contract = any(
        column.null_count and not field.nullable
        for field, column in zip(entity.schema, columns, strict=True)
    )
    schema = _vendor_schema(entity) if breaches_contract else entity.schema
    return pa.Table.from_arrays(columns, schema=schema)


def _write_day_file(path: Path, vendor_dir: Path, entity: Entity, rows: pa.Table) -> None:
    layout: DeliveryLayout = layout_for(entity)
    if path.exists():
        source = path.relative_to(vendor_dir).as_posix()
        existing = parse_delivery_file(path, entity, source, strict=False)
        rows = pa.concat_tables([existing.cast(rows.schema), rows])
    _atomic_write(path, _ENCODERS[layout.file_format](_stable_order(rows, entity)))


def write_entity(
    vendor_dir: Path, entity: Entity, table: pa.Table, published_on: pa.Array | None = None
) -> list[Path]:
    """Write one entity's rows, one file per publication day (and partition); return the files.

    A row is published on its delivery day unless `published_on` (aligned with the rows)
    says later: a late record sits in a later day's file, as a real vendor would send it.
    """
    vendor_dir = Path(vendor_dir)
    table = _conform_input(table, entity)
    if table.num_rows == 0:
        return []
    layout = layout_for(entity)
    if published_on is None:
        days = delivery_days(table, entity)
    else:
        if len(published_on) != table.num_rows:
            raise ValueError(f"{entity.key}: published_on is not aligned with the rows")
        days = pa.array(published_on).cast(pa.int32()).to_numpy().astype(np.int64)
    if layout.partition_column:
        encoded = table.column(layout.partition_column).combine_chunks().dictionary_encode()
        partition_code = encoded.indices.to_numpy().astype(np.int64)
        partition_names = encoded.dictionary.to_pylist()
    else:
        partition_code = np.zeros(table.num_rows, dtype=np.int64)
        partition_names = [None]
    # One loop step per (day, partition): a few hundred files, never one per row.
    group_key = (days - days.min()) * len(partition_names) + partition_code
    unique_keys, group_of_row = np.unique(group_key, return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    bounds = np.searchsorted(group_of_row[order], np.arange(len(unique_keys) + 1))
    written = []
    for group, key in enumerate(unique_keys):
        rows = table.take(order[bounds[group] : bounds[group + 1]])
        day_number, partition = divmod(int(key), len(partition_names))
        day = _EPOCH + timedelta(days=int(days.min()) + day_number)
        path = vendor_dir / layout.directory / layout.file_name(day, partition_names[partition])
        _write_day_file(path, vendor_dir, entity, rows)
        written.append(path)
    return written


def write_vendor_outbox(data: OperatorData | dict[str, pa.Table], vendor_dir: Path) -> None:
    """Write every given entity in its vendor's delivery format under `vendor_dir`."""
    tables = data if isinstance(data, dict) else data.tables
    published_on = {} if isinstance(data, dict) else getattr(data, "published_on", {})
    for key in sorted(tables):
        write_entity(Path(vendor_dir), contract_entity(key), tables[key], published_on.get(key))


def list_delivery_days(vendor_dir: Path, entity: Entity | str) -> list[date]:
    """Every day for which the entity has at least one delivery file, ascending."""
    if isinstance(entity, str):
        entity = contract_entity(entity)
    return sorted({delivery_day_of(path) for path in delivery_files(Path(vendor_dir), entity)})
