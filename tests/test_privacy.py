"""Privacy (business rules §12): clear PII only in the restricted layer, erasure, the key.

The warehouse of tests/compliance_operator.py (a generated operator plus a hand-made
player, cmp_erased, who earned a CPA and then asked for erasure) is scanned: every column
of every table and view of every schema of warehouse.duckdb (the restricted layer is a
separate file, restricted.duckdb, that BI never attaches) must hold none of the emails,
IP addresses and dates of birth the operator's players, affiliates and clicks landed with:
case-insensitive substring for text, equality for dates.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from compliance_operator import (
    ERASED,
    ERASED_BIRTH,
    ERASED_EMAIL,
    ERASED_IP,
    compliance_warehouse,
)

from igw.config import DATA_DIR_ENV, REPO_ROOT, dbt_target_dir
from igw.dbt_runner import build_args, run_dbt

D = Decimal
TEXT_TYPES = ("VARCHAR",)
DATE_TYPES = ("DATE",)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return compliance_warehouse(tmp_path_factory)


def landed_pii(data_dir: Path) -> dict[str, set]:
    """Every email (as landed and normalised), IP address and date of birth landed for the
    operator's players, affiliates and clicks, read from the landing zone itself."""

    def parquet(entity: str) -> str:
        return f"read_parquet('{data_dir}/landing/{entity}/*/*.parquet', union_by_name=true)"

    players, affiliates, clicks = (
        parquet(e) for e in ("crm/players", "affiliate/affiliates", "affiliate/clicks")
    )
    with duckdb.connect() as con:

        def values(sql: str) -> set:
            return {row[0] for row in con.execute(sql).fetchall() if row[0] not in (None, "")}

        emails = values(
            f"select email from {players} union select email from {affiliates}"
        ) | values(
            f"select lower(trim(email)) from {players} "
            f"union select lower(trim(email)) from {affiliates}"
        )
        ips = values(f"select registration_ip from {players} union select ip_address from {clicks}")
        births = values(f"select date_of_birth from {players}")
    return {"emails": emails, "ips": ips, "births": births}


def find_pii(con: duckdb.DuckDBPyConnection, pii: dict[str, set], skip_catalogs=()) -> list:
    """(catalog.schema.relation.column, rows) for every column holding a forbidden value."""
    con.execute("create or replace temp table forbidden_text (value varchar)")
    texts = [v.lower() for v in pii["emails"] | pii["ips"]]
    texts += [d.isoformat() for d in pii["births"]]
    con.executemany("insert into forbidden_text values (?)", [(v,) for v in texts])
    con.execute("create or replace temp table forbidden_dates (value date)")
    con.executemany("insert into forbidden_dates values (?)", [(d,) for d in pii["births"]])
    columns = con.execute(
        """
        select table_catalog, table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_catalog not in ('system', 'temp')
        order by all
        """
    ).fetchall()
    leaks = []
    for catalog, schema, table, column, data_type in columns:
        if catalog in skip_catalogs:
            continue
        relation = f'"{catalog}"."{schema}"."{table}"'
        if data_type in TEXT_TYPES:
            sql = f"""
                with observed as (select distinct lower("{column}") as value from {relation})
                select count(*) from observed
                where exists (
                    select 1 from forbidden_text
                    where contains(observed.value, forbidden_text.value)
                )
            """
        elif data_type in DATE_TYPES:
            sql = f"""
                select count(*) from {relation}
                where "{column}" in (select value from forbidden_dates)
            """
        else:
            continue
        found = con.execute(sql).fetchone()[0]
        if found:
            leaks.append((f"{catalog}.{schema}.{table}.{column}", found))
    return leaks


