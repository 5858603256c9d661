"""The expected answers, computed from the finished source tables by the business rules.

Recomputed from the tables (not from what the generator meant to plant), so an accidental
interaction (two accounts sharing a device, a stray click) is reflected as the rules see it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.generator.arrays import US_PER_HOUR

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
