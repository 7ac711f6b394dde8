# The two commands a fresh machine needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORE_STAMP := $(VENV)/.core-built
# The compiled core (rust/) is built by `pip install -e .` where cargo is installed (rustup puts
# it in ~/.cargo/bin). With cargo present the tests refuse the Python fallback
# (AMBERLINE_CORE=rust), so a broken build cannot pass as the slower fallback.
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO := $(shell command -v cargo 2>/dev/null)
CORE_ENV := $(if $(CARGO),AMBERLINE_CORE=rust,)
RUST_SOURCES := rust/Cargo.toml rust/Cargo.lock rust/build.rs $(wildcard rust/src/*.rs)

.PHONY: demo test lint bench clean assets docs

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(CORE_STAMP)

# Rebuild the core when its sources changed since the install (pip builds it; nothing else is
# reinstalled). Make cannot see that the install above just built it, hence the `find`.
$(CORE_STAMP): $(STAMP) $(RUST_SOURCES)
	if [ -n "$$(find $(RUST_SOURCES) -newer $(STAMP))" ]; then \
	  $(BIN)/pip install --quiet --no-deps -e .; fi
	touch $(CORE_STAMP)

demo: $(CORE_STAMP)
	mkdir -p demo
	$(BIN)/amberline synth --ads 5000 --seed 7 --out demo/ads.jsonl
	$(BIN)/amberline scan demo/ads.jsonl --db demo/amberline.db
	$(BIN)/amberline link --db demo/amberline.db
	$(BIN)/amberline top --db demo/amberline.db -n 15
	$(BIN)/amberline networks --db demo/amberline.db -n 10
	$(BIN)/amberline synth --ads 0 --chats 400 --seed 8 --chats-out demo/chats-train.jsonl
	$(BIN)/amberline synth --ads 0 --chats 300 --seed 7 --chats-out demo/chats.jsonl
	$(BIN)/amberline chats train demo/chats-train.jsonl --out demo/chats-model.npz
	$(BIN)/amberline chats screen demo/chats.jsonl --model demo/chats-model.npz --db demo/amberline.db > demo/chats-screened.jsonl

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(if $(CARGO),cd rust && cargo fmt --check && cargo clippy --locked --quiet -- -D warnings)

test: $(CORE_STAMP)
	$(BIN)/ruff check src tests bench docs
	$(if $(CARGO),cd rust && cargo fmt --check && cargo clippy --locked --quiet -- -D warnings)
	$(CORE_ENV) $(BIN)/python -m pytest -n 2

bench: $(CORE_STAMP)
	$(BIN)/python bench/screen.py

clean:
	rm -rf demo bench/out .pytest_cache rust/target

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
