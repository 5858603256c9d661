"""Nightly ingestion: pull what each source system published, validate it, land it.

One run is for one day (`run_day`): it lands, under `ingest_date=<run_day>`, everything the
vendors published up to the end of that day that earlier runs had not landed:

- REST APIs (`api` entities): every record whose cursor field lies between the entity's
  watermark (minus its look-back, for late records) and the end of the run day, all pages;
  records an earlier run landed already are skipped. Provider reports: one call per
  provider per day since the last run.
- Bulk exports and file drops: every file of a day up to the run day that is new, or whose
  content changed since it landed (a corrected re-send).

Each delivery is validated (`ingestion.validation`): failing records go to quarantine with
their reason, and too many failures fail the entity. The entity's state (`ingestion.state`)
moves only after its batch landed, so a failed or killed run is simply run again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.api_client import VendorClient, VendorUnavailable
from ingestion.connectors import (
    api_records_table,
    delivery_day_of,
    delivery_files_in,
    drop_directory,
    read_delivery_raw,
)
from ingestion.contract import Entity, load_contract
from ingestion.landing import SCHEMA_PARTITION, ensure_schema_file, entity_dir, land_batch
from ingestion.sources import IngestSettings, SourceConfigError
from ingestion.state import EntityState, load_state, save_state
from ingestion.validation import (
    BatchRejected,
    ValidationOutcome,
    check_rejection_threshold,
    validate_batch,
    write_quarantine,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY_SEPARATOR = "\x1f"


def days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _instant(micros: int) -> str:
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _day_start_us(day: date) -> int:
    return _micros(datetime(day.year, day.month, day.day, tzinfo=UTC))


@dataclass
class EntityRun:
    """What one run did for one entity: the figures shown on its Dagster materialization."""

    entity: str
    run_day: date
    rows_fetched: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    duplicates_skipped: int = 0  # records an earlier run had landed (look-back re-reads)
    files: int = 0
    bytes_fetched: int = 0
    bytes_landed: int = 0
    requests: int = 0
    retries: int = 0
    lag_seconds: float | None = None  # end of the run day minus the newest record landed
    batches: list[str] = field(default_factory=list)
    outcomes: list[ValidationOutcome] = field(default_factory=list, repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class IngestionFailed(RuntimeError):
    """Some entities could not be ingested; their state did not move."""

    def __init__(self, runs: list[EntityRun]):
        self.runs = runs
        failed = [run for run in runs if not run.ok]
        lines = "; ".join(f"{run.entity}: {run.error}" for run in failed)
        day = runs[0].run_day
        super().__init__(f"{len(failed)} of {len(runs)} entities failed on {day}: {lines}")


# --- the landed side ---------------------------------------------------------------------------


def _key_strings(table: pa.Table, columns: list[str]) -> pa.Array:
    parts = [pc.fill_null(table.column(c).cast(pa.string()), "\x00") for c in columns]
    if len(parts) == 1:
        return parts[0].combine_chunks() if isinstance(parts[0], pa.ChunkedArray) else parts[0]
    return pc.binary_join_element_wise(*parts, _KEY_SEPARATOR)


def _landed_keys(data_dir: Path, entity: Entity, since_day: date | None, columns: list[str]):
    """The keys of records landed on or after `since_day` (all of them when None)."""
    tables = []
    for folder in sorted(entity_dir(data_dir, entity).glob("ingest_date=*")):
        if folder.name == SCHEMA_PARTITION:
            continue
        if since_day and date.fromisoformat(folder.name.split("=", 1)[1]) < since_day:
            continue
        for path in sorted(folder.glob("*.parquet")):
            tables.append(pq.read_table(path, columns=columns))
    if not tables:
        return pa.array([], pa.string())
    return _key_strings(pa.concat_tables(tables), columns)


def _without_landed(
    data_dir: Path, entity: Entity, rows: pa.Table, since_day: date | None, columns: list[str]
) -> tuple[pa.Table, int]:
    if rows.num_rows == 0:
        return rows, 0
    landed = _landed_keys(data_dir, entity, since_day, columns)
    if len(landed) == 0:
        return rows, 0
    seen = pc.is_in(_key_strings(rows, columns), value_set=landed)
    fresh = rows.filter(pc.invert(seen))
    return fresh, rows.num_rows - fresh.num_rows


def _without_quarantined(
    data_dir: Path, outcome: ValidationOutcome, since_day: date | None, columns: list[str]
) -> ValidationOutcome:
    """Drop rejected records that an earlier run quarantined already (look-back re-reads)."""
    tables = []
    source, name = outcome.entity.split(".")
    for folder in sorted((Path(data_dir) / "quarantine" / source / name).glob("ingest_date=*")):
        if since_day and date.fromisoformat(folder.name.split("=", 1)[1]) < since_day:
            continue
        tables += [pq.read_table(p, columns=columns) for p in sorted(folder.glob("*.parquet"))]
    if not tables:
        return outcome
    seen = pc.is_in(
        _key_strings(outcome.rejected, columns),
        value_set=_key_strings(pa.concat_tables(tables), columns),
    )
    return replace(outcome, rejected=outcome.rejected.filter(pc.invert(seen)))


def _newest_us(entity: Entity, rows: pa.Table) -> int | None:
    if rows.num_rows == 0:
        return None
    column = rows.column(entity.delivery_day_field)
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("us", tz="UTC"))
    newest = pc.max(column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())).as_py()
    return newest


def _raw_digest(raw: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, raw.schema) as writer:
        writer.write_table(raw)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:16]


# --- one entity --------------------------------------------------------------------------------


class _Run:
    """The shared parts of one day's run: settings, data dir, one API client per source."""

    def __init__(
        self, settings: IngestSettings, data_dir: Path, run_day: date, history_start: date | None
    ):
        self.settings = settings
        self.history_start = history_start
        self.data_dir = Path(data_dir)
        self.run_day = run_day
        self.until_us = _day_start_us(run_day + timedelta(days=1))
        self._clients: dict[str, VendorClient] = {}

    def client(self, source: str) -> VendorClient:
        if source not in self._clients:
            self._clients[source] = VendorClient(self.settings.source(source), self.settings)
        return self._clients[source]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def land(
        self,
        entity: Entity,
        run: EntityRun,
        raw: pa.Table,
        source_uri: str,
        dedupe_since: date | None = None,
        dedupe_columns: list[str] | None = None,
    ) -> pa.Table:
        """Validate a delivery, land its valid records and quarantine the rest."""
        run.rows_fetched += raw.num_rows
        if raw.num_rows == 0:
            return entity.schema.empty_table()
        outcome = validate_batch(entity, raw)
        if dedupe_columns and outcome.rejected.num_rows:
            outcome = _without_quarantined(self.data_dir, outcome, dedupe_since, dedupe_columns)
        self.quarantine(entity, run, outcome, _raw_digest(raw), source_uri)
        self.check_threshold(outcome)
        run.outcomes.append(outcome)
        valid = outcome.valid
        if dedupe_columns:
            valid, skipped = _without_landed(
                self.data_dir, entity, valid, dedupe_since, dedupe_columns
            )
            run.duplicates_skipped += skipped
        self.land_valid(entity, run, valid, source_uri)
        self.note_lag(entity, run, outcome.valid)
        return outcome.valid

    def quarantine(
        self, entity: Entity, run: EntityRun, outcome: ValidationOutcome, digest: str, source: str
    ) -> None:
        # Quarantined before the threshold is checked, so a failing batch still shows why.
        if outcome.rejected.num_rows:
            quarantine_id = f"{self.run_day:%Y%m%d}-{entity.source}-{entity.name}-q{digest}"
            write_quarantine(self.data_dir, outcome, self.run_day, quarantine_id, source)
            run.rows_quarantined += outcome.rejected.num_rows

    def check_threshold(self, outcome: ValidationOutcome) -> None:
        # A share alone would fail a one-record batch for one bad record: a few rejected
        # records are always quarantined, and only beyond them does the share apply.
        if outcome.rejected.num_rows > self.settings.rejected_rows_always_allowed:
            check_rejection_threshold(outcome, self.settings.max_rejected_share)

    def land_valid(self, entity: Entity, run: EntityRun, valid: pa.Table, source: str) -> None:
        if valid.num_rows:
            batch = land_batch(self.data_dir, entity, self.run_day, valid, source)
            run.batches.append(batch.batch_id)
            if batch.written:
                run.rows_landed += batch.rows
                run.bytes_landed += batch.path.stat().st_size

    def note_lag(self, entity: Entity, run: EntityRun, valid: pa.Table) -> None:
        newest = _newest_us(entity, valid)
        if newest is not None:
            lag = (self.until_us - newest) / 1e6
            run.lag_seconds = lag if run.lag_seconds is None else min(run.lag_seconds, lag)


