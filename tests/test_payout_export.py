"""The monthly payout export, on a hand-made warehouse (no dbt run).

September 2026, every figure worked out here by hand:

aff_a "Acme & Sons <Media>", paid in USD (rate to EUR 0.92 on 09-30), min payout 50:
  deal d_a1 (tiered on NGR): players' NGR 1234.5678, admin fee 300 → affiliate NGR
  934.5678; carried-in negative NGR −100 → base 834.5678; tier 2 at 30% → 250.37034,
  booked 250.37. Ledger: revshare 250.37; CPAs for p1 and p2, each USD 100 at 1.08 →
  92.59 (cpa_count 2, 185.18); p2's CPA clawed back −92.59; sub-affiliate 10% of aff_b's
  19.00 → 1.90; an adjustment of August's revenue share +12.34.
  Total = 40.00 carried in + 250.37 + 185.18 + 1.90 − 92.59 + 12.34 = 397.20 → payable;
  in USD 397.20 ÷ 0.92 = 431.739… → 431.74.
aff_b "Beta Traffic", paid in EUR, min payout 100, month closed 2026-10-05 09:30:
  deal d_b1 (ladder on NGR): affiliate NGR 80; 50 × 20% + 30 × 30% = 19.00, applied
  rate 19 ÷ 80 = 23.75%. Total = 3.50 carried in + 19.00 = 22.50 < 100 → under_limit.
An August statement and entry of aff_a sit alongside and must stay out of September.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from igw.payout import PayoutError
from igw.payout_export import PayoutExport, export_month

D = Decimal
SEPTEMBER = date(2026, 9, 1)
SCRIPT_REASON = "<script>alert('x')</script> fraud flag on 2026-09-20"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; fraud flag on 2026-09-20"

SCHEMA = """
create schema finance;
create schema staging;
create table finance.affiliate_statements (
    affiliate_id varchar, period_month date, affiliate_ngr decimal(18, 4),
    revshare_rate decimal(18, 6), revshare_amount decimal(18, 2), cpa_count integer,
    cpa_amount decimal(18, 2), sub_affiliate_amount decimal(18, 2),
    clawback_amount decimal(18, 2), adjustment_amount decimal(18, 2),
    carried_in decimal(18, 2), carried_negative_ngr decimal(18, 4), total decimal(18, 2),
    status varchar, payout_currency varchar, total_in_payout_currency decimal(18, 2),
    closed_at timestamp, affiliate_status varchar, min_payout decimal(18, 2)
);
create table finance.commission_ledger (
    entry_id varchar, affiliate_id varchar, period_month date, entry_type varchar,
    amount decimal(18, 2), player_id varchar, deal_id varchar, reverses_entry_id varchar,
    reason varchar, booked_at timestamp, child_affiliate_id varchar, source_month date,
    source_date date
);
create table finance.revshare_periods (
    deal_id varchar, affiliate_id varchar, period_month date, players_ngr decimal(18, 4),
    players_ggr decimal(18, 4), admin_fee decimal(18, 4), affiliate_ngr decimal(18, 4),
    ndc_count integer, carried_in_ngr decimal(18, 4), revshare_base decimal(18, 4),
    tier_basis varchar, tier_method varchar, tier_number integer, tier_rate decimal(18, 6),
    applied_rate decimal(18, 6), revshare_amount decimal(18, 2),
    carried_out_ngr decimal(18, 4), revshare_entry_id varchar
);
create table staging.stg_affiliate__affiliates (
    affiliate_id varchar, name varchar, email varchar, status varchar,
    payout_currency varchar
);
"""

STATEMENTS = [
    # affiliate, month, ngr, rate, revshare, cpa n, cpa, sub, clawback, adjustment,
    # carried in, carried neg. ngr, total, status, currency, in currency, closed_at,
    # affiliate status, min payout
    ("aff_a", "2026-08-01", "400.0000", "0.300000", "107.66", 0, "0.00", "0.00", "0.00",
     "0.00", "0.00", "0.0000", "107.66", "payable", "USD", "117.02", None, "active",
     "50.00"),
    ("aff_a", "2026-09-01", "934.5678", "0.300000", "250.37", 2, "185.18", "1.90", "-92.59",
     "12.34", "40.00", "0.0000", "397.20", "payable", "USD", "431.74", None, "active",
     "50.00"),
    ("aff_b", "2026-09-01", "80.0000", "0.237500", "19.00", 0, "0.00", "0.00", "0.00",
     "0.00", "3.50", "0.0000", "22.50", "under_limit", "EUR", "22.50",
     "2026-10-05 09:30:00", "suspended", "100.00"),
]  # fmt: skip

LEDGER = [
    # entry, affiliate, month, type, amount, player, deal, reverses, reason, booked_at,
    # child, source month, source date
    ("e_rs_a_aug", "aff_a", "2026-08-01", "revshare", "107.66", None, "d_a1", None,
     "Revenue share 2026-08", "2026-09-01 03:00:00", None, "2026-08-01", None),
    ("e_rs_a", "aff_a", "2026-09-01", "revshare", "250.37", None, "d_a1", None,
     "Revenue share: tier 2 at 30% of base 834.57", "2026-10-01 03:00:00", None,
     "2026-09-01", None),
    ("e_cpa_p1", "aff_a", "2026-09-01", "cpa", "92.59", "p1", "d_a1", None,
     "CPA USD 100.00 at 1.08 on 2026-09-03", "2026-10-01 03:00:00", None, "2026-09-01",
     "2026-09-03"),
    ("e_cpa_p2", "aff_a", "2026-09-01", "cpa", "92.59", "p2", "d_a1", None,
     "CPA USD 100.00 at 1.08 on 2026-09-04", "2026-10-01 03:00:00", None, "2026-09-01",
     "2026-09-04"),
    ("e_cb_p2", "aff_a", "2026-09-01", "clawback", "-92.59", "p2", "d_a1", "e_cpa_p2",
     SCRIPT_REASON, "2026-10-01 03:00:00", None, "2026-09-01", "2026-09-20"),
    ("e_sub_a_b", "aff_a", "2026-09-01", "sub_affiliate", "1.90", None, "d_b1", None,
     "Sub-affiliate 10% of aff_b's 19.00", "2026-10-01 03:00:00", "aff_b", "2026-09-01",
     None),
    ("e_adj_a", "aff_a", "2026-09-01", "adjustment", "12.34", None, "d_a1", "e_rs_a_aug",
     "August revenue share recomputed after late rounds", "2026-10-01 03:00:00", None,
     "2026-08-01", None),
    ("e_rs_b", "aff_b", "2026-09-01", "revshare", "19.00", None, "d_b1", None,
     "Revenue share: ladder on 80.00", "2026-10-01 03:00:00", None, "2026-09-01", None),
]  # fmt: skip

REVSHARE = [
    ("d_a1", "aff_a", "2026-09-01", "1234.5678", "1500.0000", "300.0000", "934.5678", 3,
     "-100.0000", "834.5678", "ngr", "tiered", 2, "0.300000", "0.300000", "250.37",
     "0.0000", "e_rs_a"),
    ("d_b1", "aff_b", "2026-09-01", "100.0000", "100.0000", "20.0000", "80.0000", 1,
     "0.0000", "80.0000", "ngr", "ladder", 2, "0.300000", "0.237500", "19.00", "0.0000",
     "e_rs_b"),
]  # fmt: skip

NAMES = [
    ("aff_a", "Acme & Sons <Media>", "a@example.test", "active", "USD"),
    ("aff_b", "Beta Traffic", "b@example.test", "suspended", "EUR"),
]

ENTRY_IDS = {
    "aff_a": ["e_adj_a", "e_cb_p2", "e_cpa_p1", "e_cpa_p2", "e_rs_a", "e_sub_a_b"],
    "aff_b": ["e_rs_b"],
}


def execute(data_dir, sql, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute(sql, params or [])


@pytest.fixture
def warehouse(data_dir):
    """A warehouse holding only the tables the export reads, filled by hand."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute(SCHEMA)
        for table, rows in (
            ("finance.affiliate_statements", STATEMENTS),
            ("finance.commission_ledger", LEDGER),
            ("finance.revshare_periods", REVSHARE),
            ("staging.stg_affiliate__affiliates", NAMES),
        ):
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into {table} values ({marks})", rows)
    return data_dir


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def html_of(export: PayoutExport, affiliate: str) -> str:
    return (export.directory / "statements" / f"{affiliate}.html").read_text(encoding="utf-8")


