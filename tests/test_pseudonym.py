"""Pseudonyms (business rules §12): where the key comes from, and that the marts hold keyed
hashes, never the clear emails, IPs or dates of birth the CRM landed."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from datetime import date
from pathlib import Path

import duckdb
import pytest
from landed_operator import land_published, publication_days

from igw.config import dbt_target_dir
from igw.dbt_runner import DbtError, build_args, run_dbt
from igw.pseudonym import (
    KEY_ENV,
    PseudonymKeyMissing,
    create_demo_key,
    export_key,
    key_path,
    keyed_hash,
    resolve_key,
)
from ingestion.generator import generate_operator


@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_the_environment_wins_over_the_key_file(tmp_path, monkeypatch):
    create_demo_key(tmp_path)
    monkeypatch.setenv(KEY_ENV, "from-the-environment")
    assert resolve_key(tmp_path) == "from-the-environment"


def test_the_key_file_is_used_when_the_environment_has_none(tmp_path, no_key_env):
    key_path(tmp_path).parent.mkdir(parents=True)
    key_path(tmp_path).write_text("  from-the-file\n")
    assert resolve_key(tmp_path) == "from-the-file"


def test_an_empty_environment_variable_counts_as_unset(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "  ")
    key_path(tmp_path).parent.mkdir(parents=True)
    key_path(tmp_path).write_text("from-the-file")
    assert resolve_key(tmp_path) == "from-the-file"


def test_no_key_is_a_one_line_error_saying_how_to_set_one(tmp_path, no_key_env):
    with pytest.raises(PseudonymKeyMissing) as raised:
        resolve_key(tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert KEY_ENV in message and str(tmp_path / "secrets" / "pseudonym.key") in message


def test_an_empty_key_file_is_an_error(tmp_path, no_key_env):
    key_path(tmp_path).parent.mkdir(parents=True)
    key_path(tmp_path).write_text("\n")
    with pytest.raises(PseudonymKeyMissing, match="empty"):
        resolve_key(tmp_path)


def test_the_demo_key_is_random_private_and_never_replaced(tmp_path, no_key_env):
    path = create_demo_key(tmp_path)
    assert path == tmp_path / "secrets" / "pseudonym.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = resolve_key(tmp_path)
    assert len(key) == 64 and int(key, 16) >= 0
    assert create_demo_key(tmp_path) == path and resolve_key(tmp_path) == key
    assert create_demo_key(tmp_path / "other") != path
    assert resolve_key(tmp_path / "other") != key


def test_the_demo_makes_a_key_only_when_none_is_configured(tmp_path, monkeypatch, capsys):
    from igw.demo import ensure_pseudonym_key

    monkeypatch.setenv(KEY_ENV, "configured")
    assert ensure_pseudonym_key(tmp_path) is None
    assert not key_path(tmp_path).exists()
    monkeypatch.delenv(KEY_ENV)
    made = ensure_pseudonym_key(tmp_path)
    assert made == key_path(tmp_path) and made.is_file()
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and str(made) in printed
    assert ensure_pseudonym_key(tmp_path) is None


def test_export_key_keeps_a_key_already_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "kept")
    create_demo_key(tmp_path)
    export_key(tmp_path)
    assert os.environ[KEY_ENV] == "kept"
    monkeypatch.delenv(KEY_ENV)
    export_key(tmp_path)
    assert os.environ[KEY_ENV] == resolve_key(tmp_path)


def test_keyed_hash_is_hex_hmac_sha256_and_null_stays_null():
    expected = hmac.new(b"k", b"a@x.org", hashlib.sha256).hexdigest()
    assert keyed_hash("k", "a@x.org") == expected
    assert keyed_hash("k", None) is None


def test_the_plugin_registers_the_keyed_hash(tmp_path, monkeypatch):
    from igw.warehouse_functions import Plugin

    monkeypatch.setenv(KEY_ENV, "plugin-key")
    plugin = Plugin("warehouse_functions", {"data_dir": str(tmp_path)})
    with duckdb.connect() as con:
        plugin.configure_connection(con)
        hashed, missing = con.execute(
            "select igw_keyed_hash('a@x.org'), igw_keyed_hash(null)"
        ).fetchone()
    assert hashed == hmac.new(b"plugin-key", b"a@x.org", hashlib.sha256).hexdigest()
    assert missing is None


def test_without_a_key_the_plugin_function_fails_with_one_line(tmp_path, monkeypatch):
    """Connecting works without a key (sqlfluff's dbt templater connects to compile); the
    first pseudonym fails, naming the variable and the key file."""
    from igw.warehouse_functions import Plugin

    monkeypatch.delenv(KEY_ENV, raising=False)
    plugin = Plugin("warehouse_functions", {"data_dir": str(tmp_path)})
    with duckdb.connect() as con:
        plugin.configure_connection(con)
        with pytest.raises(duckdb.Error) as raised:
            con.execute("select igw_keyed_hash('a@x.org')").fetchone()
    message = str(raised.value)
    assert "PseudonymKeyMissing" in message and KEY_ENV in message and "\n" not in message


def test_a_build_without_a_key_fails_with_one_line(data_dir, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(DbtError, match="no pseudonym key") as raised:
        run_dbt(build_args(select="dim_games"), data_dir)
    assert "\n" not in str(raised.value)


def _landed_pii(data_dir: Path) -> tuple[list[str], list[str]]:
    """Every email, IP and date of birth the CRM (and the tracker's affiliates) landed:
    (values that must not appear anywhere, emails that must not appear inside a value)."""
    players = f"read_parquet('{data_dir}/landing/crm/players/*/*.parquet', union_by_name=true)"
    affiliates = (
        f"read_parquet('{data_dir}/landing/affiliate/affiliates/*/*.parquet', union_by_name=true)"
    )
    with duckdb.connect() as con:
        emails = [
            row[0]
            for row in con.execute(
                f"""
                select email from {players} union select lower(trim(email)) from {players}
                union select email from {affiliates}
                union select lower(trim(email)) from {affiliates}
                """
            ).fetchall()
            if row[0]
        ]
        others = [
            row[0]
            for row in con.execute(
                f"""
                select registration_ip from {players}
                union select cast(date_of_birth as varchar) from {players}
                """
            ).fetchall()
            if row[0]
        ]
    return emails + others, emails


def test_marts_hold_pseudonyms_never_clear_pii(data_dir):
    operator = generate_operator(seed=23, players=200, start=date(2026, 1, 1), months=3)
    days = publication_days(operator)
    land_published(operator, data_dir, days[0], days[-1])
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    key = os.environ[KEY_ENV]

    forbidden, emails = _landed_pii(data_dir)
    assert len(emails) > 200
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        # The clear values are readable only through the restricted layer's own file.
        con.execute(f"attach '{data_dir / 'restricted.duckdb'}' as restricted (read_only)")
        con.execute("create temp table forbidden (value varchar)")
        con.executemany("insert into forbidden values (?)", [(v,) for v in forbidden])
        con.execute("create temp table forbidden_emails (value varchar)")
        con.executemany("insert into forbidden_emails values (?)", [(v,) for v in emails])
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        tables = {table for table, _ in columns}
        assert {"dim_players", "dim_affiliates", "dim_player_status_history"} <= tables
        leaks = []
        for table, column in columns:
            value = f'cast(t."{column}" as varchar)'
            found = con.execute(
                f"""
                select count(*) from marts."{table}" as t
                where {value} in (select value from forbidden)
                    or exists (
                        select 1 from forbidden_emails as e where contains({value}, e.value)
                    )
                """
            ).fetchone()[0]
            if found:
                leaks.append(f"{table}.{column}: {found} rows")
        assert not leaks, leaks

        # The warehouse's keyed hash is Python's HMAC-SHA256 of the normalised email / IP
        # (a player whose email needs normalising, if there is one).
        player_id, email, ip, email_pseudonym, ip_pseudonym = con.execute(
            """
            select players.player_id, players.email, players.registration_ip,
                dim.email_pseudonym, dim.registration_ip_pseudonym
            from marts.dim_players as dim
            inner join restricted.stg_crm__player_pii as players
                on dim.player_id = players.player_id
            where not dim.is_erased
            order by players.email != lower(trim(players.email)) desc, players.player_id
            limit 1
            """
        ).fetchone()
        erased = con.execute(
            "select count(*), count(email_pseudonym), count(age_band) "
            "from marts.dim_players where is_erased"
        ).fetchone()
    normalised = email.strip().lower().encode()
    assert email_pseudonym == hmac.new(key.encode(), normalised, hashlib.sha256).hexdigest()
    assert (
        ip_pseudonym
        == hmac.new(key.encode(), ip.strip().lower().encode(), hashlib.sha256).hexdigest()
    ), player_id
    assert erased[0] >= 1 and erased[1:] == (0, 0)

    # The key is in no compiled SQL and no dbt log.
    written = [*dbt_target_dir().rglob("*.sql"), *(data_dir / "logs").rglob("*")]
    assert not [p for p in written if p.is_file() and key in p.read_text(errors="ignore")]
