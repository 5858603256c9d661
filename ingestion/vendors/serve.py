"""Running the simulated vendors on loopback, in a background thread of this process."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from ingestion.sources import IngestSettings, SourceConfig, write_settings
from ingestion.vendors.simulator import (
    SOURCES,
    Faults,
    SimulatorClock,
    SimulatorSettings,
    create_app,
)

HOST = "127.0.0.1"


def new_tokens() -> dict[str, str]:
    """One random bearer token per source, as a vendor would issue them."""
    return {source: secrets.token_urlsafe(24) for source in SOURCES}


def token_env(source: str) -> str:
    """The environment variable ingestion reads a source's token from."""
    return f"IGW_{source.upper()}_TOKEN"


@dataclass(frozen=True)
class RunningVendors:
    port: int
    settings: SimulatorSettings
    clock: SimulatorClock

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def base_url(self, source: str) -> str:
        return f"{self.root_url}/{source}"

    def token_environment(self) -> dict[str, str]:
        return {token_env(source): self.settings.tokens[source] for source in SOURCES}

    def ingest_settings(self, **overrides) -> IngestSettings:
        """Ingestion settings that point every source at these vendors."""
        store = Path(self.settings.store_dir)
        sources = {
            source: SourceConfig(
                name=source,
                base_url=self.base_url(source),
                token_env=token_env(source),
                drop_dir=store / source,
            )
            for source in SOURCES
        }
        return IngestSettings(sources=sources, **overrides)

    def set_clock(self, now_iso: str | None) -> None:
        """Move the vendors' clock (None: everything generated is published)."""
        response = httpx.put(
            f"{self.root_url}/_sim/clock",
            json={"now": now_iso},
            headers={"Authorization": f"Bearer {self.settings.tokens[SOURCES[0]]}"},
        )
        response.raise_for_status()

    def set_faults(self, source: str, **faults) -> None:
        response = httpx.put(
            f"{self.base_url(source)}/_sim/faults",
            json=faults,
            headers={"Authorization": f"Bearer {self.settings.tokens[source]}"},
        )
        response.raise_for_status()

    def stats(self, source: str) -> dict:
        response = httpx.get(
            f"{self.base_url(source)}/_sim/stats",
            headers={"Authorization": f"Bearer {self.settings.tokens[source]}"},
        )
        response.raise_for_status()
        return response.json()


@contextmanager
def serve_vendors(
    settings: SimulatorSettings, port: int = 0, clock: SimulatorClock | None = None
) -> Iterator[RunningVendors]:
    """Serve the vendors on 127.0.0.1 (`port` 0 picks a free one) until the block ends."""
    clock = clock or SimulatorClock()
    app = create_app(settings, clock)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as error:
        listener.close()
        raise OSError(f"cannot listen on {HOST}:{port}: {error.strerror}") from error
    bound_port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="igw-vendors", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the simulated vendors did not start")
        time.sleep(0.01)
    try:
        yield RunningVendors(bound_port, settings, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def tokens_from_environment() -> dict[str, str]:
    """Each source's token from its environment variable, or a new one where unset."""
    fresh = new_tokens()
    return {source: os.environ.get(token_env(source)) or fresh[source] for source in SOURCES}


@contextmanager
def live_vendors(
    store_dir: Path,
    data_dir: Path | None = None,
    port: int = 0,
    faults: dict[str, Faults] | None = None,
    tokens: dict[str, str] | None = None,
    **ingest_overrides,
) -> Iterator[RunningVendors]:
    """Serve the vendors, put their tokens in this process's environment and, given a data
    dir, write its `sources.yaml` pointing at them; all undone when the block ends."""
    settings = SimulatorSettings(Path(store_dir), tokens or tokens_from_environment(), faults or {})
    with serve_vendors(settings, port) as vendors:
        environment = vendors.token_environment()
        previous = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            if data_dir is not None:
                write_settings(sources_path(data_dir), vendors.ingest_settings(**ingest_overrides))
            yield vendors
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def sources_path(data_dir: Path) -> Path:
    return Path(data_dir) / "sources.yaml"
