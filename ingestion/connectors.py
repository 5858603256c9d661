"""Reading what the source systems deliver: one reader per delivery style.

Every vendor delivery lives under a vendor directory (the simulated outside world) in a
layout that follows from the entity's contract `delivery` line:

    api          <source>/api/<entity>/<YYYY-MM-DD>.json             {"data": [records...]}
    bulk_export  <source>/exports/<entity>/<entity>_<YYYY-MM-DD>.<ext> ndjson.gz or parquet
    file_drop    <source>/drop/<entity>/<prefix>_<YYYY-MM-DD>.csv      prefix: the partition
                 value ("one CSV per PSP per day") or the entity's first name part (`fx`)

`read_delivery` turns every file of one day into tables that conform exactly to the
contract schema. The layout lives here rather than in the writer, so the reader and the
writer (`ingestion.vendors.outbox`) cannot disagree on where a delivery is.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from ingestion.contract import Entity

_DAY_PATTERN = r"(\d{4}-\d{2}-\d{2})"

# Errors a malformed file can raise anywhere in parsing or casting.
_PARSE_ERRORS = (
    pa.ArrowException,
    json.JSONDecodeError,
    UnicodeDecodeError,
    gzip.BadGzipFile,
    EOFError,
    OSError,
    KeyError,
    TypeError,
    ValueError,
)


@dataclass(frozen=True)
class DeliveryLayout:
    """Where and in which format one entity's daily deliveries are written."""

    directory: str  # relative to the vendor directory
    file_format: str  # json, ndjson.gz, parquet or csv
    prefix: str | None  # fixed file-name prefix; None when the file name is just the day
    partition_column: str | None  # one file per value of this column per day

    def file_name(self, day: date, partition_value: str | None = None) -> str:
        head = partition_value if self.partition_column else self.prefix
        stem = day.isoformat() if head is None else f"{head}_{day.isoformat()}"
        return f"{stem}.{self.file_format}"

    def day_glob(self, day: date) -> str:
        return self.file_name(day, "*")

    def file_regex(self) -> re.Pattern[str]:
        """Matches this layout's file names; group 1 is the delivery day."""
        if self.partition_column:
            head = r".+_"
        elif self.prefix is None:
            head = ""
        else:
            head = re.escape(self.prefix) + "_"
        return re.compile(rf"^{head}{_DAY_PATTERN}\.{re.escape(self.file_format)}$")


def layout_for(entity: Entity) -> DeliveryLayout:
    """Derive an entity's layout from its delivery style and the contract's delivery line."""
    style = entity.delivery_style
    delivery = entity.delivery.lower()
    if style == "api":
        return DeliveryLayout(f"{entity.source}/api/{entity.name}", "json", None, None)
    if style == "bulk_export":
        # "Parquet or gzip CSV": Parquet is the richer of the two, so it is the one we take.
        file_format = "parquet" if "parquet" in delivery else "ndjson.gz"
        return DeliveryLayout(
            f"{entity.source}/exports/{entity.name}", file_format, entity.name, None
        )
    if style == "file_drop":
        # "one CSV per PSP per day": the word between "per" and "per day" names the column.
        match = re.search(r"per (\w+) per day", delivery)
        partition = match.group(1) if match else None
        if partition is not None and partition not in entity.schema.names:
            raise ValueError(f"{entity.key}: partition column {partition!r} not in the contract")
        prefix = None if partition else entity.name.split("_")[0]
        return DeliveryLayout(f"{entity.source}/drop/{entity.name}", "csv", prefix, partition)
    raise ValueError(f"{entity.key}: no layout for delivery style {style!r}")


def delivery_files(vendor_dir: Path, entity: Entity, day: date | None = None) -> list[Path]:
    """Every delivery file of the entity (of one day, if given), in name order."""
    return delivery_files_in(Path(vendor_dir) / layout_for(entity).directory, entity, day)


def drop_directory(drop_dir: Path, entity: Entity) -> Path:
    """Where an entity's files sit inside its source's drop folder."""
    return Path(drop_dir) / Path(layout_for(entity).directory).relative_to(entity.source)


