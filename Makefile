# Two commands on a fresh machine: `make run` (app with demo data) and `make test`.
# `make serve` is the production start (README «Запуск в работу»): no demo data, ever.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8501
export PYTHONPATH := $(CURDIR)
# how `make run` and `make serve` both start Streamlit
START_APP = $(PY) -m streamlit run ui/server.py --server.address $(HOST) --server.port $(PORT)

.PHONY: run serve serve-check test test-calendar demo restore screenshots bench venv dev-venv debian-packages clean

# --no-compile: pip would turn every installed module into bytecode (half of a fresh install's
# minute, mostly modules nothing imports); Python compiles what is imported on first use and keeps it.
PIP_INSTALL = $(PY) -m pip install --quiet --no-compile --disable-pip-version-check

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

DEBIAN_PACKAGES := chromium fonts-noto-color-emoji postgresql nginx mariadb-server

debian-packages:
	@dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null)

run: venv
	$(PY) -m core.manage init
	$(START_APP)

# The production start (README «Запуск в работу»). serve-check needs DATABASE_URL and, while the
# database has no active admin, ADMIN_LOGIN / ADMIN_PASSWORD; it refuses (in Russian, non-zero
# exit) before Streamlit starts. APP_MODE reaches the app too: no demo data, ever.
serve-check: export APP_MODE := production
serve-check: venv
	$(PY) -m core.manage serve-check

serve: export APP_MODE := production
serve: serve-check
	exec $(START_APP)

demo: venv
	$(PY) -m core.manage demo

# put a backup in place of the database: make restore BACKUP=data/backups/backup-....duckdb
# Refused while the app runs; asks for «да» on a terminal, YES=1 answers for a script. The replaced
# database is kept (core/backup.py restore says where).
restore: venv
	@test -n "$(BACKUP)" || (echo "Укажите файл: make restore BACKUP=путь/к/копии" >&2 && exit 2)
	YES="$(YES)" $(PY) -m core.manage restore "$(BACKUP)"

# The whole suite twice, on DuckDB files and on a throwaway PostgreSQL server, at the suite's
# default instant; then the tests that lean on "today" (marked `calendar`) at instants where
# dates bite: just after the Moscow midnight that starts a year (UTC is still on the last day
# of the old one), and the last half minute of a leap day, which ends a month.
# tests/clock.py freezes the clock there. Two, not more: each is a pass of its own, and make test
# must stay within 15 minutes.
CALENDAR_INSTANTS := 2027-01-01T00:00:30 2028-02-29T23:59:30

# The PostgreSQL pass leaves to the DuckDB pass the tests with nothing to ask a database, and
# those whose SQL is the same plain reads and writes on both backends (no lock, no conflict, no
# backend branch in the module they test: `grep is_duckdb core/` names the modules that have one).
DUCKDB_PASS_ONLY := tests/core/test_recurrence.py tests/core/test_validation.py tests/core/test_calendar_file.py \
	tests/core/test_photos_memory.py tests/core/test_ticket.py \
	tests/core/test_catalog.py tests/core/test_places.py tests/core/test_events.py tests/core/test_statuses.py \
	tests/core/test_alternatives.py tests/core/test_bad_input.py tests/core/test_demo.py \
	tests/core/test_mks_catalog.py tests/core/test_mks_people.py

# pytest rewrites the asserts of every test module on each start unless it may keep the result
# in __pycache__: seconds of every pass and every worker where the environment forbids bytecode files.
unexport PYTHONDONTWRITEBYTECODE

# The PostgreSQL pass runs the rules of core/ where the backends differ (locks, conflicts,
# transactions, SQL written per backend) and the browser flows that depend on the database
# server (tests/browser/conftest.py says which); the screens (tests/pages, AppTest) reach the
# database only through core and run in the DuckDB and calendar passes, so make test stays
# within 15 minutes.
#
# xdist hands each worker its first quarter of the tests at once unless told otherwise: one
# worker then held every browser test (they come first) and ran them one after another, the
# longest chain of the run. At most 4 at a time spreads them; --durations names what costs most.
# Browser tests first, so that the longest ones start early instead of ending the run.
XDIST := -n 2 --maxschedchunk=4
test: dev-venv debian-packages
	$(PY) -m pytest -q $(XDIST) --durations=15
	TEST_BACKEND=postgresql $(PY) -m pytest -q $(XDIST) --durations=15 tests/browser tests/core tests/test_security.py \
		$(addprefix --ignore=,$(DUCKDB_PASS_ONLY))
	$(MAKE) --no-print-directory test-calendar

test-calendar: dev-venv
	@for instant in $(CALENDAR_INSTANTS); do \
		echo "calendar pass at $$instant (Moscow time)"; \
		TEST_NOW=$$instant $(PY) -m pytest -q $(XDIST) -m calendar tests/core tests/pages || exit 1; \
	done

screenshots: dev-venv debian-packages
	$(PY) -m tests.browser.screenshots

bench: dev-venv debian-packages
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) screenshots .pytest_cache
