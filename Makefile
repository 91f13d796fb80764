# routeplan: two commands on a fresh machine with Python 3.11 and pip.
#   make demo   install and plan the bundled sample day
#   make test   install and run lint, types and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATE ?= 2026-12-01
DEMO_OUT ?= plans/demo
DEMO_TIME_LIMIT ?= 30

.PHONY: demo test install lint typecheck pytest browser-setup bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/routeplan plan --accounts data/samples/accounts.csv --agents data/samples/agents.csv \
		--date $(DEMO_DATE) --time-limit $(DEMO_TIME_LIMIT) --out $(DEMO_OUT)
	$(BIN)/routeplan check --accounts data/samples/accounts.csv --agents data/samples/agents.csv \
		--date $(DEMO_DATE) $(DEMO_OUT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check routeplan tests benchmarks data/samples
	$(BIN)/ruff format --check routeplan tests benchmarks data/samples

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

browser-setup: $(VENV)/.installed-dev
	bash scripts/browser-setup.sh

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

test: lint typecheck browser-setup pytest

clean:
	rm -rf $(VENV) plans .pytest_cache .mypy_cache .ruff_cache