def test_export_writes_every_file(warehouse):
    export = export_month(SEPTEMBER, warehouse)
    month_dir = warehouse / "exports" / "payouts" / "2026-09"
    assert export.directory == month_dir
    assert export.affiliates == 2
    expected = {
        month_dir / name
        for name in (
            "statements.csv",
            "statements.parquet",
            "ledger.csv",
            "ledger.parquet",
            "statements/aff_a.html",
            "statements/aff_b.html",
        )
    }
    assert set(export.files) == expected
    assert all(path.is_file() for path in expected)
    on_disk = {path for path in month_dir.rglob("*") if path.is_file()}
    assert on_disk == expected
    assert [p.name for p in month_dir.parent.iterdir()] == ["2026-09"]  # no temp dir left


def test_csv_keeps_exact_decimals(warehouse):
    export = export_month(SEPTEMBER, warehouse)
    statements = read_csv(export.directory / "statements.csv")
    assert [row["affiliate_id"] for row in statements] == ["aff_a", "aff_b"]
    a, b = statements
    assert list(a) == [
        "affiliate_id", "period_month", "affiliate_ngr", "revshare_rate", "revshare_amount",
        "cpa_count", "cpa_amount", "sub_affiliate_amount", "clawback_amount",
        "adjustment_amount", "carried_in", "carried_negative_ngr", "total", "status",
        "payout_currency", "total_in_payout_currency", "closed_at", "affiliate_status",
        "min_payout",
    ]  # fmt: skip
    assert a["period_month"] == "2026-09-01"
    assert a["affiliate_ngr"] == "934.5678"
    assert a["revshare_rate"] == "0.300000"
    assert a["clawback_amount"] == "-92.59"
    assert a["total"] == "397.20"
    assert a["total_in_payout_currency"] == "431.74"
    assert a["closed_at"] == ""
    assert b["revshare_rate"] == "0.237500"
    assert b["total"] == "22.50"
    assert b["status"] == "under_limit"
    assert b["closed_at"] == "2026-10-05 09:30:00"

    ledger = read_csv(export.directory / "ledger.csv")
    assert [row["entry_id"] for row in ledger] == ENTRY_IDS["aff_a"] + ENTRY_IDS["aff_b"]
    amounts = {row["entry_id"]: row["amount"] for row in ledger}
    assert amounts == {
        "e_adj_a": "12.34",
        "e_cb_p2": "-92.59",
        "e_cpa_p1": "92.59",
        "e_cpa_p2": "92.59",
        "e_rs_a": "250.37",
        "e_sub_a_b": "1.90",
        "e_rs_b": "19.00",
    }
    clawback = next(row for row in ledger if row["entry_id"] == "e_cb_p2")
    assert clawback["reverses_entry_id"] == "e_cpa_p2"
    assert clawback["reason"] == SCRIPT_REASON  # data files keep the text as it is


