# credo — the commands developers and CI run. `make demo` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUBJECTS ?= 10000
MONTHS ?= 24
SEED ?= 7
DEMO_HOME ?= credo-home
DEMO_DATA ?= demo-data
export CREDO_HOME ?= $(DEMO_HOME)

.PHONY: install demo test lint format typecheck check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,spark]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install credo with every extra

demo: $(STAMP) ## synthetic population → init → ingest → summary (then serve, once the API exists)
	@echo "==> generating $(SUBJECTS) synthetic people over $(MONTHS) months into $(DEMO_DATA)/"
	$(BIN)/credo synth --subjects $(SUBJECTS) --months $(MONTHS) --seed $(SEED) --out $(DEMO_DATA)
	@echo "==> initialising the credo home $(CREDO_HOME)/ (development key: demo only)"
	$(BIN)/credo init --dev-key
	@echo "==> registering sources, importing consents, ingesting every source"
	$(BIN)/credo load $(DEMO_DATA) --rejects $(DEMO_DATA)/rejects
	@echo "==> the event lake"
	$(BIN)/credo lake summary
	@if [ -z "$(NO_SERVE)" ]; then echo "(the dashboard arrives with the API issue; nothing to serve yet)"; fi

test: $(STAMP) ## the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

check: lint typecheck test ## lint + types + tests

bench: $(STAMP) ## benchmarks (print ratios against baselines measured in the same run)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/features.py

clean:
	rm -rf $(DEMO_HOME) $(DEMO_DATA) .pytest_cache .mypy_cache .ruff_cache
