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
TRAIN_AS_OF ?= 2025-10-31
RUN_MONTHS ?= 2026-08-31 2026-09-30 2026-10-31
HOST ?= 127.0.0.1
PORT ?= 8000
export CREDO_HOME ?= $(DEMO_HOME)

.PHONY: install demo test lint format typecheck check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,spark]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install credo with every extra

demo: export CREDO_HOME := $(DEMO_HOME)
demo: $(STAMP) ## synthetic population → ingest → train → monthly runs → summary (then serve API and pages)
	@echo "==> starting afresh: removing $(DEMO_HOME)/ and $(DEMO_DATA)/ of an earlier demo"
	rm -rf $(DEMO_HOME) $(DEMO_DATA)
	@echo "==> generating $(SUBJECTS) synthetic people over $(MONTHS) months into $(DEMO_DATA)/"
	$(BIN)/credo synth --subjects $(SUBJECTS) --months $(MONTHS) --seed $(SEED) --out $(DEMO_DATA)
	@echo "==> initialising the credo home $(CREDO_HOME)/ (development key: demo only)"
	$(BIN)/credo init --dev-key
	@echo "==> registering sources, importing consents, ingesting every source"
	$(BIN)/credo load $(DEMO_DATA) --rejects $(DEMO_DATA)/rejects
	@echo "==> the event lake"
	$(BIN)/credo lake summary
	@echo "==> estimating each source's reliability from agreement between sources and disputes"
	$(BIN)/credo source reliability --apply
	@echo "==> training a scorecard as of $(TRAIN_AS_OF) on the outcomes of the following 12 months"
	$(BIN)/credo train --as-of $(TRAIN_AS_OF)
	@for month in $(RUN_MONTHS); do \
		echo "==> monthly run as of $$month"; \
		$(BIN)/credo run --as-of $$month || exit 1; \
	done
	@echo "==> the published scores against the synthetic ground truth"
	$(BIN)/credo truth $(DEMO_DATA)
	@echo "==> the runs, and one person's score (try also: credo model show, credo model report)"
	$(BIN)/credo runs
	$(BIN)/credo score $$(sed -n 2p $(DEMO_DATA)/consents.csv | cut -d, -f1)
	@echo "==> demo logins (a person, a partner that has asked for access, an operator)"
	$(BIN)/credo demo access --person $$(sed -n 2p $(DEMO_DATA)/consents.csv | cut -d, -f1) --url http://$(HOST):$(PORT)
	@if [ -z "$(NO_SERVE)" ]; then \
		echo "==> serving the API and the pages on http://$(HOST):$(PORT)/ (Ctrl-C to stop; NO_SERVE=1 skips this)"; \
		$(BIN)/credo serve --host $(HOST) --port $(PORT); \
	fi

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
