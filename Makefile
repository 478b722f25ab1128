# cctwin: `make demo` installs everything and runs the control centre; `make test` checks it all.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
# These declare GUI OpenCV (or old pins) that would replace the headless wheel; their real
# needs are listed in pyproject.toml, so they install without their own dependency lists.
NO_DEPS := trackers==2.6.1 supervision==0.31.2 motmetrics==1.4.0 ngsildclient==0.5.2 \
	jupedsim==1.4.2

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

# vtest.avi is MS-MPEG4 with a single keyframe; cameras send H.264 with a GOP of a second or
# two, and browsers play H.264 clips, so the demo cameras loop an H.264 copy.
media: $(STAMP)
	scripts/fetch-demo-media.sh
	test -s var/media/vtest.mp4 || $(BIN)/python -c "from pathlib import Path; \
	from cctwin.bench.clips import transcode_clip; \
	transcode_clip(Path('var/media/vtest.avi'), Path('var/media/vtest.mp4'), width=768, height=576, fps=10, gop=20)"

# The control centre on Gongdeok-dong with four cameras looping PETS 2009 through the models.
demo: install media
	$(BIN)/cctwin up --config config/demo.yaml

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

# The dashboard's map library, vendored from npm into web/vendor/ (git-ignored) so that the
# browser never needs a CDN: a control room is often cut off from the internet.
MAPLIBRE := maplibre-gl@6
PMTILES := pmtiles@4
WEB_VENDOR := web/vendor

.PHONY: web
install: web

web: $(WEB_VENDOR)/maplibre-gl.mjs $(WEB_VENDOR)/pmtiles.js

# The ESM build finds its worker beside itself (import.meta.url), so both files go together;
# the module is copied last so that an interrupted run leaves no target and is simply redone.
$(WEB_VENDOR)/maplibre-gl.mjs:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent $(MAPLIBRE) >/dev/null && tar -xzf maplibre-gl-*.tgz ) && \
	mkdir -p $(WEB_VENDOR) && \
	cp "$$tmp/package/dist/maplibre-gl-worker.mjs" "$$tmp/package/dist/maplibre-gl.css" $(WEB_VENDOR)/ && \
	cp "$$tmp/package/LICENSE.txt" $(WEB_VENDOR)/maplibre-gl.LICENSE.txt && \
	node -p "require('$$tmp/package/package.json').version" > $(WEB_VENDOR)/maplibre-gl.VERSION && \
	cp "$$tmp/package/dist/maplibre-gl.mjs" $(WEB_VENDOR)/maplibre-gl.mjs && \
	echo "Vendored maplibre-gl $$(cat $(WEB_VENDOR)/maplibre-gl.VERSION) into $(WEB_VENDOR)/"

# PMTiles (a `site.basemap` of type pmtiles): the self-contained script build, loaded on demand.
$(WEB_VENDOR)/pmtiles.js:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent $(PMTILES) >/dev/null && tar -xzf pmtiles-*.tgz ) && \
	mkdir -p $(WEB_VENDOR) && \
	node -p "require('$$tmp/package/package.json').version" > $(WEB_VENDOR)/pmtiles.VERSION && \
	cp "$$tmp/package/dist/pmtiles.js" $(WEB_VENDOR)/pmtiles.js && \
	echo "Vendored pmtiles $$(cat $(WEB_VENDOR)/pmtiles.VERSION) into $(WEB_VENDOR)/"
