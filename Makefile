# WasteX: `make run` serves the site, `make test` runs every test. Both create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-sentry.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint format messages check-deploy bench worker beat clean

$(STAMP): requirements.txt requirements-sentry.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# SQLite and in-process tasks by default; with DATABASE_URL and REDIS_URL set, PostgreSQL, Redis and a
# Celery worker and beat beside the web server (stopped with it).
run: install
	@export DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	$(BIN)/python manage.py migrate --noinput && \
	DEV_APPS=true $(BIN)/python manage.py load_demo --if-empty && \
	if [ -n "$$REDIS_URL" ]; then \
	  $(BIN)/celery -A wastex worker --loglevel=INFO & worker=$$!; \
	  $(BIN)/celery -A wastex beat --loglevel=INFO --schedule=$${TMPDIR:-/tmp}/wastex-celerybeat-schedule & beat=$$!; \
	  trap 'kill $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Needs GNU gettext (apt-get install gettext). The compiled .mo files are committed, so a fresh machine
# does not need it to run or test.
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l id --no-obsolete --ignore=.venv --ignore=static --ignore=tests
	DEBUG=true $(BIN)/python manage.py compilemessages -l id --ignore=.venv

check-deploy: install
	DEBUG=false SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=wastex.example \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(BIN)/python manage.py check --deploy --fail-level WARNING

# Load benchmark on PostgreSQL (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/wastex_bench) with
# gunicorn (2 workers, DEBUG off, production settings) and wrk; prints one JSON line per endpoint. The commands
# live in the bench app (bench/), installed here by DEV_APPS. See README "Benchmarks".
bench: install
	DEV_APPS=true DEBUG=$${DEBUG:-true} $(BIN)/python manage.py bench $(BENCH_ARGS)
	DEV_APPS=true DEBUG=true \
	  DATABASE_URL=$${BENCH_MATCHING_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/wastex_bench_matching} \
	  REDIS_URL= $(BIN)/python manage.py bench_matching $(BENCH_MATCHING_ARGS)

worker: install
	$(BIN)/celery -A wastex worker --loglevel=INFO

beat: install
	$(BIN)/celery -A wastex beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles test-results .pytest_cache .ruff_cache .hypothesis db.sqlite3 .test-db.sqlite3
