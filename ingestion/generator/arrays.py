"""Exact, vectorised array builders shared by the generator modules.

Money is handled as int64 counts of ten-thousandths (the scale of decimal128(18,4)) from
the first draw to the final arrow array, so no amount ever passes through a float.
Times are int64 microseconds since the Unix epoch (UTC), dates int days since the epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contract import MONEY, TIMESTAMP, entity

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
UNITS_PER_MAJOR = 10_000  # decimal(18,4): one currency unit is 10,000 units
UNITS_PER_CENT = 100

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Share of activity per UTC hour: quiet nights, an evening peak (the markets are European).
HOURLY_WEIGHTS = np.array(
    [3, 2, 1, 1, 1, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5], dtype=float
)
# Activity per weekday, Monday first, mean 1: people gamble (and click) more at weekends.
WEEKDAY_WEIGHTS = np.array([0.88, 0.84, 0.88, 0.94, 1.08, 1.25, 1.13])
WEEKDAY_WEIGHTS = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.mean()
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday


@dataclass(frozen=True)
class Period:
    """The simulated period, inclusive of both days, with microsecond bounds."""

    start: date
    end: date

    @property
    def start_us(self) -> int:
        return day_start_us(self.start)

    @property
    def end_us(self) -> int:
        """Exclusive upper bound: midnight after the last day."""
        return day_start_us(self.end) + US_PER_DAY

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_day(self) -> int:
        return day_number(self.start)


def day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def date_of(day_number_value: int) -> date:
    return date.fromordinal(int(day_number_value) + _EPOCH_ORDINAL)


def weekday_of(day_numbers: np.ndarray) -> np.ndarray:
    """Monday 0 .. Sunday 6 of days since the epoch."""
    return (np.asarray(day_numbers) + _EPOCH_WEEKDAY) % 7


def seasonal_days(rng: np.random.Generator, first_day: int, days: int, size: int) -> np.ndarray:
    """`size` day numbers from `first_day` on, weekends drawn more often than weekdays."""
    weights = WEEKDAY_WEIGHTS[weekday_of(first_day + np.arange(days))]
    return first_day + choose(rng, weights, size)


def day_start_us(day: date) -> int:
    moment = datetime.combine(day, time(0), tzinfo=UTC)
    return int(moment.timestamp()) * US_PER_SECOND


def validity(null_mask: np.ndarray | None) -> pa.Buffer | None:
    if null_mask is None or not null_mask.any():
        return None
    return pa.py_buffer(np.packbits(~null_mask, bitorder="little"))


def money(units: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """decimal128(18,4) from int64 ten-thousandths, bit-exact.

    decimal128 is a 16-byte little-endian two's-complement integer: the low word is the
    int64 itself and the high word its sign extension (an arithmetic shift by 63).
    """
    units = np.ascontiguousarray(units, dtype=np.int64)
    if null_mask is not None:
        units = np.where(null_mask, 0, units)  # defined bytes under nulls: byte-identical runs
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    np.right_shift(units, 63, out=words[:, 1])
    buffers = [validity(null_mask), pa.py_buffer(words)]  # shares the numpy memory
    null_count = int(null_mask.sum()) if null_mask is not None else 0
    return pa.Array.from_buffers(MONEY, len(units), buffers, null_count=null_count)


def timestamps(us: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(us, dtype=np.int64)
    if null_mask is not None:
        values = np.where(null_mask, 0, values)
        return pa.array(values, type=TIMESTAMP, mask=null_mask)
    return pa.array(values, type=TIMESTAMP)


def dates(days: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(days, dtype=np.int32)
    if null_mask is not None:
        values = np.where(null_mask, 0, values).astype(np.int32)
        return pa.array(values, type=pa.date32(), mask=null_mask)
    return pa.array(values, type=pa.date32())


def ints(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    if null_mask is not None:
        return pa.array(np.where(null_mask, 0, values), type=pa.int64(), mask=null_mask)
    return pa.array(values, type=pa.int64())


def bools(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids like `clk_0000001`: prefix + zero-padded number, built in arrow."""
    digits = pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


_THREE_DIGITS = np.array([list(f"{n:03d}".encode()) for n in range(1000)], dtype=np.uint8)


def _string_array(size: int, offsets: np.ndarray, text: np.ndarray) -> pa.Array:
    """A string array over numpy buffers (no copy; numpy's pages, huge where possible)."""
    return pa.Array.from_buffers(
        pa.string(), size, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text))]
    )


def fixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Like `numbered`, built in numpy as a fixed-width byte matrix: the fast path for big
    tables. Digits are copied three at a time from a table of "000".."999"; the prefix
    rides along with the leading group.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    size = len(numbers)
    if size and int(numbers.max()) >= 10**width:
        width = len(str(int(numbers.max())))
    row = len(prefix) + width
    if size * row >= 2**31:  # one string array holds at most 2 GiB of text
        half = size // 2
        return pa.chunked_array(
            [fixed_ids(prefix, numbers[:half], width), fixed_ids(prefix, numbers[half:], width)]
        )
    lead = width % 3 or 3
    head_values = 10**lead
    head = np.empty((head_values, len(prefix) + lead), dtype=np.uint8)
    head[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    head[:, len(prefix) :] = _THREE_DIGITS[:head_values, 3 - lead :]
    text = np.empty((size, row), dtype=np.uint8)
    rest = numbers
    end = row
    while end > len(prefix) + lead:  # one pass per three digits, not per row
        text[:, end - 3 : end] = np.take(_THREE_DIGITS, rest % 1000, axis=0)
        rest = rest // 1000
        end -= 3
    text[:, :end] = np.take(head, rest, axis=0)
    offsets = np.arange(0, (size + 1) * row, row, dtype=np.int32)
    return _string_array(size, offsets, text)


@dataclass(frozen=True)
class TextTable:
    """A small set of strings as a padded byte matrix, for gathering big string columns."""

    matrix: np.ndarray  # (values, widest) uint8, zero-padded
    lengths: np.ndarray  # bytes per value

    @classmethod
    def of(cls, values: Sequence[str] | pa.Array) -> TextTable:
        array = pa.array(values, pa.string()) if not isinstance(values, pa.Array) else values
        lengths = pc.binary_length(array).to_numpy(zero_copy_only=False).astype(np.int64)
        widest = int(lengths.max()) if len(lengths) else 0
        padded = pc.utf8_rpad(array, widest, "\0") if widest else array
        # utf8_rpad counts characters; ids and codes are ASCII, so characters are bytes.
        data = padded.buffers()[2]
        start = padded.offset * widest
        matrix = np.frombuffer(data, dtype=np.uint8)[start : start + len(array) * widest]
        return cls(matrix.reshape(len(array), widest).copy(), lengths)

    def take(self, index: np.ndarray) -> pa.Array:
        """values[index] as a string array, built in numpy."""
        index = np.asarray(index)
        size = len(index)
        widths = np.unique(self.lengths)
        if len(widths) == 1:
            width = int(widths[0])
            offsets = np.arange(0, (size + 1) * width, width, dtype=np.int32)
            return _string_array(size, offsets, np.take(self.matrix, index, axis=0))
        lengths = self.lengths[index]
        offsets = np.zeros(size + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        used = np.arange(self.matrix.shape[1]) < lengths[:, None]
        return _string_array(size, offsets, np.take(self.matrix, index, axis=0)[used])


def mostly(common: str, other: str, is_other: np.ndarray) -> pa.Array:
    """`common` on every row, `other` where `is_other`: a column that rarely changes (a
    round's status) built as one repeated byte pattern, widened and patched at the few
    other rows. `other` must be at least as long as `common`."""
    is_other = np.asarray(is_other, dtype=bool)
    size = len(is_other)
    wide, narrow = len(other.encode()), len(common.encode())
    if wide < narrow:
        raise ValueError("the rare value must not be shorter than the common one")
    lengths = np.where(is_other, wide, narrow).astype(np.int32)
    offsets = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    text = np.frombuffer(common.encode() * size, dtype=np.uint8)
    rows = np.flatnonzero(is_other)
    if len(rows):
        text = np.insert(text, np.repeat((rows + 1) * narrow, wide - narrow), 0)
        text[offsets[rows][:, None] + np.arange(wide)] = np.frombuffer(other.encode(), np.uint8)
    return _string_array(size, offsets, text)


def labels(values: Sequence[str | None], index: np.ndarray, null_mask=None) -> pa.Array:
    """values[index] as a string array (a gather in arrow, not a Python loop)."""
    picked = pa.array(list(values), pa.string()).take(pa.array(np.asarray(index, np.int64)))
    if null_mask is not None and null_mask.any():
        picked = pc.if_else(pa.array(null_mask), pa.nulls(len(picked), pa.string()), picked)
    return picked


def concat_text(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def int_text(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def choose(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def times_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Microseconds after midnight, following the hourly activity curve."""
    hours = choose(rng, HOURLY_WEIGHTS, size)
    return hours * US_PER_HOUR + rng.integers(0, US_PER_HOUR, size)


def ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expand groups of `counts` rows: (group index, position 0..count-1) for every row."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(owner)) - np.repeat(starts, counts)
    return owner, position


def table(key: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with exactly the contract schema of `key`; a null in a required column fails."""
    schema = entity(key).schema
    extra = set(columns) - set(schema.names)
    if extra:
        raise ValueError(f"{key}: columns not in the contract: {sorted(extra)}")
    arrays = []
    for field in schema:
        array = columns[field.name]
        if array.type != field.type:
            array = array.cast(field.type)
        if not field.nullable and array.null_count:
            raise ValueError(f"{key}.{field.name}: {array.null_count} nulls in a required column")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)
