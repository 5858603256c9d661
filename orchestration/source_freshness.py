"""Has each source's day landed by its usual time? Read from the landing zone (pure, no Dagster).

A source's day D is *delivered* once the landing zone holds records whose delivery day (the
contract's cursor or day field: `rate_date`, `settlement_date`, a round's `updated_at`, ...)
is D or later. Freshness is read from the landing zone, the contract's boundary, so it holds
whoever writes it (igw's nightly ingestion or another loader), and it tells what the
warehouse can see: a vendor that delivered but was not landed is late for the warehouse too.

Each entity with a deadline is expected, for day D, by `expected_by` (HH:MM UTC) on day D+1.
The nightly run lands yesterday at 03:00 UTC, so the default deadline is 05:00 UTC. Entities
delivered as one file per partner (`per`: a PSP's settlements, a provider's reports) are late
as soon as one partner seen in the last `lookback_days` has not delivered.

Deadlines are configuration: `<data-dir>/freshness.yaml` overrides the defaults per entity
(`null` turns an entity's deadline off):

    lookback_days: 14
    sources:
      payments.settlements: {expected_by: "05:00", per: psp}
      payments.transactions: {expected_by: "06:00"}
      affiliate.clicks: null
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from ingestion.contract import Entity, load_contract
from ingestion.landing import SCHEMA_PARTITION, entity_dir

FRESHNESS_FILE = "freshness.yaml"
DEFAULT_EXPECTED_BY = "05:00"
DEFAULT_LOOKBACK_DAYS = 14

# The entities the contract delivers once per day (a day's export or file, a day's report):
# a day without their delivery is a late source. Entities served by a cursor on updated_at
# (players, transactions, ...) change when something happens, so a quiet day is no fault:
# an operator whose volume makes them daily can give them a deadline in freshness.yaml.
_DAILY_DELIVERIES: dict[str, str | None] = {
    "affiliate.clicks": None,
    "payments.settlements": "psp",
    "payments.fx_rates": None,
    "games.rounds": None,
    "games.provider_reports": "provider",
}


class FreshnessConfigError(ValueError):
    """freshness.yaml does not say a valid deadline."""


@dataclass(frozen=True)
class Deadline:
    entity: str  # source.entity
    expected_by: time  # UTC time on day D+1 by which day D is expected landed
    per: str | None = None  # a column: every value of it must deliver (one file per PSP)

    def due_at(self, day: date) -> datetime:
        """When day `day` is due in the landing zone."""
        return datetime.combine(day + timedelta(days=1), self.expected_by, tzinfo=UTC)

    def expected_day(self, now: datetime) -> date:
        """The newest day whose deadline has passed at `now`."""
        offset = timedelta(hours=self.expected_by.hour, minutes=self.expected_by.minute)
        return (now.astimezone(UTC) - offset).date() - timedelta(days=1)


@dataclass(frozen=True)
class FreshnessSettings:
    deadlines: dict[str, Deadline]
    lookback_days: int = DEFAULT_LOOKBACK_DAYS


def utc_now() -> datetime:
    """The clock of the freshness check and sensor (tests move it)."""
    return datetime.now(UTC)


def _parse_time(text: object, where: str) -> time:
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text < 24 * 60:
        # YAML 1.1 reads an unquoted 05:00 as the sexagesimal number 300 (minutes)
        text = f"{text // 60:02d}:{text % 60:02d}"
    if not isinstance(text, str) or not re.fullmatch(r"\d{2}:\d{2}", text):
        raise FreshnessConfigError(f"{where}: expected_by must be 'HH:MM' (UTC), got {text!r}")
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise FreshnessConfigError(f"{where}: expected_by {text!r} is not a time") from None


def default_settings() -> FreshnessSettings:
    expected_by = _parse_time(DEFAULT_EXPECTED_BY, "default")
    return FreshnessSettings(
        {key: Deadline(key, expected_by, per) for key, per in _DAILY_DELIVERIES.items()}
    )


def parse_settings(document: dict | None, where: str = FRESHNESS_FILE) -> FreshnessSettings:
    """The defaults, overridden by a freshness.yaml document."""
    document = document or {}
    if not isinstance(document, dict):
        raise FreshnessConfigError(f"{where}: expected a mapping with lookback_days, sources")
    unknown = set(document) - {"lookback_days", "sources"}
    if unknown:
        raise FreshnessConfigError(f"{where}: unknown keys {sorted(unknown)}")
    contract = load_contract()
    deadlines = dict(default_settings().deadlines)
    for key, values in (document.get("sources") or {}).items():
        if key not in contract:
            raise FreshnessConfigError(f"{where}: {key!r} is not a landed entity")
        if values is None:
            deadlines.pop(key, None)
            continue
        if not isinstance(values, dict) or set(values) - {"expected_by", "per"}:
            raise FreshnessConfigError(f"{where}: {key} takes expected_by and per only")
        previous = deadlines.get(key)
        per = values.get("per", previous.per if previous else None)
        if per is not None and per not in contract[key].schema.names:
            raise FreshnessConfigError(f"{where}: {key} has no column {per!r}")
        if "expected_by" in values:
            expected_by = _parse_time(values["expected_by"], f"{where}: {key}")
        else:
            expected_by = previous.expected_by if previous else _parse_time(DEFAULT_EXPECTED_BY, "")
        deadlines[key] = Deadline(key, expected_by, per)
    lookback = document.get("lookback_days", DEFAULT_LOOKBACK_DAYS)
    if not isinstance(lookback, int) or lookback < 1:
        raise FreshnessConfigError(f"{where}: lookback_days must be a positive whole number")
    return FreshnessSettings(deadlines, lookback)


def load_settings(data_dir: Path) -> FreshnessSettings:
    path = Path(data_dir) / FRESHNESS_FILE
    if not path.is_file():
        return default_settings()
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise FreshnessConfigError(f"{path}: not valid YAML ({error.__class__.__name__})") from None
    return parse_settings(document, str(path))


# --- the landing zone ----------------------------------------------------------------------


def _partition_day(folder: Path) -> date | None:
    if folder.name == SCHEMA_PARTITION or not folder.name.startswith("ingest_date="):
        return None
    try:
        return date.fromisoformat(folder.name.split("=", 1)[1])
    except ValueError:
        return None


def _as_days(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Delivery-day values as UTC dates (timestamps are UTC by contract)."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us", tz="UTC"))
    return column.cast(pa.date32())


def delivered_days(
    data_dir: Path, entity: Entity, since: date, per: str | None = None
) -> dict[str | None, date]:
    """The newest delivery day landed per `per` value (or under None), from the partitions
    landed on or after `since`: a record of day D lands on D or later, never before."""
    day_field = entity.delivery_day_field
    columns = [day_field] if per is None else [day_field, per]
    newest: dict[str | None, date] = {}
    for folder in sorted(entity_dir(data_dir, entity).glob("ingest_date=*")):
        landed_on = _partition_day(folder)
        if landed_on is None or landed_on < since:
            continue
        for path in sorted(folder.glob("*.parquet")):
            table = pq.read_table(path, columns=columns)
            if table.num_rows == 0:
                continue
            days = _as_days(table.column(day_field))
            if per is None:
                newest_per = {None: pc.max(days).as_py()}
            else:
                grouped = pa.table({"part": table.column(per), "day": days})
                rows = grouped.group_by("part").aggregate([("day", "max")]).to_pylist()
                newest_per = {row["part"]: row["day_max"] for row in rows}
            for part, day in newest_per.items():
                if day is not None and (part not in newest or day > newest[part]):
                    newest[part] = day
    return newest


@dataclass(frozen=True)
class SourceFreshness:
    """One entity's freshness at one moment."""

    entity: str
    expected_day: date  # the newest day whose deadline has passed
    due_at: datetime  # that day's deadline
    newest_day: date | None  # the newest delivery day landed (None: none in the lookback)
    late_parts: tuple[str, ...] = field(default=())  # `per` values that have not delivered

    @property
    def late(self) -> bool:
        behind = self.newest_day is None or self.newest_day < self.expected_day
        return behind or bool(self.late_parts)

    def overdue_hours(self, now: datetime) -> float:
        return round((now - self.due_at).total_seconds() / 3600, 2) if self.late else 0.0

    def describe(self) -> str:
        if self.late_parts:
            return (
                f"{self.entity}: {', '.join(self.late_parts)} delivered nothing for "
                f"{self.expected_day} (due {self.due_at:%Y-%m-%d %H:%M} UTC)"
            )
        if self.late:
            newest = self.newest_day or "nothing in the lookback window"
            return (
                f"{self.entity}: {self.expected_day} has not landed (due "
                f"{self.due_at:%Y-%m-%d %H:%M} UTC); newest day landed: {newest}"
            )
        return f"{self.entity}: delivered through {self.newest_day}"


