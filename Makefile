# The two commands a fresh machine needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

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
	$(BIN)/amberline top --db demo/amberline.db -n 15

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2

bench: $(STAMP)
	$(BIN)/python bench/screen.py

clean:
	rm -rf demo bench/out .pytest_cache
