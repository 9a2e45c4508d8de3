# One command each: `make run` (the main job) and `make test` (the whole test suite).
# Both install what is missing first: PostgreSQL 15 and wrk (apt), Toxiproxy (go install, pinned),
# and a virtualenv with the pinned Python dependencies.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
TOXIPROXY_VERSION := v2.12.0
PG_BINDIR := /usr/lib/postgresql/15/bin

.PHONY: test-pytest test-scenarios setup postgres wrk toxiproxy venv spec-js run test lint format bench clean

SPEC_JS := clients/spec-js

setup: postgres wrk toxiproxy venv spec-js

# postgresql-15 brings the contrib extensions (pgcrypto, uuid-ossp, citext, pg_trgm, ...); PostGIS is its own
# package: a project's migrations may `create extension postgis`, as Supabase projects do.
postgres:
	@if [ ! -x $(PG_BINDIR)/initdb ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then \
	  echo "installing PostgreSQL 15 and PostGIS 3 (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null; \
	fi

# wrk: the HTTP load generator of `bench`'s gateway-vs-bare benchmark (fallback/bench/load.py).
wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "installing wrk (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

toxiproxy: $(TOOLS)/toxiproxy-server

$(TOOLS)/toxiproxy-server:
	@mkdir -p $(TOOLS)
	@echo "installing Toxiproxy $(TOXIPROXY_VERSION) (go install)"
	GOBIN=$(TOOLS) GOFLAGS=-mod=mod go install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)
	mv $(TOOLS)/server $(TOOLS)/toxiproxy-server

spec-js: $(SPEC_JS)/node_modules/.package-lock.json

$(SPEC_JS)/node_modules/.package-lock.json: $(SPEC_JS)/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix $(SPEC_JS) --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the spec-js client and its tests will be skipped"; fi

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

run: setup
	$(BIN)/fallback-harness run

test: setup
	$(BIN)/ruff check fallback tests scripts
	$(BIN)/ruff format --check fallback tests scripts
	$(BIN)/mypy
	$(MAKE) --no-print-directory -j2 --output-sync=target test-pytest test-scenarios
	$(BIN)/fallback-harness bench --quick --report-dir reports

# The tests and the two example projects' scenarios run side by side (each mostly waits on servers and fault
# windows; their ports do not overlap: the tests use 25500-26399, `run` 25400-25499), then the benchmark alone.
test-pytest:
	$(BIN)/pytest -q

test-scenarios:
	$(BIN)/fallback-harness run --report-dir reports
	$(BIN)/fallback-harness run --project examples/saas-billing --client both --report-dir reports

lint: venv
	$(BIN)/ruff check fallback tests scripts
	$(BIN)/ruff format --check fallback tests scripts
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format fallback tests scripts

bench: setup
	$(BIN)/fallback-harness bench

clean:
	-$(BIN)/fallback-harness stack down --purge
	-$(BIN)/fallback-harness stack down --purge --state-dir .stack-test
	rm -rf $(VENV) .tools