def assess(
    data_dir: Path, now: datetime, deadline: Deadline, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> SourceFreshness:
    """Is the entity's newest due day in the landing zone at `now`?"""
    entity = load_contract()[deadline.entity]
    expected = deadline.expected_day(now)
    newest = delivered_days(
        data_dir, entity, expected - timedelta(days=lookback_days), deadline.per
    )
    if deadline.per is None:
        newest_day = newest.get(None)
        late_parts: tuple[str, ...] = ()
    else:
        # Every partner seen in the lookback window must have delivered the expected day.
        newest_day = max(newest.values(), default=None)
        late_parts = tuple(sorted(str(p) for p, day in newest.items() if day < expected))
    return SourceFreshness(
        deadline.entity, expected, deadline.due_at(expected), newest_day, late_parts
    )


def assess_all(
    data_dir: Path, now: datetime, settings: FreshnessSettings
) -> dict[str, SourceFreshness]:
    return {
        key: assess(data_dir, now, deadline, settings.lookback_days)
        for key, deadline in settings.deadlines.items()
    }


# --- the sensor's memory -------------------------------------------------------------------


@dataclass(frozen=True)
class SensorState:
    """Per entity, the expected day last evaluated, and the entities found late then."""

    evaluated: dict[str, str] = field(default_factory=dict)
    late: frozenset[str] = frozenset()

    @classmethod
    def from_cursor(cls, cursor: str | None) -> SensorState:
        if not cursor:
            return cls()
        document = json.loads(cursor)
        return cls(dict(document.get("evaluated", {})), frozenset(document.get("late", [])))

    def to_cursor(self) -> str:
        return json.dumps(
            {"evaluated": dict(sorted(self.evaluated.items())), "late": sorted(self.late)}
        )


def plan_evaluations(
    report: dict[str, SourceFreshness], state: SensorState
) -> tuple[list[SourceFreshness], SensorState]:
    """Which entities' checks to evaluate now: those whose next deadline has passed since the
    last evaluation, and late ones that have landed since (so their failed check clears
    without waiting a day). The rest keep their last result."""
    due = []
    for key, freshness in sorted(report.items()):
        new_deadline = state.evaluated.get(key) != freshness.expected_day.isoformat()
        arrived = key in state.late and not freshness.late
        if new_deadline or arrived:
            due.append(freshness)
    evaluated = dict(state.evaluated)
    late = set(state.late)
    for freshness in due:
        evaluated[freshness.entity] = freshness.expected_day.isoformat()
        (late.add if freshness.late else late.discard)(freshness.entity)
    return due, SensorState(evaluated, frozenset(late & set(report)))
