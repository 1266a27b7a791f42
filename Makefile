# Tongban developer entry points. `make demo` and `make test` are the two commands of the
# README; everything else is a helper they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TONGBAN_HOME := $(CURDIR)
PYTEST_ARGS ?=
# e.g. make bench BENCH_ARGS=--quick (bench/run_all.py --help)
BENCH_ARGS ?=
# the suite runs on both cores (pytest-xdist); each worker gets its own test database
PYTEST_WORKERS ?= 2

CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# the browser journeys drive Debian's Chromium (Playwright never downloads one of its own)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# ECharts for the statistics dashboard (only the charts it draws, ADR 0126) and axe-core for
# the browser journeys, installed from npm (package-lock.json), ADR 0080
ECHARTS := src/tongban/web/static/stats/vendor/echarts.min.js
# read by the browser journeys' accessibility gate (web/tests/browser.py, ADR 0126)
AXE := node_modules/axe-core/axe.min.js

.PHONY: assets fonts chromium messages demo test checks lint imports typecheck schema schema-check migrations-check test-sqlite test-postgres install serve bench bench-pages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) fonts

# notices and licences embed a TrueType CJK font (ADR 0040); Debian ships one
fonts:
	@test -f $(CJK_FONT) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-wqy-microhei; }

# the browser journeys (pytest -m browser) drive it; as .ci/run does
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

$(ECHARTS) $(AXE) &: package.json package-lock.json scripts/build_assets.sh assets/echarts.js
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	sh scripts/build_assets.sh

assets: $(ECHARTS) $(AXE)

demo: $(STAMP) fonts $(ECHARTS)
	mkdir -p var
	TONGBAN_DEMO=1 $(BIN)/tongban migrate --noinput
	TONGBAN_DEMO=1 $(BIN)/tongban collectstatic --noinput --verbosity 0
	TONGBAN_DEMO=1 $(BIN)/tongban seed-demo
	# signing keys for every jurisdiction the seed created (idempotent)
	TONGBAN_DEMO=1 $(BIN)/tongban setup-pki
	# the article's 卫女士 example as a demo case (needs the signing keys; idempotent)
	TONGBAN_DEMO=1 $(BIN)/tongban seed-enterprise-demo
	# two nodes (issue 13, ADR 0127): this one is hubei on :8000; henan (the six 信阳
	# counties) runs from var/henan on :8001 (scripts/demo_henan.sh); one trust list
	TONGBAN_DEMO=1 $(BIN)/tongban seed-federation-demo
	# a local mail sink (files under var/mail/new) and the one background worker (ADR 0121:
	# licence signing, notifications, messages to the peer node, statistics refresh, history
	# checkpoints, overdue warnings, hall jobs, agreement expiry) run beside the server and
	# stop with it
	mkdir -p var/mail/tmp var/mail/new var/mail/cur
	# the stand-in provincial identity platform (统一身份认证, ADR 0099) on 127.0.0.1:8010
	# with the demo people and staff; Tongban offers it beside the password login
	trap 'kill $$sink $$worker $$idp $$henan $$handshake 2>/dev/null' EXIT INT TERM; \
	BIN=$(BIN) sh scripts/demo_henan.sh & henan=$$!; \
	(until TONGBAN_DEMO=1 TONGBAN_NODE_CODE=hubei $(BIN)/tongban federation check-agreement \
	  henan GD-XY-2022 --jurisdiction 420703400 >/dev/null 2>&1; do sleep 5; done) & handshake=$$!; \
	$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:8025 -c aiosmtpd.handlers.Mailbox var/mail & sink=$$!; \
	$(BIN)/python -m tongban_idp --dir var/idp --port 8010 --rp-url http://127.0.0.1:8000 --demo & idp=$$!; \
	TONGBAN_DEMO=1 TONGBAN_EMAIL_PORT=8025 TONGBAN_NODE_CODE=hubei \
	TONGBAN_JOB_INTERVALS=refresh-stats=30,audit-sign-heads=60,overdue-warnings=60 \
	$(BIN)/tongban run-worker & worker=$$!; \
	TONGBAN_DEMO=1 TONGBAN_EMAIL_PORT=8025 TONGBAN_OIDC_ISSUER=http://127.0.0.1:8010/o \
	TONGBAN_OIDC_CLIENT_SECRET=tongban-demo-secret TONGBAN_NODE_CODE=hubei TONGBAN_NODE_NAME=湖北 \
	$(BIN)/tongban serve

lint: $(STAMP) imports
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

# the layers of docs/architecture.md ([tool.importlinter] in pyproject.toml, ADR 0103)
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	$(BIN)/tongban makemigrations --check --dry-run

schema: $(STAMP)
	$(BIN)/tongban export_openapi --output docs/openapi.json

schema-check: $(STAMP)
	$(BIN)/tongban export_openapi --check docs/openapi.json

test-sqlite: $(STAMP)
	mkdir -p var
	env -u DATABASE_URL TONGBAN_FAST_PASSWORD_HASHER=1 TONGBAN_REQUIRE_BROWSER=1 TONGBAN_SQLITE_TEST_NAME=$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$DATABASE_URL"; \
		TONGBAN_FAST_PASSWORD_HASHER=1 TONGBAN_REQUIRE_BROWSER=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS); \
	else echo "== DATABASE_URL not set: PostgreSQL run skipped"; fi

# the static checks, side by side: each is one process on one core (docs/testing.md)
checks: $(STAMP)
	$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck migrations-check schema-check

# The static checks run beside the SQLite suite instead of before it: one after the other
# they would leave a core idle for as long as mypy runs. Their output is printed after the
# suite's; either failing fails `make test` before the PostgreSQL suite (docs/testing.md).
test: fonts chromium $(ECHARTS) $(AXE) $(STAMP)
	mkdir -p var
	@$(MAKE) --no-print-directory checks >var/checks.log 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory test-sqlite; suite=$$?; \
	wait $$checks; status=$$?; \
	echo "== static checks (lint, imports, typecheck, migrations-check, schema-check)"; \
	cat var/checks.log; \
	if [ $$status -ne 0 ] || [ $$suite -ne 0 ]; then \
		echo "== failed: static checks rc=$$status, SQLite suite rc=$$suite"; exit 1; fi
	$(MAKE) --no-print-directory test-postgres

# refresh the message catalogues after changing UI strings; the .mo files are committed so
# that `make demo` needs no gettext
messages: $(STAMP)
	cd src/tongban && $(CURDIR)/$(BIN)/tongban makemessages -l zh_Hans -l en --add-location=file --ignore="*/tests/*" --ignore="migrations/*"
	cd src/tongban && $(CURDIR)/$(BIN)/tongban compilemessages

serve: $(STAMP)
	$(BIN)/tongban serve

# the load generator of the bench (issue 12 §1): Debian's wrk, a C event loop with Lua
bench: $(STAMP)
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# issue 3: server time of every web page with 1,000,000 cases (reuses the bench database)
bench-pages: $(STAMP)
	$(BIN)/python bench/bench_pages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
