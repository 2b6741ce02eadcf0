# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test setup lint messages clean loadtest bench city push

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# This machine's development settings, read by wanyuan/settings.py for every manage.py
# command: DEBUG and DEMO_MODE on, and the demo accounts' password: the one chosen with
# `DEMO_PASSWORD=… make run`, else a random one. Written once, never overwritten,
# git-ignored; production has no such file.
.env: | $(STAMP)
	@printf '%s\n' '# Written by `make run` for this machine only; never on a server (README).' \
	  DEBUG=1 DEMO_MODE=1 "DEMO_PASSWORD=$${DEMO_PASSWORD:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))')}" > $@
	@echo "wrote .env (DEBUG=1, DEMO_MODE=1, DEMO_PASSWORD)"

# Embedded SQLite, demo mode: migrate, load reference and demo data once, serve.
run: $(STAMP) .env
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py setup_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ — log in as admin, staff, finance or clerk," \
	  "password $${DEMO_PASSWORD:-$$(sed -n 's/^DEMO_PASSWORD=//p' .env)}"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# A city's instance beside the county's (issue 28, docs/api.md): 达州市 on its own SQLite
# file, served on port 8001, with a key for 万源市 in city-511781.key. Then, in another
# terminal, `make push` sends the county's figures up.
CITY_PORT ?= 8001
CITY := DATABASE_URL=sqlite:///$(CURDIR)/city.sqlite3 INSTANCE_LEVEL=city \
	INSTANCE_ORG_UNIT=511700 COUNTY_NAME=达州市 THROTTLE_CACHE_DIR=$(CURDIR)/.cache/city-throttle
city: $(STAMP) .env
	$(CITY) $(BIN)/python manage.py migrate --no-input -v 0
	$(CITY) $(BIN)/python manage.py setup_city_demo --key-out city-511781.key
	@echo "Serving 达州市 on http://127.0.0.1:$(CITY_PORT)/ — log in as admin or staff," \
	  "password $${DEMO_PASSWORD:-$$(sed -n 's/^DEMO_PASSWORD=//p' .env)}"
	$(CITY) $(BIN)/python manage.py runserver 127.0.0.1:$(CITY_PORT)

# The county (make run's database) sends its year to the city of `make city`.
YEAR ?= 2020
push: $(STAMP) .env
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py setup_demo
	$(BIN)/python manage.py push_datavalues --year $(YEAR) --to http://127.0.0.1:$(CITY_PORT)/ \
	  --key-file city-511781.key

# The whole suite (it ignores .env); DATABASE_URL=postgres://postgres@127.0.0.1:5432/wanyuan for PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A bounded load (50 users, 60 s) on loopback against gunicorn on PostgreSQL; see README.
loadtest: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	tests/load/run.sh

# Benchmarks against the default alternatives at 52, 3,100 and 40,000 townships, on
# SQLite and PostgreSQL (BENCH_SIZES=52,3100 for a shorter run); see docs/performance.md.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python tests/bench/bench.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Refresh the Chinese translation catalogue after changing user-facing strings.
messages: export DEBUG = 1
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --add-location file --ignore '.venv/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
