"""The pseudonym key (business rules §12): emails and IPs reach the marts as keyed hashes.

The key is configuration, never part of the repository, of compiled SQL or of a log:

1. the environment variable `IGW_PSEUDONYM_KEY`, if set and not empty;
2. else the file `<data-dir>/secrets/pseudonym.key` (the demo writes one, mode 0600);
3. else `PseudonymKeyMissing`.

A pseudonym is the hex HMAC-SHA256 of the value (UTF-8) under the key (its text, UTF-8).
The warehouse computes it with the DuckDB function `igw_keyed_hash`
(`igw.warehouse_functions`); `keyed_hash` here is the same function for Python callers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "IGW_PSEUDONYM_KEY"
KEY_FILE = Path("secrets") / "pseudonym.key"


class PseudonymKeyMissing(RuntimeError):
    """No pseudonym key is configured (a RuntimeError, so dbt-duckdb reports it as is)."""


def key_path(data_dir: str | Path | None) -> Path:
    """Where the key file of this data dir is (it need not exist)."""
    from igw.config import resolve_data_dir

    return resolve_data_dir(data_dir) / KEY_FILE


def resolve_key(data_dir: str | Path | None) -> str:
    """The key: $IGW_PSEUDONYM_KEY, else `<data_dir>/secrets/pseudonym.key`, else an error."""
    from_env = os.environ.get(KEY_ENV, "").strip()
    if from_env:
        return from_env
    path = key_path(data_dir)
    if path.is_file():
        from_file = path.read_text(encoding="utf-8").strip()
        if from_file:
            return from_file
        raise PseudonymKeyMissing(f"the pseudonym key file {path} is empty; write a key into it")
    raise PseudonymKeyMissing(
        f"no pseudonym key: set {KEY_ENV} or write a secret key to {path} "
        "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
    )


def create_demo_key(data_dir: str | Path | None) -> Path:
    """Write a random key to `<data_dir>/secrets/pseudonym.key` (mode 0600) unless one is there."""
    path = key_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(handle, "w", encoding="utf-8") as key_file:
        key_file.write(secrets.token_hex(32) + "\n")
    return path


def export_key(data_dir: str | Path | None) -> None:
    """Put the resolved key into this process's environment, where dbt (in-process or a
    subprocess started from here) finds it; a key already in the environment stays."""
    if not os.environ.get(KEY_ENV, "").strip():
        os.environ[KEY_ENV] = resolve_key(data_dir)


def keyed_hash(key: str, value: str | None) -> str | None:
    """Hex HMAC-SHA256 of `value` under `key`; None stays None."""
    if value is None:
        return None
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()
