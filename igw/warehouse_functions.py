"""dbt-duckdb plugin: the Python functions the warehouse's SQL calls.

DuckDB has no HMAC, so the keyed hash that pseudonymises emails and IPs (business rules
§12) is a Python UDF registered on every connection dbt opens:

    igw_keyed_hash(varchar) -> varchar   hex HMAC-SHA256 under the pseudonym key; null → null

Enabled in profiles.yml (`plugins: [{module: igw.warehouse_functions, config: {data_dir:
...}}]`). The key is resolved here, when dbt connects (`igw.pseudonym.resolve_key`: the
environment, else the data dir's key file), and lives only in this process's memory: the
SQL names the function, never the key. Without a key, the function raises
PseudonymKeyMissing's one line on its first use: a build fails at the first model that
pseudonymises, while whatever needs no pseudonym (staging, `sqlfluff`'s dbt templater,
which connects to compile) still works. `igw build` and Dagster resolve the key before
dbt starts and stop earlier, with the same line.
"""

from __future__ import annotations

import atexit
import weakref
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from igw.pseudonym import PseudonymKeyMissing, keyed_hash, resolve_key

KEYED_HASH_FUNCTION = "igw_keyed_hash"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._key: str | None = None
        self._missing: PseudonymKeyMissing | None = None
        try:
            self._key = resolve_key(plugin_config.get("data_dir"))
        except PseudonymKeyMissing as missing:
            self._missing = missing

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        key, missing = self._key, self._missing

        def igw_keyed_hash(value: str | None) -> str | None:
            if key is None:
                raise PseudonymKeyMissing(str(missing))
            return keyed_hash(key, value)

        conn.create_function(
            KEYED_HASH_FUNCTION,
            igw_keyed_hash,
            [VARCHAR],
            VARCHAR,
            null_handling="special",
            side_effects=False,
        )
        # A connection left open at exit with a Python function on it makes duckdb's
        # bindings print "leaked instance" noise (seen after a failed dbt run): close it.
        atexit.register(_close_if_alive, weakref.ref(conn))


def _close_if_alive(conn_ref: weakref.ref) -> None:
    conn = conn_ref()
    if conn is not None:
        conn.close()
