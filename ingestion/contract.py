"""The landing-zone contract, read from `landing-contract.yaml` (a verbatim copy of the spec).

Everything that lands, validates or reads landed data derives its schema from here, so the
contract is written down once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa
import yaml

CONTRACT_PATH = Path(__file__).with_name("landing-contract.yaml")

MONEY = pa.decimal128(18, 4)
TIMESTAMP = pa.timestamp("us", tz="UTC")

LOAD_COLUMNS = pa.schema(
    [
        pa.field("_batch_id", pa.string(), nullable=False),
        pa.field("_ingested_at", TIMESTAMP, nullable=False),
        pa.field("_source", pa.string(), nullable=False),
    ]
)

_SCALARS = {
    "string": pa.string(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "date": pa.date32(),
    "timestamp": TIMESTAMP,
    "decimal": MONEY,
}

# Which column dates a record for delivery: the cursor of an API, or the day of a
# per-day export or file drop. The contract says it in prose; this is that prose as data.
_DELIVERY_DAY_FIELD = {
    ("affiliate", "clicks"): "clicked_at",
    ("games", "rounds"): "updated_at",
    ("games", "provider_reports"): "report_date",
    ("payments", "settlements"): "settlement_date",
    ("payments", "fx_rates"): "rate_date",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    nullable: bool
    enum: tuple[str, ...] | None
    pii: bool


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    delivery: str
    primary_key: tuple[str, ...]
    mutable: bool
    columns: tuple[Column, ...]

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def delivery_style(self) -> str:
        """`api`, `bulk_export` or `file_drop`."""
        text = self.delivery.lower()
        if text.startswith("rest api"):
            return "api"
        if text.startswith("bulk file export"):
            return "bulk_export"
        if text.startswith("file drop"):
            return "file_drop"
        raise ValueError(f"{self.key}: unknown delivery style {self.delivery!r}")

    @property
    def delivery_day_field(self) -> str:
        """The column whose UTC date is the day a record is delivered on."""
        if (self.source, self.name) in _DELIVERY_DAY_FIELD:
            return _DELIVERY_DAY_FIELD[(self.source, self.name)]
        match = re.search(r"cursor-paginated on (\w+)", self.delivery)
        if not match:
            raise ValueError(f"{self.key}: no delivery day field for {self.delivery!r}")
        return match.group(1)

    @property
    def schema(self) -> pa.Schema:
        """The entity's own columns, as they land (load columns not included)."""
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    @property
    def landed_schema(self) -> pa.Schema:
        return pa.schema(list(self.schema) + list(LOAD_COLUMNS))

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.key} has no column {name!r}")


def parse_type(spec: str) -> tuple[pa.DataType, bool, tuple[str, ...] | None]:
    """Parse a contract type such as `decimal nullable` or `enum [a, b]`."""
    text = " ".join(spec.split())
    nullable = text.endswith(" nullable")
    if nullable:
        text = text[: -len(" nullable")].strip()
    if text.startswith("enum"):
        values = tuple(v.strip() for v in text[text.index("[") + 1 : text.rindex("]")].split(","))
        return pa.string(), nullable, values
    if text.startswith("list<struct<"):
        inner = text[len("list<struct<") : text.rindex(">>")]
        fields = []
        for part in inner.split(","):
            field_name, field_type = (p.strip() for p in part.split(":"))
            fields.append(pa.field(field_name, _SCALARS[field_type]))
        return pa.list_(pa.struct(fields)), nullable, None
    if text not in _SCALARS:
        raise ValueError(f"unknown contract type {spec!r}")
    return _SCALARS[text], nullable, None


def _pii_columns(raw_text: str) -> set[tuple[str, str]]:
    """Columns marked `# PII` in the YAML comments (comments are invisible to the parser)."""
    marked, entity = set(), None
    for line in raw_text.splitlines():
        header = re.match(r"^    (\w+):\s*(#.*)?$", line)
        if header:
            entity = header.group(1)
        column = re.match(r"^        (\w+):.*#\s*PII", line)
        if column and entity:
            marked.add((entity, column.group(1)))
    return marked


@cache
def load_contract(path: Path = CONTRACT_PATH) -> dict[str, Entity]:
    """All entities, keyed `source.entity`, in contract order."""
    raw_text = path.read_text()
    pii = _pii_columns(raw_text)
    document = yaml.safe_load(raw_text)
    entities: dict[str, Entity] = {}
    for source, source_entities in document["sources"].items():
        for name, spec in source_entities.items():
            key = spec["primary_key"]
            columns = []
            for col_name, col_type in spec["columns"].items():
                arrow_type, nullable, enum = parse_type(str(col_type))
                columns.append(
                    Column(col_name, arrow_type, nullable, enum, (name, col_name) in pii)
                )
            entity = Entity(
                source=source,
                name=name,
                delivery=spec["delivery"],
                primary_key=tuple(key) if isinstance(key, list) else (key,),
                mutable=bool(spec["mutable"]),
                columns=tuple(columns),
            )
            entities[entity.key] = entity
    return entities


def entity(key: str) -> Entity:
    try:
        return load_contract()[key]
    except KeyError:
        raise KeyError(f"no entity {key!r} in the landing contract") from None
