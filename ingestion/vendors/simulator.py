"""The simulated vendors: the four source systems' REST APIs, served over real HTTP.

One FastAPI application per source (affiliate tracker, CRM, PSP, game aggregator), each
mounted under `/<source>` with its own bearer token, rate limit and faults. They serve what
the generator wrote into the vendor store (`ingestion.vendors.outbox`): every API entity as
a feed ordered by the contract's cursor field, paginated with an opaque cursor.

    GET /<source>/v1/<entity>?since=<ISO>&until=<ISO>&limit=<n>&cursor=<opaque>
        records whose cursor field is in [since, until), oldest first:
        {"data": [...], "next_cursor": "..." | null}
    GET /games/v1/providers                                  the providers that report
    GET /games/v1/provider_reports/<YYYY-MM-DD>?provider=<p>  one provider's report of a day

Bulk exports and file drops are not served here: they sit in the store's `exports/` and
`drop/` folders, which stand in for an SFTP/S3 drop.

A vendor publishes a record when it happens, or later when it arrives late (the store's
day file says when). The simulator's clock (`PUT /_sim/clock`, none by default = every
record is out) hides what is not yet published, so a nightly replay sees late records late.

Faults (`PUT /_sim/faults`, or at start): random 5xx, requests that hang past the client's
timeout, every page failing once before it succeeds, a source that stays down, and a token
bucket that answers 429 with Retry-After. `GET /_sim/stats` counts what was served.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ingestion.connectors import delivery_day_of, delivery_files, read_delivery_raw
from ingestion.contract import Entity, load_contract
from ingestion.vendors.outbox import json_values

SOURCES = ("affiliate", "crm", "payments", "games")
MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 1000
_US_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Faults:
    """What can go wrong with one source's API; everything off by default."""

    error_rate: float = 0.0  # share of requests answered 503
    timeout_rate: float = 0.0  # share of requests that hang for `hang_seconds`
    hang_seconds: float = 30.0
    fail_each_page_once: bool = False  # the first request for each page gets a 500
    down: bool = False  # every request gets a 503
    rate_per_second: float | None = None  # token bucket refill; None = no limit
    burst: int = 10  # token bucket size
    seed: int = 0

    @classmethod
    def from_dict(cls, values: dict) -> Faults:
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        return cls(**values)


@dataclass
class Stats:
    requests: int = 0
    pages: int = 0
    records: int = 0
    rate_limited: int = 0
    errors: int = 0
    hangs: int = 0
    unauthorised: int = 0


# --- the feeds ---------------------------------------------------------------------------------


def _micros(values: pa.Array) -> np.ndarray:
    """Text or timestamp values as µs since the epoch (null → int64 minimum)."""
    if not pa.types.is_timestamp(values.type):
        values = pc.cast(values, pa.timestamp("us", tz="UTC"), safe=False)
    values = values.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return pc.fill_null(values, np.iinfo(np.int64).min).to_numpy()


def _parse_instant(text: str | None, name: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 instant, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass
class Feed:
    """One API entity's records in cursor order, with when each was published."""

    entity: Entity
    cursor_us: np.ndarray  # cursor field, µs since epoch, ascending
    published_us: np.ndarray  # when the record became visible
    records: pa.Array  # one JSON object (text) per record, same order

    @classmethod
    def load(cls, store_dir: Path, entity: Entity) -> Feed:
        cursor_parts, published_parts, record_parts = [], [], []
        for path in delivery_files(store_dir, entity):
            raw = read_delivery_raw(path, entity, path.name)
            if raw.num_rows == 0:
                continue
            cursor = _micros(raw.column(entity.delivery_day_field).combine_chunks())
            day_start = (delivery_day_of(path) - date(1970, 1, 1)).days * _US_PER_DAY
            # A record in a later day's file than its cursor says arrived late: it becomes
            # visible on that day, at the same time of day.
            late_time = day_start + np.mod(cursor, _US_PER_DAY)
            cursor_parts.append(cursor)
            published_parts.append(np.maximum(cursor, late_time))
            columns = [raw.column(name).combine_chunks() for name in raw.column_names]
            record_parts.append(_json_objects(raw.column_names, columns))
        if not cursor_parts:
            empty = np.empty(0, np.int64)
            return cls(entity, empty, empty, pa.array([], pa.string()))
        cursor = np.concatenate(cursor_parts)
        published = np.concatenate(published_parts)
        records = pa.concat_arrays(record_parts)
        order = np.argsort(cursor, kind="stable")  # ties keep the store's order
        return cls(entity, cursor[order], published[order], records.take(pa.array(order)))

    def page(
        self, since_us: int | None, until_us: int | None, after: int, limit: int, clock: int | None
    ) -> tuple[list[int], int | None]:
        """Positions of the next page after position `after`, and the last position if more."""
        low = 0 if since_us is None else int(np.searchsorted(self.cursor_us, since_us, "left"))
        high = (
            len(self.cursor_us)
            if until_us is None
            else int(np.searchsorted(self.cursor_us, until_us, "left"))
        )
        low = max(low, after + 1)
        if low >= high:
            return [], None
        positions = np.arange(low, high)
        if clock is not None:
            positions = positions[self.published_us[low:high] <= clock]
        chosen = positions[: limit + 1]
        more = len(chosen) > limit
        chosen = chosen[:limit]
        return chosen.tolist(), (int(chosen[-1]) if more else None)


def _json_objects(names: list[str], columns: list[pa.Array]) -> pa.Array:
    parts = []
    for index, (name, column) in enumerate(zip(names, columns, strict=True)):
        parts.append(pa.scalar(("," if index else "") + json.dumps(name) + ":"))
        parts.append(json_values(column))
    return pc.binary_join_element_wise("{", *parts, "}", "")


@dataclass
class ProviderReports:
    """The game aggregator's daily reports, one per provider and day."""

    by_day: dict[date, pa.Table] = field(default_factory=dict)
    providers: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, store_dir: Path, entity: Entity) -> ProviderReports:
        by_day, providers = {}, set()
        for path in delivery_files(store_dir, entity):
            raw = read_delivery_raw(path, entity, path.name)
            by_day[delivery_day_of(path)] = raw
            providers.update(v for v in raw.column("provider").to_pylist() if v is not None)
        return cls(by_day, sorted(providers))


