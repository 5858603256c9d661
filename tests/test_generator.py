"""The simulated operator: determinism, exact contract schemas, planted cases, delivery
faults, and believable content.

The ground-truth checks re-derive the business rules in plain Python over the small
generated operator, independently of how the generator computes its answers. Checks of
valid content run on `without_invalid_records(data)`; the invalid records themselves are
checked against the contract. Statistical realism is in test_generator_realism.py.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ingestion.contract import entity, load_contract
from ingestion.generator import (
    OperatorData,
    generate_operator,
    without_invalid_records,
    write_ground_truth,
)
from ingestion.generator.operator import LATE_ENTITIES, key_strings
from ingestion.vendors.outbox import delivery_days

SEED = 11
PLAYERS = 200
WINDOW = timedelta(hours=720)
COOLING_OFF = timedelta(days=7)


@pytest.fixture(scope="module")
def full() -> OperatorData:
    """The operator as generated: invalid records included."""
    return generate_operator(seed=SEED, players=PLAYERS)


@pytest.fixture(scope="module")
def data(full: OperatorData) -> OperatorData:
    """The operator without the records that break the contract."""
    return without_invalid_records(full)


def planted(data: OperatorData, case: str) -> list[dict]:
    return [row for row in data.ground_truth["planted"].to_pylist() if row["case"] == case]


def faults(data: OperatorData, fault: str) -> list[dict]:
    return [row for row in data.ground_truth["faults"].to_pylist() if row["fault"] == fault]


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


def test_same_seed_gives_byte_identical_tables(full: OperatorData) -> None:
    again = generate_operator(seed=SEED, players=PLAYERS)
    assert again.tables.keys() == full.tables.keys()
    for key in full.tables:
        assert ipc_bytes(again.tables[key]) == ipc_bytes(full.tables[key]), key
        assert again.published_on[key].equals(full.published_on[key]), key
    for key in full.ground_truth:
        assert again.ground_truth[key].equals(full.ground_truth[key]), key
    # Equality covers tables, ground truth, planted and published_on, but not the timings.
    assert again == full
    assert replace(full, timings={"total": -1.0}) == full


def test_timings_cover_the_rounds_and_the_whole_run(full: OperatorData) -> None:
    assert {"rounds", "total"} <= set(full.timings)
    assert 0 < full.timings["rounds"] < full.timings["total"]
    assert sum(v for k, v in full.timings.items() if k != "total") <= full.timings["total"]


def test_another_seed_gives_another_operator(data: OperatorData) -> None:
    other = generate_operator(seed=SEED + 1, players=PLAYERS)
    for key in ("crm.players", "affiliate.clicks", "games.rounds", "payments.transactions"):
        assert not other.tables[key].equals(data.tables[key]), key


def test_every_contract_entity_is_present_non_empty_with_the_exact_schema(
    full: OperatorData, data: OperatorData
) -> None:
    assert set(full.tables) == set(load_contract())
    for key, table in full.tables.items():
        expected = entity(key).schema
        assert table.schema.equals(expected), f"{key}: {table.schema} != {expected}"
        assert [f.nullable for f in table.schema] == [f.nullable for f in expected], key
        assert table.num_rows > 0, key
        for field in expected:
            if not field.nullable:  # only the planted invalid records hold nulls there
                assert data.tables[key].column(field.name).null_count == 0, f"{key}.{field.name}"


def test_enumerations_hold_only_allowed_values(data: OperatorData) -> None:
    for key, table in data.tables.items():
        for column in entity(key).columns:
            if column.enum:
                values = set(table.column(column.name).drop_null().to_pylist())
                assert values <= set(column.enum), f"{key}.{column.name}: {values}"


def test_period_bounds_and_delivery_days(data: OperatorData) -> None:
    assert data.start == date(2026, 8, 1)
    assert data.end == date(2027, 7, 31)  # twelve months by default
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
    assert {"EUR", "USD", "GBP", "SEK", "NOK"} <= wallets
    assert wallets - {"EUR"} <= set(by_currency)
    # The hand-made payout test owns every CAD rate: the generator never uses CAD.
    for key, table in data.tables.items():
        for name in ("currency", "payout_currency", "cpa_currency"):
            if name in table.column_names:
                assert "CAD" not in set(table.column(name).to_pylist()), (key, name)


def month_ends(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [day for day in days if (day + timedelta(days=1)).day == 1]


def test_deals_cover_the_period_and_respect_plan_types(data: OperatorData) -> None:
    deals = rows(data, "affiliate.deals")
    affiliates = {row["affiliate_id"] for row in rows(data, "affiliate.affiliates")}
    # Every affiliate has an all-brands deal on every month end (some renegotiate mid-year).
    for month_end in month_ends(data.start, data.end):
        covered = {
            deal["affiliate_id"]
            for deal in deals
            if deal["brand_id"] is None
            and deal["valid_from"] <= month_end
            and (deal["valid_to"] is None or deal["valid_to"] >= month_end)
        }
        assert covered == affiliates, month_end
    renegotiated = [d for d in deals if d["brand_id"] is None and d["valid_from"] > data.start]
    assert renegotiated, "some all-brands deals start during the period"
    assert any(d["valid_to"] is not None and d["valid_to"] < data.start for d in deals)
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
            assert re.fullmatch(r"[A-Z]{3}", deal["cpa_currency"])


def test_every_deal_shape_of_the_contract_exists(data: OperatorData) -> None:
    deals = rows(data, "affiliate.deals")

    def shapes(deal: dict) -> set[str]:
        tiers = deal["revshare_tiers"] or []
        found = {deal["plan_type"]}
        if deal["plan_type"] != "cpa":
            found.add(f"{deal['tier_basis']}-{deal['tier_method']}-{min(len(tiers), 2)}")
            found.add(f"carryover-{deal['negative_carryover']}")
        if deal["plan_type"] != "revshare":
            found.add(f"kyc-{deal['cpa_requires_kyc']}")
        return found

    seen = set().union(*(shapes(deal) for deal in deals))
    assert {"cpa", "revshare", "hybrid"} <= seen
    # flat rate, NGR tiers, NGR ladder, NDC tiers; carryover on and off; KYC or not
    assert {"ngr-tiered-1", "ngr-tiered-2", "ngr-ladder-2", "ndc-tiered-2"} <= seen
    assert {"carryover-True", "carryover-False", "kyc-True", "kyc-False"} <= seen
    cpa = [deal for deal in deals if deal["plan_type"] != "revshare"]
    assert all(deal["cpa_min_first_deposit"] > 0 for deal in cpa)
    assert len({deal["cpa_window_days"] for deal in cpa}) >= 2
    assert len({deal["cpa_min_wagered"] for deal in cpa}) >= 2
    assert len({deal["cpa_currency"] for deal in cpa}) >= 3
    assert len({deal["admin_fee_rate"] for deal in deals if deal["plan_type"] != "cpa"}) >= 2
    assert len({deal["min_payout"] for deal in deals}) >= 2
    children = {
        row["affiliate_id"]
        for row in rows(data, "affiliate.affiliates")
        if row["parent_affiliate_id"] is not None
    }
    assert children
    for deal in deals:
        if deal["affiliate_id"] in children:
            assert Decimal(0) < deal["sub_affiliate_rate"] < Decimal(1)
    payout = {row["payout_currency"] for row in rows(data, "affiliate.affiliates")}
    assert len(payout) >= 3


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
    # In euros (a SEK stake is about a tenth of a EUR one), at each currency's mean rate.
    rates = defaultdict(list)
    for row in rows(data, "payments.fx_rates"):
        rates[row["currency"]].append(row["rate_to_base"])
    mean_rate = {code: sum(values) / len(values) for code, values in rates.items()}
    mean_rate["EUR"] = Decimal(1)
    stakes = sum(
        (r["stake_real"] + r["stake_bonus"]) * mean_rate[r["currency"]] for r in settled.values()
    )
    wins = sum(
        (r["win_real"] + r["win_bonus"]) * mean_rate[r["currency"]] for r in settled.values()
    )
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
    reversed_ids = {row["transaction_id"] for row in reversed_rows}
    assert 2 <= len(reversed_ids) <= max(2, len(by_id) // 100)
    for row in reversed_rows:
        assert row["updated_at"] > row["processed_at"]
    # Pending, then approved, then reversed: three versions, updated_at increasing.
    three = {row["key"] for row in faults(data, "pending_approved_reversed")}
    assert three and three <= reversed_ids
    for transaction_id in three:
        versions = sorted({(v["updated_at"], v["status"]) for v in by_id[transaction_id]})
        assert [status for _, status in versions] == ["pending", "approved", "reversed"]
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
    (planted,) = faults(data, "settlement_mismatch")
    missed = approved[re.search(r"deposit (txn_\d+)", planted["detail"]).group(1)]
    for row in settlements:
        totals = expected[(row["settlement_date"], row["psp"], row["currency"])]
        if f"{row['settlement_date']}|{row['psp']}|{row['currency']}" == planted["key"]:
            # The planted file misses exactly one deposit it approved that day.
            assert (missed["kind"], missed["psp"], missed["currency"]) == (
                "deposit",
                row["psp"],
                row["currency"],
            )
            assert missed["processed_at"].date() == row["settlement_date"]
            totals["deposit_count"] -= 1
            totals["deposit_amount"] -= missed["amount"]
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
    (planted,) = faults(data, "provider_report_mismatch")
    missed = settled[re.search(r"round (rnd_\d+)", planted["detail"]).group(1)]
    for key, (count, stakes, wins) in expected.items():
        if "|".join(str(part) for part in key) == planted["key"]:
            # The planted report misses exactly one settled round that staked and won.
            assert (missed["settled_at"].date(), missed["currency"]) == (key[0], key[2])
            assert provider[missed["game_id"]] == key[1]
            assert missed["stake_real"] > 0 and missed["win_real"] > 0
            count, stakes, wins = (
                count - 1,
                stakes - missed["stake_real"],
                wins - missed["win_real"],
            )
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
    erasures = len({r["event_id"] for r in events if r["event_type"] == "erasure_requested"})
    assert 2 <= erasures <= max(2, PLAYERS // 500)
    versions = defaultdict(list)
    for row in rows(data, "crm.players"):
        versions[row["player_id"]].append(row)
    last_kyc = {}
    for row in sorted(events, key=lambda r: r["occurred_at"]):
        if row["event_type"] in ("kyc_verified", "kyc_failed"):
            last_kyc[row["player_id"]] = row["event_type"].removeprefix("kyc_")
    published_late = {row["key"] for row in faults(data, "player_published_late")}
    for player_id, player_versions in versions.items():
        first = min(player_versions, key=lambda r: r["updated_at"])
        latest = max(player_versions, key=lambda r: r["updated_at"])
        if player_id in published_late:
            delay = first["updated_at"] - first["registered_at"]
            assert timedelta(days=1) <= delay <= timedelta(days=3), player_id
        else:
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
    # 10x the players must not take anywhere near 10x a Python loop per row would: this is a
    # smoke test of scale, kept small so the suite stays fast.
    larger = generate_operator(seed=3, players=2_000, months=1)
    assert larger.end == date(2026, 8, 31)
    assert larger.tables["games.rounds"].num_rows > 20_000


# --- publication days and late rows ----------------------------------------------------------


def test_published_on_is_aligned_and_late_only_where_allowed(full: OperatorData) -> None:
    assert full.published_on.keys() == full.tables.keys()
    late_rows = 0
    for key, table in full.tables.items():
        published = full.published_on[key]
        assert published.type == pa.date32() and len(published) == table.num_rows, key
        due = delivery_days(table, entity(key))
        days_late = published.cast(pa.int32()).to_numpy() - due
        assert (days_late >= 0).all() and (days_late <= 5).all(), key
        assert max(published.to_pylist()) <= full.end, key
        if key not in LATE_ENTITIES:
            assert not days_late.any(), key
        else:
            late_rows += int((days_late > 0).sum())
            # about 0.5% of the rows; never a whole day's file
            assert 0 < (days_late > 0).mean() < 0.02, key
    late = full.ground_truth["late"].to_pylist()
    assert len(late) == late_rows
    assert {row["entity"] for row in late} == set(LATE_ENTITIES)
    for key in LATE_ENTITIES:
        table = full.tables[key]
        published = dict(
            zip(
                key_strings(table, entity(key)).to_pylist(),
                full.published_on[key].to_pylist(),
                strict=True,
            )
        )
        for row in (r for r in late if r["entity"] == key):
            assert 1 <= row["days_late"] <= 5
            assert row["published_on"] == row["due_on"] + timedelta(days=row["days_late"])
            assert published[row["key"]] == row["published_on"]
    assert len(faults(full, "late_delivery")) == late_rows


def test_rows_come_in_delivery_order(full: OperatorData) -> None:
    """By delivery day field, then primary key (the rounds export: by day, then round id)."""
    for key, table in full.tables.items():
        source = entity(key)
        if key == "games.rounds":
            days = delivery_days(table, source)
            ids = table.column("round_id").to_pylist()
            assert (np.diff(days) >= 0).all()
            same_day = zip(ids[:-1], ids[1:], days[:-1], days[1:], strict=True)
            assert all(a <= b for a, b, d, e in same_day if d == e)
            continue
        names = list(dict.fromkeys([source.delivery_day_field, *source.primary_key]))
        order = pc.sort_indices(table, sort_keys=[(name, "ascending") for name in names])
        assert (order.to_numpy() == np.arange(table.num_rows)).all(), key


def test_api_entities_cursored_on_updated_at_are_never_late(full: OperatorData) -> None:
    for key in full.tables:
        if entity(key).delivery_day_field == "updated_at" and key != "games.rounds":
            assert key not in LATE_ENTITIES


# --- planted cases -------------------------------------------------------------------------


def test_every_planted_case_is_recorded_with_an_existing_record(full: OperatorData) -> None:
    cases = {row["case"] for row in full.ground_truth["planted"].to_pylist()}
    assert cases == {
        "multi_account_ring",
        "bonus_abuse",
        "chargeback_fraud",
        "self_exclusion",
        "cooling_off",
        "account_closure",
        "kyc_failure",
        "fraud_flag",
        "fraud_clear",
        "erasure_request",
        "click_flood",
    }
    event_type = {
        "self_exclusion": "self_exclusion_started",
        "cooling_off": "cooling_off_started",
        "account_closure": "account_closed",
        "kyc_failure": "kyc_failed",
        "fraud_flag": "fraud_flagged",
        "fraud_clear": "fraud_cleared",
        "erasure_request": "erasure_requested",
    }
    records = {
        key: {
            k: row
            for k, row in zip(
                key_strings(table, entity(key)).to_pylist(), table.to_pylist(), strict=True
            )
        }
        for key, table in full.tables.items()
    }
    for row in full.ground_truth["planted"].to_pylist():
        record = records[row["entity"]].get(row["key"])
        assert record is not None, row
        if row["case"] in event_type:
            assert record["event_type"] == event_type[row["case"]], row
            assert record["player_id"] == row["player_id"]


def test_multi_account_rings_link_two_to_five_accounts(data: OperatorData) -> None:
    players = current_players(data)
    person = {
        row["player_id"]: row["person_id"] for row in data.ground_truth["identity"].to_pylist()
    }
    rings = defaultdict(list)
    for row in planted(data, "multi_account_ring"):
        ring = re.match(r"ring (\d+) of (\d+) accounts: (.*)", row["detail"])
        rings[ring.group(1)].append((row["player_id"], int(ring.group(2)), ring.group(3)))
    links = Counter()
    for members in rings.values():
        assert 2 <= len(members) <= 5 and all(size == len(members) for _, size, _ in members)
        assert len({person[player_id] for player_id, _, _ in members}) == 1
        for player_id, _, how in members:
            linked = re.match(r"same (email|device) as (\w+)", how)
            if linked is None:
                assert how == "first account"
                continue
            other = players[linked.group(2)]
            player = players[player_id]
            links[linked.group(1)] += 1
            if linked.group(1) == "email":
                assert player["email"] != other["email"]  # spelt differently ...
                assert player["email"].strip().lower() == other["email"].strip().lower()
            else:
                assert player["device_id"] == other["device_id"] is not None
    assert links["email"] and links["device"]
    assert any(len(members) >= 3 for members in rings.values()), "a chain A-B-C"


def test_bonus_abusers_take_many_bonuses_wager_little_and_share_accounts(
    data: OperatorData,
) -> None:
    abusers = {row["player_id"] for row in planted(data, "bonus_abuse")}
    ring_members = {row["player_id"] for row in planted(data, "multi_account_ring")}
    assert abusers and abusers <= ring_members
    granted = Counter()
    granted_amount = defaultdict(Decimal)
    for row in rows(data, "crm.bonuses"):
        if row["kind"] == "granted":
            granted[row["player_id"]] += 1
            granted_amount[row["player_id"]] += row["amount"]
    wagered = defaultdict(Decimal)
    for row in rows(data, "games.rounds"):
        if row["status"] == "settled":
            wagered[row["player_id"]] += row["stake_real"]
    others = [p for p in granted if p not in abusers]
    bonuses_per_abuser = sum(granted[p] for p in abusers) / len(abusers)
    assert bonuses_per_abuser > 1.5 * sum(granted[p] for p in others) / len(others)
    # Wagering per bonus money: a fraction of what ordinary bonus takers wager.
    abuser_ratio = sum(wagered[p] for p in abusers) / sum(granted_amount[p] for p in abusers)
    other_ratio = sum(wagered[p] for p in others) / sum(granted_amount[p] for p in others)
    assert abuser_ratio < other_ratio / 3
    reasons = {
        row["player_id"]: row["reason"]
        for row in rows(data, "crm.player_events")
        if row["event_type"] == "fraud_flagged"
    }
    assert any(reasons.get(p) == "bonus_abuse" for p in abusers)


def test_chargeback_fraud_is_a_deposit_a_chargeback_then_a_flag(data: OperatorData) -> None:
    cases = planted(data, "chargeback_fraud")
    assert cases
    transactions = {row["transaction_id"]: row for row in rows(data, "payments.transactions")}
    flags = defaultdict(dict)  # player -> event id -> event (some events come twice)
    for row in rows(data, "crm.player_events"):
        if row["event_type"] == "fraud_flagged":
            flags[row["player_id"]][row["event_id"]] = row
    for case in cases:
        chargeback = transactions[case["key"]]
        deposit = transactions[chargeback["original_transaction_id"]]
        assert chargeback["kind"] == "chargeback" and deposit["kind"] == "deposit"
        assert deposit["player_id"] == chargeback["player_id"] == case["player_id"]
        assert deposit["processed_at"] < chargeback["processed_at"]
        (flag,) = flags[case["player_id"]].values()
        assert flag["reason"] == "chargeback"
        assert flag["occurred_at"] >= chargeback["processed_at"]


def test_self_exclusion_stops_play_and_cooling_off_pauses_it(data: OperatorData) -> None:
    started = {}
    for case in ("self_exclusion", "cooling_off"):
        assert planted(data, case)
    for row in rows(data, "crm.player_events"):
        if row["event_type"] in ("self_exclusion_started", "cooling_off_started"):
            started[row["player_id"]] = (row["event_type"], row["occurred_at"])
    first_round = {}
    for row in rows(data, "games.rounds"):
        seen = first_round.get(row["player_id"])
        if seen is None or row["started_at"] < seen:
            first_round[row["player_id"]] = row["started_at"]
    for row in rows(data, "games.rounds"):
        if row["player_id"] not in started:
            continue
        kind, when = started[row["player_id"]]
        if kind == "self_exclusion_started":
            assert row["started_at"] < when, row["round_id"]
        elif when.date() < row["started_at"].date() < (when + COOLING_OFF).date():
            # only the day of the first deposit can fall in the pause
            assert row["started_at"].date() == first_round[row["player_id"]].date()


def test_kyc_failures_fail_and_some_never_verify(data: OperatorData) -> None:
    cases = planted(data, "kyc_failure")
    assert any(case["detail"].endswith("never verified") for case in cases)
    assert any(case["detail"].endswith("then verified") for case in cases)
    latest = current_players(data)
    verified = {
        row["player_id"]
        for row in rows(data, "crm.player_events")
        if row["event_type"] == "kyc_verified"
    }
    for case in cases:
        if case["detail"].endswith("never verified"):
            assert case["player_id"] not in verified
            assert latest[case["player_id"]]["kyc_status"] == "failed"


def test_click_flood_hammers_one_campaign_from_few_devices(data: OperatorData) -> None:
    (flood,) = planted(data, "click_flood")
    clicks = [row for row in rows(data, "affiliate.clicks") if row["campaign_id"] == flood["key"]]
    devices = Counter(click["device_id"] for click in clicks)
    busy = {device for device, count in devices.items() if count >= 100}
    flooded = [click for click in clicks if click["device_id"] in busy]
    assert len(flooded) >= 2_000 and 3 <= len(busy) <= 8
    span = max(c["clicked_at"] for c in flooded) - min(c["clicked_at"] for c in flooded)
    assert span <= timedelta(hours=3)
    players = current_players(data)
    assert not busy & {player["device_id"] for player in players.values()}
    flooded_ids = {click["click_id"] for click in flooded}
    assert not flooded_ids & {player["click_id"] for player in players.values()}


# --- delivery faults -----------------------------------------------------------------------


def test_every_fault_kind_is_recorded(full: OperatorData) -> None:
    kinds = Counter(row["fault"] for row in full.ground_truth["faults"].to_pylist())
    assert set(kinds) == {
        "duplicate_delivery",
        "round_resent_cancelled",
        "pending_approved_reversed",
        "late_delivery",
        "player_published_late",
        "missing_fx_rate",
        "invalid_record",
        "settlement_mismatch",
        "provider_report_mismatch",
    }
    assert kinds["settlement_mismatch"] == kinds["provider_report_mismatch"] == 1
    (gap,) = faults(full, "missing_fx_rate")
    assert gap["key"] == f"{full.planted['fx_day_without_usd_rate']}|USD"


def test_duplicates_and_cancelled_resends_are_in_the_tables(full: OperatorData) -> None:
    duplicated = defaultdict(set)
    for row in faults(full, "duplicate_delivery"):
        duplicated[row["entity"]].add(row["key"])
    assert "games.rounds" in duplicated and "payments.transactions" in duplicated
    for key, wanted in duplicated.items():
        table = full.tables[key]
        copies = defaultdict(Counter)
        for row_key, record in zip(
            key_strings(table, entity(key)).to_pylist(), table.to_pylist(), strict=True
        ):
            if row_key in wanted:
                copies[row_key][repr(sorted(record.items()))] += 1
        for row_key in wanted:  # one version of the record came twice, byte for byte
            assert max(copies[row_key].values()) >= 2, (key, row_key)
    statuses = defaultdict(list)
    for row in rows(full, "games.rounds"):
        statuses[row["round_id"]].append(row["status"])
    for row in faults(full, "round_resent_cancelled"):
        assert sorted(set(statuses[row["key"]])) == ["cancelled", "settled"]


def test_orphans_have_rounds_before_their_player_record(full: OperatorData) -> None:
    orphans = {row["key"] for row in faults(full, "player_published_late")}
    assert orphans
    first_version = {}
    for row in rows(full, "crm.players"):
        if row["player_id"] in orphans:
            seen = first_version.get(row["player_id"])
            first_version[row["player_id"]] = min(seen or row["updated_at"], row["updated_at"])
    early = {
        row["player_id"]
        for row in rows(full, "games.rounds")
        if row["player_id"] in orphans and row["updated_at"] < first_version[row["player_id"]]
    }
    assert early == orphans


# --- invalid records -----------------------------------------------------------------------

ISO_4217_FORM = re.compile(r"[A-Z]{3}")
ISO_3166_FORM = re.compile(r"[A-Z]{2}")


def test_invalid_records_break_the_contract_as_listed(full: OperatorData) -> None:
    invalid = full.ground_truth["invalid"].to_pylist()
    assert {row["entity"].split(".")[0] for row in invalid} == {
        "affiliate",
        "crm",
        "payments",
        "games",
    }
    for row in invalid:
        source = entity(row["entity"])
        table = full.tables[row["entity"]]
        keys = key_strings(table, source).to_pylist()
        (record,) = [r for k, r in zip(keys, table.to_pylist(), strict=True) if k == row["key"]]
        column = source.column(row["column"])
        value = record[row["column"]]
        if value is None:
            assert not column.nullable, row
        elif column.enum:
            assert value not in column.enum, row
        elif row["column"] == "currency":
            assert not ISO_4217_FORM.fullmatch(value), row
        elif row["column"] == "country":
            assert not ISO_3166_FORM.fullmatch(value), row
        else:
            assert value < 0, row
    kept = without_invalid_records(full)
    for key, table in full.tables.items():
        dropped = sum(row["entity"] == key for row in invalid)
        assert kept.tables[key].num_rows == table.num_rows - dropped, key
        assert len(kept.published_on[key]) == kept.tables[key].num_rows


def test_valid_records_keep_to_the_code_formats(data: OperatorData) -> None:
    for key, table in data.tables.items():
        for name in ("currency", "payout_currency", "cpa_currency"):
            if name in table.column_names:
                for value in set(table.column(name).drop_null().to_pylist()):
                    assert ISO_4217_FORM.fullmatch(value), (key, value)
        if "country" in table.column_names:
            for value in set(table.column("country").to_pylist()):
                assert ISO_3166_FORM.fullmatch(value), (key, value)
    for row in rows(data, "games.rounds"):
        assert min(row["stake_real"], row["stake_bonus"], row["win_real"]) >= 0


# --- writing the ground truth --------------------------------------------------------------


def test_ground_truth_is_written_with_deterministic_bytes(
    full: OperatorData, tmp_path: Path
) -> None:
    first = write_ground_truth(full, tmp_path / "one")
    second = write_ground_truth(generate_operator(seed=SEED, players=PLAYERS), tmp_path / "two")
    assert [p.name for p in first] == sorted(
        [f"{name}.parquet" for name in full.ground_truth] + ["planted_summary.json"]
    )
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    for path in first:
        if path.suffix == ".parquet":
            assert pq.read_table(path).equals(full.ground_truth[path.stem])
    summary = json.loads((tmp_path / "one" / "planted_summary.json").read_text())
    assert summary["planted_cases"] == dict(
        Counter(row["case"] for row in full.ground_truth["planted"].to_pylist())
    )
    assert summary["faults"]["invalid_record"] == full.ground_truth["invalid"].num_rows
