"""The vendors' delivery files: layout, value encoding, merging, and an exact round trip."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.connectors import read_delivery
from ingestion.contract import entity, load_contract
from ingestion.generator import OperatorData, generate_operator
from ingestion.vendors import list_delivery_days, write_vendor_outbox

DAY = date(2026, 8, 3)


@pytest.fixture(scope="module")
def operator() -> OperatorData:
    return generate_operator(seed=5, players=200)


@pytest.fixture(scope="module")
def outbox(operator: OperatorData, tmp_path_factory) -> Path:
    vendor_dir = tmp_path_factory.mktemp("vendors")
    write_vendor_outbox(operator, vendor_dir)
    return vendor_dir


def hashable(value):
    if isinstance(value, list):
        return tuple(hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, hashable(item)) for key, item in value.items()))
    return value


def multiset(table: pa.Table) -> Counter:
    return Counter(tuple(hashable(v) for v in row.values()) for row in table.to_pylist())


def read_all(vendor_dir: Path, key: str) -> tuple[pa.Table, list[str]]:
    source = entity(key)
    tables, sources = [], []
    for day in list_delivery_days(vendor_dir, source):
        for table, where in read_delivery(vendor_dir, source, day):
            tables.append(table)
            sources.append(where)
    # A vendor may break the contract (a null in a required column): compare as delivered.
    relaxed = pa.schema([field.with_nullable(True) for field in source.schema])
    whole = pa.concat_tables([table.cast(relaxed) for table in tables])
    breaches = any(whole.column(f.name).null_count and not f.nullable for f in source.schema)
    return (whole if breaches else whole.cast(source.schema)), sources


def every_file(vendor_dir: Path) -> dict[str, bytes]:
    return {
        path.relative_to(vendor_dir).as_posix(): path.read_bytes()
        for path in sorted(vendor_dir.rglob("*"))
        if path.is_file()
    }


def fx_row(day: date, currency: str, rate: str) -> dict:
    return {"rate_date": day, "currency": currency, "rate_to_base": Decimal(rate)}


def fx_table(records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=entity("payments.fx_rates").schema)


# --- round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(load_contract()))
def test_round_trip_gives_back_exactly_the_same_rows(
    operator: OperatorData, outbox: Path, key: str
) -> None:
    back, _ = read_all(outbox, key)
    assert back.schema.remove_metadata().equals(
        pa.schema([f.with_nullable(back.schema.field(f.name).nullable) for f in entity(key).schema])
    )
    assert multiset(back) == multiset(operator.tables[key])


def test_each_delivery_day_holds_the_rows_of_that_utc_day(
    operator: OperatorData, outbox: Path
) -> None:
    source = entity("payments.transactions")
    updated = operator.tables["payments.transactions"].column("updated_at").to_pylist()
    assert list_delivery_days(outbox, source) == sorted({moment.date() for moment in updated})
    for day in list_delivery_days(outbox, source)[:5]:
        ((table, where),) = read_delivery(outbox, source, day)
        assert where == f"payments/api/transactions/{day.isoformat()}.json"
        assert {moment.date() for moment in table.column("updated_at").to_pylist()} == {day}


def test_layout_and_source_paths(outbox: Path) -> None:
    keys = ("crm.players", "affiliate.clicks", "games.rounds", "payments.fx_rates")
    day = min(set.intersection(*(set(list_delivery_days(outbox, entity(k))) for k in keys)))
    expected = {
        "crm.players": [f"crm/api/players/{day}.json"],
        "affiliate.clicks": [f"affiliate/exports/clicks/clicks_{day}.ndjson.gz"],
        "games.rounds": [f"games/exports/rounds/rounds_{day}.parquet"],
        "payments.fx_rates": [f"payments/drop/fx_rates/fx_{day}.csv"],
    }
    for key, paths in expected.items():
        assert [where for _, where in read_delivery(outbox, entity(key), day)] == paths
    settlements = [where for _, where in read_delivery(outbox, entity("payments.settlements"), day)]
    assert settlements
    for where in settlements:
        assert re.fullmatch(rf"payments/drop/settlements/\w+_like_{day}\.csv", where)
    assert read_delivery(outbox, entity("crm.players"), date(2031, 1, 1)) == []


def test_value_encoding_in_the_vendor_files(outbox: Path) -> None:
    day = date(2026, 8, 1)
    deals = json.loads((outbox / f"affiliate/api/deals/{day}.json").read_text())["data"]
    assert deals and set(deals[0]) == set(entity("affiliate.deals").schema.names)
    money = re.compile(r"-?\d+\.\d{4}")
    instant = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
    for deal in deals:
        assert money.fullmatch(deal["min_payout"])
        assert instant.fullmatch(deal["updated_at"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", deal["valid_from"])
        assert isinstance(deal["cpa_requires_kyc"], bool)
        if deal["revshare_tiers"] is not None:
            for tier in deal["revshare_tiers"]:
                assert money.fullmatch(tier["threshold"]) and money.fullmatch(tier["rate"])
        else:
            assert deal["plan_type"] == "cpa"

    lines = gzip.decompress(
        (outbox / f"affiliate/exports/clicks/clicks_{day}.ndjson.gz").read_bytes()
    ).splitlines()
    assert lines and all(instant.fullmatch(json.loads(line)["clicked_at"]) for line in lines)

    header, *rows = (outbox / f"payments/drop/fx_rates/fx_{day}.csv").read_text().splitlines()
    assert header == "rate_date,currency,rate_to_base"
    assert rows and all(re.fullmatch(rf"{day},[A-Z]{{3}},\d+\.\d{{4}}", row) for row in rows)

    rounds = pq.read_table(outbox / f"games/exports/rounds/rounds_{day}.parquet")
    assert rounds.schema.equals(entity("games.rounds").schema)


def test_writing_is_deterministic(operator: OperatorData, outbox: Path, tmp_path: Path) -> None:
    write_vendor_outbox(operator, tmp_path)
    assert every_file(tmp_path) == every_file(outbox)


# --- merging -------------------------------------------------------------------------------


def test_a_second_write_for_the_same_day_merges_into_its_file(tmp_path: Path) -> None:
    source = entity("payments.fx_rates")
    write_vendor_outbox({"payments.fx_rates": fx_table([fx_row(DAY, "USD", "0.9213")])}, tmp_path)
    extra = [fx_row(DAY, "CHF", "1.0412"), fx_row(date(2026, 8, 4), "USD", "0.9200")]
    write_vendor_outbox({"payments.fx_rates": fx_table(extra)}, tmp_path)

    delivered = read_delivery(tmp_path, source, DAY)
    assert len(delivered) == 1
    table, where = delivered[0]
    assert where == f"payments/drop/fx_rates/fx_{DAY}.csv"
    assert sorted(table.to_pylist(), key=lambda r: r["currency"]) == [
        fx_row(DAY, "CHF", "1.0412"),
        fx_row(DAY, "USD", "0.9213"),
    ]
    assert list_delivery_days(tmp_path, source) == [DAY, date(2026, 8, 4)]


def test_writing_in_two_parts_equals_writing_at_once(operator: OperatorData, tmp_path) -> None:
    key = "payments.transactions"
    table = operator.tables[key]
    halves = (table.slice(0, table.num_rows // 2), table.slice(table.num_rows // 2))
    for half in halves:
        write_vendor_outbox({key: half}, tmp_path / "in_parts")
    write_vendor_outbox({key: table}, tmp_path / "at_once")
    assert every_file(tmp_path / "in_parts") == every_file(tmp_path / "at_once")


def test_settlements_merge_per_psp_file(tmp_path: Path) -> None:
    source = entity("payments.settlements")
    base = {
        "settlement_date": DAY,
        "deposit_count": 1,
        "deposit_amount": Decimal("10"),
        "withdrawal_count": 0,
        "withdrawal_amount": Decimal("0"),
        "chargeback_count": 0,
        "chargeback_amount": Decimal("0"),
        "fee_amount": Decimal("0.25"),
    }
    first = [base | {"psp": "stripe_like", "currency": "EUR"}]
    second = [
        base | {"psp": "stripe_like", "currency": "USD"},
        base | {"psp": "adyen_like", "currency": "EUR"},
    ]
    for records in (first, second):
        table = pa.Table.from_pylist(records, schema=source.schema)
        write_vendor_outbox({"payments.settlements": table}, tmp_path)
    delivered = {where: table for table, where in read_delivery(tmp_path, source, DAY)}
    assert set(delivered) == {
        f"payments/drop/settlements/adyen_like_{DAY}.csv",
        f"payments/drop/settlements/stripe_like_{DAY}.csv",
    }
    stripe = delivered[f"payments/drop/settlements/stripe_like_{DAY}.csv"]
    assert sorted(stripe.column("currency").to_pylist()) == ["EUR", "USD"]


# --- exactness and edge values ---------------------------------------------------------------


def test_decimals_survive_exactly(tmp_path: Path) -> None:
    rates = ["0.1", "0.2", "99999999999999.9999", "-0.0001", "0.0000"]
    records = [fx_row(DAY, f"X{i:02d}", rate) for i, rate in enumerate(rates)]
    write_vendor_outbox({"payments.fx_rates": fx_table(records)}, tmp_path)
    ((table, _),) = read_delivery(tmp_path, entity("payments.fx_rates"), DAY)
    values = dict(
        zip(
            table.column("currency").to_pylist(),
            table.column("rate_to_base").to_pylist(),
            strict=True,
        )
    )
    assert values["X00"] + values["X01"] == Decimal("0.3")
    assert values["X02"] == Decimal("99999999999999.9999")
    assert values["X03"] == Decimal("-0.0001")
    assert table.column("rate_to_base").type == pa.decimal128(18, 4)


def test_empty_text_and_commas_survive_csv(tmp_path: Path) -> None:
    records = [fx_row(DAY, "", "1.0000"), fx_row(DAY, 'A,"B"', "2.0000")]
    write_vendor_outbox({"payments.fx_rates": fx_table(records)}, tmp_path)
    ((table, _),) = read_delivery(tmp_path, entity("payments.fx_rates"), DAY)
    assert sorted(table.column("currency").to_pylist()) == ["", 'A,"B"']


def test_awkward_text_survives_json(tmp_path: Path) -> None:
    source = entity("affiliate.affiliates")
    moment = datetime(2026, 8, 3, 23, 59, 59, 999999, tzinfo=UTC)
    name = 'Quote " back\\slash \n newline \t tab \x01 bell, comma; ünïcødé €'
    record = {
        "affiliate_id": "aff_9999",
        "name": name,
        "email": "odd@example.net",
        "country": "MT",
        "parent_affiliate_id": None,
        "status": "active",
        "payout_currency": "EUR",
        "created_at": moment,
        "updated_at": moment,
    }
    write_vendor_outbox(
        {source.key: pa.Table.from_pylist([record], schema=source.schema)}, tmp_path
    )
    ((table, _),) = read_delivery(tmp_path, source, DAY)
    assert table.to_pylist() == [record]


def test_an_api_record_may_leave_out_a_nullable_field(tmp_path: Path) -> None:
    source = entity("affiliate.affiliates")
    path = tmp_path / f"affiliate/api/affiliates/{DAY}.json"
    path.parent.mkdir(parents=True)
    record = {
        "affiliate_id": "aff_0001",
        "name": "A",
        "email": "a@example.net",
        "country": "MT",
        "status": "active",
        "payout_currency": "EUR",
        "created_at": "2026-08-03T10:00:00Z",
        "updated_at": "2026-08-03T10:00:00.5Z",
    }
    path.write_text(json.dumps({"data": [record]}))
    ((table, _),) = read_delivery(tmp_path, source, DAY)
    assert table.column("parent_affiliate_id").to_pylist() == [None]
    assert table.column("updated_at")[0].as_py() == datetime(
        2026, 8, 3, 10, 0, 0, 500000, tzinfo=UTC
    )


# --- malformed files -----------------------------------------------------------------------


MALFORMED = {
    "affiliate.affiliates": (f"affiliate/api/affiliates/{DAY}.json", b'{"data": [{"affil'),
    "crm.bonuses": (f"crm/api/bonuses/{DAY}.json", b'{"items": []}'),
    "payments.fx_rates": (
        f"payments/drop/fx_rates/fx_{DAY}.csv",
        f"rate_date,currency,rate_to_base\n{DAY},USD,not-a-number\n".encode(),
    ),
    "payments.settlements": (
        f"payments/drop/settlements/stripe_like_{DAY}.csv",
        f"settlement_date,psp,currency\n{DAY},stripe_like,EUR\n".encode(),
    ),
    "affiliate.clicks": (
        f"affiliate/exports/clicks/clicks_{DAY}.ndjson.gz",
        gzip.compress(b'{"click_id": "c1", "clicked_at": "2026-08-03 10:00:00"}\n', mtime=0),
    ),
    "games.rounds": (f"games/exports/rounds/rounds_{DAY}.parquet", b"PAR1 not really"),
}


@pytest.mark.parametrize("key", sorted(MALFORMED))
def test_a_malformed_file_raises_a_one_line_error_naming_it(tmp_path: Path, key: str) -> None:
    relative, payload = MALFORMED[key]
    path = tmp_path / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    with pytest.raises(ValueError) as caught:
        read_delivery(tmp_path, entity(key), DAY)
    message = str(caught.value)
    assert relative in message
    assert "\n" not in message


def test_a_money_value_with_too_many_digits_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / f"payments/drop/fx_rates/fx_{DAY}.csv"
    path.parent.mkdir(parents=True)
    path.write_text(f"rate_date,currency,rate_to_base\n{DAY},USD,0.92131\n")
    with pytest.raises(ValueError, match="fx_2026-08-03.csv"):
        read_delivery(tmp_path, entity("payments.fx_rates"), DAY)