def test_parquet_keeps_decimal_types(warehouse):
    export = export_month(SEPTEMBER, warehouse)
    statements = pq.read_table(export.directory / "statements.parquet")
    assert statements.schema.field("total").type == pa.decimal128(18, 2)
    assert statements.schema.field("affiliate_ngr").type == pa.decimal128(18, 4)
    assert statements.schema.field("revshare_rate").type == pa.decimal128(18, 6)
    assert statements.column("affiliate_id").to_pylist() == ["aff_a", "aff_b"]
    assert statements.column("total").to_pylist() == [D("397.20"), D("22.50")]
    assert statements.column("affiliate_ngr").to_pylist() == [D("934.5678"), D("80.0000")]

    ledger = pq.read_table(export.directory / "ledger.parquet")
    assert ledger.schema.field("amount").type == pa.decimal128(18, 2)
    assert ledger.column("entry_id").to_pylist() == ENTRY_IDS["aff_a"] + ENTRY_IDS["aff_b"]
    assert sum(ledger.column("amount").to_pylist()) == D("376.20")  # 357.20 + 19.00


def test_html_lists_every_entry_and_the_totals(warehouse):
    export = export_month(SEPTEMBER, warehouse)
    a = html_of(export, "aff_a")
    for entry_id in ENTRY_IDS["aff_a"]:
        assert entry_id in a
    for reason in (
        "Revenue share: tier 2 at 30% of base 834.57",
        "CPA USD 100.00 at 1.08 on 2026-09-03",
        "CPA USD 100.00 at 1.08 on 2026-09-04",
        "Sub-affiliate 10% of aff_b&#39;s 19.00",
        "August revenue share recomputed after late rounds",
    ):
        assert reason in a
    assert "e_rs_b" not in a  # aff_b's entry is on aff_b's statement only
    assert "Acme &amp; Sons &lt;Media&gt;" in a
    assert "PROVISIONAL" in a and "FINAL" not in a
    for figure in ("397.20", "431.74", "USD", "40.00", "185.18", "-92.59", "12.34", "1.90"):
        assert figure in a
    assert "payable" in a
    # the per-deal calculation, NGR figures rounded to 2 places
    for figure in ("1234.57", "300.00", "934.57", "-100.00", "834.57", "250.37", "30%"):
        assert figure in a
    assert "934.5678" not in a

    b = html_of(export, "aff_b")
    assert "e_rs_b" in b and "Revenue share: ladder on 80.00" in b
    assert "Beta Traffic" in b and "suspended" in b
    assert "FINAL" in b and "2026-10-05 09:30:00" in b
    assert "22.50" in b and "under_limit" in b and "100.00" in b
    assert "23.75%" in b and "ladder" in b


