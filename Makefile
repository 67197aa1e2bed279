# Asso Hub — `make run` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
WEB_PORT ?= 8000

# check --deploy runs against the production shape: DEBUG off, a real secret, a real host.
DEPLOY_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DJANGO_ALLOWED_HOSTS=asso-hub.example.org EMAIL_URL=smtp://mail.example.org:587/?tls=True

MESSAGES_IGNORE := --ignore='.venv/*' --ignore='var/*' --ignore='bench/*' --ignore='tests/*' --ignore='build/*' --ignore='node_modules/*'

.PHONY: help run serve test lint format typecheck checks pytest bench bench-load quality messages clean

help:
	@echo "make run        install, migrate, load the demo data, start web + worker + beat"
	@echo "make test       lint, format check, types, migrations check, deploy check, test suite"
	@echo "make bench      benchmarks (a report, not a test): notifications, then load"
	@echo "make quality    regenerate docs/quality.md (isolation, API fuzzing, axe, journeys, load)"
	@echo "make messages   extract and compile translations"
	@echo "make format     rewrite the code with ruff"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
		echo "Asso Hub needs Python 3.12 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Install Python 3.13 (with pyenv: 'pyenv install 3.13', .python-version selects it)"; \
		echo "or name one: make PYTHON=/path/to/python3.13 $(MAKECMDGOALS)"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: export DJANGO_DEBUG ?= 1
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Asso Hub is starting on http://$(HOST):$(WEB_PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	@PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) WEB_PORT=$(WEB_PORT) exec $(BIN)/honcho start -e /dev/null -f Procfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/mypy hub shared_tools governance notifications frontend

checks: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	@# Every translatable string is already in the French catalogue (else: `make messages`, translate).
	@before=$$(mktemp) && grep -v '^"POT-Creation-Date' locale/fr/LC_MESSAGES/django.po > $$before && \
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l fr --no-obsolete --add-location file $(MESSAGES_IGNORE) >/dev/null && \
	grep -v '^"POT-Creation-Date' locale/fr/LC_MESSAGES/django.po | diff -q $$before - >/dev/null || { \
		echo "New or changed UI strings were missing from locale/fr (now extracted): translate them, 'make messages', commit."; \
		exit 1; }

# axe-core, injected by the browser tests' accessibility checks (a dev tool: the product has no JS build).
# Without npm those checks skip (they fail under REQUIRE_SERVICES=1).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility checks of the browser tests will not run (apt-get install npm)"; fi

# The proofs also leave their figures in var/quality/ (isolation matrix, schemathesis, axe, JUnit):
# `python -m bench.quality --render` turns the last run's into docs/quality.md.
pytest: $(STAMP) node_modules/.package-lock.json
	@mkdir -p var/quality
	QUALITY_REPORT_DIR=$(CURDIR)/var/quality $(BIN)/pytest --junitxml=var/quality/junit-all.xml $(PYTEST_ARGS)

test: lint typecheck checks pytest

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.load

# The load benchmark alone: ten busiest pages on 1,000 associations / 50,000 members (needs `ab`).
bench-load: $(STAMP)
	$(BIN)/python -m bench.load

# docs/quality.md: isolation matrix, schemathesis, axe, journeys and the load figures in one report.
quality: $(STAMP) node_modules/.package-lock.json
	$(BIN)/python -m bench.quality

messages: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l fr --no-obsolete --add-location file $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore='.venv/*' --ignore='var/*'

clean:
	rm -rf $(VENV) node_modules var/static var/celerybeat-schedule*
