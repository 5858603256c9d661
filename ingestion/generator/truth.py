"""The expected answers, computed from the finished source tables by the business rules,
and the record of what was planted.

Attribution and identity are recomputed from the valid tables (not from what the
generator meant to plant), so an accidental interaction (two accounts sharing a device, a
stray click) is reflected as the rules see it. The planted cases and delivery faults are
listed as the generator made them:

- `planted`: behaviour cases (multi-account rings, bonus abuse, chargeback fraud,
  self-exclusions, cooling-off, closures, KYC failures, fraud flags and clearances,
  erasure requests, click floods): one row per case and record.
- `faults`: delivery faults (duplicate deliveries, rounds re-sent as cancelled, deposits
  pending then approved then reversed, late rows, players published after their first
  rounds, the missing FX rate, invalid records) and the vendor totals planted off by one
  record (`settlement_mismatch`, `provider_report_mismatch`: key
  "YYYY-MM-DD|psp_or_provider|currency"): one row per fault and record.
- `late`: every row published after its delivery day, with how many days late.
- `invalid`: every record that breaks the contract, with the column and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.generator.arrays import US_PER_HOUR

if TYPE_CHECKING:
    from ingestion.generator.operator import OperatorData

ATTRIBUTION_WINDOW_US = 720 * US_PER_HOUR  # business rules §4: 30 days, 720 hours

ATTRIBUTION_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.string(), nullable=False),
        pa.field("affiliate_id", pa.string()),
        pa.field("campaign_id", pa.string()),
        pa.field("click_id", pa.string()),
        pa.field("method", pa.string(), nullable=False),  # click_id | device | organic
    ]
)
IDENTITY_SCHEMA = pa.schema(
    [
        pa.field("player_id", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
    ]
)


PLANTED_SCHEMA = pa.schema(
    [
        pa.field("case", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),  # "source.entity" of the key
        pa.field("key", pa.string(), nullable=False),  # primary key of the record
        pa.field("player_id", pa.string()),
        pa.field("detail", pa.string(), nullable=False),
    ]
)
FAULTS_SCHEMA = pa.schema(
    [
        pa.field("fault", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),  # composite keys joined with "|"
        pa.field("detail", pa.string(), nullable=False),
    ]
)
LATE_SCHEMA = pa.schema(
    [
        pa.field("entity", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("due_on", pa.date32(), nullable=False),  # the row's own delivery day
        pa.field("published_on", pa.date32(), nullable=False),
        pa.field("days_late", pa.int64(), nullable=False),
    ]
)
INVALID_SCHEMA = pa.schema(
    [
        pa.field("entity", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("column", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


def truth_table(schema: pa.Schema, columns: dict[str, pa.Array | list]) -> pa.Table:
    """A ground-truth table with exactly `schema` (constants broadcast to the row count)."""
    size = max(len(v) for v in columns.values() if not isinstance(v, str))
    arrays = []
    for field in schema:
        value = columns[field.name]
        if isinstance(value, str):
            value = pa.array([value] * size, pa.string())
        elif not isinstance(value, pa.Array | pa.ChunkedArray):
            value = pa.array(value, field.type)
        arrays.append(value.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def stack(schema: pa.Schema, parts: list[pa.Table]) -> pa.Table:
    """Concatenate ground-truth parts into one contiguous table."""
    parts = [part for part in parts if part.num_rows]
    if not parts:
        return schema.empty_table()
    return pa.concat_tables(parts).combine_chunks()


def write_ground_truth(data: OperatorData, directory: Path) -> list[Path]:
    """Write every ground-truth table as Parquet, and a JSON summary of what was planted.

    Same operator, same bytes: no timestamps or writer-dependent metadata in the files.
    Returns the written paths, in name order.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(data.ground_truth):
        path = directory / f"{name}.parquet"
        frame = data.ground_truth[name].replace_schema_metadata(None)
        pq.write_table(frame, path, compression="zstd", write_statistics=False)
        written.append(path)
    summary = {
        "seed": data.seed,
        "players": data.players,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "planted_cases": _counts(data.ground_truth.get("planted"), "case"),
        "faults": _counts(data.ground_truth.get("faults"), "fault"),
        "planted": {key: _json_safe(value) for key, value in sorted(data.planted.items())},
    }
    path = directory / "planted_summary.json"
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    written.append(path)
    return sorted(written)


