"""Bad input gets a clear one-line error, exit code 2, and changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from igw.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["payout", "build", "--month", "2026-13"], "--month must look like YYYY-MM"),
        (["payout", "build", "--month", "2020-01"], "no warehouse at"),
        (["payout", "build", "--month", "2999-01"], "2999-01 has not ended"),
        (["payout", "close", "--month", "2026-00"], "--month must look like YYYY-MM"),
        (["payout", "close", "--month", "2020-01"], "no warehouse at"),
        (["ingest", "--from", "2026-08-05", "--to", "2026-08-01"], "is before --from"),
        (["ingest", "--from", "yesterday"], "--from must be a date YYYY-MM-DD"),
        (["ingest", "--from", "2026-08-01"], "no sources configuration at"),
        (["vendors", "serve"], "no simulated data at"),
        (["build"], "nothing landed under"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_dir, args, message):
    before = sorted(p.name for p in data_dir.iterdir())
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_demo_refuses_a_data_dir_it_did_not_make(data_dir):
    (data_dir / "warehouse.duckdb").write_text("someone else's")
    result = runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--players", "10"])
    assert result.exit_code == 2
    assert "holds data the demo did not make" in result.output
    assert (data_dir / "warehouse.duckdb").read_text() == "someone else's"
