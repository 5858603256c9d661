"""Ingestion's memory between runs: one small JSON file per entity.

    <data-dir>/ingest_state/<source>/<entity>.json

It is written only after the run's batch has landed, so a failed or killed run leaves the
cursor where it was and the next run fetches the same records again (landing them is
idempotent, and records already landed are skipped).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingestion.contract import Entity


@dataclass
class EntityState:
    watermark_us: int | None = None  # API: highest cursor-field value landed (µs since epoch)
    reports_through: str | None = None  # provider reports: last report day fetched
    files: dict[str, str] = field(default_factory=dict)  # drops: file -> sha256 landed
    last_run_day: str | None = None


def state_path(data_dir: Path, entity: Entity) -> Path:
    return Path(data_dir) / "ingest_state" / entity.source / f"{entity.name}.json"


def load_state(data_dir: Path, entity: Entity) -> EntityState:
    path = state_path(data_dir, entity)
    if not path.exists():
        return EntityState()
    return EntityState(**json.loads(path.read_text()))


def save_state(data_dir: Path, entity: Entity, state: EntityState) -> None:
    path = state_path(data_dir, entity)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(asdict(state), stream, indent=1, sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
