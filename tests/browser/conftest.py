"""One real app server per test run, fresh demo database, headless Debian Chromium."""

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.backend import on_postgres
from tests.browser.server import ROOT, AppServer, Tabs, launch_chromium
from tests.postgres import create_database

SHOTS = ROOT / "screenshots" / "tests"

# The PostgreSQL pass runs in Chromium only the flows where the database server makes the
# difference: a killed server keeping every acknowledged booking, and two instances behind
# nginx. Every other flow's database work runs there through AppTest (tests/pages); its
# browser run is the DuckDB pass's. (This keeps `make test` under 15 minutes on 2 cores.)
ON_BOTH_BACKENDS = {"test_crash_flow.py", "test_proxy_flow.py"}


def pytest_collection_modifyitems(config, items):
    if not on_postgres():
        return
    dropped = [i for i in items if i.path.parent.name == "browser" and i.path.name not in ON_BOTH_BACKENDS]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if on_postgres():
        database = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], "browser")
    else:
        database = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    app = AppServer(database, env={"DAILY_BACKUPS": "off"})
    yield app
    app.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def tabs(browser, server):
    """Tabs of one context, one person at a time, for the flows on this worker's servers (all on 127.0.0.1)."""
    opened = Tabs(browser, server.url + "/_stcore/health")
    yield opened
    opened.close()


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
