"""Validation at landing: every delivery is checked against its entity's contract before it lands.

Two layers, in this order:

1. Types (pyarrow, vectorised): each contract column is cast from what was delivered (text
   from JSON and CSV, typed from Parquet) to its contract type. A value that does not cast
   rejects its row (`type: stake_real is not decimal(18,4): '12,50'`); a missing contract
   column rejects the whole batch (ValueError). Extra columns are ignored.
2. Great Expectations: the entity's suite, `expectations/<source>.<entity>.json`, runs on the
   cast columns. The suites are derived from the contract (`build_suite`) and committed; each
   expectation's `meta.reason` says what a failing row breaks, and GE's
   `unexpected_index_list` says which rows do.

A row with any failure goes to `rejected` (every contract column as text, all its reasons,
its position in the delivery); every other row is `valid`, cast exactly to the contract
schema. Nothing is dropped: rejected rows go to quarantine (`write_quarantine`), and a batch
whose rejected share passes the threshold fails the run (`check_rejection_threshold`).

After a contract change, regenerate the suites:  python -m ingestion.validation write-suites
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import Column, Entity, load_contract
from ingestion.quarantine import quarantine_counts, write_quarantine

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition

# Read by GE when it is first imported: no usage statistics leave the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

__all__ = [
    "BatchRejected",
    "ExpectationResult",
    "SUITES_DIR",
    "VALUE_RANGES",
    "ValidationOutcome",
    "ValueRange",
    "build_suite",
    "check_rejection_threshold",
    "load_suite",
    "quarantine_counts",
    "stale_suites",
    "suite_json",
    "validate_batch",
    "write_quarantine",
    "write_suites",
]

SUITES_DIR = Path(__file__).resolve().parent.parent / "expectations"
DEFAULT_MAX_REJECTED_SHARE = 0.05

# --- what the suites check, beyond types -----------------------------------------------------


@dataclass(frozen=True)
class ValueRange:
    """Bounds on a number column; `why` is the contract's or the business rules' reason."""

    why: str
    min_value: int | None = None
    max_value: int | None = None
    strict_min: bool = False

    def describe(self) -> str:
        bounds = []
        if self.min_value is not None:
            bounds.append(f"{'>' if self.strict_min else '>='} {self.min_value}")
        if self.max_value is not None:
            bounds.append(f"<= {self.max_value}")
        return " and ".join(bounds)


def _at_least_zero(why: str) -> ValueRange:
    return ValueRange(why=why, min_value=0)


def _share(why: str) -> ValueRange:
    return ValueRange(why=why, min_value=0, max_value=1)


def _positive(why: str) -> ValueRange:
    return ValueRange(why=why, min_value=0, strict_min=True)


# Every decimal and int column of the contract has an entry here: the contract's types do not
# say what a number means, so each range is a decision, written down with its reason.
# `build_suite` refuses a number column without one, so a new column forces the decision.
VALUE_RANGES: dict[str, dict[str, ValueRange]] = {
    "affiliate.deals": {
        "cpa_amount": _at_least_zero("what a CPA pays; a reversal is a clawback entry (§9)"),
        "cpa_min_first_deposit": _at_least_zero("a threshold on a deposit amount (§8)"),
        "cpa_min_wagered": _at_least_zero("a threshold on real-money stakes (§8)"),
        "cpa_window_days": _at_least_zero("a number of days after registration (§8)"),
        "admin_fee_rate": _share("a share of GGR, e.g. 0.2000 (§5)"),
        "sub_affiliate_rate": _share("a share of the child's commission (§10)"),
        "clawback_days": _at_least_zero("a number of days after qualifying (§9)"),
        "min_payout": _at_least_zero("a payout threshold (§11)"),
    },
    "crm.bonuses": {
        "amount": _at_least_zero("a ledger amount; `kind` gives the direction"),
    },
    "payments.transactions": {
        "amount": _positive("the contract: always positive; `kind` gives the direction"),
        "fee_amount": _at_least_zero("what the PSP charged the operator; never a credit"),
    },
    "payments.settlements": {
        "deposit_count": _at_least_zero("a count"),
        "deposit_amount": _at_least_zero("a total of positive amounts"),
        "withdrawal_count": _at_least_zero("a count"),
        "withdrawal_amount": _at_least_zero("a total of positive amounts"),
        "chargeback_count": _at_least_zero("a count"),
        "chargeback_amount": _at_least_zero("a total of positive amounts"),
        "fee_amount": _at_least_zero("a total of fees charged"),
    },
    "payments.fx_rates": {
        "rate_to_base": _positive("amounts convert as amount × rate (§1): 0 would erase them"),
    },
    "games.games": {
        "rtp": ValueRange(
            why="return to player, a share of stakes, e.g. 0.9620",
            min_value=0,
            max_value=1,
            strict_min=True,
        ),
        "bonus_contribution": _share("the contract: share of stakes, 0..1"),
    },
    "games.rounds": {
        "stake_real": _at_least_zero("a stake; GGR = stakes − wins (§5)"),
        "stake_bonus": _at_least_zero("a stake"),
        "win_real": _at_least_zero("a win; a loss is a zero win"),
        "win_bonus": _at_least_zero("a win"),
        "jackpot_contribution": _at_least_zero("a share of the stake paid into the jackpot"),
    },
    "games.provider_reports": {
        "rounds_count": _at_least_zero("a count"),
        "stakes_real": _at_least_zero("a total of stakes"),
        "wins_real": _at_least_zero("a total of wins"),
    },
}

CURRENCY_REGEX = r"^[A-Z]{3}$"  # ISO 4217
COUNTRY_REGEX = r"^[A-Z]{2}$"  # ISO 3166-1 alpha-2
# GE searches, so: at least one character that is not white space. Spelled out rather than
# `\S`, which pandas must run through Python's `re` row by row (RE2's `\s` differs).
NON_BLANK_REGEX = r"[^ \t\n\r\f\v]"


def _is_currency(name: str) -> bool:
    return name == "currency" or name.endswith("_currency")


def _is_country(name: str) -> bool:
    return name == "country" or name.endswith("_country")


def _type_name(arrow_type: pa.DataType) -> str:
    """A contract type as the contract writes it, for reasons and notes."""
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_string(arrow_type):
        return "string"
    if pa.types.is_list(arrow_type):
        return f"list<{_type_name(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        inner = ", ".join(f"{f.name}: {_type_name(f.type)}" for f in arrow_type)
        return f"struct<{inner}>"
    return str(arrow_type)


# --- suites ----------------------------------------------------------------------------------


def _expectation(kind: str, column: str, check: str, reason: str, **kwargs: Any) -> dict:
    """One expectation as GE serialises it; `meta.check` names it, `meta.reason` explains a fail."""
    return {
        "type": kind,
        "kwargs": {"column": column, **kwargs},
        "meta": {"check": f"{column}:{check}", "reason": reason},
    }


def _column_expectations(entity: Entity, column: Column) -> list[dict]:
    name = column.name
    is_number = pa.types.is_decimal(column.type) or pa.types.is_integer(column.type)
    required = not column.nullable or name in entity.primary_key
    found = []
    if required:
        found.append(
            _expectation(
                "expect_column_values_to_not_be_null", name, "not_null", f"null: {name} is null"
            )
        )
    if column.enum:
        allowed = ", ".join(column.enum)
        found.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                name,
                "enum",
                f"enum: {name} is not one of [{allowed}]",
                value_set=list(column.enum),
            )
        )
    elif _is_currency(name):
        found.append(
            _expectation(
                "expect_column_values_to_match_regex",
                name,
                "iso_4217",
                f"format: {name} is not an ISO 4217 code (3 upper-case letters)",
                regex=CURRENCY_REGEX,
            )
        )
    elif _is_country(name):
        found.append(
            _expectation(
                "expect_column_values_to_match_regex",
                name,
                "iso_3166",
                f"format: {name} is not an ISO 3166-1 alpha-2 code (2 upper-case letters)",
                regex=COUNTRY_REGEX,
            )
        )
    elif (
        pa.types.is_string(column.type)
        and required
        and (name.endswith("_id") or name in entity.primary_key)
    ):
        found.append(
            _expectation(
                "expect_column_values_to_match_regex",
                name,
                "non_blank",
                f"blank: {name} is empty",
                regex=NON_BLANK_REGEX,
            )
        )
    value_range = VALUE_RANGES.get(entity.key, {}).get(name)
    if is_number and value_range is None:
        raise ValueError(
            f"{entity.key}.{name} is a number without a value range: add it to VALUE_RANGES"
        )
    if value_range is not None:
        if not is_number:
            raise ValueError(f"VALUE_RANGES: {entity.key}.{name} is not a number column")
        bounds = {"min_value": value_range.min_value, "max_value": value_range.max_value}
        found.append(
            _expectation(
                "expect_column_values_to_be_between",
                name,
                "range",
                f"range: {name} must be {value_range.describe()}",
                **{key: value for key, value in bounds.items() if value is not None},
                **({"strict_min": True} if value_range.strict_min else {}),
            )
        )
        found[-1]["meta"]["why"] = value_range.why
    return found


def suite_document(entity: Entity) -> dict:
    """The entity's suite as the JSON document committed under `expectations/`."""
    unknown = set(VALUE_RANGES.get(entity.key, {})) - set(entity.schema.names)
    if unknown:
        raise ValueError(f"VALUE_RANGES: {entity.key} has no columns {sorted(unknown)}")
    expectations = [e for column in entity.columns for e in _column_expectations(entity, column)]
    ranges = {
        name: f"{value_range.describe()}: {value_range.why}"
        for name, value_range in VALUE_RANGES.get(entity.key, {}).items()
    }
    return {
        "name": entity.key,
        "expectations": expectations,
        "meta": {
            "derived_from": "ingestion/landing-contract.yaml",
            "regenerate": "python -m ingestion.validation write-suites",
            "entity": entity.key,
            "primary_key": list(entity.primary_key),
            "column_types": {c.name: _type_name(c.type) for c in entity.columns},
            "value_ranges": ranges,
        },
        "notes": (
            "Derived from the landing contract; do not edit by hand. Types are checked before "
            "this suite runs (a value that does not cast rejects its row). Not null: "
            "non-nullable and primary-key columns. In set: enumerations. ISO 4217 currency "
            "and ISO 3166-1 alpha-2 country codes by column name. Non-blank: required string "
            "ids and primary-key columns. Value ranges: meta.value_ranges, decided per column "
            "in ingestion/validation.py VALUE_RANGES. The primary key is not checked for "
            "uniqueness: delivery is at least once, so a batch may repeat a record."
        ),
    }


