"""`igw bench`: generation and ingestion throughput and peak memory, against floors.

Each phase runs in a child process of its own, so its peak memory (max RSS) is its own:

    generate  simulate the operator (rounds/s of the rounds table, rows/s overall)
    store     write the vendors' files (rows/s)
    ingest    nightly runs against the live simulated vendors: HTTP, validation, landing
    floors    the same amount of work done the cheapest way, measured in the same run:
              drawing the rounds' random numbers with numpy (generation floor), and reading
              the vendor files and writing them back as one Parquet file (ingestion floor)

Ratios are phase time ÷ floor time: how far each phase is from the bare minimum of its
work on this machine, so the figures compare across machines.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _phase_generate(work: Path, players: int, months: int, seed: int) -> dict:
    from ingestion.generator import generate_operator

    started = time.perf_counter()
    operator = generate_operator(seed=seed, players=players, start=date(2025, 1, 1), months=months)
    seconds = time.perf_counter() - started
    rows = {key: table.num_rows for key, table in operator.tables.items()}
    timings = dict(getattr(operator, "timings", {}) or {})
    return {
        "seconds": seconds,
        "rows": sum(rows.values()),
        "rounds": rows["games.rounds"],
        "rounds_seconds": timings.get("rounds"),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _phase_store(work: Path, players: int, months: int, seed: int) -> dict:
    from ingestion.generator import generate_operator
    from ingestion.vendors.outbox import write_vendor_outbox

    operator = generate_operator(seed=seed, players=players, start=date(2025, 1, 1), months=months)
    started = time.perf_counter()
    write_vendor_outbox(operator, work / "vendors")
    seconds = time.perf_counter() - started
    rows = sum(table.num_rows for table in operator.tables.values())
    size = sum(p.stat().st_size for p in (work / "vendors").rglob("*") if p.is_file())
    return {"seconds": seconds, "rows": rows, "bytes": size, "peak_rss_mb": _peak_rss_mb()}


def _phase_ingest(work: Path, every_days: int) -> dict:
    from igw.demo import delivery_range, end_of_day_iso
    from ingestion.ingest import ingest
    from ingestion.sources import load_settings
    from ingestion.vendors.serve import live_vendors, sources_path

    data_dir = work / "data"
    first, last = delivery_range(work / "vendors")
    with live_vendors(work / "vendors", data_dir) as vendors:
        settings = load_settings(sources_path(data_dir))
        started = time.perf_counter()
        landed = ingest(
            settings,
            data_dir,
            first,
            last,
            every_days=every_days,
            before_day=lambda day: vendors.set_clock(end_of_day_iso(day)),
        )
        seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (data_dir / "landing").rglob("*.parquet"))
    return {
        "seconds": seconds,
        "rows": sum(landed.values()),
        "rounds": landed["games.rounds"],
        "bytes": size,
        "runs": ((last - first).days // every_days) + 1,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _phase_floors(work: Path, rounds: int) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ingestion.connectors import delivery_files, read_delivery_raw
    from ingestion.contract import load_contract

    # Generation floor: one random draw per column of every round (12 columns), no logic.
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(12):
        rng.random(rounds)
    generation_floor = time.perf_counter() - started

    # Ingestion floor: read every vendor file once and write all rows back as Parquet.
    started = time.perf_counter()
    rows = 0
    for entity in load_contract().values():
        tables = [read_delivery_raw(p, entity) for p in delivery_files(work / "vendors", entity)]
        if tables:
            table = pa.concat_tables(tables, promote_options="permissive")
            rows += table.num_rows
            pq.write_table(table, work / f"floor-{entity.key}.parquet", compression="zstd")
    ingestion_floor = time.perf_counter() - started
    return {
        "generation_floor_seconds": generation_floor,
        "ingestion_floor_seconds": ingestion_floor,
        "ingestion_floor_rows": rows,
        "peak_rss_mb": _peak_rss_mb(),
    }


_PHASES = {
    "generate": _phase_generate,
    "store": _phase_store,
    "ingest": _phase_ingest,
    "floors": _phase_floors,
}


def run_phase(phase: str, work: Path, **arguments) -> dict:
    """Run one phase in a fresh child process and return its figures."""
    command = [sys.executable, "-m", "igw.bench", phase, str(work), json.dumps(arguments)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"bench phase {phase} failed: {tail[0]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class BenchReport:
    players: int
    months: int
    generate: dict
    store: dict
    ingest: dict
    floors: dict

    def lines(self) -> list[tuple[str, str, str, str]]:
        """(measure, value, ratio to floor, peak RSS) rows for printing."""
        gen, store, ing, floors = self.generate, self.store, self.ingest, self.floors
        rounds_seconds = gen["rounds_seconds"] or gen["seconds"]
        gen_floor = floors["generation_floor_seconds"]
        ing_floor = floors["ingestion_floor_seconds"]
        return [
            (
                "generation: rounds/s (rounds table only)",
                f"{gen['rounds'] / rounds_seconds:,.0f}",
                f"{rounds_seconds / gen_floor:.1f}× floor",
                f"{gen['peak_rss_mb']:,.0f} MB",
            ),
            (
                "generation: all rows/s (whole operator)",
                f"{gen['rows'] / gen['seconds']:,.0f}",
                "",
                f"{gen['peak_rss_mb']:,.0f} MB",
            ),
            (
                "vendor files written: rows/s",
                f"{store['rows'] / store['seconds']:,.0f}",
                "",
                f"{store['peak_rss_mb']:,.0f} MB",
            ),
            (
                f"ingestion: rows/s ({ing['runs']} runs, HTTP + validation + landing)",
                f"{ing['rows'] / ing['seconds']:,.0f}",
                f"{ing['seconds'] / ing_floor:.1f}× floor",
                f"{ing['peak_rss_mb']:,.0f} MB",
            ),
            (
                "floor: read vendor files + write Parquet, rows/s",
                f"{floors['ingestion_floor_rows'] / ing_floor:,.0f}",
                "1.0× floor",
                f"{floors['peak_rss_mb']:,.0f} MB",
            ),
        ]


def run_bench(work: Path, players: int, months: int, seed: int, every_days: int) -> BenchReport:
    work.mkdir(parents=True, exist_ok=True)
    common = {"players": players, "months": months, "seed": seed}
    generate = run_phase("generate", work, **common)
    store = run_phase("store", work, **common)
    ingest = run_phase("ingest", work, every_days=every_days)
    floors = run_phase("floors", work, rounds=generate["rounds"])
    return BenchReport(players, months, generate, store, ingest, floors)


if __name__ == "__main__":
    phase, work_dir, arguments = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    print(json.dumps(_PHASES[phase](work_dir, **arguments)))
