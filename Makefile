# The README's two commands:
#   make demo   install everything, migrate, seed the Keelung plan and demo accounts, serve on SQLite
#   make test   install what the tests need and run the whole suite (DATABASE_URL picks the database)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PYTEST_ARGS ?= -n 2
PORT ?= 8000

.PHONY: demo test install install-dev system-deps assets messages serve lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python system-deps assets
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory messages

install-dev: $(BIN)/python system-deps assets
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory messages

# Front-end assets (Chart.js) from the npm registry, served locally.
assets:
	npm ci --no-audit --no-fund --silent

# gettext compiles the zh-Hant/English catalogues; Chromium drives the browser tests.
system-deps:
	@./scripts/system-deps.sh

messages:
	DJANGO_SETTINGS_MODULE=config.test_settings $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

.env:
	./scripts/make-local-env.sh

demo: install .env
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_plan
	$(BIN)/python manage.py seed_demo_users
	$(BIN)/python manage.py seed_demo_reports
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint:
	$(BIN)/ruff check .

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=config.test_settings $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.test_settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)
