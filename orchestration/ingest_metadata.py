"""What a landing materialization shows, computed from the runs' figures (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

from ingestion.ingest import EntityRun


def materialization_metadata(runs: Sequence[EntityRun]) -> dict:
    """Rows, bytes and lag of one partition's runs (a backfill holds several days)."""
    lags = [run.lag_seconds for run in runs if run.lag_seconds is not None]
    return {
        "rows_fetched": sum(run.rows_fetched for run in runs),
        "rows_landed": sum(run.rows_landed for run in runs),
        "rows_quarantined": sum(run.rows_quarantined for run in runs),
        "rows_already_landed": sum(run.duplicates_skipped for run in runs),
        "bytes_fetched": sum(run.bytes_fetched for run in runs),
        "bytes_landed": sum(run.bytes_landed for run in runs),
        "files": sum(run.files for run in runs),
        "requests": sum(run.requests for run in runs),
        "retries": sum(run.retries for run in runs),
        # How far the newest landed record is behind the end of the partition's last day.
        "lag_seconds": lags[-1] if lags else None,
        "batches": [batch for run in runs for batch in run.batches],
    }


def check_summary(runs: Sequence[EntityRun]) -> dict:
    """The expectation suite's results over the partition: failed records per expectation."""
    failed: dict[str, int] = {}
    evaluated = 0
    for run in runs:
        for outcome in run.outcomes:
            evaluated += outcome.valid.num_rows + outcome.rejected.num_rows
            for check in outcome.checks:
                if check.unexpected_count:
                    name = check.name if check.column is None else f"{check.name}({check.column})"
                    failed[name] = failed.get(name, 0) + check.unexpected_count
    quarantined = sum(run.rows_quarantined for run in runs)
    return {
        "passed": quarantined == 0,
        "metadata": {
            "records_evaluated": evaluated,
            "records_quarantined": quarantined,
            **{f"failed: {name}": count for name, count in sorted(failed.items())},
        },
    }
