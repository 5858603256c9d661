# The two newcomer commands: `make demo` and `make test`. Both create .venv from nothing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.8

.PHONY: demo test lint sqllint pytest browser env lock dagster clean

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
pytest: $(STAMP) browser
	$(BIN)/pytest -n 2 --dist loadfile

# The report's browser test (tests/test_report.py) opens it in Debian's headless Chromium
# driven by chromedriver: installed here when missing (CI runs as root on fresh Debian).
# Where it cannot be installed, say why and go on: that test then fails naming what is missing.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then \
		echo "browser: $(CHROMIUM) and $(CHROMEDRIVER) are installed"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser: cannot install Chromium: no apt-get (not Debian); install chromium and chromedriver as $(CHROMIUM) and $(CHROMEDRIVER)"; \
	elif [ "$$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then \
		echo "browser: cannot install Chromium: apt-get needs root (run: sudo apt-get install -y --no-install-recommends chromium chromium-driver)"; \
	else \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo "sudo -n"); \
		echo "browser: installing Debian's chromium and chromium-driver"; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver \
		|| echo "browser: apt-get could not install chromium chromium-driver (see above)"; \
	fi

# Re-pin after editing pyproject.toml dependencies.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

dagster: $(STAMP)
	$(BIN)/igw dagster

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
