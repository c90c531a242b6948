# Azukari: `make run` and `make test` are all a new machine needs (Debian, as root for the apt steps).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 5000
export PORT

.PHONY: help install install-test migrate seed run test test-slow bench bench-lighthouse bench-load bench-faults translations check clean

help:
	@echo "make run        install, migrate, seed, start the bank, the worker and the peers"
	@echo "make test       unit + functional (PostgreSQL), smoke (SQLite), e2e (Chromium)"
	@echo "make test-slow  the heavy tests"
	@echo "make bench      benchmarks (bench/)"
	@echo "make bench-lighthouse  only the Lighthouse run (bench/lighthouse.py)"
	@echo "make bench-load  only the load test (bench/load.py; LOAD_ARGS='--residents 5000 --duration 20' for a quick one)"
	@echo "make bench-faults  only the fault drills under load (bench/faults.py; FAULTS_ARGS='--residents 1000 --users 10')"
	@echo "make translations  extract messages and update the Japanese catalog (then scripts/translate.py)"

$(PY):
	@python3 -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv; \
	  python3 -m venv $(VENV); }
	@$(PIP) install --quiet --upgrade pip

# Python deps (with the test extras, so one venv serves run and test), npm deps, vendored assets, catalogs.
# Each step reruns only when its inputs change (stamp files), so `make run`/`make test` start quickly.
STAMP_PY := $(VENV)/.installed
STAMP_NPM := node_modules/.installed
CATALOG := app/translations/ja/LC_MESSAGES/messages

install: $(STAMP_PY) $(STAMP_NPM) static/vendor/htmx.min.js static/vendor/jsQR.js $(CATALOG).mo
	@echo "install: done"

$(STAMP_PY): pyproject.toml | $(PY)
	@$(PIP) install --quiet -e '.[test]'
	@touch $@

# The benchmarks' peers (the `bench` extra), only for `make bench`.
STAMP_BENCH := $(VENV)/.installed-bench
$(STAMP_BENCH): pyproject.toml | $(STAMP_PY)
	@$(PIP) install --quiet -e '.[test,bench]'
	@touch $@

$(STAMP_NPM): package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/vendor/htmx.min.js: $(STAMP_NPM)
	@mkdir -p static/vendor
	@cp node_modules/htmx.org/dist/htmx.min.js $@

# The QR decoder of the partner's scanning page (loaded only there).
static/vendor/jsQR.js: $(STAMP_NPM)
	@mkdir -p static/vendor
	@cp node_modules/jsqr/dist/jsQR.js $@

$(CATALOG).mo: $(CATALOG).po | $(STAMP_PY)
	@$(VENV)/bin/pybabel compile --statistics -d app/translations

migrate: install
	@$(VENV)/bin/alembic upgrade head

seed: migrate
	@$(VENV)/bin/flask --app app demo seed

run: seed
	@scripts/run.sh

test:
	@scripts/test.sh

test-slow:
	@scripts/test.sh --slow

bench: install $(STAMP_BENCH)
	@scripts/bench.sh

bench-lighthouse: install $(STAMP_BENCH)
	@scripts/bench.sh lighthouse

bench-load: install $(STAMP_BENCH)
	@scripts/bench.sh load $(LOAD_ARGS)

bench-faults: install $(STAMP_BENCH)
	@scripts/bench.sh faults $(FAULTS_ARGS)

translations: install
	@$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-output --project Azukari -o app/translations/messages.pot . >/dev/null
	@$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	@$(VENV)/bin/pybabel compile -d app/translations --statistics

clean:
	rm -rf $(VENV) node_modules static/vendor instance e2e/artifacts