# --- the application ---------------------------------------------------------------------------


def _encode_cursor(position: int, since: str | None, until: str | None) -> str:
    payload = json.dumps({"p": position, "s": since, "u": until}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[int, str | None, str | None]:
    try:
        padded = text + "=" * (-len(text) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded))
        return int(payload["p"]), payload["s"], payload["u"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("cursor is not one this API issued") from None


class SourceApi:
    """The state behind one source's API: feeds, token, faults, clock and counters."""

    def __init__(self, source: str, store_dir: Path, token: str, faults: Faults, clock):
        self.source = source
        self.token = token
        self.faults = faults
        self.clock = clock  # shared SimulatorClock
        self.stats = Stats()
        self._lock = threading.Lock()
        self._failed_once: set[str] = set()
        self._random = random.Random(faults.seed)
        self._tokens = float(faults.burst)
        self._refilled = time.monotonic()
        entities = [e for e in load_contract().values() if e.source == source]
        self.feeds: dict[str, Feed] = {}
        self.reports: ProviderReports | None = None
        for entity in entities:
            if entity.delivery_style != "api":
                continue
            if entity.name == "provider_reports":
                self.reports = ProviderReports.load(store_dir, entity)
            else:
                self.feeds[entity.name] = Feed.load(store_dir, entity)

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)
            self._tokens = float(faults.burst)
            self._failed_once.clear()

    def _take_token(self) -> float | None:
        """None when a request may go on; else the seconds until a token is back."""
        rate = self.faults.rate_per_second
        if rate is None:
            return None
        now = time.monotonic()
        self._tokens = min(self.faults.burst, self._tokens + (now - self._refilled) * rate)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / rate

    def gate(self, request: Request) -> Response | float | None:
        """Authorisation, rate limit and faults: a response to send instead, seconds to hang,
        or None to serve the request."""
        with self._lock:
            self.stats.requests += 1
            if request.headers.get("authorization") != f"Bearer {self.token}":
                self.stats.unauthorised += 1
                return _problem(401, "missing or wrong bearer token")
            if request.url.path.endswith("/_sim/faults") or "/_sim/" in request.url.path:
                return None
            wait = self._take_token()
            if wait is not None:
                self.stats.rate_limited += 1
                seconds = max(1, int(np.ceil(wait)))
                return _problem(429, "rate limit exceeded", {"Retry-After": str(seconds)})
            faults = self.faults
            if faults.down:
                self.stats.errors += 1
                return _problem(503, f"{self.source} is down for maintenance")
            page_key = str(request.url)
            if faults.fail_each_page_once and page_key not in self._failed_once:
                self._failed_once.add(page_key)
                self.stats.errors += 1
                return _problem(500, "internal error (this page fails once)")
            draw = self._random.random()
            if draw < faults.error_rate:
                self.stats.errors += 1
                return _problem(503, "service unavailable")
            if draw < faults.error_rate + faults.timeout_rate:
                self.stats.hangs += 1
                return faults.hang_seconds
        return None