def delivery_files_in(directory: Path, entity: Entity, day: date | None = None) -> list[Path]:
    """The entity's delivery files in `directory` (of one day, if given), in name order."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    pattern = layout_for(entity).file_regex()
    files = []
    for path in directory.iterdir():
        match = pattern.match(path.name)
        if match and (day is None or match.group(1) == day.isoformat()):
            files.append(path)
    return sorted(files)


def delivery_day_of(path: Path) -> date:
    match = re.search(_DAY_PATTERN, path.name)
    if not match:
        raise ValueError(f"{path.name}: no delivery day in the file name")
    return date.fromisoformat(match.group(1))


# --- parsing -------------------------------------------------------------------------------


def _text_type(arrow_type: pa.DataType) -> pa.DataType:
    """How a contract type travels in a JSON file: decimals, times and dates as strings."""
    if pa.types.is_decimal(arrow_type) or pa.types.is_timestamp(arrow_type):
        return pa.string()
    if pa.types.is_date(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type):
        return pa.list_(_text_type(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        return pa.struct([pa.field(f.name, _text_type(f.type)) for f in arrow_type])
    return arrow_type


def _json_text_schema(entity: Entity) -> pa.Schema:
    return pa.schema([pa.field(f.name, _text_type(f.type)) for f in entity.schema])


def conform_table(
    table: pa.Table, entity: Entity, allow_absent_nullable: bool, strict: bool = True
) -> pa.Table:
    """Cast parsed columns to the contract types; fail on missing or null required values.

    Casts from text are exact: arrow parses "12.3400" straight into decimal128(18,4) and
    refuses a value that would lose digits, and refuses a timestamp without a zone.
    `strict=False` lets nulls through in required columns (the vendor side re-reading what
    it sent, contract breaches included).
    """
    columns = []
    for field in entity.schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
        elif allow_absent_nullable and field.nullable:
            column = pa.nulls(table.num_rows, field.type)
        else:
            raise ValueError(f"column {field.name!r} is missing")
        if strict and not field.nullable and column.null_count:
            raise ValueError(f"column {field.name!r} has {column.null_count} null(s)")
        columns.append(column)
    breaches = any(
        column.null_count and not field.nullable
        for field, column in zip(entity.schema, columns, strict=True)
    )
    schema = entity.schema
    if breaches:
        schema = pa.schema([f.with_nullable(True) for f in entity.schema])
    return pa.Table.from_arrays(columns, schema=schema)


def _read_api_json(path: Path, entity: Entity) -> pa.Table:
    document = json.loads(path.read_bytes())
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ValueError('expected an object with a "data" list')
    return api_records_table(document["data"], entity)


def api_records_table(records: list, entity: Entity) -> pa.Table:
    """JSON records as a text table (decimals, times and dates stay strings).

    A REST API may leave a null field out of a record (it reads as null). A value of the
    wrong JSON type (a number where text belongs, say) is kept as text, so that validation
    can reject that one record with its reason instead of the whole page failing here.
    """
    if not all(isinstance(record, dict) for record in records):
        raise ValueError('"data" holds a non-object record')
    schema = _json_text_schema(entity)
    try:
        return pa.Table.from_pylist(records, schema=schema)
    except (pa.ArrowException, TypeError, ValueError):
        pass
    columns = []
    for field in schema:
        values = [record.get(field.name) for record in records]
        try:
            columns.append(pa.array(values, field.type))
        except (pa.ArrowException, TypeError, ValueError):
            if pa.types.is_nested(field.type):
                raise
            columns.append(pa.array([_as_text(value) for value in values], pa.string()))
    return pa.Table.from_arrays(columns, names=schema.names)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _read_ndjson(path: Path, entity: Entity) -> pa.Table:
    text_schema = _json_text_schema(entity)
    if path.name.endswith(".gz") and not gzip.decompress(path.read_bytes()).strip():
        return text_schema.empty_table()
    options = pa_json.ParseOptions(explicit_schema=text_schema, unexpected_field_behavior="ignore")
    return pa_json.read_json(path, parse_options=options)


def _read_parquet(path: Path, entity: Entity) -> pa.Table:
    return pq.read_table(path)


def _read_csv(path: Path, entity: Entity) -> pa.Table:
    # Read every column as text and let the contract cast it, so "0.1000" never meets a float.
    names = entity.schema.names
    convert = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=False,
    )
    table = pa_csv.read_csv(path, convert_options=convert)
    for field in entity.schema:
        if field.name in table.column_names and pa.types.is_boolean(field.type):
            index = table.column_names.index(field.name)
            table = table.set_column(index, field.name, pc.utf8_lower(table.column(field.name)))
    return table


_READERS: dict[str, Callable[[Path, Entity], pa.Table]] = {
    "json": _read_api_json,
    "ndjson.gz": _read_ndjson,
    "parquet": _read_parquet,
    "csv": _read_csv,
}
# Formats whose records may leave a null field out (JSON); CSV and Parquet carry every column.
_ABSENT_MEANS_NULL = {"json", "ndjson.gz"}


def read_delivery_raw(path: Path, entity: Entity, source: str | None = None) -> pa.Table:
    """One delivery file as delivered: text columns from JSON and CSV, typed from Parquet.

    This is what validation sees, so a bad value rejects its record, not the file. A file
    that cannot be read at all (truncated gzip, broken JSON) is a ValueError.
    """
    file_format = layout_for(entity).file_format
    try:
        return _READERS[file_format](Path(path), entity)
    except _PARSE_ERRORS as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ValueError(f"{source or path}: malformed {entity.key} delivery: {reason}") from error


def parse_delivery_file(
    path: Path, entity: Entity, source: str | None = None, strict: bool = True
) -> pa.Table:
    """Parse one delivery file into a contract-conforming table; ValueError if malformed."""
    raw = read_delivery_raw(path, entity, source)
    absent_means_null = layout_for(entity).file_format in _ABSENT_MEANS_NULL
    try:
        return conform_table(raw, entity, allow_absent_nullable=absent_means_null, strict=strict)
    except _PARSE_ERRORS as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ValueError(f"{source or path}: malformed {entity.key} delivery: {reason}") from error


def read_delivery(vendor_dir: Path, entity: Entity, day: date) -> list[tuple[pa.Table, str]]:
    """Every file delivered for `day`, typed as the contract says, with its path relative to
    `vendor_dir`. Nulls a vendor sent in required columns stay (validation rejects them)."""
    vendor_dir = Path(vendor_dir)
    deliveries = []
    for path in delivery_files(vendor_dir, entity, day):
        source = path.relative_to(vendor_dir).as_posix()
        deliveries.append((parse_delivery_file(path, entity, source, strict=False), source))
    return deliveries
