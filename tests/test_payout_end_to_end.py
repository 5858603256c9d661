"""A generated operator plus hand-made players, from vendor files to payout statements.

The expected figures are worked out here from business-rules.md, never read back from the
code. The hand-made records are in handmade_operator.py: aff_hand earns revenue share 25%
on affiliate NGR = players' NGR − 20% admin fee on their positive GGR; min payout 50; it is
paid in CAD.

August (rates: CAD 0.6500 on 08-20, none on 08-23 so the 08-20 one converts it):
  hand_p1 (EUR, click_id): rounds 08-05 stake 100 + 50 = 150, wins 30 + 80 = 110 (hand_r1
    delivered twice counts once; hand_r3 re-sent cancelled does not count), GGR 40;
    jackpot 0.45 + 0.25 = 0.70; bonus converted 10; fees: deposit 4 (pending, then
    approved: counted once) + withdrawal 1 = 5. NGR = 40 − 10 − 5 − 0.70 = 24.30.
  hand_p2 (CAD, device): 08-20 stake 400 win 100 at 0.65 → GGR 195, jackpot 2 → 1.30,
    deposit fee 10 → 6.50; 08-23 stake 100 win 300 at 0.65 → GGR −130.
    GGR 65, NGR = 65 − 6.50 − 1.30 = 57.20.
  hand_p3 is organic (its click is 36 days old): nothing for aff_hand.
  players' NGR 81.50, GGR 105 → admin fee 21 → affiliate NGR 60.50;
  25% → 15.125, booked half-even 15.12 (half-up would give 15.13);
  under 50 → under_limit, carried. In CAD at the 08-28 rate (0.68, 3 days before 08-31):
  15.12 ÷ 0.68 = 22.235… → 22.24.
September: hand_p1 09-02 stake 300 win 100 jackpot 1 → NGR 199; 09-11 (stake 1000) lies in
  its fraud flag (09-10 until the day before 09-12) and is left out; 09-12 stake 10 → 10.
  hand_p2's 09-20 round has no rate within 7 days (last 09-01): held back, not zero.
  players' NGR 209, GGR 210 → admin fee 42 → affiliate NGR 167; 25% → 41.75.
  hand_p1's fraud flag on 09-10 also reverses revenue share (rules §9, clawback_days 90):
  August ended 10 days before the flag, so August's applied rate 0.25 × hand_p1's August
  NGR 24.30 = 6.075 → a clawback of −6.08 (half-even) in September, naming August's entry.
  Total 15.12 carried + 41.75 − 6.08 = 50.79 ≥ 50 → payable; ÷ 0.66 (09-30) = 76.954… → 76.95.
October: hand_p2's chargeback of 500 CAD at 0.70 → 350 and fee 15 → 10.50: NGR −360.50,
  GGR 0 so no admin fee: affiliate NGR −360.50, no revenue share; nothing carried in after a
  payable month, total 0.00 → under_limit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest
from handmade_operator import handmade_tables

from igw.dbt_runner import build_args, run_dbt
from igw.demo import delivery_range
from igw.payout import PayoutError, build_payout
from ingestion.generator import generate_operator
from ingestion.ingest import ingest
from ingestion.landing import SCHEMA_FILE, SCHEMA_PARTITION
from ingestion.sources import load_settings
from ingestion.vendors.outbox import write_vendor_outbox
from ingestion.vendors.serve import live_vendors, sources_path

D = Decimal
TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    import os

    data_dir = tmp_path_factory.mktemp("operator")
    previous = os.environ.get("IGW_DATA_DIR")
    os.environ["IGW_DATA_DIR"] = str(data_dir)
    vendors = data_dir / "vendors"
    operator = generate_operator(seed=11, players=150, start=date(2026, 8, 1), months=3)
    write_vendor_outbox(operator, vendors)
    write_vendor_outbox(handmade_tables(), vendors)
    first, last = delivery_range(vendors)
    # Weekly catch-up runs against the live simulated vendors (the clock stays at "all
    # published"): the hand-made figures do not depend on the day a record landed.
    with live_vendors(vendors, data_dir):
        landed = ingest(load_settings(sources_path(data_dir)), data_dir, first, last, every_days=7)
    run_dbt(build_args(exclude="tag:monthly"), data_dir)
    summary = build_payout(date(2026, 10, 1), data_dir, today=TODAY)
    yield {"data_dir": data_dir, "landed": landed, "summary": summary, "operator": operator}
    if previous is None:
        os.environ.pop("IGW_DATA_DIR", None)
    else:
        os.environ["IGW_DATA_DIR"] = previous


def query(data_dir, sql, params=None):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_entity_landed_under_its_partition(warehouse):
    data_dir = warehouse["data_dir"]
    assert len(warehouse["landed"]) == 13
    assert all(rows > 0 for rows in warehouse["landed"].values())
    fx_dir = data_dir / "landing/payments/fx_rates"
    fx_files = [p for p in fx_dir.glob("ingest_date=*/*.parquet") if p.name != SCHEMA_FILE]
    assert fx_files and all(p.parent.name.startswith("ingest_date=2026-") for p in fx_files)
    # the schema-only file that lets the warehouse build before a first delivery has no rows
    assert pq.read_metadata(fx_dir / SCHEMA_PARTITION / SCHEMA_FILE).num_rows == 0
    assert not list((data_dir / "landing").rglob(".tmp-*"))


def test_statements_of_the_handmade_affiliate(warehouse):
    rows = query(
        warehouse["data_dir"],
        """
        select period_month, affiliate_ngr, revshare_rate, revshare_amount, carried_in, total,
               status, payout_currency, total_in_payout_currency, cpa_count, closed_at
        from finance.affiliate_statements where affiliate_id = 'aff_hand' order by 1
        """,
    )
    assert rows == [
        (date(2026, 8, 1), D("60.5000"), D("0.250000"), D("15.12"), D("0.00"), D("15.12"),
         "under_limit", "CAD", D("22.24"), 0, None),
        (date(2026, 9, 1), D("167.0000"), D("0.250000"), D("41.75"), D("15.12"), D("50.79"),
         "payable", "CAD", D("76.95"), 0, None),
        (date(2026, 10, 1), D("-360.5000"), None, D("0.00"), D("0.00"), D("0.00"),
         "under_limit", "CAD", D("0.00"), 0, None),
    ]  # fmt: skip


def test_the_fraud_flag_claws_back_augusts_revenue_share(warehouse):
    rows = query(
        warehouse["data_dir"],
        """
        select c.period_month, c.amount, c.player_id, r.period_month, r.entry_type, r.amount
        from finance.commission_ledger c
        join finance.commission_ledger r on c.reverses_entry_id = r.entry_id
        where c.affiliate_id = 'aff_hand' and c.entry_type = 'clawback'
        """,
    )
    assert rows == [
        (date(2026, 9, 1), D("-6.08"), "hand_p1", date(2026, 8, 1), "revshare", D("15.12"))
    ]


def test_an_affiliate_without_players_gets_zero_statements(warehouse):
    rows = query(
        warehouse["data_dir"],
        "select total, status from finance.affiliate_statements where affiliate_id = 'aff_hand2'",
    )
    assert rows == [(D("0.00"), "under_limit")] * 3


def test_statement_totals_add_up_for_the_whole_operator(warehouse):
    # total = carried in + every entry of the month, the statement's columns split the
    # entries by type, and a payable month carries nothing into the next.
    broken = query(
        warehouse["data_dir"],
        """
        with entries as (
            select affiliate_id, period_month, sum(amount) as amount
            from finance.commission_ledger group by all
        )
        select s.affiliate_id, s.period_month
        from finance.affiliate_statements s
        left join finance.affiliate_statements p
          on p.affiliate_id = s.affiliate_id and p.period_month = s.period_month - interval 1 month
        left join entries e
          on e.affiliate_id = s.affiliate_id and e.period_month = s.period_month
        where s.total != s.carried_in + coalesce(e.amount, 0)
           or s.total != s.carried_in + s.revshare_amount + s.cpa_amount + s.sub_affiliate_amount
                         + s.clawback_amount + s.adjustment_amount
           or s.carried_in
              != case when p.status is null or p.status = 'payable' then 0 else p.total end
        """,
    )
    assert broken == []
    summary = warehouse["summary"]
    assert summary.month == date(2026, 10, 1) and summary.affiliates >= 2


def test_attribution_of_the_handmade_players(warehouse):
    rows = query(
        warehouse["data_dir"],
        """
        select player_id, affiliate_id, campaign_id, click_id, attribution_method,
               person_id, is_duplicate_account
        from marts.player_attribution where player_id like 'hand_%' order by 1
        """,
    )
    assert rows == [
        ("hand_p1", "aff_hand", "cmp_aff_hand", "hand_c1", "click_id", "hand_p1", False),
        ("hand_p2", "aff_hand", "cmp_aff_hand", "hand_c2", "device", "hand_p2", False),
        ("hand_p3", None, None, None, "organic", "hand_p3", False),
    ]


def test_daily_revenue_of_the_handmade_players(warehouse):
    rows = query(
        warehouse["data_dir"],
        """
        select player_id, activity_date, stakes_real, wins_real, ggr, bonus_cost, chargebacks,
               payment_fees, jackpot, gaming_tax, ngr, deposits, deposit_count, withdrawals
        from marts.player_daily_revenue
        where player_id in ('hand_p1', 'hand_p2')
          and activity_date in ('2026-08-03', '2026-08-05', '2026-08-20', '2026-10-05')
        order by 1, 2
        """,
    )
    z = D(0)
    assert rows == [
        ("hand_p1", date(2026, 8, 3), z, z, z, z, z, D(4), z, z, D(-4), D(200), 1, z),
        ("hand_p1", date(2026, 8, 5), D(150), D(110), D(40), z, z, z, D("0.70"), z,
         D("39.30"), z, 0, z),
        ("hand_p1", date(2026, 8, 20), z, z, z, z, z, D(1), z, z, D(-1), z, 0, D(100)),
        ("hand_p2", date(2026, 8, 20), D(260), D(65), D(195), z, z, D("6.50"), D("1.30"), z,
         D("187.20"), D(325), 1, z),
        ("hand_p2", date(2026, 10, 5), z, z, z, z, D(350), D("10.50"), z, z, D("-360.50"), z,
         0, z),
    ]  # fmt: skip
    # the unconvertible round is held back from every figure, not counted as zero
    assert query(
        warehouse["data_dir"],
        "select count(*) from marts.player_daily_revenue "
        "where player_id = 'hand_p2' and activity_date = '2026-09-20'",
    ) == [(0,)]
    assert query(
        warehouse["data_dir"],
        "select record_id from intermediate.int_revenue__unconvertible_amounts "
        "where player_id like 'hand_%'",
    ) == [("hand_r10",)]


def test_public_tables_have_the_promised_columns(warehouse):
    promised = {
        ("marts", "player_attribution"): "player_id, brand_id, person_id, registered_at, "
        "affiliate_id, campaign_id, click_id, attribution_method, is_duplicate_account",
        ("marts", "player_daily_revenue"): "player_id, activity_date, affiliate_id, "
        "stakes_real, wins_real, ggr, bonus_cost, chargebacks, payment_fees, jackpot, "
        "gaming_tax, ngr, deposits, deposit_count, withdrawals",
        ("finance", "affiliate_statements"): "affiliate_id, period_month, affiliate_ngr, "
        "revshare_rate, revshare_amount, cpa_count, cpa_amount, sub_affiliate_amount, "
        "clawback_amount, adjustment_amount, carried_in, carried_negative_ngr, total, status, "
        "payout_currency, total_in_payout_currency, closed_at",
        ("finance", "commission_ledger"): "entry_id, affiliate_id, period_month, entry_type, "
        "amount, player_id, deal_id, reverses_entry_id, reason, booked_at",
    }
    for (schema, table), columns in promised.items():
        actual = query(
            warehouse["data_dir"],
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
        # The promised columns come first, in order; more may follow (outputs.md is a floor).
        promised_columns = columns.split(", ")
        assert [c for (c,) in actual][: len(promised_columns)] == promised_columns


def test_rebuilding_a_month_gives_the_same_statements_and_entries(warehouse):
    data_dir = warehouse["data_dir"]
    statements = "select * from finance.affiliate_statements order by affiliate_id, period_month"
    # booked_at included: an entry rebuilt unchanged keeps it
    entries = "select * from finance.commission_ledger order by entry_id"
    before = query(data_dir, statements), query(data_dir, entries)
    assert len(before[1]) == len({row[0] for row in before[1]})
    build_payout(date(2026, 10, 1), data_dir, today=TODAY)
    assert (query(data_dir, statements), query(data_dir, entries)) == before


def test_rebuilding_an_earlier_open_month_discards_the_later_provisional_ones(warehouse):
    data_dir = warehouse["data_dir"]
    sql = "select * from finance.affiliate_statements order by affiliate_id, period_month"
    before = query(data_dir, sql)
    summary = build_payout(date(2026, 9, 1), data_dir, today=TODAY)
    assert summary.discarded_months == (date(2026, 10, 1),)
    assert query(data_dir, "select max(period_month) from finance.affiliate_statements") == [
        (date(2026, 9, 1),)
    ]
    build_payout(date(2026, 10, 1), data_dir, today=TODAY)
    assert query(data_dir, sql) == before


def test_payout_refuses_a_month_that_has_not_ended(warehouse):
    with pytest.raises(PayoutError, match="2026-11 has not ended"):
        build_payout(date(2026, 11, 1), warehouse["data_dir"], today=TODAY)


def test_the_build_exports_the_month_for_finance(warehouse):
    import csv

    directory = warehouse["data_dir"] / "exports" / "payouts" / "2026-09"
    with open(directory / "statements.csv", newline="") as handle:
        rows = {row["affiliate_id"]: row for row in csv.DictReader(handle)}
    assert (rows["aff_hand"]["total"], rows["aff_hand"]["status"]) == ("50.79", "payable")
    assert (
        pq.read_table(directory / "ledger.parquet").num_rows
        == query(
            warehouse["data_dir"],
            "select count(*) from finance.commission_ledger where period_month = '2026-09-01'",
        )[0][0]
    )
    html = (directory / "statements" / "aff_hand.html").read_text()
    # every line item with its reason: the clawback names the flag and the month reversed
    assert "-6.08" in html and "fraud-flagged on 2026-09-10" in html and "50.79" in html


def test_every_entry_has_its_landed_records(warehouse):
    missing = query(
        warehouse["data_dir"],
        """
        select l.entry_type, count(*)
        from finance.commission_ledger l
        where not exists (
            select 1 from compliance.commission_lineage c
            where c.entry_id = l.entry_id
              and c.source_system != 'warehouse' and c.source_entity != 'deals'
        )
        group by 1
        """,
    )
    assert missing == []
    # the September revenue share of aff_hand rests on hand_p1's and hand_p2's records
    records = query(
        warehouse["data_dir"],
        """
        select c.source_entity, c.record_id
        from compliance.commission_lineage c
        join finance.commission_ledger l using (entry_id)
        where l.affiliate_id = 'aff_hand' and l.entry_type = 'revshare'
          and l.period_month = '2026-09-01' and c.source_entity = 'rounds'
        order by 2
        """,
    )
    # hand_r8 lies in the fraud period; hand_r10 is unconvertible: neither is in the base
    assert records == [("rounds", "hand_r7"), ("rounds", "hand_r9")]
