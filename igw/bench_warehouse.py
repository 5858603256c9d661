"""`igw bench --warehouse`: does a nightly build cost what its day costs, not its history?

One child process generates an operator, lands it straight into a landing zone (no
vendors: ingestion has its own benchmark) and builds the warehouse the way the nightly
job does, with each night's window as dbt vars:

    history 1   the first quarter of the period landed, built in full
    night 1     the next day landed, built incrementally
    empty night a night with nothing landed: dbt's fixed cost, the floor
    history 2   everything up to the period's last day but one, caught up in one build
    night 2     the last day landed, built incrementally
    full        a --full-refresh over all history, for comparison

A nightly build whose cost follows its day has night 2 ≈ night 1 (days alike) while
history 2 holds several times history 1's rows; a build that rescans history would grow
with it, like the full refresh does.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _landed_rounds(data_dir: Path) -> int:
    import duckdb

    pattern = str(data_dir / "landing" / "games" / "rounds" / "*" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet('{pattern}')").fetchone()[0]


def _model_seconds() -> tuple[float, float, dict[str, float]]:
    """Seconds dbt spent in the last invocation's incremental models, in the others, and per
    incremental model (from target/run_results.json and the manifest)."""
    from igw.config import dbt_target_dir

    target = dbt_target_dir()
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    incremental, other, per_model = 0.0, 0.0, {}
    for result in results:
        node = nodes.get(result["unique_id"], {})
        if node.get("config", {}).get("materialized") == "incremental":
            incremental += result["execution_time"]
            per_model[node["name"]] = result["execution_time"]
        else:
            other += result["execution_time"]
    return incremental, other, per_model


def measure(work: Path, players: int, months: int, seed: int) -> dict:
    """Run the whole sequence in this process and return its figures."""
    from igw.config import activate
    from igw.dbt_runner import build_args, run_dbt, window_vars
    from ingestion.generator import generate_operator
    from ingestion.generator.publish import land_published, publication_days

    data_dir = activate(work / "data").data_dir
    os.environ.setdefault("IGW_PSEUDONYM_KEY", "bench-key")
    operator = generate_operator(seed=seed, players=players, start=date(2026, 1, 1), months=months)
    days = publication_days(operator)
    first_quarter = days[0] + (days[-1] - days[0]) / 4
    night_1, empty_night, night_2 = first_quarter + timedelta(days=1), None, days[-1]
    figures: dict = {"players": players, "months": months}

    def build(label: str, window: tuple[date, date] | None, full_refresh=False) -> None:
        dbt_vars = window_vars(window[0], window[1] + timedelta(days=1)) if window else None
        clock = time.perf_counter()
        run_dbt(
            build_args(
                command="run", exclude="tag:monthly", dbt_vars=dbt_vars, full_refresh=full_refresh
            ),
            data_dir,
        )
        figures[f"{label}_seconds"] = time.perf_counter() - clock
        incremental, other, per_model = _model_seconds()
        figures[f"{label}_incremental_seconds"] = incremental
        figures[f"{label}_other_seconds"] = other
        figures[f"{label}_per_model"] = per_model

    def land(label: str, first: date, last: date) -> None:
        landed = land_published(operator, data_dir, first, last)
        figures[f"{label}_rows"] = sum(landed.values())
        figures[f"{label}_rounds"] = landed.get("games.rounds", 0)

    land("history_1", days[0], first_quarter)
    run_dbt(build_args(command="seed"), data_dir)
    build("history_1", None)
    figures["history_1_rounds_total"] = _landed_rounds(data_dir)
    land("night_1", night_1, night_1)
    build("night_1", (night_1, night_1))
    empty_night = night_1 + timedelta(days=1)
    build("empty_night", (date(1999, 1, 1), date(1999, 1, 1)))  # nothing landed in it
    land("history_2", empty_night, night_2 - timedelta(days=1))
    build("history_2", (empty_night, night_2 - timedelta(days=1)))
    figures["history_2_rounds_total"] = _landed_rounds(data_dir)
    land("night_2", night_2, night_2)
    build("night_2", (night_2, night_2))
    build("full", None, full_refresh=True)
    figures["night_1_day"] = night_1.isoformat()
    figures["night_2_day"] = night_2.isoformat()
    figures["peak_rss_mb"] = _peak_rss_mb()
    return figures


def run_warehouse_bench(work: Path, players: int, months: int, seed: int) -> dict:
    """Run `measure` in a fresh child process (its own memory peak) and return its figures."""
    import subprocess

    arguments = json.dumps({"players": players, "months": months, "seed": seed})
    command = [sys.executable, "-m", "igw.bench_warehouse", str(work), arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"warehouse bench failed: {tail[0]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report_lines(figures: dict) -> list[tuple[str, str, str]]:
    """(measure, value, ratio) rows. Wall time per build over the empty night's (dbt's fixed
    cost, the floor), and the time inside the incremental fact models, which is what must
    follow the day: night 2 against night 1 while history grew history_growth times."""
    floor = figures["empty_night_seconds"]
    rows = []
    for night, history in (("night_1", "history_1"), ("night_2", "history_2")):
        rows.append(
            (
                f"{night} ({figures[f'{night}_day']}): {figures[f'{night}_rows']:,} rows landed "
                f"over {figures[f'{history}_rounds_total']:,} rounds of history",
                f"{figures[f'{night}_seconds']:.1f} s",
                f"{figures[f'{night}_seconds'] / floor:.2f}× floor",
            )
        )
        rows.append(
            (
                "  of which in the incremental fact models (rounds, clicks, money, days)",
                f"{figures[f'{night}_incremental_seconds']:.1f} s",
                "",
            )
        )
        rows.append(
            (
                "  of which in models rebuilt whole (players, identity, attribution, dims)",
                f"{figures[f'{night}_other_seconds']:.1f} s",
                "",
            )
        )
    rows += [
        ("floor: empty night (dbt's fixed cost)", f"{floor:.1f} s", "1.00× floor"),
        (
            f"full refresh of all history ({figures['history_2_rounds_total']:,} rounds)",
            f"{figures['full_seconds']:.1f} s",
            f"{figures['full_seconds'] / floor:.2f}× floor",
        ),
        (
            "history growth, night 1 → night 2 (rounds)",
            f"{figures['history_2_rounds_total'] / figures['history_1_rounds_total']:.1f}×",
            "",
        ),
        (
            "day growth, night 1 → night 2 (rows landed)",
            f"{figures['night_2_rows'] / max(figures['night_1_rows'], 1):.2f}×",
            "",
        ),
        (
            "incremental fact models' time, night 1 → night 2",
            f"{_ratio(figures, 'night_2_incremental_seconds', 'night_1_incremental_seconds'):.2f}×",
            "",
        ),
    ]
    return rows


def _ratio(figures: dict, numerator: str, denominator: str) -> float:
    return figures[numerator] / max(figures[denominator], 0.01)


if __name__ == "__main__":
    work_dir, arguments = Path(sys.argv[1]), json.loads(sys.argv[2])
    result = measure(work_dir, **arguments)
    print(json.dumps(result))
