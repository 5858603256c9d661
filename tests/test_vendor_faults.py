"""Ingestion against the live simulated vendors, with every fault they can inject.

The reference is a clean run over the same days: whatever goes wrong on the way (5xx,
hanging requests, pages that fail once, 429s, a source that stays down, a killed process),
the landing zone must end with exactly the same records in the same batches, none twice.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from igw.demo import end_of_day_iso
from ingestion.contract import load_contract
from ingestion.generator import generate_operator
from ingestion.ingest import IngestionFailed, ingest, ingest_day
from ingestion.landing import SCHEMA_PARTITION
from ingestion.sources import load_settings, write_settings
from ingestion.state import load_state
from ingestion.vendors.outbox import write_vendor_outbox
from ingestion.vendors.serve import live_vendors, sources_path
from ingestion.vendors.simulator import Faults

START = date(2026, 8, 1)
FIRST, LAST = START, START + timedelta(days=5)
FAST_RETRIES = {"page_size": 40, "timeout_seconds": 0.5, "backoff_max_seconds": 0.05}


@pytest.fixture(scope="module")
def operator():
    return generate_operator(seed=21, players=150, start=START, months=1)


@pytest.fixture(scope="module")
def store(operator, tmp_path_factory) -> Path:
    """A small operator's vendor store, shared by every run of this module."""
    vendors = tmp_path_factory.mktemp("store") / "vendors"
    write_vendor_outbox(operator, vendors)
    return vendors


def landed_records(data_dir: Path) -> dict[str, Counter]:
    """Per entity, every landed record with its count, keyed by (ingest date, batch id,
    source, the record's contract columns); only `_ingested_at` (a wall clock) is left out."""
    records = {}
    for entity in load_contract().values():
        folder = data_dir / "landing" / entity.source / entity.name
        rows: Counter = Counter()
        for path in sorted(folder.glob("ingest_date=*/*.parquet")):
            if path.parent.name == SCHEMA_PARTITION:
                continue
            for row in pq.read_table(path).to_pylist():
                content = repr([row[name] for name in entity.schema.names])
                rows[(path.parent.name, row["_batch_id"], row["_source"], content)] += 1
        records[entity.key] = rows
    return records


def contents(records: dict[str, Counter]) -> dict[str, Counter]:
    """The records alone: what landed, whatever day or batch it landed in."""
    result = {}
    for key, rows in records.items():
        counts: Counter = Counter()
        for (_, _, _, content), count in rows.items():
            counts[content] += count
        result[key] = counts
    return result


def checksum(records: dict[str, Counter]) -> str:
    digest = hashlib.sha256()
    for key in sorted(records):
        for row, count in sorted(records[key].items()):
            digest.update(f"{key}|{row}|{count}\n".encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def live(store):
    """The simulated vendors, one server for the module (so every run sees the same URLs)."""
    with live_vendors(store) as vendors:
        yield vendors


def settings_for(live, data_dir: Path, **overrides):
    write_settings(sources_path(data_dir), live.ingest_settings(**{**FAST_RETRIES, **overrides}))
    return load_settings(sources_path(data_dir))


def run_nightly(live, data_dir: Path, faults: Faults | None = None, first=FIRST, last=LAST):
    """Nightly runs from `first` to `last`, the vendors' clock at each run's midnight; with
    `faults` on the CRM and PSP APIs. Returns what the vendors counted meanwhile."""
    sources = ("crm", "payments")
    before = {source: live.stats(source) for source in sources}
    for source in sources:
        live.set_faults(source, **asdict(faults or Faults()))
    try:
        ingest(
            settings_for(live, data_dir),
            data_dir,
            first,
            last,
            before_day=lambda day: live.set_clock(end_of_day_iso(day)),
        )
    finally:
        for source in sources:
            live.set_faults(source)
        live.set_clock(None)
    after = {source: live.stats(source) for source in sources}
    return {s: {k: after[s][k] - before[s][k] for k in after[s]} for s in sources}


@pytest.fixture(scope="module")
def clean_dir(live, tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("clean")
    run_nightly(live, data_dir)
    return data_dir


@pytest.fixture(scope="module")
def clean(clean_dir) -> dict[str, Counter]:
    return landed_records(clean_dir)


def _keys(table: pa.Table, entity) -> list[str]:
    columns = [table.column(name).cast(pa.string()).to_pylist() for name in entity.primary_key]
    return ["|".join(str(part) for part in parts) for parts in zip(*columns, strict=True)]


def test_a_clean_run_lands_every_published_record_once(operator, clean_dir, clean):
    contract = load_contract()
    invalid = operator.ground_truth["invalid"].to_pylist()
    quarantined = {
        key: pq.read_table(folder).num_rows
        if (folder := clean_dir / "quarantine" / key.replace(".", "/")).exists()
        else 0
        for key in contract
    }
    for key, rows in operator.tables.items():
        entity = contract[key]
        # What the vendors had published by the last run: rows published up to LAST.
        published = pc.less_equal(operator.published_on[key], pa.scalar(LAST, pa.date32()))
        published_rows = rows.filter(published)
        bad_keys = {r["key"] for r in invalid if r["entity"] == key}
        bad = sum(1 for k in _keys(published_rows, entity) if k in bad_keys)
        landed = sum(clean[key].values())
        assert (landed, quarantined[key]) == (published_rows.num_rows - bad, bad), key
    # Duplicates in the landing zone are only the vendor's own re-deliveries (~1%), never
    # one of ours: no record lands in two batches.
    for key, rows in clean.items():
        batches_per_record = Counter(content for (_, _, _, content) in rows)
        assert max(batches_per_record.values(), default=1) == 1, key


def test_late_records_land_on_the_night_they_are_published(operator, clean_dir):
    late = [r for r in operator.ground_truth["late"].to_pylist() if r["published_on"] <= LAST]
    assert late, "the operator plants late records"
    contract = load_contract()
    for row in late:
        entity = contract[row["entity"]]
        folder = clean_dir / "landing" / entity.source / entity.name
        landed_on = set()
        for path in folder.glob("ingest_date=2026-*/*.parquet"):
            table = pq.read_table(path, columns=list(entity.primary_key))
            if row["key"] in _keys(table, entity):
                landed_on.add(date.fromisoformat(path.parent.name.split("=")[1]))
        # Not lost although its cursor day had passed, and landed the night it appeared (or
        # in the first run, for what was published before it).
        assert landed_on == {max(row["published_on"], FIRST)}, row


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(Faults(error_rate=0.3, seed=1), id="random-5xx"),
        pytest.param(Faults(timeout_rate=0.15, hang_seconds=2.0, seed=2), id="timeouts"),
        pytest.param(Faults(fail_each_page_once=True), id="every-page-fails-once"),
        pytest.param(Faults(rate_per_second=3, burst=1), id="rate-limit-429"),
    ],
)
def test_faults_change_nothing_that_lands(live, clean, tmp_path, faults):
    data_dir = tmp_path / "data"
    stats = run_nightly(live, data_dir, faults)
    injected = sum(stats[s]["errors"] + stats[s]["hangs"] + stats[s]["rate_limited"] for s in stats)
    assert injected > 0, "the fault was never injected"
    assert checksum(landed_records(data_dir)) == checksum(clean)


