"""Freshness of the landed sources: deadlines, the landing zone read, the check and the sensor.

The landing zone is written by hand (land_batch), one partition per delivery day, so which
source is late is decided here: at 2026-09-15 05:30 UTC every default deadline (05:00 the day
after) has passed for 09-14, and
- fx_rates landed 09-12, 09-13, 09-14: on time;
- settlements: psp_a delivered 09-12..09-14, psp_b 09-12 and 09-13 only: late (psp_b);
- rounds landed 09-12 and 09-13, the 09-14 partition is missing: late, newest 09-13;
- provider_reports never landed: late, nothing in the lookback window;
- clicks: its deadline is turned off in freshness.yaml (never assessed);
- transactions (no default deadline, 06:00 in freshness.yaml): at 05:30 the newest due day
  is 09-13 and it landed through 09-14: on time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import dagster as dg
import pyarrow as pa
import pytest
import yaml

from ingestion.contract import entity
from ingestion.landing import land_batch
from orchestration import source_freshness as sf

NOW = datetime(2026, 9, 15, 5, 30, tzinfo=UTC)
FRESHNESS_YAML = """
sources:
  affiliate.clicks: null
  payments.transactions: {expected_by: "06:00"}
"""


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _land(data_dir, key: str, day: date, rows: list[dict]) -> None:
    ent = entity(key)
    land_batch(data_dir, ent, day, pa.Table.from_pylist(rows, schema=ent.schema), f"test/{day}")


def land_fx(data_dir, day: date) -> None:
    _land(data_dir, "payments.fx_rates", day, [
        {"rate_date": day, "currency": "USD", "rate_to_base": Decimal("0.9100")},
    ])  # fmt: skip


def land_settlement(data_dir, day: date, psp: str) -> None:
    zero = Decimal("0")
    _land(data_dir, "payments.settlements", day, [
        {"settlement_date": day, "psp": psp, "currency": "EUR", "deposit_count": 1,
         "deposit_amount": Decimal("10"), "withdrawal_count": 0, "withdrawal_amount": zero,
         "chargeback_count": 0, "chargeback_amount": zero, "fee_amount": zero},
    ])  # fmt: skip


def land_round(data_dir, day: date) -> None:
    zero = Decimal("0")
    _land(data_dir, "games.rounds", day, [
        # updated 23:30 UTC: its delivery day is still `day` (UTC dates, not local ones)
        {"round_id": f"r_{day}", "player_id": "p1", "game_id": "g1", "started_at": _at(day),
         "settled_at": _at(day), "currency": "EUR", "stake_real": Decimal("1"),
         "stake_bonus": zero, "win_real": zero, "win_bonus": zero,
         "jackpot_contribution": zero, "status": "settled",
         "updated_at": datetime.combine(day, time(23, 30), tzinfo=UTC)},
    ])  # fmt: skip


def land_transaction(data_dir, day: date) -> None:
    _land(data_dir, "payments.transactions", day, [
        {"transaction_id": f"t_{day}", "player_id": "p1", "kind": "deposit",
         "status": "approved", "amount": Decimal("10"), "fee_amount": Decimal("0"),
         "currency": "EUR", "method": "card", "psp": "psp_a", "original_transaction_id": None,
         "created_at": _at(day), "processed_at": _at(day), "updated_at": _at(day)},
    ])  # fmt: skip


@pytest.fixture
def landed(data_dir):
    (data_dir / "freshness.yaml").write_text(FRESHNESS_YAML)
    for day in (date(2026, 9, 12), date(2026, 9, 13), date(2026, 9, 14)):
        land_fx(data_dir, day)
        land_settlement(data_dir, day, "psp_a")
        land_transaction(data_dir, day)
    for day in (date(2026, 9, 12), date(2026, 9, 13)):
        land_settlement(data_dir, day, "psp_b")
        land_round(data_dir, day)
    return data_dir


def test_the_due_day_moves_when_the_deadline_passes():
    deadline = sf.Deadline("payments.fx_rates", time(5, 0))
    # 09-14 is due at 09-15 05:00: one minute before, the newest due day is still 09-13.
    assert deadline.expected_day(datetime(2026, 9, 15, 4, 59, tzinfo=UTC)) == date(2026, 9, 13)
    assert deadline.expected_day(datetime(2026, 9, 15, 5, 0, tzinfo=UTC)) == date(2026, 9, 14)
    assert deadline.due_at(date(2026, 9, 14)) == datetime(2026, 9, 15, 5, 0, tzinfo=UTC)


def test_deadlines_are_configuration():
    defaults = sf.default_settings().deadlines
    assert set(defaults) == {
        "affiliate.clicks",
        "payments.settlements",
        "payments.fx_rates",
        "games.rounds",
        "games.provider_reports",
    }
    assert defaults["payments.settlements"].per == "psp"
    assert defaults["games.rounds"].expected_by == time(5, 0)

    custom = sf.parse_settings(
        {"lookback_days": 3, "sources": {"games.rounds": {"expected_by": "02:00"},
                                         "affiliate.clicks": None}}
    )  # fmt: skip
    assert custom.deadlines["games.rounds"].expected_by == time(2, 0)
    assert "affiliate.clicks" not in custom.deadlines
    assert custom.lookback_days == 3
    # unquoted in YAML, 04:30 is read as the sexagesimal 270: still half past four
    unquoted = sf.parse_settings(yaml.safe_load("sources: {games.rounds: {expected_by: 04:30}}"))
    assert unquoted.deadlines["games.rounds"].expected_by == time(4, 30)
    for bad, message in (
        ({"sources": {"games.rounds": {"expected_by": "2am"}}}, "HH:MM"),
        ({"sources": {"games.dice": {"expected_by": "02:00"}}}, "not a landed entity"),
        ({"sources": {"games.rounds": {"per": "psp"}}}, "no column 'psp'"),
        ({"deadline": 3}, "unknown keys"),
    ):
        with pytest.raises(sf.FreshnessConfigError, match=message):
            sf.parse_settings(bad)


def test_a_late_source_is_found_and_an_on_time_one_passes(landed):
    report = sf.assess_all(landed, NOW, sf.load_settings(landed))
    assert set(report) == {
        "payments.settlements",
        "payments.fx_rates",
        "games.rounds",
        "games.provider_reports",
        "payments.transactions",
    }
    fx = report["payments.fx_rates"]
    assert (fx.late, fx.expected_day, fx.newest_day) == (
        False,
        date(2026, 9, 14),
        date(2026, 9, 14),
    )

    rounds = report["games.rounds"]
    assert (rounds.late, rounds.newest_day) == (True, date(2026, 9, 13))
    # due 09-15 05:00, now 05:30: half an hour overdue
    assert rounds.overdue_hours(NOW) == 0.5

    settlements = report["payments.settlements"]
    # psp_a's 09-14 makes the entity's newest day 09-14, yet psp_b has not delivered it
    assert settlements.newest_day == date(2026, 9, 14)
    assert settlements.late and settlements.late_parts == ("psp_b",)

    reports = report["games.provider_reports"]
    assert reports.late and reports.newest_day is None

    transactions = report["payments.transactions"]
    # 06:00 deadline: at 05:30 the newest due day is 09-13, and 09-14 has landed already
    assert transactions.expected_day == date(2026, 9, 13) and not transactions.late


def test_the_sensor_reports_late_sources_and_checks_them_again_when_they_land(landed, monkeypatch):
    from orchestration.assets.freshness import check_key, late_sources_sensor
    from orchestration.resources import IgwResource

    igw = IgwResource(data_dir=str(landed))

    def tick(now: datetime, cursor: str | None):
        monkeypatch.setattr(sf, "utc_now", lambda: now)
        context = dg.build_sensor_context(cursor=cursor, resources={"igw": igw})
        return late_sources_sensor(context), context.cursor

    # First tick after the 05:00 deadline: every source with a deadline is checked once.
    request, cursor = tick(NOW, None)
    assert isinstance(request, dg.RunRequest)
    assert set(request.asset_check_keys) == {
        check_key(key)
        for key in (
            "payments.settlements",
            "payments.fx_rates",
            "games.rounds",
            "games.provider_reports",
            "payments.transactions",
        )
    }
    assert request.tags["igw/late_sources"] == (
        "games.provider_reports,games.rounds,payments.settlements"
    )

    # Ten minutes on: no deadline passed, nothing landed: nothing to run.
    skip, cursor = tick(NOW + timedelta(minutes=10), cursor)
    assert isinstance(skip, dg.SkipReason)
    assert "still late: games.provider_reports, games.rounds, payments.settlements" in (
        skip.skip_message
    )

    # The late rounds land: their check runs again (and will pass), the others wait.
    land_round(landed, date(2026, 9, 14))
    request, cursor = tick(NOW + timedelta(minutes=20), cursor)
    assert request.asset_check_keys == [check_key("games.rounds")]
    assert request.tags["igw/late_sources"] == "none"

    # 06:00: the transactions' deadline for 09-14 passes, and they have landed it.
    request, cursor = tick(datetime(2026, 9, 15, 6, 0, tzinfo=UTC), cursor)
    assert request.asset_check_keys == [check_key("payments.transactions")]
    assert request.tags["igw/late_sources"] == "none"


def test_the_freshness_check_fails_for_a_late_source(landed, monkeypatch):
    from orchestration.assets.freshness import CHECK_NAME, landed_source_freshness
    from orchestration.assets.landing import landing_assets
    from orchestration.resources import IgwResource

    monkeypatch.setattr(sf, "utc_now", lambda: NOW)
    result = dg.materialize(
        [*landing_assets, landed_source_freshness],
        selection=dg.AssetSelection.checks(landed_source_freshness),
        resources={"igw": IgwResource(data_dir=str(landed))},
    )
    assert result.success  # a failed check is recorded, it does not fail the run
    assert not result.get_asset_materialization_events()  # checks only: nothing landed
    evaluations = {
        e.asset_key.to_user_string(): e
        for e in result.get_asset_check_evaluations()
        if e.check_name == CHECK_NAME
    }
    assert len(evaluations) == 13  # one per landing asset
    assert evaluations["payments/fx_rates"].passed
    assert evaluations["payments/transactions"].passed
    assert evaluations["affiliate/clicks"].passed  # no deadline: cannot be late
    assert evaluations["affiliate/clicks"].metadata["deadline"].value == "none"

    rounds = evaluations["games/rounds"]
    assert not rounds.passed and rounds.severity == dg.AssetCheckSeverity.ERROR
    assert rounds.metadata["expected_day"].value == "2026-09-14"
    assert rounds.metadata["newest_day_landed"].value == "2026-09-13"
    assert rounds.metadata["overdue_hours"].value == 0.5
    assert "2026-09-14 has not landed" in rounds.description

    settlements = evaluations["payments/settlements"]
    assert not settlements.passed
    assert settlements.metadata["late_parts"].value == ["psp_b"]
    assert not evaluations["games/provider_reports"].passed
