# The two newcomer commands: `make demo` and `make test`. Both create .venv from nothing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.8

.PHONY: demo test lint sqllint pytest env lock dagster clean

env: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/igw demo

test: lint sqllint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# sqlfluff's dbt templater compiles the project, so it gets a throw-away data dir.
sqllint: $(STAMP)
	IGW_DATA_DIR=$$(mktemp -d) $(BIN)/sqlfluff lint dbt_project/models

# Two workers (the machines have two cores); a test file stays on one worker, so its
# module-scoped warehouse is built once.
pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

# Re-pin after editing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

dagster: $(STAMP)
	$(BIN)/igw dagster

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
