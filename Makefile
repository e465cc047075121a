# Everything a fresh machine with Python 3.11 and make needs: each target
# creates the virtual environment and installs the project on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: plan, then apply, the demo spec against the embedded Alviss emulator
demo: $(STAMP)
	$(BIN)/reconciler plan specs/demo.yaml
	$(BIN)/reconciler apply --auto-approve specs/demo.yaml

## test: lint, type-check, check the layering, run the test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests
	$(BIN)/ruff format --check reconciler tests
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy reconciler

unit: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache

## bench: the benchmark suite (W1–W9 of docs/performance.md); one workload: make bench IDS=W1
bench: $(STAMP)
	$(BIN)/python -m benchmarks run $(IDS)
