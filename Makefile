# The two commands a fresh machine needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean assets

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p demo
	$(BIN)/amberline synth --ads 5000 --seed 7 --out demo/ads.jsonl
	$(BIN)/amberline scan demo/ads.jsonl --db demo/amberline.db
	$(BIN)/amberline link --db demo/amberline.db
	$(BIN)/amberline top --db demo/amberline.db -n 15
	$(BIN)/amberline networks --db demo/amberline.db -n 10

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python bench/screen.py

clean:
	rm -rf demo bench/out .pytest_cache

# Browser libraries for the workspace, from the npm registry (web/package-lock.json). The built
# files are small and committed under src/amberline/web/static/vendor/; this refreshes them.
VENDOR := src/amberline/web/static/vendor
assets:
	cd web && npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp web/node_modules/cytoscape/dist/cytoscape.min.js web/node_modules/d3-array/dist/d3-array.min.js \
	   web/node_modules/d3-geo/dist/d3-geo.min.js web/node_modules/topojson-client/dist/topojson-client.min.js \
	   web/node_modules/us-atlas/states-10m.json $(VENDOR)/
	for p in cytoscape d3-array d3-geo topojson-client us-atlas; do \
	  cp web/node_modules/$$p/LICENSE $(VENDOR)/$$p.LICENSE.txt; done
	rm -rf web/node_modules
