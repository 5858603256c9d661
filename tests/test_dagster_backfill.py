"""A backfill of a date range is one dbt invocation: the partition range -> one dbt window.

(The 3-day materialization that proves dbt runs once is in test_nightly_end_to_end.py, on
its generated operator's warehouse.)
"""

from __future__ import annotations

import json

import dagster as dg
import pytest

from orchestration.partition_args import daily_range_build_args, partition_days
from orchestration.partitions import daily_partitions


def _vars(args: list[str]) -> dict:
    assert args[0] == "build" and args[1] == "--vars"
    return json.loads(args[2])


def test_a_partition_range_is_one_window_of_landing_days():
    # three daily partitions 08-05, 08-06, 08-07: min_date the first, max_date the last
    assert _vars(daily_range_build_args("2026-08-05", "2026-08-07")) == {
        "min_date": "2026-08-05",
        "max_date": "2026-08-07",
    }
    # the nightly's single partition is a range of one day
    assert _vars(daily_range_build_args("2026-08-05", "2026-08-05")) == {
        "min_date": "2026-08-05",
        "max_date": "2026-08-05",
    }
    # across a month end: 08-30 .. 09-02 is four days in one window
    assert _vars(daily_range_build_args("2026-08-30", "2026-09-02")) == {
        "min_date": "2026-08-30",
        "max_date": "2026-09-02",
    }
    with pytest.raises(ValueError, match="before it starts"):
        partition_days("2026-08-07", "2026-08-05")


def test_a_backfill_context_carries_the_whole_range():
    # What a single-run backfill hands the asset: one context, the range's first and last key.
    keys = dg.PartitionKeyRange("2026-08-05", "2026-08-07")
    assert daily_partitions.get_partition_keys_in_range(keys) == [
        "2026-08-05",
        "2026-08-06",
        "2026-08-07",
    ]
    context = dg.build_asset_context(partition_key_range=keys)
    window = context.partition_key_range
    assert _vars(daily_range_build_args(window.start, window.end)) == {
        "min_date": "2026-08-05",
        "max_date": "2026-08-07",
    }
