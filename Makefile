# InvestDesk: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export VAR_DIR ?= $(CURDIR)/var

# The local demo is served over plain HTTP on loopback; production sets USE_HTTPS=1 (the default).
RUN_ENV := USE_HTTPS=0 SECRET_KEY_FILE=$(VAR_DIR)/secret_key
TEST_ENV := DB_CONN_MAX_AGE=0 SECRET_KEY=test-secret-key-not-for-production USE_HTTPS=1 SECURE_SSL_REDIRECT=0 EMAIL_URL=memory://

.PHONY: run test venv deps dev-deps assets static migrate demo serve worker lint format migrations-check messages ci clean generate bench

run: deps assets static migrate demo serve

test: dev-deps assets
	$(TEST_ENV) $(BIN)/investdesk collectstatic --noinput -v0
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/investdesk makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

# Locked installs: requirements*.lock are generated from pyproject.toml with hashes (`make lock`).
$(VENV)/.deps: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . || $(BIN)/pip install -q --no-deps -e .
	@touch $@

$(VENV)/.dev-deps: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@ $(VENV)/.deps

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

lock:
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock

# Front-end packages come from the npm registry at the versions in package-lock.json and are
# copied next to our own static files: the app serves them itself (intranet, no CDN).
VENDOR := investdesk/static/vendor
assets: $(VENDOR)/.stamp
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css{,.map} node_modules/bootstrap/dist/js/bootstrap.bundle.min.js{,.map} $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	@touch $@

static: deps assets $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk collectstatic --noinput -v0

$(VAR_DIR)/secret_key:
	@mkdir -p $(VAR_DIR)
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

migrate: deps $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk migrate --noinput -v0

demo: deps $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk demo --if-empty

serve: $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk serve --port $(PORT)

worker: $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk worker

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: dev-deps
	$(TEST_ENV) $(BIN)/investdesk makemigrations --check --dry-run

# Translations: msgids are English, the zh_Hans catalogue is the default UI (needs GNU gettext).
messages: dev-deps
	cd investdesk && $(TEST_ENV) ../$(BIN)/investdesk makemessages -l zh_Hans --no-obsolete --ignore=static/vendor
	cd investdesk && $(TEST_ENV) ../$(BIN)/investdesk compilemessages

ci:
	bash .ci/run

# The benchmark (docs/performance.md): load synthetic data into an empty database, then measure.
# SCALE=small|medium|large; use a database of its own, e.g. DATABASE_URL=postgres://…/investdesk_bench.
SCALE ?= small
generate: dev-deps $(VAR_DIR)/secret_key
	$(RUN_ENV) $(BIN)/investdesk migrate --noinput -v0
	$(RUN_ENV) $(BIN)/investdesk generate --scale $(SCALE)

bench: dev-deps static
	$(RUN_ENV) $(BIN)/investdesk bench --scale $(SCALE) --json $(VAR_DIR)/bench-$(SCALE).json --markdown $(VAR_DIR)/bench-$(SCALE).md

clean:
	rm -rf $(VENV) node_modules $(VENDOR) $(VAR_DIR)/static
