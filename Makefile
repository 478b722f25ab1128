# cctwin: `make demo` installs everything and runs the control centre; `make test` checks it all.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
# These declare GUI OpenCV (or old pins) that would replace the headless wheel; their real
# needs are listed in pyproject.toml, so they install without their own dependency lists.
NO_DEPS := trackers==2.6.1 supervision==0.31.2 motmetrics==1.4.0

.PHONY: install system-packages media demo test lint typecheck bench clean

install: $(STAMP) system-packages

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet -p $(BIN)/python -e '.[dev]'
	$(UV) pip install --quiet -p $(BIN)/python --no-deps $(NO_DEPS)
	touch $(STAMP)

system-packages:
	scripts/install-system-packages.sh

media:
	scripts/fetch-demo-media.sh

demo: install media
	$(BIN)/cctwin analyze var/media/vtest.avi --config config/demo.yaml --out var/demo
	@echo "Tracks, events and the summary are in var/demo/ (events.jsonl, summary.json)." 

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy src

test: install lint typecheck
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
