# Atopos task runner. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.package-lock.json

BENCH ?= full
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := frames handshake envelope governance genesis http

.PHONY: help lock run test test-py test-js test-fast lint format typecheck vendor vectors bench bench-js fuzz chaos soak abuse spec tor-test security-evidence bundle-hash clean

help: ## List every target with what it does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## Install, migrate, create the localhost tenant and serve on 127.0.0.1:PORT (8000 unless set; embedded Redis when REDIS_URL is unset)
	PORT=$(PORT) $(BIN)/python -m atopos_site.launch

test: lint typecheck test-js test-py ## The whole suite: lint, types, JS vectors, Python (unit, integration, browser)

test-py: $(DEV_STAMP) ## Python tests only (PYTEST_ARGS passes options to pytest)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-js: ## The browser client's modules against the shared vectors, under node --test
	node --test tests/js/

test-fast: $(DEV_STAMP) ## Python tests without daphne processes or the browser
	$(BIN)/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

lint: $(DEV_STAMP) $(NODE_STAMP) ## ruff (lint rules, formatting), the import contracts (lint-imports) and ESLint (the browser client)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	node_modules/.bin/eslint .

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

lock: $(DEV_STAMP) ## Rewrite constraints.txt from the virtualenv (after changing dependencies; run make test first)
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^pip=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

format: $(DEV_STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP) ## mypy --strict with the Django plugin
	$(BIN)/mypy atopos_protocol atopos_client atopos_site rooms governance evidence

# docs/ARCHITECTURE.md, "Which code runs": coreutils and openssl only, no code of ours.
bundle-hash: ## Print the client bundle hash of this checkout (the footer's and the evidence's), from static/ alone
	@cd static && find . -type f \( -name '*.js' -o -name '*.mjs' \) ! -path '*/.*' | sed 's|^\./||' \
	  | LC_ALL=C sort | while read -r file; do \
	    printf '/static/%s sha384-%s\n' "$$file" "$$(openssl dgst -sha384 -binary "$$file" | base64 -w0)"; \
	  done | sha256sum | cut -d' ' -f1

vendor: ## Rebuild static/vendor/ from package-lock.json (reproducible: same bytes every time)
	npm ci --no-audit --no-fund
	node tools/vendor/build.mjs

vectors: $(DEV_STAMP) ## Regenerate tests/vectors/ from their fixed inputs (byte-identical)
	$(BIN)/python -m tests.vectors.generate

bench: $(DEV_STAMP) ## Relay benchmark against bare relays, then governance latency against log length (BENCH=smoke for a quick one); JSON + PNG in var/bench/
	$(BIN)/python -m bench --profile $(BENCH)
	$(BIN)/python -m bench.governance --profile $(BENCH)

bench-js: $(DEV_STAMP) ## Client side: envelope crypto in node vs PyNaCl, create-to-first-message in Chromium (JSON in var/bench/client/)
	$(BIN)/python -m bench.client

fuzz: $(DEV_STAMP) ## Each fuzz target under atheris for FUZZ_SECONDS (300 unless set); corpus in var/fuzz/corpus/, inputs that broke a target in var/fuzz/crashes/
	@for target in $(FUZZ_TARGETS); do $(BIN)/python -m tests.fuzz.run $$target --seconds $(FUZZ_SECONDS) || exit 1; done

CHAOS ?= full
chaos: $(DEV_STAMP) ## Relays SIGKILLed, Redis restarted, networks cut under 20 rooms x 5 clients behind nginx (CHAOS=ci for the small profile); JSON in var/bench/chaos.json, fails unless nothing acknowledged is lost, shown twice or reordered
	$(BIN)/python -m bench.chaos --profile $(CHAOS)

SOAK ?= full
soak: $(DEV_STAMP) ## 20 rooms x 5 clients for 10 minutes behind nginx (SOAK=ci: 60 s): memory of every process, latency per minute, errors; JSON + PNG in var/bench/soak.*
	$(BIN)/python -m bench.soak --profile $(SOAK)

abuse: $(DEV_STAMP) ## A victim room's deliveries and latency while Mallory floods, opens idle sockets, churns joins and stops reading (20 s each); JSON in var/bench/abuse.json
	$(BIN)/python -m bench.abuse

spec: $(DEV_STAMP) ## TLC on every model in spec/ (broken variants must fail with their invariant) and on traces recorded from the governance, attack and client tests; report in var/spec/report.json
	@command -v java >/dev/null || { echo "make spec needs Java (Debian: default-jre-headless)"; exit 1; }
	$(BIN)/python -m pytest -q -p no:cacheprovider -p tests.support.tla_traces --tla-traces=var/spec/traces.json $$($(BIN)/python -m evidence.tlc --traced-suites)
	$(BIN)/python -m evidence.tlc --traces var/spec/traces.json --report var/spec/report.json

# Each wait inside is bounded (the network must answer within 150 s); the outer
# timeout only backs them up, and SIGINT lets pytest stop every process it started.
tor-test: $(DEV_STAMP) ## A private Tor network on loopback (Debian's tor): two jitless Chromiums chat at the .onion, the served client is the build, one circuit cannot lock out another (about 1.5 minutes); figures in var/bench/tor.json
	@[ -x /usr/bin/tor ] && [ -x /usr/bin/tor-gencert ] || { echo "make tor-test needs Debian's tor (apt-get install tor)"; exit 1; }
	@[ -x /usr/sbin/nginx ] && [ -x /usr/bin/chromium ] || { echo "make tor-test needs Debian's nginx and chromium (apt-get install nginx chromium)"; exit 1; }
	ATOPOS_TOR_TEST=1 timeout --signal=INT --kill-after=30 600 $(BIN)/python -m pytest -p no:cacheprovider tests/tor $(PYTEST_ARGS)

security-evidence: $(DEV_STAMP) $(NODE_STAMP) ## Run every security check on a real daphne + Redis + Chromium and write evidence/latest/ (BASE_URL=https://... checks a live site instead)
	$(BIN)/python manage.py security_evidence $(if $(BASE_URL),--base-url $(BASE_URL))

clean: ## Remove the virtualenv, caches and local data (var/)
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find var -mindepth 1 ! -name .gitkeep -delete