def _ingest_api(ctx: _Run, entity: Entity, run: EntityRun, state: EntityState) -> None:
    client = ctx.client(entity.source)
    before = (client.stats.requests, client.stats.retries, client.stats.bytes)
    lookback_us = ctx.settings.lookback_hours.get(entity.key, 0) * 3_600_000_000
    since_us = None if state.watermark_us is None else state.watermark_us - lookback_us
    since_day = None if since_us is None else (_EPOCH + timedelta(microseconds=since_us)).date()
    fetched = client.fetch_records(
        entity.name, None if since_us is None else _instant(since_us), _instant(ctx.until_us)
    )
    raw = api_records_table(fetched.records, entity)
    # A record version is its key and cursor value: the same pair landed before is a re-read.
    key = list(dict.fromkeys([*entity.primary_key, entity.delivery_day_field]))
    valid = ctx.land(entity, run, raw, fetched.url, since_day, key)
    newest = _newest_us(entity, valid)
    if newest is not None:
        state.watermark_us = max(newest, state.watermark_us or newest)
    run.requests += client.stats.requests - before[0]
    run.retries += client.stats.retries - before[1]
    run.bytes_fetched += client.stats.bytes - before[2]


def _ingest_provider_reports(ctx: _Run, entity: Entity, run: EntityRun, state: EntityState):
    client = ctx.client(entity.source)
    before = (client.stats.requests, client.stats.retries, client.stats.bytes)
    lookback_days = ctx.settings.lookback_hours.get(entity.key, 0) // 24
    if state.reports_through is None:
        # A first run reads the reports from the start of the history it was asked for.
        first = min(ctx.history_start or ctx.run_day, ctx.run_day)
    else:
        # The days since the last run, and the look-back days again for corrected reports.
        after_last = date.fromisoformat(state.reports_through) + timedelta(days=1)
        first = min(after_last, ctx.run_day) - timedelta(days=lookback_days)
    providers = client.providers()
    records, urls = [], []
    for day in days_between(first, ctx.run_day):
        for provider in providers:
            fetched = client.provider_report(day.isoformat(), provider)
            records.extend(fetched.records)
            urls.append(fetched.url)
    raw = api_records_table(records, entity)
    source_uri = urls[0] if len(urls) == 1 else f"{client.source.base_url}/v1/provider_reports"
    # A report re-read unchanged is skipped; a corrected one (any value differs) lands.
    ctx.land(entity, run, raw, source_uri, first, list(entity.schema.names))
    state.reports_through = ctx.run_day.isoformat()
    run.requests += client.stats.requests - before[0]
    run.retries += client.stats.retries - before[1]
    run.bytes_fetched += client.stats.bytes - before[2]


