# The two set-up commands are `make run` and `make test` (README.md). Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: run test unit lint bench system-packages engine sim-image clean

$(VENV)/.installed: pyproject.toml
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@

## Open the window.
run: $(VENV)/.installed
	$(VENV)/bin/ks-gui

## Everything the tests need (system packages, a Docker engine, the stand-in image), then lint, pytest and the
## benchmarks (their ratios land in the CI log). pytest's exit code 5 (no tests collected) fails the target too.
test: $(VENV)/.installed system-packages engine sim-image lint
	$(PYTHON) -m pytest
	$(MAKE) --no-print-directory bench

## The tests that need no Docker engine.
unit: $(VENV)/.installed lint
	$(PYTHON) -m pytest -m "not engine"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check ks_gui tests
	$(VENV)/bin/ruff format --check ks_gui tests

## Speed, as ratios against baselines measured in the same run.
bench: $(VENV)/.installed engine sim-image
	$(PYTHON) -m tests.bench.container_start
	$(PYTHON) -m tests.bench.line_parsing

system-packages:
	tests/setup/system-packages.sh

engine: system-packages
	tests/setup/docker-engine.sh

sim-image: $(VENV)/.installed engine
	tests/sim/build.sh $(PYTHON)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