def suite_json(entity: Entity) -> str:
    """The committed file's exact text: stable key order, so a diff shows only real changes."""
    return json.dumps(suite_document(entity), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def suite_path(entity: Entity, directory: Path = SUITES_DIR) -> Path:
    return Path(directory) / f"{entity.key}.json"


def build_suite(entity: Entity) -> ExpectationSuite:
    """The entity's GE suite, derived from the contract (what `write_suites` commits)."""
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_document(entity))


def load_suite(entity: Entity, directory: Path = SUITES_DIR) -> ExpectationSuite:
    """The entity's GE suite, as committed under `expectations/`."""
    import great_expectations as gx

    path = suite_path(entity, directory)
    if not path.exists():
        raise FileNotFoundError(
            f"no suite for {entity.key} at {path}: run `python -m ingestion.validation "
            "write-suites`"
        )
    return gx.ExpectationSuite(**json.loads(path.read_text()))


def _orphan_suites(directory: Path, entities: dict[str, Entity]) -> list[Path]:
    """Files named like a suite (`<source>.<entity>.json`) for no entity of the contract."""
    return sorted(
        path
        for path in directory.glob("*.json")
        if re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", path.stem) and path.stem not in entities
    )


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    """Write every entity's suite; remove suites of entities the contract no longer has."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entities = load_contract()
    written = []
    for entity in entities.values():
        path = suite_path(entity, directory)
        text = suite_json(entity)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    for path in _orphan_suites(directory, entities):
        path.unlink()
    return written


def stale_suites(directory: Path = SUITES_DIR) -> list[str]:
    """Suite files that differ from what the contract derives, are missing, or are orphans."""
    directory = Path(directory)
    entities = load_contract()
    stale = []
    for entity in entities.values():
        path = suite_path(entity, directory)
        if not path.exists():
            stale.append(f"{path.name} (missing)")
        elif path.read_text() != suite_json(entity):
            stale.append(path.name)
    stale += [f"{path.name} (no such entity)" for path in _orphan_suites(directory, entities)]
    return sorted(stale)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectationResult:
    """One check's result on one batch.

    `name` is the GE expectation type, or `contract_types` for the type check.
    `unexpected_count` is the rows this check rejects, from GE's `unexpected_index_list`;
    a value that failed its type check reaches GE as null and is left to the type check
    (`details["ge_unexpected_count"]` keeps GE's own count where the two differ).
    """

    name: str
    column: str | None
    success: bool
    unexpected_count: int
    element_count: int
    details: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ValidationOutcome:
    entity: str  # "source.entity"
    valid: pa.Table  # rows that passed, cast exactly to the entity's schema
    rejected: pa.Table  # rows that failed: contract columns as text, `_reason`, `_row_number`
    checks: list[ExpectationResult]  # the type check first, then one per expectation
    reason_counts: dict[str, int] = field(default_factory=dict)  # rows per failed rule

    @property
    def total_rows(self) -> int:
        return self.valid.num_rows + self.rejected.num_rows

    @property
    def rejected_share(self) -> float:
        total = self.total_rows
        return self.rejected.num_rows / total if total else 0.0

    @property
    def success(self) -> bool:
        return self.rejected.num_rows == 0


class BatchRejected(Exception):
    """Too many of a batch's rows failed validation: the run stops for this entity."""

    def __init__(self, outcome: ValidationOutcome, max_rejected_share: float):
        self.entity = outcome.entity
        self.rejected_rows = outcome.rejected.num_rows
        self.total_rows = outcome.total_rows
        self.max_rejected_share = max_rejected_share
        self.reason_counts = dict(outcome.reason_counts)
        top = sorted(self.reason_counts.items(), key=lambda item: (-item[1], item[0]))[:3]
        reasons = ", ".join(f"{reason} ({count})" for reason, count in top)
        super().__init__(
            f"{self.entity}: {self.rejected_rows} of {self.total_rows} rows failed validation "
            f"({outcome.rejected_share:.1%}, more than the {max_rejected_share:.1%} allowed); "
            f"top reasons: {reasons}"
        )


def check_rejection_threshold(
    outcome: ValidationOutcome, max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE
) -> None:
    """Raise BatchRejected when more than `max_rejected_share` of the batch's rows failed."""
    if not 0 <= max_rejected_share <= 1:
        raise ValueError(f"max_rejected_share must be between 0 and 1, not {max_rejected_share}")
    if outcome.rejected_share > max_rejected_share:
        raise BatchRejected(outcome, max_rejected_share)


# --- types: raw columns to contract types, per row -------------------------------------------


class _Unreadable(ValueError):
    """A whole column arrives in a type that cannot become the contract type."""


_INT64_TEXT = r"^[+-]?\d{1,18}$"
_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
# ISO 8601 with a zone (Z or an offset), at most microseconds: what arrow casts exactly.
_TIMESTAMP_TEXT = (
    r"^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$"
)
_BOOL_TEXT = ["true", "false"]


def _decimal_text(decimal_type: pa.Decimal128Type) -> str:
    """Plain digits that fit the type exactly; extra fraction digits only as trailing zeros."""
    whole = decimal_type.precision - decimal_type.scale
    if decimal_type.scale == 0:
        return rf"^[+-]?\d{{1,{whole}}}$"
    return rf"^[+-]?\d{{1,{whole}}}(\.\d{{1,{decimal_type.scale}}}0*)?$"


def _real_calendar_day(text: pa.Array) -> pa.Array:
    """True where the first ten characters, YYYY-MM-DD, are a real day (not 2024-02-30).

    strptime rolls 02-30 over to 03-01, so a day is real when it formats back to itself.
    A batch spans few days: each distinct one is parsed once.
    """
    day = pc.utf8_slice_codeunits(text, 0, 10)
    distinct = pc.unique(day).drop_null()
    parsed = pc.strptime(distinct, format="%Y-%m-%d", unit="s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), distinct), False)
    return pc.is_in(day, value_set=distinct.filter(real))


def _well_formed_text(text: pa.Array, target: pa.DataType) -> pa.Array:
    """True where `text` casts exactly to `target`, so the cast itself never fails."""
    if pa.types.is_decimal(target):
        return pc.match_substring_regex(text, _decimal_text(target))
    if pa.types.is_integer(target):
        return pc.match_substring_regex(text, _INT64_TEXT)
    if pa.types.is_boolean(target):
        return pc.is_in(pc.utf8_lower(text), value_set=pa.array(_BOOL_TEXT))
    if pa.types.is_date(target):
        shaped = pc.match_substring_regex(text, _DATE_TEXT)
        return pc.and_(shaped, _real_calendar_day(text))
    if pa.types.is_timestamp(target):
        shaped = pc.match_substring_regex(text, _TIMESTAMP_TEXT)
        return pc.and_(shaped, _real_calendar_day(text))
    raise _Unreadable(f"text has no known form of {target}")


def _cast_exactly(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """Cast with arrow's safe cast; if some values refuse, find them and null them.

    The fallback tries each distinct value once (only when the vectorised cast failed).
    """
    try:
        return values.cast(target), None
    except pa.ArrowNotImplementedError as error:
        raise _Unreadable(str(error)) from error
    except pa.ArrowInvalid:
        pass
    refused = []
    for value in pc.unique(values):
        if value.is_valid:
            try:
                value.cast(target)
            except pa.ArrowInvalid:
                refused.append(value.as_py())
    failed = pc.is_in(values, value_set=pa.array(refused, values.type))
    kept = pc.if_else(failed, pa.scalar(None, values.type), values)
    return kept.cast(target), failed


def _cast_text(text: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    trimmed = pc.utf8_trim_whitespace(text)
    well_formed = pc.fill_null(_well_formed_text(trimmed, target), False)
    failed = pc.and_(pc.is_valid(text), pc.invert(well_formed))
    readable = pc.if_else(well_formed, trimmed, pa.scalar(None, pa.string()))
    if pa.types.is_boolean(target):
        readable = pc.utf8_lower(readable)
    cast, refused = _cast_exactly(readable, target)
    if refused is not None:
        failed = pc.or_(failed, refused)
    return cast, failed if pc.any(failed).as_py() else None


def _cast_list(values: pa.Array, target: pa.ListType) -> tuple[pa.Array, pa.Array | None]:
    """Cast a list<struct<...>> element-wise; a bad element fails its row."""
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):
        raise _Unreadable(f"{values.type} is not a list")
    elements = pc.list_flatten(values)
    parents = pc.list_parent_indices(values).to_numpy()
    cast_elements, element_failed = _cast_array(elements, target.value_type)
    lengths = pc.fill_null(pc.list_value_length(values), 0).cast(pa.int32())
    offsets = pa.concat_arrays(
        [pa.array([0], pa.int32()), pc.cumulative_sum(lengths).cast(pa.int32())]
    )
    cast = pa.ListArray.from_arrays(offsets, cast_elements, type=target, mask=values.is_null())
    if element_failed is None:
        return cast, None
    failed_rows = np.zeros(len(values), dtype=bool)
    failed_rows[parents[element_failed.to_numpy(zero_copy_only=False)]] = True
    return cast, pa.array(failed_rows)


def _cast_struct(values: pa.Array, target: pa.StructType) -> tuple[pa.Array, pa.Array | None]:
    if not pa.types.is_struct(values.type):
        raise _Unreadable(f"{values.type} is not a struct")
    children, failed = [], None
    for target_field in target:
        if values.type.get_field_index(target_field.name) < 0:
            raise _Unreadable(f"its elements lack the field {target_field.name!r}")
        child, child_failed = _cast_array(values.field(target_field.name), target_field.type)
        children.append(child)
        if child_failed is not None:
            failed = child_failed if failed is None else pc.or_(failed, child_failed)
    cast = pa.StructArray.from_arrays(children, fields=list(target), mask=values.is_null())
    return cast, failed


def _cast_array(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """`values` as `target`, null where a value does not cast, and where that happened."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
        values = values.cast(pa.string())
    if values.type == target:
        return values, None
    if pa.types.is_list(target):
        return _cast_list(values, target)
    if pa.types.is_struct(target):
        return _cast_struct(values, target)
    if pa.types.is_string(values.type) and not pa.types.is_string(target):
        return _cast_text(values, target)
    if pa.types.is_floating(values.type) and pa.types.is_decimal(target):
        # A binary float holds no exact decimal: read the shortest text that round-trips.
        return _cast_text(values.cast(pa.string()), target)
    return _cast_exactly(values, target)


def _as_text(values: pa.Array) -> pa.Array:
    """Values as the text a person would read in quarantine (rejected rows only)."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_nested(values.type):
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in values.to_pylist()],
            pa.string(),
        )
    try:
        return values.cast(pa.string())
    except pa.ArrowException:
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())


# --- Great Expectations, set up once per process ---------------------------------------------

_COMPLETE = {
    "result_format": "COMPLETE",
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


@dataclass(frozen=True)
class _SuiteCheck:
    """What validation needs of one expectation, read once from its configuration."""

    check: str  # meta.check, e.g. "stake_real:range"
    kind: str  # the GE expectation type
    column: str
    reason: str  # meta.reason, the start of a failing row's reason
    kwargs: dict


@dataclass(frozen=True)
class _LoadedSuite:
    suite: ExpectationSuite
    checks: list[_SuiteCheck]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(check.column for check in self.checks))


class _GreatExpectations:
    """GE's context, one dataframe asset per entity and the committed suites.

    Built on first use and reused: setting GE up costs more than validating a small batch.
    GE objects are not documented as thread-safe, so validations take turns.
    """

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GE fingerprints every dataframe under this size for its batch markers (data docs,
        # which we do not build); hashing a batch costs as much as validating it.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.context = gx.get_context(mode="ephemeral")
        self.context.enable_analytics(False)
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.datasource = self.context.data_sources.add_pandas("landing")
        self.lock = threading.Lock()
        self._batch_definitions: dict[str, BatchDefinition] = {}
        self._suites: dict[str, _LoadedSuite] = {}

    def batch_definition(self, entity: Entity) -> BatchDefinition:
        if entity.key not in self._batch_definitions:
            asset = self.datasource.add_dataframe_asset(name=entity.key)
            self._batch_definitions[entity.key] = asset.add_batch_definition_whole_dataframe(
                "delivery"
            )
        return self._batch_definitions[entity.key]

    def suite(self, entity: Entity) -> _LoadedSuite:
        if entity.key not in self._suites:
            suite = load_suite(entity)
            checks = []
            for expectation in suite.expectations:
                config = expectation.configuration
                checks.append(
                    _SuiteCheck(
                        check=config.meta["check"],
                        kind=config.type,
                        column=config.kwargs["column"],
                        reason=config.meta["reason"],
                        kwargs={k: v for k, v in config.kwargs.items() if k != "column"},
                    )
                )
            self._suites[entity.key] = _LoadedSuite(suite, checks)
        return self._suites[entity.key]


_ge_setup_lock = threading.Lock()


@cache
def _great_expectations() -> _GreatExpectations:
    return _GreatExpectations()


def _ge() -> _GreatExpectations:
    with _ge_setup_lock:
        return _great_expectations()


@dataclass(frozen=True)
class _CheckRun:
    """One expectation's result on a batch, with the rows it failed (empty when it passed)."""

    spec: _SuiteCheck
    success: bool
    unexpected_count: int
    element_count: int
    rows: np.ndarray


def _run_suite(entity: Entity, loaded: _LoadedSuite, frame: pd.DataFrame) -> list[_CheckRun]:
    """Run the entity's suite on `frame`; rows come from GE's `unexpected_index_list`.

    Most batches pass, so the whole suite runs first with GE's cheapest result format, and
    only the expectations that failed run again for their rows (COMPLETE).
    """
    import great_expectations as gx

    ge = _ge()
    with ge.lock:
        batch = ge.batch_definition(entity).get_batch(batch_parameters={"dataframe": frame})
        summary = batch.validate(loaded.suite, result_format="BOOLEAN_ONLY")
        _raise_on_ge_errors(entity, summary.results)
        failed = {r.expectation_config.meta["check"] for r in summary.results if not r.success}
        detailed = {}
        if failed:
            failed_suite = gx.ExpectationSuite(
                name=f"{entity.key}.failed",
                expectations=[
                    expectation.configuration
                    for expectation, spec in zip(
                        loaded.suite.expectations, loaded.checks, strict=True
                    )
                    if spec.check in failed
                ],
            )
            complete = batch.validate(failed_suite, result_format=_COMPLETE)
            _raise_on_ge_errors(entity, complete.results)
            detailed = {r.expectation_config.meta["check"]: r for r in complete.results}

    runs = []
    for spec in loaded.checks:
        result = detailed.get(spec.check)
        if result is None:
            runs.append(_CheckRun(spec, True, 0, len(frame), np.empty(0, np.int64)))
            continue
        runs.append(
            _CheckRun(
                spec,
                success=result.success,
                unexpected_count=int(result.result["unexpected_count"]),
                element_count=int(result.result["element_count"]),
                rows=np.asarray(result.result["unexpected_index_list"], dtype=np.int64),
            )
        )
    return runs


def _raise_on_ge_errors(entity: Entity, results: list) -> None:
    """An expectation GE could not evaluate is a bug here, never a pass or a row failure."""
    for result in results:
        info = result.exception_info or {}
        if info.get("raised_exception"):
            check = result.expectation_config.meta.get("check")
            message = " ".join(str(info.get("exception_message")).split())
            raise RuntimeError(f"{entity.key}: GE could not evaluate {check}: {message}")


def _ge_frame(loaded: _LoadedSuite, cast: dict[str, pa.Array]) -> pd.DataFrame:
    """The cast columns the suite reads, as pandas; the index is the row's position.

    Decimals reach GE as float64: exact enough for sign and bound checks at 4 places. The
    valid rows themselves are built from the arrow decimals, never from these floats.
    """
    columns = {}
    for name in loaded.columns:
        values = cast[name]
        if pa.types.is_decimal(values.type):
            values = values.cast(pa.float64())
        columns[name] = values
    return pa.table(columns).to_pandas(date_as_object=False)


# --- validation ------------------------------------------------------------------------------


def _rejected_schema(entity: Entity) -> pa.Schema:
    return pa.schema(
        [pa.field(name, pa.string()) for name in entity.schema.names]
        + [pa.field("_reason", pa.string()), pa.field("_row_number", pa.int64())]
    )


def _quoted(value: str | None) -> str:
    if value is None:
        return "null"
    return f"'{value[:80]}…'" if len(value) > 80 else f"'{value}'"


class _Failure(NamedTuple):
    """Rows that broke one rule, and how their reason is written."""

    column_index: int  # reasons of a row follow the contract's column order
    order: int  # then the type check (0), then the suite's order
    reason: str
    rows: np.ndarray
    quote_value: bool  # a null has no value worth quoting


def validate_batch(entity: Entity, raw: pa.Table) -> ValidationOutcome:
    """Check one delivery against the contract: types first, then the entity's GE suite.

    `raw` holds the contract's columns as delivered (text or typed; extra columns are
    ignored). A missing contract column, or a column whose type cannot become the contract
    type at all, is a ValueError for the whole batch; every other failure rejects its row.
    """
    missing = [name for name in entity.schema.names if name not in raw.column_names]
    if missing:
        raise ValueError(f"{entity.key}: batch lacks contract columns {missing}")
    loaded = _ge().suite(entity)
    rows = raw.num_rows
    if rows == 0:
        return _empty_outcome(entity, loaded)

    cast, type_failed = _cast_columns(entity, raw)
    column_index = {name: index for index, name in enumerate(entity.schema.names)}
    failures = [
        _Failure(
            column_index[name], 0, f"type: {name} is not {_type_name(cast[name].type)}", r, True
        )
        for name, r in type_failed.items()
    ]
    runs = _run_suite(entity, loaded, _ge_frame(loaded, cast))
    checks = [_type_check(type_failed, rows)]
    for order, run in enumerate(runs, start=1):
        spec, failed_rows = run.spec, run.rows
        is_not_null = spec.kind == "expect_column_values_to_not_be_null"
        details = _check_details(spec)
        if is_not_null and spec.column in type_failed:
            # A value that did not cast reaches GE as null; its row's reason is the type.
            failed_rows = np.setdiff1d(failed_rows, type_failed[spec.column])
            details["ge_unexpected_count"] = run.unexpected_count
        if len(failed_rows):
            failures.append(
                _Failure(
                    column_index[spec.column], order, spec.reason, failed_rows, not is_not_null
                )
            )
        checks.append(
            ExpectationResult(
                name=spec.kind,
                column=spec.column,
                success=not len(failed_rows),
                unexpected_count=len(failed_rows),
                element_count=run.element_count,
                details=details,
            )
        )

    failures.sort(key=lambda failure: (failure.column_index, failure.order))
    rejected_rows = (
        np.unique(np.concatenate([f.rows for f in failures])) if failures else np.empty(0, np.int64)
    )
    typed = pa.Table.from_arrays([cast[name] for name in entity.schema.names], schema=entity.schema)
    if len(rejected_rows):
        valid_mask = np.ones(rows, dtype=bool)
        valid_mask[rejected_rows] = False
        typed = typed.filter(pa.array(valid_mask))
    rejected, reason_counts = _rejected_table(entity, raw, rejected_rows, failures)
    return ValidationOutcome(entity.key, typed, rejected, checks, reason_counts)


def _cast_columns(
    entity: Entity, raw: pa.Table
) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """Every contract column cast to its type, and the rows whose value did not cast."""
    cast: dict[str, pa.Array] = {}
    type_failed: dict[str, np.ndarray] = {}
    for contract_field in entity.schema:
        name = contract_field.name
        try:
            cast[name], failed = _cast_array(raw.column(name).combine_chunks(), contract_field.type)
        except _Unreadable as error:
            raise ValueError(
                f"{entity.key}: column {name} arrives as {raw.schema.field(name).type}, which "
                f"cannot be read as {_type_name(contract_field.type)} ({error})"
            ) from None
        if failed is not None:
            type_failed[name] = np.flatnonzero(failed.to_numpy(zero_copy_only=False))
    return cast, type_failed


def _type_check(type_failed: dict[str, np.ndarray], rows: int) -> ExpectationResult:
    failed_rows = np.unique(np.concatenate(list(type_failed.values()))) if type_failed else []
    return ExpectationResult(
        name="contract_types",
        column=None,
        success=not type_failed,
        unexpected_count=len(failed_rows),
        element_count=rows,
        details={"failed_rows_by_column": {name: len(r) for name, r in type_failed.items()}},
    )


def _rejected_table(
    entity: Entity, raw: pa.Table, rejected_rows: np.ndarray, failures: list[_Failure]
) -> tuple[pa.Table, dict[str, int]]:
    """Rejected rows as text, each with all its reasons in contract column order."""
    schema = _rejected_schema(entity)
    if not len(rejected_rows):
        return schema.empty_table(), {}
    take = pa.array(rejected_rows)
    text = {
        name: _as_text(raw.column(name).take(take).combine_chunks()) for name in entity.schema.names
    }
    reasons: list[list[str]] = [[] for _ in range(len(rejected_rows))]
    reason_counts: Counter = Counter()
    for failure in failures:
        positions = np.searchsorted(rejected_rows, failure.rows)
        reason_counts[failure.reason] += len(failure.rows)
        if failure.quote_value:
            values = text[entity.schema.names[failure.column_index]]
            shown = values.take(pa.array(positions)).to_pylist()
            for at, value in zip(positions.tolist(), shown, strict=True):
                reasons[at].append(f"{failure.reason}: {_quoted(value)}")
        else:
            for at in positions.tolist():
                reasons[at].append(failure.reason)
    columns = [text[name] for name in entity.schema.names]
    columns.append(pa.array(["; ".join(row) for row in reasons], pa.string()))
    columns.append(pa.array(rejected_rows, pa.int64()))
    return pa.Table.from_arrays(columns, schema=schema), dict(reason_counts)


def _check_details(spec: _SuiteCheck) -> dict:
    return {"check": spec.check, "reason": spec.reason, **spec.kwargs}


def _empty_outcome(entity: Entity, loaded: _LoadedSuite) -> ValidationOutcome:
    """An empty delivery passes every check trivially; GE is not asked."""
    checks = [ExpectationResult("contract_types", None, True, 0, 0)]
    checks += [
        ExpectationResult(spec.kind, spec.column, True, 0, 0, _check_details(spec))
        for spec in loaded.checks
    ]
    empty_rejected = _rejected_schema(entity).empty_table()
    return ValidationOutcome(entity.key, entity.schema.empty_table(), empty_rejected, checks)


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.validation")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write-suites", help="derive every suite from the contract")
    check = commands.add_parser("check-suites", help="exit 1 if a suite differs from the contract")
    for command in (write, check):
        command.add_argument("--dir", type=Path, default=SUITES_DIR, help="suites folder")
    args = parser.parse_args(argv)
    if args.command == "write-suites":
        for path in write_suites(args.dir):
            print(path)
        return 0
    stale = stale_suites(args.dir)
    for name in stale:
        print(f"stale suite: {name}", file=sys.stderr)
    if stale:
        print("run `python -m ingestion.validation write-suites`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
