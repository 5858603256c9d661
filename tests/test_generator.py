"""The simulated operator: determinism, exact contract schemas, and believable content.

The ground-truth checks re-derive the business rules in plain Python over the small
generated operator, independently of how the generator computes its answers.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from ingestion.contract import entity, load_contract
from ingestion.generator import OperatorData, generate_operator

SEED = 11
PLAYERS = 200
WINDOW = timedelta(hours=720)


@pytest.fixture(scope="module")
def data() -> OperatorData:
    return generate_operator(seed=SEED, players=PLAYERS)


def rows(data: OperatorData, key: str) -> list[dict]:
    return data.tables[key].to_pylist()


def ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def current_players(data: OperatorData) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for row in rows(data, "crm.players"):
        kept = latest.get(row["player_id"])
        if kept is None or row["updated_at"] > kept["updated_at"]:
            latest[row["player_id"]] = row
    return latest


# --- shape ---------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_tables(data: OperatorData) -> None:
    again = generate_operator(seed=SEED, players=PLAYERS)
    assert again.tables.keys() == data.tables.keys()
    for key in data.tables:
        assert ipc_bytes(again.tables[key]) == ipc_bytes(data.tables[key]), key
    for key in data.ground_truth:
        assert again.ground_truth[key].equals(data.ground_truth[key]), key


def test_another_seed_gives_another_operator(data: OperatorData) -> None:
    other = generate_operator(seed=SEED + 1, players=PLAYERS)
    for key in ("crm.players", "affiliate.clicks", "games.rounds", "payments.transactions"):
        assert not other.tables[key].equals(data.tables[key]), key


def test_every_contract_entity_is_present_non_empty_with_the_exact_schema(
    data: OperatorData,
) -> None:
    assert set(data.tables) == set(load_contract())
    for key, table in data.tables.items():
        expected = entity(key).schema
        assert table.schema.equals(expected), f"{key}: {table.schema} != {expected}"
        assert [f.nullable for f in table.schema] == [f.nullable for f in expected], key
        assert table.num_rows > 0, key
        for field in expected:
            if not field.nullable:
                assert table.column(field.name).null_count == 0, f"{key}.{field.name}"


def test_enumerations_hold_only_allowed_values(data: OperatorData) -> None:
    for key, table in data.tables.items():
        for column in entity(key).columns:
            if column.enum:
                values = set(table.column(column.name).drop_null().to_pylist())
                assert values <= set(column.enum), f"{key}.{column.name}: {values}"


def test_period_bounds_and_delivery_days(data: OperatorData) -> None:
    assert data.start == date(2026, 8, 1)
    assert data.end == date(2026, 10, 31)
    for key, table in data.tables.items():
        field = entity(key).delivery_day_field
        days = {
            value if isinstance(value, date) and not hasattr(value, "hour") else value.date()
            for value in table.column(field).to_pylist()
        }
        assert max(days) <= data.end, key
        if key != "affiliate.clicks":  # clicks before the period bring its first sign-ups
            assert min(days) >= data.start, key


# --- money and reference data ----------------------------------------------------------------


def test_fx_rates_daily_without_base_and_with_one_missing_usd_day(data: OperatorData) -> None:
    fx = rows(data, "payments.fx_rates")
    assert all(row["currency"] != "EUR" for row in fx)
    period = [data.start + timedelta(days=i) for i in range((data.end - data.start).days + 1)]
    by_currency = defaultdict(set)
    for row in fx:
        assert row["rate_to_base"].as_tuple().exponent == -4
        by_currency[row["currency"]].add(row["rate_date"])
    assert "USD" in by_currency
    missing_usd = set(period) - by_currency["USD"]
    assert len(missing_usd) == 1
    assert missing_usd == {data.planted["fx_day_without_usd_rate"]}
    for currency, days in by_currency.items():
        if currency != "USD":
            assert days == set(period), currency
    usd = [row["rate_to_base"] for row in fx if row["currency"] == "USD"]
    assert Decimal("0.85") < min(usd) and max(usd) < Decimal("1.00")
    wallets = {row["currency"] for row in rows(data, "crm.players")}
    assert {"EUR", "USD"} <= wallets
    assert wallets - {"EUR"} <= set(by_currency)


def test_deals_cover_the_period_and_respect_plan_types(data: OperatorData) -> None:
    deals = rows(data, "affiliate.deals")
    affiliates = {row["affiliate_id"] for row in rows(data, "affiliate.affiliates")}
    covered = {
        deal["affiliate_id"]
        for deal in deals
        if deal["brand_id"] is None
        and deal["valid_from"] <= data.start
        and (deal["valid_to"] is None or deal["valid_to"] > data.end)
    }
    assert covered == affiliates
    assert {deal["plan_type"] for deal in deals} == {"cpa", "revshare", "hybrid"}
    assert any(deal["brand_id"] is not None for deal in deals)
    for deal in deals:
        has_revshare = deal["plan_type"] in ("revshare", "hybrid")
        has_cpa = deal["plan_type"] in ("cpa", "hybrid")
        assert (deal["revshare_tiers"] is not None) == has_revshare
        assert (deal["tier_basis"] is not None) == has_revshare
        assert (deal["cpa_amount"] is not None) == has_cpa
        assert (deal["cpa_window_days"] is not None) == has_cpa
        if has_revshare:
            thresholds = [tier["threshold"] for tier in deal["revshare_tiers"]]
            assert thresholds[0] == 0 and thresholds == sorted(thresholds)
            assert all(Decimal("0") < t["rate"] < Decimal("1") for t in deal["revshare_tiers"])
            if deal["tier_method"] == "ladder":
                assert deal["tier_basis"] == "ngr"
        if has_cpa:
            assert deal["cpa_currency"] in ("EUR", "USD")


def test_sub_affiliates_point_at_existing_affiliates(data: OperatorData) -> None:
    affiliates = rows(data, "affiliate.affiliates")
    ids = {row["affiliate_id"] for row in affiliates}
    parents = {row["parent_affiliate_id"] for row in affiliates} - {None}
    assert parents and parents <= ids


def test_references_resolve(data: OperatorData) -> None:
    players = set(current_players(data))
    games = {row["game_id"] for row in rows(data, "games.games")}
    campaigns = {row["campaign_id"]: row for row in rows(data, "affiliate.campaigns")}
    for key in ("games.rounds", "payments.transactions", "crm.bonuses", "crm.player_events"):
        assert set(data.tables[key].column("player_id").to_pylist()) <= players, key
    assert set(data.tables["games.rounds"].column("game_id").to_pylist()) <= games
    for click in rows(data, "affiliate.clicks"):
        campaign = campaigns[click["campaign_id"]]
        assert campaign["affiliate_id"] == click["affiliate_id"]
        assert campaign["brand_id"] == click["brand_id"]


def test_rounds_are_plausible_bets(data: OperatorData) -> None:
    rounds = rows(data, "games.rounds")
    settled = {}
    for row in rounds:
        for name in ("stake_real", "stake_bonus", "win_real", "win_bonus"):
            assert row[name] >= 0 and (row[name] * 100) % 1 == 0, name  # whole cents
        assert row["started_at"] <= row["settled_at"]
        if row["status"] == "settled":
            assert row["updated_at"] == row["settled_at"]
            settled[row["round_id"]] = row
    stakes = sum(r["stake_real"] + r["stake_bonus"] for r in settled.values())
    wins = sum(r["win_real"] + r["win_bonus"] for r in settled.values())
    assert Decimal("0.85") < wins / stakes < Decimal("1.05")  # the house keeps about 1 - rtp
    assert any(r["stake_bonus"] > 0 for r in settled.values())
    assert any(r["jackpot_contribution"] > 0 for r in settled.values())
    cancelled = [row for row in rounds if row["status"] == "cancelled"]
    assert cancelled
    for row in cancelled:
        original = settled[row["round_id"]]
        assert row["updated_at"] >= original["updated_at"] + timedelta(days=1)


def test_transactions_versions_and_reversals(data: OperatorData) -> None:
    transactions = rows(data, "payments.transactions")
    by_id = defaultdict(list)
    for row in transactions:
        by_id[row["transaction_id"]].append(row)
        assert row["amount"] > 0
        if row["status"] == "pending":
            assert row["processed_at"] is None and row["updated_at"] == row["created_at"]
        else:
            assert row["processed_at"] is not None and row["updated_at"] >= row["processed_at"]
    statuses = {row["status"] for row in transactions}
    assert {"pending", "approved", "declined", "cancelled", "reversed"} <= statuses
    assert any(
        {"pending", "approved"} <= {v["status"] for v in versions} for versions in by_id.values()
    )
    reversed_rows = [row for row in transactions if row["status"] == "reversed"]
    assert 1 <= len({row["transaction_id"] for row in reversed_rows}) <= 2
    for row in reversed_rows:
        assert row["updated_at"] > row["processed_at"]
    for row in transactions:
        if row["kind"] in ("chargeback", "refund"):
            originals = by_id[row["original_transaction_id"]]
            assert originals[0]["kind"] == "deposit"
            assert originals[0]["player_id"] == row["player_id"]
        else:
            assert row["original_transaction_id"] is None
        if row["kind"] == "deposit" and row["status"] == "approved":
            assert Decimal("0.015") <= row["fee_amount"] / row["amount"] <= Decimal("0.025")
    assert {row["kind"] for row in transactions} == {
        "deposit",
        "withdrawal",
        "chargeback",
        "refund",
    }


def test_first_deposits_come_soon_after_registration(data: OperatorData) -> None:
    players = current_players(data)
    first = {}
    for row in rows(data, "payments.transactions"):
        if row["kind"] == "deposit":
            seen = first.get(row["player_id"])
            first[row["player_id"]] = min(seen, row["created_at"]) if seen else row["created_at"]
    assert len(first) > PLAYERS // 3
    for player_id, created in first.items():
        delay = created - players[player_id]["registered_at"]
        assert timedelta(0) < delay <= timedelta(days=3)


def test_some_rows_are_delivered_twice(data: OperatorData) -> None:
    for key in ("games.rounds", "payments.transactions"):
        table = data.tables[key]
        distinct = table.group_by(table.column_names).aggregate([]).num_rows
        assert distinct < table.num_rows, key


def test_settlements_are_the_psps_totals_of_approved_transactions(data: OperatorData) -> None:
    approved = {}
    for row in rows(data, "payments.transactions"):
        if row["status"] == "approved":
            approved[row["transaction_id"]] = row
    expected = defaultdict(lambda: defaultdict(Decimal))
    for row in approved.values():
        totals = expected[(row["processed_at"].date(), row["psp"], row["currency"])]
        if row["kind"] != "refund":
            totals[f"{row['kind']}_count"] += 1
            totals[f"{row['kind']}_amount"] += row["amount"]
        totals["fee_amount"] += row["fee_amount"]
    settlements = rows(data, "payments.settlements")
    assert len(settlements) == len(expected)
    for row in settlements:
        totals = expected[(row["settlement_date"], row["psp"], row["currency"])]
        for name in ("deposit", "withdrawal", "chargeback"):
            assert row[f"{name}_count"] == totals[f"{name}_count"]
            assert row[f"{name}_amount"] == totals[f"{name}_amount"]
        assert row["fee_amount"] == totals["fee_amount"]


def test_provider_reports_are_the_totals_of_settled_rounds(data: OperatorData) -> None:
    provider = {row["game_id"]: row["provider"] for row in rows(data, "games.games")}
    cancelled = {
        row["round_id"] for row in rows(data, "games.rounds") if row["status"] == "cancelled"
    }
    settled = {
        row["round_id"]: row
        for row in rows(data, "games.rounds")
        if row["status"] == "settled" and row["round_id"] not in cancelled
    }
    expected = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for row in settled.values():
        totals = expected[(row["settled_at"].date(), provider[row["game_id"]], row["currency"])]
        totals[0] += 1
        totals[1] += row["stake_real"]
        totals[2] += row["win_real"]
    reports = {
        (row["report_date"], row["provider"], row["currency"]): row
        for row in rows(data, "games.provider_reports")
    }
    assert reports.keys() == expected.keys()
    for key, (count, stakes, wins) in expected.items():
        assert reports[key]["rounds_count"] == count
        assert reports[key]["stakes_real"] == stakes
        assert reports[key]["wins_real"] == wins


def test_player_events_and_versions_agree(data: OperatorData) -> None:
    events = rows(data, "crm.player_events")
    kinds = {row["event_type"] for row in events}
    for kind in (
        "kyc_verified",
        "kyc_failed",
        "self_exclusion_started",
        "cooling_off_started",
        "fraud_flagged",
        "fraud_cleared",
        "erasure_requested",
    ):
        assert kind in kinds, kind
    assert 1 <= sum(row["event_type"] == "erasure_requested" for row in events) <= 2
    versions = defaultdict(list)
    for row in rows(data, "crm.players"):
        versions[row["player_id"]].append(row)
    last_kyc = {}
    for row in sorted(events, key=lambda r: r["occurred_at"]):
        if row["event_type"] in ("kyc_verified", "kyc_failed"):
            last_kyc[row["player_id"]] = row["event_type"].removeprefix("kyc_")
    for player_id, player_versions in versions.items():
        first = min(player_versions, key=lambda r: r["updated_at"])
        latest = max(player_versions, key=lambda r: r["updated_at"])
        assert first["updated_at"] == first["registered_at"]
        assert first["kyc_status"] == "pending"
        assert latest["kyc_status"] == last_kyc.get(player_id, "pending")
    assert sum(len(v) > 1 for v in versions.values()) > PLAYERS // 2


# --- ground truth, re-derived --------------------------------------------------------------


def test_attribution_truth_follows_the_rules(data: OperatorData) -> None:
    players = current_players(data)
    clicks = {row["click_id"]: row for row in rows(data, "affiliate.clicks")}
    by_device = defaultdict(list)
    for click in clicks.values():
        by_device[click["device_id"]].append(click)

    def in_window(click: dict, player: dict) -> bool:
        registered = player["registered_at"]
        return (
            click["brand_id"] == player["brand_id"]
            and registered - WINDOW <= click["clicked_at"] <= registered
        )

    truth = {row["player_id"]: row for row in data.ground_truth["attribution"].to_pylist()}
    assert truth.keys() == players.keys()
    for player_id, player in players.items():
        registered_click = clicks.get(player["click_id"])
        if registered_click and in_window(registered_click, player):
            expected = registered_click
            method = "click_id"
        else:
            candidates = [c for c in by_device.get(player["device_id"], []) if in_window(c, player)]
            expected = max(candidates, key=lambda c: (c["clicked_at"], c["click_id"]), default=None)
            method = "device" if expected else "organic"
        row = truth[player_id]
        assert row["method"] == method, player_id
        assert row["click_id"] == (expected["click_id"] if expected else None)
        assert row["affiliate_id"] == (expected["affiliate_id"] if expected else None)
        assert row["campaign_id"] == (expected["campaign_id"] if expected else None)

    methods = [row["method"] for row in truth.values()]
    assert 0.5 < methods.count("click_id") / len(methods) < 0.85
    assert 0.03 < methods.count("device") / len(methods) < 0.25
    assert 0.05 < methods.count("organic") / len(methods) < 0.35


def test_attribution_window_edges_are_planted(data: OperatorData) -> None:
    players = current_players(data)
    clicks = {row["click_id"]: row for row in rows(data, "affiliate.clicks")}
    truth = {row["player_id"]: row for row in data.ground_truth["attribution"].to_pylist()}
    ages = {}
    for player_id, player in players.items():
        if player["click_id"] in clicks:
            ages[player_id] = player["registered_at"] - clicks[player["click_id"]]["clicked_at"]
    exactly = [p for p, age in ages.items() if age == WINDOW]
    just_outside = [p for p, age in ages.items() if age == WINDOW + timedelta(seconds=1)]
    assert exactly and truth[exactly[0]]["method"] == "click_id"
    assert just_outside and truth[just_outside[0]]["method"] != "click_id"
    unknown = [p for p in players.values() if p["click_id"] and p["click_id"] not in clicks]
    assert unknown, "some players carry a click id the tracker never saw"
    after = [
        c
        for c in clicks.values()
        for p in players.values()
        if c["device_id"] == p["device_id"] and c["clicked_at"] > p["registered_at"]
    ]
    assert after, "some clicks come after sign-up and must be ignored"


def test_identity_truth_is_connected_components(data: OperatorData) -> None:
    players = current_players(data)
    parent = {player_id: player_id for player_id in players}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_with = {}
    for player_id, player in sorted(players.items()):
        for key in (("email", player["email"].strip().lower()), ("device", player["device_id"])):
            if key[1] is None:
                continue
            if key in first_with:
                parent[find(player_id)] = find(first_with[key])
            else:
                first_with[key] = player_id
    members = defaultdict(list)
    for player_id in players:
        members[find(player_id)].append(player_id)
    expected = {}
    for group in members.values():
        person = min(group, key=lambda p: (players[p]["registered_at"], p))
        expected |= dict.fromkeys(group, person)

    truth = {
        row["player_id"]: row["person_id"] for row in data.ground_truth["identity"].to_pylist()
    }
    assert truth == expected
    multi = [group for group in members.values() if len(group) >= 3]
    assert multi, "chains A-B (email) and B-C (device) are planted"
    raw_emails = [p["email"] for p in players.values()]
    assert any(e != e.strip().lower() for e in raw_emails), "emails differ in case or spaces"
    tied = [
        group
        for group in members.values()
        if len({players[p]["registered_at"] for p in group}) < len(group)
    ]
    assert tied, "a person whose accounts registered at the same instant"


def test_generation_scales_without_per_row_python() -> None:
    # 20x the players must not take anywhere near 20x a Python loop per row would: this is a
    # smoke test of scale, kept small so the suite stays fast.
    larger = generate_operator(seed=3, players=2_000, months=1)
    assert larger.end == date(2026, 8, 31)
    assert larger.tables["games.rounds"].num_rows > 50_000