def _problem(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class SimulatorClock:
    """The vendors' shared notion of now; None means everything generated is published."""

    def __init__(self, now_us: int | None = None):
        self.now_us = now_us

    def iso(self) -> str | None:
        if self.now_us is None:
            return None
        return datetime.fromtimestamp(self.now_us / 1e6, UTC).isoformat().replace("+00:00", "Z")


def create_source_app(api: SourceApi) -> FastAPI:
    app = FastAPI(title=f"simulated {api.source} vendor", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def vendor_gate(request: Request, call_next):
        outcome = api.gate(request)
        if isinstance(outcome, Response):
            return outcome
        if isinstance(outcome, float):
            await asyncio.sleep(outcome)
        return await call_next(request)

    @app.get("/v1/providers")
    def providers() -> dict:
        if api.reports is None:
            return _problem(404, f"{api.source} has no provider reports")
        return {"data": api.reports.providers}

    @app.get("/v1/provider_reports/{report_date}")
    def provider_report(report_date: str, provider: str) -> Response:
        if api.reports is None:
            return _problem(404, f"{api.source} has no provider reports")
        try:
            day = date.fromisoformat(report_date)
        except ValueError:
            return _problem(400, f"report date must be YYYY-MM-DD, got {report_date!r}")
        clock = api.clock.now_us
        # A day's report is complete, and published, once the day is over.
        end_of_day = ((day - date(1970, 1, 1)).days + 1) * _US_PER_DAY
        table = api.reports.by_day.get(day)
        if table is None or (clock is not None and clock < end_of_day):
            rows = pa.array([], pa.string())
        else:
            chosen = table.filter(pc.equal(table.column("provider"), provider))
            columns = [chosen.column(n).combine_chunks() for n in chosen.column_names]
            rows = _json_objects(chosen.column_names, columns)
        api.stats.pages += 1
        api.stats.records += len(rows)
        return _records_response(rows.to_pylist(), None)

    @app.get("/v1/{entity_name}")
    def records(
        entity_name: str,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Response:
        feed = api.feeds.get(entity_name)
        if feed is None:
            return _problem(404, f"{api.source} has no entity {entity_name!r}")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            return _problem(400, f"limit must be between 1 and {MAX_PAGE_SIZE}")
        after = -1
        try:
            if cursor is not None:
                after, since, until = _decode_cursor(cursor)
            since_us = _parse_instant(since, "since")
            until_us = _parse_instant(until, "until")
        except ValueError as error:
            return _problem(400, str(error))
        positions, last = feed.page(since_us, until_us, after, limit, api.clock.now_us)
        rows = feed.records.take(pa.array(positions, pa.int64())).to_pylist()
        next_cursor = None if last is None else _encode_cursor(last, since, until)
        api.stats.pages += 1
        api.stats.records += len(rows)
        return _records_response(rows, next_cursor)

    @app.get("/_sim/stats")
    def stats() -> dict:
        return asdict(api.stats)

    @app.put("/_sim/faults")
    async def set_faults(request: Request) -> Response:
        try:
            api.set_faults(Faults.from_dict(await request.json()))
        except (ValueError, TypeError) as error:
            return _problem(400, str(error))
        return JSONResponse(asdict(api.faults))

    return app


def _records_response(rows: list[str], next_cursor: str | None) -> Response:
    # The records are JSON text already: splice them, rather than parse and re-encode.
    tail = "null" if next_cursor is None else json.dumps(next_cursor)
    body = '{"data":[' + ",".join(rows) + '],"next_cursor":' + tail + "}"
    return Response(body, media_type="application/json")


@dataclass(frozen=True)
class SimulatorSettings:
    store_dir: Path  # where the generator wrote the vendors' data (`<data-dir>/vendors`)
    tokens: dict[str, str]  # source -> bearer token
    faults: dict[str, Faults] = field(default_factory=dict)  # source -> faults

    def with_faults(self, **faults: Faults) -> SimulatorSettings:
        return replace(self, faults={**self.faults, **faults})


def create_app(settings: SimulatorSettings, clock: SimulatorClock | None = None) -> FastAPI:
    """All four vendors in one ASGI app, each under `/<source>`; plus the shared clock."""
    clock = clock or SimulatorClock()
    root = FastAPI(title="igw simulated vendors", docs_url=None, redoc_url=None)
    root.state.clock = clock
    root.state.apis = {}
    for source in SOURCES:
        api = SourceApi(
            source,
            Path(settings.store_dir),
            settings.tokens[source],
            settings.faults.get(source, Faults()),
            clock,
        )
        root.state.apis[source] = api
        root.mount(f"/{source}", create_source_app(api))

    @root.get("/_sim/clock")
    def get_clock() -> dict:
        return {"now": clock.iso()}

    @root.put("/_sim/clock")
    async def set_clock(request: Request) -> Response:
        authorised = {f"Bearer {token}" for token in settings.tokens.values()}
        if request.headers.get("authorization") not in authorised:
            return _problem(401, "missing or wrong bearer token")
        body = await request.json()
        try:
            clock.now_us = _parse_instant(body.get("now"), "now")
        except (ValueError, AttributeError) as error:
            return _problem(400, str(error))
        return JSONResponse({"now": clock.iso()})

    return root