def _ingest_files(ctx: _Run, entity: Entity, run: EntityRun, state: EntityState) -> None:
    """Land the new and changed files, validated together (one suite run per entity and
    run, not per file) and landed one batch per file."""
    source = ctx.settings.source(entity.source)
    if source.drop_dir is None:
        raise SourceConfigError(f"{entity.source}: no drop_dir configured for its files")
    pending = []  # (name, sha256, raw table)
    for path in delivery_files_in(drop_directory(source.drop_dir, entity), entity):
        if delivery_day_of(path) > ctx.run_day:
            continue
        name = f"{entity.source}/{path.relative_to(source.drop_dir).as_posix()}"
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if state.files.get(name) == digest:
            continue
        pending.append((name, digest, read_delivery_raw(path, entity, name)))
        run.files += 1
        run.bytes_fetched += len(content)
    if not pending:
        return
    raws = [raw for _, _, raw in pending]
    combined = pa.concat_tables(raws, promote_options="permissive")
    run.rows_fetched += combined.num_rows
    outcome = validate_batch(entity, combined)
    file_of_row = np.repeat(np.arange(len(pending)), [raw.num_rows for raw in raws])
    rejected_file = file_of_row[outcome.rejected.column("_row_number").to_numpy()]
    kept = np.ones(len(file_of_row), dtype=bool)
    kept[outcome.rejected.column("_row_number").to_numpy()] = False
    valid_file = file_of_row[kept]
    if len(valid_file) != outcome.valid.num_rows:
        raise RuntimeError(f"{entity.key}: validation lost track of rows")
    for index, (name, _, raw) in enumerate(pending):
        part = replace(outcome, rejected=outcome.rejected.filter(rejected_file == index))
        ctx.quarantine(entity, run, part, _raw_digest(raw), name)
    ctx.check_threshold(outcome)
    run.outcomes.append(outcome)
    for index, (name, digest, _) in enumerate(pending):
        ctx.land_valid(entity, run, outcome.valid.filter(valid_file == index), name)
        state.files[name] = digest
        save_state(ctx.data_dir, entity, state)  # a file landed is never fetched again
    ctx.note_lag(entity, run, outcome.valid)


