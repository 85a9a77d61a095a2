# Every target creates .venv on first use, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run sim test lint typecheck unit check-config clean bench bench-smoke

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m monitor demo

run: $(STAMP)
	$(BIN)/python -m monitor

sim: $(STAMP)
	$(BIN)/python -m monitor sim

check-config: $(STAMP)
	$(BIN)/python -m monitor check-config

lint: $(STAMP)
	$(BIN)/ruff check monitor tests bench docs
	$(BIN)/ruff format --check monitor tests bench docs
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy monitor tests bench docs

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# Benchmarks never run inside `make test`. Needs nginx and its echo module (Debian:
# nginx libnginx-mod-http-echo) and taskset; writes bench/results/latest.{json,md}.
bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-smoke: $(STAMP)
	$(BIN)/python -m bench.run --smoke