def test_no_clear_pii_outside_the_restricted_layer(built):
    data_dir = built["data_dir"]
    pii = landed_pii(data_dir)
    # 50 generated players and the two hand-made ones, with their emails as landed and
    # normalised; registration and click IPs; dates of birth.
    assert len(pii["emails"]) > 52 and len(pii["ips"]) > 52 and len(pii["births"]) > 40
    assert ERASED_EMAIL in pii["emails"] and ERASED_EMAIL.strip().lower() in pii["emails"]
    assert ERASED_IP in pii["ips"] and ERASED_BIRTH in pii["births"]

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        schemas = {
            row[0]
            for row in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
        # Every layer is scanned; the restricted layer is not even in this file.
        assert {"staging", "intermediate", "marts", "finance", "compliance"} <= schemas
        assert "restricted" not in schemas
        relations = con.execute(
            "select count(*), count(*) filter (where table_type = 'VIEW') "
            "from information_schema.tables where table_catalog = 'warehouse'"
        ).fetchone()
        assert relations[0] > 50 and relations[1] > 5  # tables and views both
        assert find_pii(con, pii) == []


def test_the_scan_finds_pii_where_it_is(built):
    """The same scan over the restricted layer finds the clear values (so a leak would be
    found): the generated players' emails, IPs and dates of birth, the affiliates' emails."""
    data_dir = built["data_dir"]
    pii = landed_pii(data_dir)
    with duckdb.connect(str(data_dir / "restricted.duckdb"), read_only=True) as con:
        leaks = dict(find_pii(con, pii))
    assert set(leaks) == {
        "restricted.main.stg_crm__player_pii.email",
        "restricted.main.stg_crm__player_pii.date_of_birth",
        "restricted.main.stg_crm__player_pii.registration_ip",
        "restricted.main.stg_affiliate__affiliate_contacts.email",
    }, leaks


def test_an_erased_player_loses_its_pii_and_keeps_its_financial_history(built):
    data_dir = built["data_dir"]
    with duckdb.connect(str(data_dir / "restricted.duckdb"), read_only=True) as con:
        restricted = con.execute(
            "select email, date_of_birth, registration_ip, is_erased, erasure_requested_at "
            "from stg_crm__player_pii where player_id = ?",
            [ERASED],
        ).fetchone()
        kept = con.execute(
            "select email, registration_ip from stg_crm__player_pii where player_id = ?",
            ["cmp_excluded"],
        ).fetchone()
    assert restricted[:4] == (None, None, None, True)
    assert restricted[4].isoformat() == "2026-01-22T09:00:00+00:00"
    assert kept == ("excluded.person@example.org", "203.0.113.51")  # not erased: readable

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        dim = con.execute(
            "select is_erased, email_pseudonym, registration_ip_pseudonym, age_band, person_id "
            "from marts.dim_players where player_id = ?",
            [ERASED],
        ).fetchone()
        # 01-06: stake 20, win 5 -> GGR 15; no bonus, fee, jackpot or tax -> NGR 15.
        revenue = con.execute(
            "select activity_date, ggr, ngr, deposits from marts.player_daily_revenue "
            "where player_id = ?",
            [ERASED],
        ).fetchall()
        # Qualified 01-06 (deposit 50 >= 10, wagered 20 >= 10, KYC verified 01-05): 100.00.
        ledger = con.execute(
            "select entry_type, period_month, amount, affiliate_id "
            "from finance.commission_ledger where player_id = ?",
            [ERASED],
        ).fetchall()
        erasure = con.execute(
            "select event_id, requested_at, took_effect_at, player_landed "
            "from compliance.erasure_log where player_id = ?",
            [ERASED],
        ).fetchall()
    assert dim == (True, None, None, None, ERASED)
    assert revenue == [(date(2026, 1, 6), D("15"), D("15"), D("50"))]
    assert ledger == [("cpa", date(2026, 1, 1), D("100.00"), "aff_cmp")]
    assert len(erasure) == 1 and erasure[0][0] == "cmp_e3" and erasure[0][3] is True
    assert erasure[0][1].isoformat() == "2026-01-22T09:00:00+00:00"
    assert erasure[0][2] is not None


def test_identity_links_equal_normalised_emails_through_the_pseudonym(built):
    """Accounts whose landed emails are equal once lower-cased and trimmed are one person
    (rules §3), although the warehouse only holds the pseudonyms."""
    data_dir = built["data_dir"]
    players = f"read_parquet('{data_dir}/landing/crm/players/*/*.parquet', union_by_name=true)"
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        pairs = con.execute(
            f"""
            with emails as (
                select distinct player_id, lower(trim(email)) as email from {players}
            )
            select a.player_id, b.player_id, pa.person_id, pb.person_id
            from emails as a
            join emails as b on a.email = b.email and a.player_id < b.player_id
            join intermediate.int_identity__persons as pa on pa.player_id = a.player_id
            join intermediate.int_identity__persons as pb on pb.player_id = b.player_id
            """
        ).fetchall()
    assert pairs, "the generator plants accounts sharing an email"
    assert all(person_a == person_b for _, _, person_a, person_b in pairs), pairs


def test_the_key_is_in_no_file_of_the_repository_or_the_data_dir(built):
    """The build's key (random, from the environment) reached no compiled SQL, log,
    database file or any other file under the repository or the data dir."""
    key = built["key"].encode()
    skipped = {".venv", ".git", "data", ".pytest_cache", ".ruff_cache", "__pycache__"}
    checked, leaks = 0, []
    for root in (REPO_ROOT, built["data_dir"]):
        for folder, subfolders, files in os.walk(root):
            if Path(folder) == REPO_ROOT:
                subfolders[:] = [name for name in subfolders if name not in skipped]
            for name in files:
                path = Path(folder) / name
                if path.is_symlink() or path.stat().st_size > 200_000_000:
                    continue
                checked += 1
                if key in path.read_bytes():
                    leaks.append(str(path))
    assert checked > 100 and (dbt_target_dir() / "manifest.json").is_file()
    assert leaks == []


def test_a_locked_down_bi_connection_reads_marts_but_no_clear_pii(built):
    """The README's BI session: read-only, no filesystem access, configuration locked. It
    reads the marts; the restricted layer and the landing zone stay out of reach."""
    data_dir = built["data_dir"]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        assert con.execute("select count(*) from marts.dim_players").fetchone()[0] > 50
        for sql in (
            f"attach '{data_dir / 'restricted.duckdb'}' as restricted (read_only)",
            f"select * from read_parquet('{data_dir}/landing/crm/players/*/*.parquet')",
            "set enable_external_access = true",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)


def test_the_erasure_log_keeps_when_each_request_took_effect(built, tmp_path, monkeypatch):
    """compliance.erasure_log is append-only: a later build adds a new request with its own
    time and leaves the logged ones as they were, `--full-refresh` included."""
    from compliance_operator import EXCLUDED, land_rows

    copy = tmp_path / "data"
    shutil.copytree(built["data_dir"], copy)
    monkeypatch.setenv(DATA_DIR_ENV, str(copy))

    def logged() -> dict:
        with duckdb.connect(str(copy / "warehouse.duckdb"), read_only=True) as con:
            rows = con.execute("select event_id, took_effect_at from compliance.erasure_log")
            return dict(rows.fetchall())

    before = logged()
    assert "cmp_e3" in before
    land_rows(
        copy,
        "crm.player_events",
        [
            {
                "event_id": "cmp_e7",
                "player_id": EXCLUDED,
                "event_type": "erasure_requested",
                "occurred_at": datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
                "reason": None,
                "actor": "compliance_test",
            }
        ],
        date(2026, 4, 2),
    )
    run_dbt(build_args(select="stg_crm__player_events erasure_log"), copy)
    after = logged()
    assert {k: v for k, v in after.items() if k != "cmp_e7"} == before
    assert after["cmp_e7"] > max(before.values())
    run_dbt(build_args(select="erasure_log", full_refresh=True), copy)
    assert logged() == after
