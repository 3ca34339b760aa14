# The two set-up commands are `make run` and `make test` (README.md). Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: run test unit lint bench system-packages engine sshd slurm sim-image phy-env ks4-env ks4-image clean

$(VENV)/.installed: pyproject.toml
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@

## Open the window. First the system libraries Qt's window needs: missing ones are installed on Debian/Ubuntu when
## that needs no password (root, or sudo without one), else named with the command that installs them.
run:
	scripts/display-libraries.sh $(SYSTEM_PYTHON)
	$(MAKE) --no-print-directory $(VENV)/.installed
	$(VENV)/bin/ks-gui

## Everything the tests need (system packages, a Docker engine, the stand-in image), then lint, pytest and the
## benchmarks (their ratios land in the CI log). pytest's exit code 5 (no tests collected) fails the target too.
test: $(VENV)/.installed system-packages engine sshd slurm sim-image phy-env ks4-env ks4-image lint
	$(PYTHON) -m pytest
	$(MAKE) --no-print-directory bench

## The tests that need no Docker engine.
unit: $(VENV)/.installed lint
	$(PYTHON) -m pytest -m "not engine"

## The house's rules: style (ruff), the import contracts (pyproject's [tool.importlinter]: what may import what),
## and the type checker (mypy, pyproject's [tool.mypy]: ks_gui/ with no errors).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check ks_gui tests
	$(VENV)/bin/ruff format --check ks_gui tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

## Speed, as ratios against baselines measured in the same run.
bench: $(VENV)/.installed engine sshd slurm sim-image ks4-env
	$(PYTHON) -m tests.bench.container_start
	$(PYTHON) -m tests.bench.server_start
	$(PYTHON) -m tests.bench.cluster_start
	$(PYTHON) -m tests.bench.pictures
	$(PYTHON) -m tests.bench.line_parsing
	$(PYTHON) -m tests.bench.window_start
	$(PYTHON) -m tests.bench.inspect_recording
	$(PYTHON) -m tests.bench.kilosort4_overhead
	$(PYTHON) -m tests.bench.log_flood
	$(PYTHON) -m tests.bench.eta

system-packages:
	tests/setup/system-packages.sh

engine: system-packages
	tests/setup/docker-engine.sh

## A one-node SLURM cluster on this machine (munged, slurmctld, slurmd) for the cluster tests.
slurm: system-packages
	tests/setup/slurm.sh

## OpenSSH and the test account the GPU-server tests log in as (tests/server start their own sshd on loopback).
sshd: engine
	tests/setup/sshd.sh

sim-image: $(VENV)/.installed engine
	tests/sim/build.sh $(PYTHON)

## The real phy (PyQt5) for the tests, in its own environment, installed by ks-gui's own installer
## (python -m venv + pip install phy); tests/phy find it through KS_GUI_PHY.
phy-env: build/phy-env/.installed

build/phy-env/.installed: $(VENV)/.installed
	$(VENV)/bin/ks-gui install phy --into build/phy-env
	touch $@

## Kilosort 4 for the tests (real CPU sorts), made by ks-gui's own installer: torch pinned first, then kilosort.
## TORCH_INDEX is where the CPU build of torch comes from; empty here, where pip's own sources hold the CPU wheel
## (on a machine without one, use https://download.pytorch.org/whl/cpu). The tests find it through build/ks4-env.
TORCH_INDEX ?=
ks4-env: build/ks4-env/.installed

build/ks4-env/.installed: $(VENV)/.installed
	KS_GUI_TORCH_INDEX=$(TORCH_INDEX) $(VENV)/bin/ks-gui install kilosort4 --into build/ks4-env
	touch $@

## The real Kilosort 4 image (docker/kilosort4/Dockerfile) on a CPU base made from Debian's packages, for the real
## sorts in its container (tests/kilosort4_image). Kept while its inputs are unchanged (a hash label).
ks4-image: $(VENV)/.installed engine
	tests/setup/kilosort4-image.sh $(PYTHON) ks-gui-test/kilosort4-cpu:latest

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