def test_a_vendor_that_stays_down_fails_the_run_and_keeps_its_cursor(live, clean, tmp_path):
    data_dir = tmp_path / "data"
    players = load_contract()["crm.players"]
    run_nightly(live, data_dir, last=FIRST + timedelta(days=4))
    watermark = load_state(data_dir, players).watermark_us
    day = FIRST + timedelta(days=5)
    settings = settings_for(live, data_dir, max_attempts=3)
    live.set_faults("crm", down=True)
    live.set_clock(end_of_day_iso(day))
    try:
        with pytest.raises(IngestionFailed) as failure:
            ingest_day(settings, data_dir, day)
    finally:
        live.set_faults("crm")
    message = str(failure.value)
    assert "3 of 13 entities failed" in message
    assert "crm.players:" in message and "503" in message and "after 3 attempts" in message
    assert load_state(data_dir, players).watermark_us == watermark
    # The other sources' entities landed that day all the same.
    assert (data_dir / f"landing/payments/transactions/ingest_date={day}").is_dir()
    run_nightly(live, data_dir, first=day)
    # The CRM's records of the failed day land with the re-run; nothing lost, nothing twice.
    assert contents(landed_records(data_dir)) == contents(clean)


def test_a_killed_ingestion_run_again_lands_the_same_content(live, tmp_path):
    reference, data_dir = tmp_path / "reference", tmp_path / "data"
    settings = settings_for(live, data_dir)
    ingest(settings, reference, FIRST, LAST)  # uninterrupted: the landing it must match
    script = (
        "import sys, time\n"
        "from datetime import date\n"
        "from ingestion import ingest as m\n"
        "from ingestion.sources import load_settings\n"
        "original = m.land_batch\n"
        "def slow(*a, **k):\n"
        "    result = original(*a, **k)\n"
        "    time.sleep(0.05)\n"
        "    return result\n"
        "m.land_batch = slow\n"
        f"m.ingest(load_settings(sys.argv[1]), sys.argv[2], date.fromisoformat('{FIRST}'),"
        f" date.fromisoformat('{LAST}'))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(sources_path(data_dir)), str(data_dir)],
        env=os.environ.copy(),
    )
    batches = data_dir / "landing"
    deadline = time.monotonic() + 120
    while len(list(batches.rglob("ingest_date=2026-*/*.parquet"))) < 15:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = len(list(batches.rglob("ingest_date=2026-*/*.parquet")))
    ingest(settings, data_dir, FIRST, LAST)
    assert killed_at < len(list(batches.rglob("ingest_date=2026-*/*.parquet")))
    assert not list(batches.rglob(".tmp-*"))
    assert checksum(landed_records(data_dir)) == checksum(landed_records(reference))


def test_wrong_token_and_bad_cursor_get_clear_answers(live):
    url = f"{live.base_url('crm')}/v1/players"
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    token = {"Authorization": f"Bearer {live.settings.tokens['crm']}"}
    bad = httpx.get(url, params={"cursor": "not-ours"}, headers=token)
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]
    page = httpx.get(url, params={"limit": 5}, headers=token).json()
    assert len(page["data"]) == 5 and page["next_cursor"]
    second = httpx.get(url, params={"cursor": page["next_cursor"], "limit": 5}, headers=token)
    ids = [r["player_id"] for r in page["data"] + second.json()["data"]]
    updated = [r["updated_at"] for r in page["data"] + second.json()["data"]]
    assert updated == sorted(updated) and len(ids) == 10