def _counts(frame: pa.Table | None, column: str) -> dict[str, int]:
    if frame is None or frame.num_rows == 0:
        return {}
    counted = frame.group_by(column).aggregate([([], "count_all")]).to_pylist()
    return {row[column]: row["count_all"] for row in sorted(counted, key=lambda r: r[column])}


def _json_safe(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.int64()).to_numpy()


def _current_players(players: pa.Table) -> pa.Table:
    """One row per player; the fields used here never change between versions."""
    frame = players.select(["player_id", "brand_id", "click_id", "device_id", "email"])
    frame = frame.append_column("registered_us", pa.array(_micros(players["registered_at"])))
    return pa.Table.from_pandas(
        frame.to_pandas().drop_duplicates("player_id").sort_values("player_id"),
        preserve_index=False,
    )


def attribution_truth(players: pa.Table, clicks: pa.Table) -> pa.Table:
    """Payout attribution per §4: registered click in the window, else latest device click."""
    people = _current_players(players).to_pandas()
    click_frame = clicks.select(
        ["click_id", "affiliate_id", "campaign_id", "brand_id", "device_id"]
    ).to_pandas()
    click_frame["clicked_us"] = _micros(clicks["clicked_at"])
    click_frame = click_frame.drop_duplicates("click_id")

    def in_window(frame: pd.DataFrame) -> pd.Series:
        return (
            (frame["click_brand"] == frame["brand_id"])
            & (frame["clicked_us"] <= frame["registered_us"])
            & (frame["clicked_us"] >= frame["registered_us"] - ATTRIBUTION_WINDOW_US)
        )

    renamed = click_frame.rename(columns={"brand_id": "click_brand", "device_id": "click_device"})
    by_id = people.merge(renamed, on="click_id", how="left")
    by_id = by_id[in_window(by_id)][["player_id", "click_id", "affiliate_id", "campaign_id"]]
    by_id["method"] = "click_id"

    rest = people[~people["player_id"].isin(by_id["player_id"]) & people["device_id"].notna()]
    rest = rest.drop(columns=["click_id"])
    by_device = rest.merge(renamed, left_on="device_id", right_on="click_device", how="inner")
    by_device = by_device[in_window(by_device)]
    by_device = by_device.sort_values(["player_id", "clicked_us", "click_id"])
    by_device = by_device.drop_duplicates("player_id", keep="last")
    by_device = by_device[["player_id", "click_id", "affiliate_id", "campaign_id"]]
    by_device["method"] = "device"

    found = pd.concat([by_id, by_device], ignore_index=True)
    result = people[["player_id"]].merge(found, on="player_id", how="left")
    result["method"] = result["method"].fillna("organic")
    result = result.sort_values("player_id")[ATTRIBUTION_SCHEMA.names]
    return pa.Table.from_pandas(result, schema=ATTRIBUTION_SCHEMA, preserve_index=False)


def identity_truth(players: pa.Table) -> pa.Table:
    """Persons per §3: accounts linked by normalised email or device_id, transitively."""
    people = _current_players(players)
    count = people.num_rows
    email = pc.utf8_lower(pc.utf8_trim_whitespace(people["email"])).to_numpy(zero_copy_only=False)
    device = people["device_id"].to_numpy(zero_copy_only=False)
    email_code = pd.factorize(email)[0]
    device_code = pd.factorize(device, use_na_sentinel=True)[0]  # -1 where no device

    # Connected components by min-label propagation: each pass lets every account take the
    # smallest label of any account it shares an email or device with, until nothing moves.
    label = np.arange(count)
    while True:
        previous = label.copy()
        for code in (email_code, device_code):
            linked = code >= 0
            smallest = np.full(code.max() + 1 if linked.any() else 0, count)
            np.minimum.at(smallest, code[linked], label[linked])
            label[linked] = np.minimum(label[linked], smallest[code[linked]])
        if np.array_equal(label, previous):
            break

    # The person is the earliest registration; ties go to the lowest player id (rows are
    # sorted by player id, so the row number breaks the tie).
    registered = people["registered_us"].to_numpy()
    order = np.lexsort((np.arange(count), registered, label))
    first_of_component = np.ones(count, dtype=bool)
    first_of_component[1:] = label[order][1:] != label[order][:-1]
    person_row = np.empty(count, dtype=np.int64)
    component_head = order[np.maximum.accumulate(np.where(first_of_component, np.arange(count), 0))]
    person_row[order] = component_head
    player_ids = people["player_id"]
    return pa.table(
        {"player_id": player_ids, "person_id": player_ids.take(pa.array(person_row))},
        schema=IDENTITY_SCHEMA,
    )
