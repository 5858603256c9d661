"""Where each source system is and how ingestion reaches it: one entry per source.

    <data-dir>/sources.yaml
        http:        {page_size, timeout_seconds, max_attempts, backoff_max_seconds}
        validation:  {max_rejected_share, rejected_rows_always_allowed}
        lookback_hours: {crm.player_events: 168}   # re-read window for late records
        sources:
          affiliate: {base_url: http://…/affiliate, token_env: IGW_AFFILIATE_TOKEN,
                      drop_dir: /path/to/the/affiliate/drop}

Tokens never sit in the file: it names the environment variable that holds each one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

# Late records re-read on every run. Events are cursored on occurred_at, and a CRM can
# report an event days after it happened; updated_at cursors need none (a change is
# stamped when it is published). Provider reports are re-read for corrections.
DEFAULT_LOOKBACK_HOURS = {"crm.player_events": 168, "games.provider_reports": 72}


class SourceConfigError(ValueError):
    """The sources file or the environment does not say how to reach a source."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    base_url: str | None = None  # REST API root; None: this source has no API entities here
    token_env: str | None = None  # environment variable holding the bearer token
    drop_dir: Path | None = None  # folder standing in for the source's SFTP/S3 drop

    def token(self) -> str:
        if not self.token_env:
            raise SourceConfigError(f"{self.name}: no token_env configured for its API")
        value = os.environ.get(self.token_env)
        if not value:
            raise SourceConfigError(
                f"{self.name}: environment variable {self.token_env} (its API token) is not set"
            )
        return value


@dataclass(frozen=True)
class IngestSettings:
    sources: dict[str, SourceConfig]
    page_size: int = 1000
    timeout_seconds: float = 10.0
    max_attempts: int = 6
    backoff_max_seconds: float = 20.0
    max_rejected_share: float = 0.05  # a batch with more rejected records fails its entity
    rejected_rows_always_allowed: int = 10  # ...unless it has at most this many
    lookback_hours: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LOOKBACK_HOURS))

    def source(self, name: str) -> SourceConfig:
        try:
            return self.sources[name]
        except KeyError:
            raise SourceConfigError(f"no source {name!r} in the sources configuration") from None

    def to_yaml(self) -> str:
        document = {
            "http": {
                "page_size": self.page_size,
                "timeout_seconds": self.timeout_seconds,
                "max_attempts": self.max_attempts,
                "backoff_max_seconds": self.backoff_max_seconds,
            },
            "validation": {
                "max_rejected_share": self.max_rejected_share,
                "rejected_rows_always_allowed": self.rejected_rows_always_allowed,
            },
            "lookback_hours": dict(self.lookback_hours),
            "sources": {
                name: {
                    "base_url": source.base_url,
                    "token_env": source.token_env,
                    "drop_dir": None if source.drop_dir is None else str(source.drop_dir),
                }
                for name, source in self.sources.items()
            },
        }
        header = "# Where igw ingestion finds each source system. Tokens come from the env.\n"
        return header + yaml.safe_dump(document, sort_keys=False)


def write_settings(path: Path, settings: IngestSettings) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(settings.to_yaml())
    return path


def load_settings(path: Path) -> IngestSettings:
    path = Path(path)
    if not path.is_file():
        raise SourceConfigError(
            f"no sources configuration at {path}: start `igw vendors serve` or write one"
        )
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SourceConfigError(f"{path}: not valid YAML ({error.__class__.__name__})") from None
    known = {f.name for f in fields(SourceConfig)}
    sources = {}
    for name, values in (document.get("sources") or {}).items():
        unknown = set(values or {}) - known
        if unknown:
            raise SourceConfigError(f"{path}: source {name} has unknown keys {sorted(unknown)}")
        values = dict(values or {})
        if values.get("drop_dir"):
            values["drop_dir"] = Path(values["drop_dir"])
        sources[name] = SourceConfig(name=name, **{k: v for k, v in values.items() if k != "name"})
    http = document.get("http") or {}
    validation = document.get("validation") or {}
    lookback = {**DEFAULT_LOOKBACK_HOURS, **(document.get("lookback_hours") or {})}
    try:
        return IngestSettings(
            sources=sources,
            lookback_hours=lookback,
            **{k: http[k] for k in http},
            **{k: validation[k] for k in validation},
        )
    except TypeError as error:
        raise SourceConfigError(f"{path}: {error}") from None
