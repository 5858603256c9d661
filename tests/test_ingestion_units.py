"""Ingestion's pure parts: run days, settings, the API client's retries, run metadata."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from ingestion.api_client import VendorClient, VendorUnavailable
from ingestion.ingest import EntityRun, run_days
from ingestion.sources import (
    IngestSettings,
    SourceConfig,
    SourceConfigError,
    load_settings,
    write_settings,
)
from ingestion.vendors.simulator import Faults
from orchestration.ingest_metadata import materialization_metadata


def test_run_days_are_every_nth_day_and_always_the_last():
    assert run_days(date(2026, 8, 1), date(2026, 8, 3)) == [
        date(2026, 8, 1),
        date(2026, 8, 2),
        date(2026, 8, 3),
    ]
    # 1..17 August weekly: the 7th, the 14th, and the 17th (the range's last day).
    assert run_days(date(2026, 8, 1), date(2026, 8, 17), 7) == [
        date(2026, 8, 7),
        date(2026, 8, 14),
        date(2026, 8, 17),
    ]
    assert run_days(date(2026, 8, 1), date(2026, 8, 3), 7) == [date(2026, 8, 3)]
    with pytest.raises(ValueError, match="at least 1"):
        run_days(date(2026, 8, 1), date(2026, 8, 3), 0)


def test_settings_round_trip_and_clear_errors(tmp_path, monkeypatch):
    settings = IngestSettings(
        sources={"crm": SourceConfig("crm", "http://127.0.0.1:1/crm", "IGW_CRM_TOKEN", tmp_path)},
        page_size=50,
    )
    path = write_settings(tmp_path / "sources.yaml", settings)
    assert "token" not in path.read_text().replace("token_env", "")  # never the token itself
    loaded = load_settings(path)
    assert loaded.page_size == 50 and loaded.sources["crm"].drop_dir == tmp_path
    assert loaded.lookback_hours["crm.player_events"] == 168

    monkeypatch.delenv("IGW_CRM_TOKEN", raising=False)
    with pytest.raises(SourceConfigError, match="IGW_CRM_TOKEN .* is not set"):
        loaded.sources["crm"].token()
    with pytest.raises(SourceConfigError, match="no sources configuration at"):
        load_settings(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("sources:\n  crm: {base_url: x, password: y}\n")
    with pytest.raises(SourceConfigError, match=r"unknown keys \['password'\]"):
        load_settings(tmp_path / "bad.yaml")
    with pytest.raises(ValueError, match="unknown fault settings"):
        Faults.from_dict({"flaky": True})


def _client(handler, monkeypatch, **settings) -> VendorClient:
    monkeypatch.setenv("IGW_CRM_TOKEN", "secret")
    source = SourceConfig("crm", "http://vendor.test/crm", "IGW_CRM_TOKEN")
    chosen = IngestSettings(sources={"crm": source}, backoff_max_seconds=0.01, **settings)
    return VendorClient(source, chosen, transport=httpx.MockTransport(handler))


def test_client_follows_cursors_and_retries_429_then_5xx(monkeypatch):
    calls = []

    def vendor(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        assert request.headers["authorization"] == "Bearer secret"
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"})
        if len(calls) == 2:
            return httpx.Response(503)
        if "cursor" not in request.url.params:
            return httpx.Response(200, json={"data": [{"id": 1}, {"id": 2}], "next_cursor": "c2"})
        return httpx.Response(200, json={"data": [{"id": 3}], "next_cursor": None})

    with _client(vendor, monkeypatch, page_size=2) as client:
        fetched = client.fetch_records("players", "2026-08-01T00:00:00Z", None)
        assert [r["id"] for r in fetched.records] == [1, 2, 3]
        assert fetched.pages == 2
        assert client.stats.requests == 4 and client.stats.retries == 2
    assert "since=2026-08-01T00%3A00%3A00Z" in calls[0] and "limit=2" in calls[0]
    assert calls[-1].endswith("cursor=c2&limit=2")


def test_client_gives_up_with_one_clear_line(monkeypatch):
    with (
        _client(lambda request: httpx.Response(503), monkeypatch, max_attempts=3) as client,
        pytest.raises(VendorUnavailable, match="still 503 Service Unavailable after 3 attempts"),
    ):
        client.fetch_records("players", None, None)

    def refuse(request):
        return httpx.Response(401, json={"detail": "missing or wrong bearer token"})

    # A refusal is not retried: the same request would be refused again.
    with (
        _client(refuse, monkeypatch) as client,
        pytest.raises(VendorUnavailable, match="401 missing or wrong bearer token"),
    ):
        client.fetch_records("players", None, None)
    assert client.stats.requests == 1


def test_materialization_metadata_adds_up_the_days():
    day = date(2026, 8, 1)
    runs = [
        EntityRun("crm.players", day, rows_fetched=10, rows_landed=8, duplicates_skipped=2),
        EntityRun("crm.players", day, rows_fetched=5, rows_landed=4, rows_quarantined=1),
    ]
    runs[0].lag_seconds, runs[1].lag_seconds = 7200.0, 60.0
    metadata = materialization_metadata(runs)
    assert metadata["rows_fetched"] == 15 and metadata["rows_landed"] == 12
    assert metadata["rows_quarantined"] == 1 and metadata["rows_already_landed"] == 2
    assert metadata["lag_seconds"] == 60.0  # the lag after the last day of the partition