def ingest_entity(ctx: _Run, entity: Entity) -> EntityRun:
    run = EntityRun(entity.key, ctx.run_day)
    ensure_schema_file(ctx.data_dir, entity)
    state = load_state(ctx.data_dir, entity)
    try:
        if entity.delivery_style != "api":
            _ingest_files(ctx, entity, run, state)
        elif entity.key == "games.provider_reports":
            _ingest_provider_reports(ctx, entity, run, state)
        else:
            _ingest_api(ctx, entity, run, state)
    except (VendorUnavailable, BatchRejected, SourceConfigError, ValueError) as error:
        run.error = " ".join(str(error).split())
        return run
    state.last_run_day = ctx.run_day.isoformat()
    save_state(ctx.data_dir, entity, state)
    return run


def ingest_day(
    settings: IngestSettings,
    data_dir: Path,
    run_day: date,
    entities: Iterable[Entity] | None = None,
    on_entity_done: Callable[[EntityRun], None] | None = None,
    raise_on_failure: bool = True,
    history_start: date | None = None,
) -> list[EntityRun]:
    """One nightly run for `run_day`; IngestionFailed if any entity failed (after the rest).

    `history_start` is where an entity that has never been ingested starts, where its
    source cannot say (provider reports are asked for day by day).
    """
    ctx = _Run(settings, data_dir, run_day, history_start)
    runs = []
    try:
        for entity in list(entities or load_contract().values()):
            run = ingest_entity(ctx, entity)
            runs.append(run)
            if on_entity_done:
                on_entity_done(run)
    finally:
        ctx.close()
    if raise_on_failure and any(not run.ok for run in runs):
        raise IngestionFailed(runs)
    return runs


def run_days(first: date, last: date, every_days: int = 1) -> list[date]:
    """The days a range is ingested on: every `every_days`-th day, and always the last."""
    if every_days < 1:
        raise ValueError("--every must be at least 1 day")
    days = days_between(first, last)[every_days - 1 :: every_days]
    return days if days and days[-1] == last else [*days, last]


def ingest(
    settings: IngestSettings,
    data_dir: Path,
    first: date,
    last: date,
    entities: Iterable[Entity] | None = None,
    every_days: int = 1,
    on_day_done: Callable[[date, list[EntityRun]], None] | None = None,
    before_day: Callable[[date], None] | None = None,
) -> Counter:
    """Runs for the days from `first` to `last`; rows landed per entity."""
    chosen = list(entities or load_contract().values())
    landed: Counter = Counter()
    for day in run_days(first, last, every_days):
        if before_day:
            before_day(day)
        runs = ingest_day(settings, data_dir, day, chosen, history_start=first)
        for run in runs:
            landed[run.entity] += run.rows_landed
        if on_day_done:
            on_day_done(day, runs)
    return landed
