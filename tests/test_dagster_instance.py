"""dagster.yaml keeps Dagster's records under the data dir; the Postgres example is valid."""

from __future__ import annotations

import dagster as dg
from dagster._core.instance.config import dagster_instance_config

from igw.config import REPO_ROOT


@dg.asset
def probe() -> None:
    print("probe ran")  # a line for the compute log


def test_runs_event_logs_and_compute_logs_live_under_the_data_dir(data_dir, monkeypatch):
    dagster_dir = data_dir / "dagster"  # what `igw dagster` exports as IGW_DAGSTER_DIR
    monkeypatch.setenv("IGW_DAGSTER_DIR", str(dagster_dir))
    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    try:
        result = dg.materialize([probe], instance=instance)
        assert result.success
        # Run storage and the run's event log are SQLite files in the data dir.
        assert (dagster_dir / "history" / "runs.db").is_file()
        assert (dagster_dir / "history" / "runs" / f"{result.run_id}.db").is_file()
        assert instance.get_run_by_id(result.run_id).is_success
        # Compute logs and the sensor/schedule state go there too.
        assert str(instance.compute_log_manager._base_dir).startswith(str(dagster_dir))
        assert (dagster_dir / "schedules" / "schedules.db").is_file()
        # One run at a time: DuckDB has one writer.
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        assert coordinator.get_run_queue_config().max_concurrent_runs == 1
    finally:
        instance.dispose()
    assert not (REPO_ROOT / "history").exists()  # nothing written beside dagster.yaml


def test_the_postgres_example_is_a_valid_instance_config(monkeypatch):
    from dagster._config import process_config
    from dagster._core.storage.config import pg_config

    # Validated against Dagster's instance schema (dagster-postgres is needed only to run it).
    config, _ = dagster_instance_config(str(REPO_ROOT), config_filename="dagster.postgres.yaml")
    postgres = config["storage"]["postgres"]
    # No secret in the file: every connection value is read from the environment.
    assert {name: value for name, value in postgres["postgres_db"].items() if name != "params"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
    }
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 1
    assert config["compute_logs"]["config"]["base_dir"] == {"env": "IGW_DAGSTER_DIR"}

    # With the environment set, the values resolve as dagster-postgres will read them.
    for name, value in {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5433",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "from-a-secret-store",
    }.items():
        monkeypatch.setenv(name, value)
    resolved = process_config(pg_config(), postgres)
    assert resolved.success, resolved.errors
    database = resolved.value["postgres_db"]
    assert (database["hostname"], database["port"], database["password"]) == (
        "db.internal",
        5433,
        "from-a-secret-store",
    )
