# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test test-fast e2e lint format clean

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更高版本（当前：$$($(PYTHON) --version)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --python $(BIN)/python
	@touch $@

install: $(VENV)/.synced

# Development mode (GUAZHI_DEV=1): without it the app runs safe, as in production.
run: install
	GUAZHI_DEV=1 $(BIN)/python -m guazhi.run

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not e2e" -x -q

e2e: install
	$(BIN)/pytest tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var/broker var/staticfiles .pytest_cache

# Performance figures on the large demo dataset (README, "Performance"):
# SQLite by default, PostgreSQL when DATABASE_URL is set; fails on any FAIL.
.PHONY: bench
bench: install
	$(BIN)/python -m bench.run
