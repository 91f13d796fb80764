# routeplan: two commands on a clone, with Python >= 3.11 (venv and pip) and access to PyPI;
# README.md says exactly what each installs.
#   make demo   install and plan the bundled sample day (offline)
#   make test   install and run lint, types, the whole test suite and the benchmark smoke run
#   make demo-road   plan the Helsinki sample day on road times (installs OSRM first)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DATE ?= 2026-12-01
DEMO_OUT ?= plans/demo
DEMO_TIME_LIMIT ?= 30

.PHONY: demo demo-road test install lint typecheck pytest browser-setup osrm-setup bench bench-smoke clean

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
		--date $(DEMO_DATE) --time-limit $(DEMO_TIME_LIMIT) --out $(DEMO_OUT) --no-geocode
	$(BIN)/routeplan check --accounts data/samples/accounts.csv --agents data/samples/agents.csv \
		--date $(DEMO_DATE) $(DEMO_OUT)

# OSRM's executables into $(VENV)/osrm and the Helsinki extract (scripts/osrm-setup.sh)
osrm-setup: $(VENV)/.installed-run
	VENV=$(VENV) bash scripts/osrm-setup.sh

HELSINKI := data/samples/helsinki
demo-road: osrm-setup
	$(BIN)/routeplan plan --accounts $(HELSINKI)/accounts.csv --agents $(HELSINKI)/agents.csv \
		--date $(DEMO_DATE) --config $(HELSINKI)/routeplan.toml --no-geocode \
		--travel osm:$(HELSINKI)/Helsinki.osm.pbf --time-limit $(DEMO_TIME_LIMIT) --out plans/demo-road
	$(BIN)/routeplan check --accounts $(HELSINKI)/accounts.csv --agents $(HELSINKI)/agents.csv \
		--config $(HELSINKI)/routeplan.toml plans/demo-road

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check routeplan tests benchmarks data/samples notebooks
	$(BIN)/ruff format --check routeplan tests benchmarks data/samples notebooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

browser-setup: $(VENV)/.installed-dev
	bash scripts/browser-setup.sh

pytest: $(VENV)/.installed-dev osrm-setup
	$(BIN)/python -m pytest -q

test: lint typecheck browser-setup osrm-setup pytest bench-smoke

# full solver benchmarks (long: about 105 minutes, then the 40-region day on 1 and 2 local
# workers and standalone, about 8 minutes at a work budget of 2 s per region); tables go
# to benchmarks/results/
bench: $(VENV)/.installed-dev osrm-setup
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python -m benchmarks.travel
	$(BIN)/python -m benchmarks.vrptw --time-limit 30 --instances quick8 --stem vrptw-solomon-30s
	$(BIN)/python -m benchmarks.vrptw --time-limit 60 --instances gh1000 --stem vrptw-gh1000-60s
	$(BIN)/python -m benchmarks.collection --sizes 1500/40,5000/120 --limits 60 \
		--variants full,nobreaks --engines routeplan,vroom --repeats 5 --stem collection
	$(BIN)/python -m benchmarks.collection --sizes 1500/40,5000/120 --limits 60 \
		--variants full --engines routeplan-repro --repeats 3 --stem collection-repro
	$(BIN)/python -m benchmarks.plan_samples --limits 5 30 --seeds 0,1,2,3,4 --stem samples
	$(BIN)/python -m benchmarks.plan_samples --limits 30 --repeats 5 --stem samples-repeats
	$(BIN)/python -m benchmarks.plan_samples --limits 5 30 --seeds 0,1,2,3,4 --busy 1 \
		--stem samples-busy
	$(BIN)/python -m benchmarks.plan_samples --limits 30 --repeats 3 --reproducible \
		--stem samples-repro
	$(BIN)/python -m benchmarks.regions --regions 40 --accounts 2000 --agents 40 --repeat 1 \
		--time-limit 2 --stem regions
	$(BIN)/python -m benchmarks.replan --visits 5000 --agents 120 --at 11:00 --stem replan
	$(BIN)/python -m benchmarks.replan --visits 5000 --agents 120 --at 11:00 \
		--long-share 0.2 --no-show-share 0.1 --stem replan-disrupted
	$(BIN)/python -m benchmarks.week --accounts 5000 --agents 120 --days 5 --seconds 120 \
		--stem week-5000-120
	$(BIN)/python -m benchmarks.week --accounts 5000 --agents 120 --days 5 --seconds 120 \
		--shaped --stem week-5000-120-shaped

# two instances, a small collection day at 2 s, two tiny regions and a quick road-travel run,
# to keep the scripts working
bench-smoke: $(VENV)/.installed-dev osrm-setup
	$(BIN)/python -m benchmarks.vrptw --time-limit 2 --instances smoke \
		--engines routeplan,ortools-plain --out $(VENV)/bench-smoke --stem vrptw-smoke
	$(BIN)/python -m benchmarks.collection --sizes 120/4 --limits 2 --engines routeplan,vroom \
		--repeats 1 --vroom-exploration 0 --out $(VENV)/bench-smoke --stem collection-smoke
	$(BIN)/python -m benchmarks.regions --regions 2 --accounts 60 --agents 4 --solution-limit 20 \
		--time-limit 1 --repeat 1 --out $(VENV)/bench-smoke --stem regions-smoke
	$(BIN)/python -m benchmarks.travel --quick --out $(VENV)/bench-smoke --stem travel-smoke
	$(BIN)/python -m benchmarks.replan --visits 300 --agents 10 --unavailable 1 --urgent 3 \
		--morning-limit 2 --limit 1 --scratch-limit 2 --out $(VENV)/bench-smoke --stem replan-smoke
	$(BIN)/python -m benchmarks.week --accounts 80 --agents 3 --days 2 --seconds 2 \
		--out $(VENV)/bench-smoke --stem week-smoke

clean:
	rm -rf $(VENV) plans .pytest_cache .mypy_cache .ruff_cache