def test_html_escapes_text(warehouse):
    a = html_of(export_month(SEPTEMBER, warehouse), "aff_a")
    assert ESCAPED_SCRIPT in a
    assert "<script" not in a


def test_html_is_self_contained(warehouse):
    export = export_month(SEPTEMBER, warehouse)
    for affiliate in ("aff_a", "aff_b"):
        page = html_of(export, affiliate)
        assert "http://" not in page and "https://" not in page
        assert "<link" not in page and "src=" not in page and "@import" not in page


def test_rebuild_replaces_the_month(warehouse):
    export_month(SEPTEMBER, warehouse)
    month_dir = warehouse / "exports" / "payouts" / "2026-09"
    (month_dir / "statements" / "stray.html").write_text("left over")
    execute(warehouse, "delete from finance.affiliate_statements where affiliate_id = 'aff_b'")
    execute(warehouse, "delete from finance.commission_ledger where affiliate_id = 'aff_b'")
    execute(
        warehouse,
        "update finance.commission_ledger set amount = 20.00, reason = 'Recomputed again'"
        " where entry_id = 'e_adj_a'",
    )
    # 397.20 − 12.34 + 20.00 = 404.86
    execute(
        warehouse,
        "update finance.affiliate_statements set adjustment_amount = 20.00, total = 404.86"
        " where affiliate_id = 'aff_a' and period_month = '2026-09-01'",
    )

    export = export_month(SEPTEMBER, warehouse)
    assert export.affiliates == 1
    assert sorted(p.name for p in (month_dir / "statements").iterdir()) == ["aff_a.html"]
    assert [row["total"] for row in read_csv(month_dir / "statements.csv")] == ["404.86"]
    a = html_of(export, "aff_a")
    assert "404.86" in a and "Recomputed again" in a
    assert "August revenue share recomputed" not in a
    assert [p.name for p in month_dir.parent.iterdir()] == ["2026-09"]


def test_failed_rebuild_keeps_the_previous_export(warehouse):
    first = export_month(SEPTEMBER, warehouse)
    before = {path: path.read_bytes() for path in first.files}
    execute(warehouse, "update finance.affiliate_statements set total = 1.00")
    with pytest.raises(PayoutError, match="aff_a.*does not add up"):
        export_month(SEPTEMBER, warehouse)
    assert {path: path.read_bytes() for path in first.files} == before
    assert [p.name for p in first.directory.parent.iterdir()] == ["2026-09"]


def test_names_are_optional(warehouse):
    execute(warehouse, "drop table staging.stg_affiliate__affiliates")
    a = html_of(export_month(SEPTEMBER, warehouse), "aff_a")
    assert "aff_a" in a and "Acme" not in a


def test_month_without_statements_is_refused(warehouse):
    with pytest.raises(PayoutError) as raised:
        export_month(date(2026, 7, 1), warehouse)
    message = str(raised.value)
    assert "2026-07" in message and "\n" not in message
    assert not (warehouse / "exports" / "payouts" / "2026-07").exists()


def test_missing_warehouse_is_refused(data_dir):
    with pytest.raises(PayoutError, match="no warehouse"):
        export_month(SEPTEMBER, data_dir)


def test_month_is_its_first_day(warehouse):
    with pytest.raises(PayoutError, match="first day"):
        export_month(date(2026, 9, 15), warehouse)


def test_missing_finance_table_is_refused(warehouse):
    execute(warehouse, "drop table finance.revshare_periods")
    with pytest.raises(PayoutError, match="revshare_periods") as raised:
        export_month(SEPTEMBER, warehouse)
    assert "\n" not in str(raised.value)
    assert not (warehouse / "exports" / "payouts" / "2026-09").exists()
    assert list((warehouse / "exports" / "payouts").iterdir()) == []  # temp dir removed
