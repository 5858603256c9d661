"""The warehouse against the generator's ground truth: identity (business rules §3) and
payout attribution (§4) of a generated operator, built once for the module.

The generator recomputes its `identity` and `attribution` answers from the finished source
tables by the rules, and lists the multi-account rings it planted (`planted`, case
`multi_account_ring`). Here the operator is landed straight into the landing zone (every
valid row, one batch per entity and publication day), the warehouse is built with dbt,
and `marts.player_attribution` must give the same answers. The rings' persons are also
worked out here from the players table by the rules (earliest registration, ties: the
lowest player id), not taken from either implementation.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from datetime import date

import duckdb
import pytest
from landed_operator import land_published, publication_days

from igw.config import DATA_DIR_ENV
from igw.dbt_runner import build_args, run_dbt
from ingestion.generator import generate_operator

SEED = 404
PLAYERS = 500  # 4 planted rings (one per 125 players, at least 3)
START = date(2026, 1, 1)
MONTHS = 6
KEY_ENV = "IGW_PSEUDONYM_KEY"  # the pseudonym UDF's key; any key will do for a test build
RING = re.compile(r"^ring (\d+) of (\d+) accounts")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ground_truth")
    saved = {name: os.environ.get(name) for name in (DATA_DIR_ENV, KEY_ENV)}
    os.environ[DATA_DIR_ENV] = str(data_dir)
    os.environ.setdefault(KEY_ENV, "ground-truth-test-key")
    try:
        began = time.perf_counter()
        operator = generate_operator(seed=SEED, players=PLAYERS, start=START, months=MONTHS)
        days = publication_days(operator)
        land_published(operator, data_dir, days[0], days[-1])
        landed = time.perf_counter()
        run_dbt(build_args(exclude="tag:monthly"), data_dir)
        print(
            f"generated and landed in {landed - began:.1f} s, "
            f"built in {time.perf_counter() - landed:.1f} s"
        )
        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
            columns = (
                "player_id, person_id, affiliate_id, campaign_id, click_id, attribution_method"
            )
            rows = con.execute(f"select {columns} from marts.player_attribution").fetchall()
            credits = con.execute(
                """
                select player_id, click_id, first_click_credit, last_click_credit,
                       linear_credit, time_decay_credit, position_based_credit
                from intermediate.int_attribution__analysis_credit
                """
            ).fetchall()
        # warehouse: player_id -> (person_id, affiliate_id, campaign_id, click_id, method)
        yield {
            "operator": operator,
            "warehouse": {row[0]: row[1:] for row in rows},
            "credits": credits,
        }
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _players(operator) -> dict[str, tuple]:
    """player_id -> (registered_at, brand_id) from the generated CRM (constant per version)."""
    table = operator.tables["crm.players"].select(["player_id", "registered_at", "brand_id"])
    return {row["player_id"]: (row["registered_at"], row["brand_id"]) for row in table.to_pylist()}


def _rings(operator) -> dict[int, list[str]]:
    """Ring number -> its accounts, from the planted cases ("ring 2 of 4 accounts: ...")."""
    rings: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    for row in operator.ground_truth["planted"].to_pylist():
        if row["case"] == "multi_account_ring":
            number, size = map(int, RING.match(row["detail"]).groups())
            rings.setdefault(number, []).append(row["player_id"])
            sizes[number] = size
    assert {number: len(members) for number, members in rings.items()} == sizes
    return rings


def _truth(operator, name: str) -> list[dict]:
    return operator.ground_truth[name].to_pylist()


def test_every_planted_ring_is_one_person(built):
    operator, warehouse = built["operator"], built["warehouse"]
    rings = _rings(operator)
    assert len(rings) == operator.planted["multi_account_rings"] >= 4
    registered = _players(operator)
    truth = {row["player_id"]: row["person_id"] for row in _truth(operator, "identity")}
    persons = {}
    for number, members in sorted(rings.items()):
        found = {warehouse[member][0] for member in members}
        assert len(found) == 1, f"ring {number} {members} split into persons {sorted(found)}"
        # §3: the person is the earliest registration, ties to the lowest player_id
        first = min(members, key=lambda member: (registered[member][0], member))
        assert found == {first} == {truth[member] for member in members}, f"ring {number}"
        persons[number] = first
    assert len(set(persons.values())) == len(rings), f"rings share a person: {persons}"


def test_the_registration_tie_goes_to_the_lowest_player_id(built):
    # The generator gives ring 1's two earliest accounts the same registration time.
    operator, warehouse = built["operator"], built["warehouse"]
    members = _rings(operator)[1]
    registered = _players(operator)
    earliest = min(registered[member][0] for member in members)
    tied = sorted(member for member in members if registered[member][0] == earliest)
    assert len(tied) == 2
    assert {warehouse[member][0] for member in members} == {tied[0]}


def test_every_account_has_the_person_of_the_truth(built):
    truth = {row["player_id"]: row["person_id"] for row in _truth(built["operator"], "identity")}
    warehouse = {player: values[0] for player, values in built["warehouse"].items()}
    assert warehouse.keys() == truth.keys()
    wrong = sorted(player for player in truth if warehouse[player] != truth[player])
    assert not wrong, "person differs for " + ", ".join(
        f"{p} (warehouse {warehouse[p]}, truth {truth[p]})" for p in wrong
    )


def test_payout_attribution_matches_the_truth(built):
    truth = {
        row["player_id"]: (row["affiliate_id"], row["campaign_id"], row["click_id"], row["method"])
        for row in _truth(built["operator"], "attribution")
    }
    warehouse = {player: values[1:] for player, values in built["warehouse"].items()}
    assert len(truth) == PLAYERS
    missing = sorted(truth.keys() - warehouse.keys())
    extra = sorted(warehouse.keys() - truth.keys())
    assert not missing and not extra, f"missing {missing}, not in the truth {extra}"
    wrong = sorted(player for player in truth if warehouse[player] != truth[player])
    assert not wrong, "attribution (affiliate, campaign, click, method) differs for " + "; ".join(
        f"{p}: warehouse {warehouse[p]}, truth {truth[p]}" for p in wrong
    )


def test_players_per_attribution_method_match_the_truth(built):
    truth = Counter(row["method"] for row in _truth(built["operator"], "attribution"))
    warehouse = Counter(values[4] for values in built["warehouse"].values())
    assert warehouse == truth
    assert set(truth) == {"click_id", "device", "organic"}  # every method occurs


def test_the_window_edges_planted_by_the_generator(built):
    planted, warehouse = built["operator"].planted, built["warehouse"]
    exactly_720h = planted["player_with_click_exactly_720h_before_signup"]
    one_second_more = planted["player_with_click_720h_1s_before_signup"]
    assert warehouse[exactly_720h][4] == "click_id"
    assert warehouse[one_second_more][4] != "click_id"


def test_analysis_credits_cover_the_payout_click_and_add_up_to_one(built):
    paths: dict[str, list[tuple]] = {}
    for player, click, *credits in built["credits"]:
        paths.setdefault(player, []).append((click, credits))
    for player, (_, _, _, click, method) in built["warehouse"].items():
        if method == "organic":
            continue
        assert click in {c for c, _ in paths.get(player, [])}, f"{player}: {click} not credited"
    for player, path in paths.items():
        for model in range(5):
            assert sum(credits[model] for _, credits in path) == 1, (player, model)
