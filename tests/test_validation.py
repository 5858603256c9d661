"""Validation at landing: types, the contract's GE suites, rejected rows, threshold, quarantine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import validation
from ingestion.contract import load_contract
from ingestion.validation import (
    SUITES_DIR,
    BatchRejected,
    ValidationOutcome,
    check_rejection_threshold,
    quarantine_counts,
    stale_suites,
    suite_json,
    validate_batch,
    write_quarantine,
    write_suites,
)

CONTRACT = load_contract()
ROUNDS = CONTRACT["games.rounds"]

# One settled round as a CSV or JSON export delivers it: every value is text.
ROUND = {
    "round_id": "r1",
    "player_id": "p1",
    "game_id": "g1",
    "started_at": "2024-03-01T10:00:00Z",
    "settled_at": "2024-03-01T10:00:05.123456Z",
    "currency": "EUR",
    "stake_real": "12.3450",
    "stake_bonus": "0",
    "win_real": "0.0000",
    "win_bonus": "0.0000",
    "jackpot_contribution": "0.0100",
    "status": "settled",
    "updated_at": "2024-03-01T10:00:05Z",
}


def text_table(entity, records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        records, schema=pa.schema([(name, pa.string()) for name in entity.schema.names])
    )


def rounds(*changes: dict) -> pa.Table:
    """One round per entry in `changes`, each the valid round with those values changed."""
    return text_table(ROUNDS, [{**ROUND, **change} for change in changes])


def reasons_by_row(outcome: ValidationOutcome) -> dict[int, str]:
    rejected = outcome.rejected.to_pydict()
    return dict(zip(rejected["_row_number"], rejected["_reason"], strict=True))


# --- suites --------------------------------------------------------------------------------


def test_suites_on_disk_are_what_the_contract_derives():
    # A contract change without `python -m ingestion.validation write-suites` fails here.
    assert stale_suites() == []
    for entity in CONTRACT.values():
        assert (SUITES_DIR / f"{entity.key}.json").read_text() == suite_json(entity)


def test_write_suites_is_deterministic_and_removes_stale_files(tmp_path):
    (tmp_path / "gone.entity.json").write_text("{}")
    write_suites(tmp_path)
    first = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    write_suites(tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.glob("*.json")} == first
    assert sorted(first) == sorted(f"{key}.json" for key in CONTRACT)
    (tmp_path / "games.rounds.json").write_text("{}")
    assert stale_suites(tmp_path) == ["games.rounds.json"]


def test_suite_checks_what_the_contract_says():
    suite = json.loads(suite_json(ROUNDS))
    checks = {e["meta"]["check"]: e for e in suite["expectations"]}
    required = [c.name for c in ROUNDS.columns if not c.nullable]
    assert {f"{name}:not_null" for name in required} <= set(checks)
    assert "settled_at:not_null" not in checks  # nullable
    assert checks["status:enum"]["kwargs"]["value_set"] == ["settled", "cancelled"]
    assert checks["currency:iso_4217"]["kwargs"]["regex"] == "^[A-Z]{3}$"
    assert checks["stake_real:range"]["kwargs"] == {"column": "stake_real", "min_value": 0}
    assert "round_id:non_blank" in checks
    # At-least-once delivery repeats records: the key is never checked for uniqueness.
    assert not any("unique" in e["type"] for e in suite["expectations"])

    fx = {
        e["meta"]["check"]: e
        for e in json.loads(suite_json(CONTRACT["payments.fx_rates"]))["expectations"]
    }
    assert fx["rate_to_base:range"]["kwargs"]["strict_min"] is True
    players = json.loads(suite_json(CONTRACT["crm.players"]))["expectations"]
    assert any(e["meta"]["check"] == "country:iso_3166" for e in players)


def test_a_number_column_without_a_range_decision_is_refused(monkeypatch):
    ranges = {k: dict(v) for k, v in validation.VALUE_RANGES.items()}
    del ranges["games.rounds"]["win_bonus"]
    monkeypatch.setattr(validation, "VALUE_RANGES", ranges)
    with pytest.raises(ValueError, match="games.rounds.win_bonus is a number without a value"):
        suite_json(ROUNDS)


# --- rows --------------------------------------------------------------------------------


def test_valid_text_rows_are_cast_exactly_to_the_contract():
    outcome = validate_batch(ROUNDS, rounds({}, {"stake_real": " 7.50 ", "status": "cancelled"}))
    assert outcome.success and outcome.rejected.num_rows == 0
    assert outcome.valid.schema == ROUNDS.schema
    first, second = outcome.valid.to_pylist()
    assert first["stake_real"] == Decimal("12.3450")
    assert str(first["stake_real"]) == "12.3450"
    assert second["stake_real"] == Decimal("7.5000")
    assert first["settled_at"] == datetime(2024, 3, 1, 10, 0, 5, 123456, tzinfo=UTC)
    assert outcome.rejected_share == 0.0


def test_every_kind_of_failure_is_rejected_with_its_reason_and_row_number():
    batch = rounds(
        {},
        {"round_id": None},
        {"status": "open"},
        {"stake_real": "-1.0000"},
        {"currency": "eur"},
        {"stake_real": "12,50"},
        {"started_at": "yesterday"},
        {"round_id": "  "},
        {"settled_at": "2024-02-30T10:00:00Z"},
        {"player_id": None, "win_real": "abc", "status": "x"},
        {},
    )
    outcome = validate_batch(ROUNDS, batch)

    assert reasons_by_row(outcome) == {
        1: "null: round_id is null",
        2: "enum: status is not one of [settled, cancelled]: 'open'",
        3: "range: stake_real must be >= 0: '-1.0000'",
        4: "format: currency is not an ISO 4217 code (3 upper-case letters): 'eur'",
        5: "type: stake_real is not decimal(18,4): '12,50'",
        6: "type: started_at is not timestamp: 'yesterday'",
        7: "blank: round_id is empty: '  '",
        8: "type: settled_at is not timestamp: '2024-02-30T10:00:00Z'",
        9: (
            "null: player_id is null; type: win_real is not decimal(18,4): 'abc'; "
            "enum: status is not one of [settled, cancelled]: 'x'"
        ),
    }
    assert outcome.valid.num_rows == 2
    assert outcome.rejected.schema.names == [*ROUNDS.schema.names, "_reason", "_row_number"]
    assert outcome.rejected.schema.field("stake_real").type == pa.string()
    assert outcome.rejected.column("stake_real").to_pylist()[4] == "12,50"  # as delivered
    assert outcome.rejected_share == pytest.approx(9 / 11)
    assert not outcome.success

    checks = {(c.name, c.column): c for c in outcome.checks}
    assert checks[("contract_types", None)].unexpected_count == 4
    in_set = checks[("expect_column_values_to_be_in_set", "status")]
    assert (in_set.success, in_set.unexpected_count, in_set.element_count) == (False, 2, 11)
    # stake_real "12,50" reached GE as null; its row is the type check's, not the null check's.
    not_null = checks[("expect_column_values_to_not_be_null", "stake_real")]
    assert not_null.success and not_null.details["ge_unexpected_count"] == 1
    suite = json.loads(suite_json(ROUNDS))
    assert len(outcome.checks) == len(suite["expectations"]) + 1


def test_parquet_typed_input_is_checked_by_the_suite_too():
    typed = validate_batch(ROUNDS, rounds({}, {})).valid  # as a Parquet export holds it
    typed = typed.set_column(
        typed.schema.get_field_index("stake_real"),
        "stake_real",
        pa.array([Decimal("1.0000"), Decimal("-2.5000")], ROUNDS.column("stake_real").type),
    )
    outcome = validate_batch(ROUNDS, typed)
    assert reasons_by_row(outcome) == {1: "range: stake_real must be >= 0: '-2.5000'"}
    assert outcome.valid.column("stake_real").to_pylist() == [Decimal("1.0000")]


def test_other_contract_types_from_text():
    players = CONTRACT["crm.players"]
    player = {
        "player_id": "p1",
        "brand_id": "b1",
        "registered_at": "2024-01-01T01:00:00+02:00",
        "email": "a@example.com",
        "date_of_birth": "1990-02-28",
        "country": "GB",
        "currency": "GBP",
        "click_id": None,
        "device_id": None,
        "registration_ip": "192.0.2.1",
        "kyc_status": "pending",
        "marketing_consent": "TRUE",
        "updated_at": "2024-01-01T00:00:00Z",
    }
    batch = text_table(
        players,
        [
            player,
            {**player, "marketing_consent": "yes"},
            {**player, "country": "gb"},
            {**player, "date_of_birth": "1990-13-01"},
        ],
    )
    outcome = validate_batch(players, batch)
    assert reasons_by_row(outcome) == {
        1: "type: marketing_consent is not bool: 'yes'",
        2: "format: country is not an ISO 3166-1 alpha-2 code (2 upper-case letters): 'gb'",
        3: "type: date_of_birth is not date: '1990-13-01'",
    }
    (valid,) = outcome.valid.to_pylist()
    assert valid["registered_at"] == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)
    assert valid["date_of_birth"] == date(1990, 2, 28)
    assert valid["marketing_consent"] is True


def test_nested_revenue_share_tiers_are_cast_element_by_element():
    deals = CONTRACT["affiliate.deals"]
    deal = {name: None for name in deals.schema.names} | {
        "deal_id": "d1",
        "affiliate_id": "a1",
        "valid_from": "2024-01-01",
        "plan_type": "revshare",
        "cpa_requires_kyc": False,
        "revshare_tiers": [{"threshold": "0", "rate": "0.2500"}],
        "negative_carryover": True,
        "admin_fee_rate": "0.2000",
        "sub_affiliate_rate": "0.0500",
        "clawback_days": 90,
        "min_payout": "100",
        "updated_at": "2024-01-01T00:00:00Z",
    }
    # How the API's JSON arrives: decimals and dates as text, JSON numbers and booleans typed.
    json_types = {
        "revshare_tiers": pa.list_(pa.struct([("threshold", pa.string()), ("rate", pa.string())])),
        "cpa_requires_kyc": pa.bool_(),
        "negative_carryover": pa.bool_(),
        "clawback_days": pa.int64(),
    }
    schema = pa.schema([(name, json_types.get(name, pa.string())) for name in deals.schema.names])
    batch = pa.Table.from_pylist(
        [deal, {**deal, "revshare_tiers": [{"threshold": "x", "rate": "0.3"}]}], schema=schema
    )
    outcome = validate_batch(deals, batch)
    assert outcome.valid.column("revshare_tiers").to_pylist() == [
        [{"threshold": Decimal("0.0000"), "rate": Decimal("0.2500")}]
    ]
    assert reasons_by_row(outcome)[1].startswith(
        "type: revshare_tiers is not list<struct<threshold: decimal(18,4), rate: decimal(18,4)>>"
    )


def test_missing_or_unreadable_column_fails_the_batch_and_extra_columns_are_ignored():
    with pytest.raises(
        ValueError, match=r"games.rounds: batch lacks contract columns \['status'\]"
    ):
        validate_batch(ROUNDS, rounds({}).drop_columns(["status"]))
    nested = rounds({}).set_column(6, "stake_real", pa.array([[12]]))
    with pytest.raises(ValueError, match="stake_real arrives as list<item: int64>, which cannot"):
        validate_batch(ROUNDS, nested)
    extra = rounds({}).append_column("vendor_note", pa.array(["hello"]))
    outcome = validate_batch(ROUNDS, extra)
    assert outcome.success and outcome.valid.schema == ROUNDS.schema


def test_empty_batch_validates_without_great_expectations(monkeypatch):
    def no_ge(*args, **kwargs):
        raise AssertionError("GE must not run on an empty batch")

    monkeypatch.setattr(validation, "_run_suite", no_ge)
    outcome = validate_batch(ROUNDS, rounds())
    assert outcome.success and outcome.rejected_share == 0.0
    assert outcome.valid.schema == ROUNDS.schema and outcome.valid.num_rows == 0
    assert all(check.success for check in outcome.checks)


# --- threshold ---------------------------------------------------------------------------


def test_too_many_failures_raise_batch_rejected_with_a_one_line_message():
    outcome = validate_batch(
        ROUNDS, rounds({}, {"status": "open"}, {"status": "void"}, {"stake_real": "-1"})
    )
    with pytest.raises(BatchRejected) as raised:
        check_rejection_threshold(outcome, max_rejected_share=0.5)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("games.rounds: 3 of 4 rows failed validation (75.0%")
    assert "top reasons: enum: status is not one of [settled, cancelled] (2)" in message
    assert raised.value.rejected_rows == 3 and raised.value.total_rows == 4

    check_rejection_threshold(outcome, max_rejected_share=0.75)  # at the limit: passes
    clean = validate_batch(ROUNDS, rounds({}))
    check_rejection_threshold(clean)
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_rejection_threshold(clean, max_rejected_share=5)


# --- quarantine --------------------------------------------------------------------------


def test_rejected_rows_are_quarantined_atomically_and_counted(tmp_path, monkeypatch):
    outcome = validate_batch(ROUNDS, rounds({}, {"status": "open"}, {"currency": "usd"}))
    moment = datetime(2024, 3, 2, 3, 0, tzinfo=UTC)
    path = write_quarantine(
        tmp_path, outcome, date(2024, 3, 2), "b-1", "games/rounds_2024-03-01.parquet", moment
    )
    assert path == tmp_path / "quarantine/games/rounds/ingest_date=2024-03-02/b-1.parquet"
    written = pq.read_table(path)
    assert written.schema.names == [
        *outcome.rejected.schema.names,
        "_batch_id",
        "_source",
        "_quarantined_at",
    ]
    assert written.column("_row_number").to_pylist() == [1, 2]
    assert set(written.column("_batch_id").to_pylist()) == {"b-1"}
    assert written.column("_quarantined_at").to_pylist() == [moment, moment]
    assert quarantine_counts(tmp_path)["games.rounds"] == 2
    assert quarantine_counts(tmp_path)["payments.fx_rates"] == 0

    # Writing the same batch again replaces its file: the count does not double.
    write_quarantine(tmp_path, outcome, date(2024, 3, 2), "b-1", "games/rounds.parquet")
    assert quarantine_counts(tmp_path)["games.rounds"] == 2

    # A write that dies leaves neither a file where readers look nor a temporary one.
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        write_quarantine(tmp_path, outcome, date(2024, 3, 3), "b-2", "games/rounds.parquet")
    folder = tmp_path / "quarantine/games/rounds/ingest_date=2024-03-03"
    assert list(folder.iterdir()) == []
    assert quarantine_counts(tmp_path)["games.rounds"] == 2


def test_nothing_is_quarantined_for_a_clean_batch(tmp_path: Path):
    outcome = validate_batch(ROUNDS, rounds({}))
    assert write_quarantine(tmp_path, outcome, date(2024, 3, 2), "b", "x") is None
    assert not (tmp_path / "quarantine").exists()
    assert set(quarantine_counts(tmp_path).values()) == {0}
