"""One real app server per test run, fresh demo database, headless Debian Chromium."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.backend import on_postgres
from tests.browser.server import ROOT, AppServer, launch_chromium
from tests.postgres import create_database

SHOTS = ROOT / "screenshots" / "tests"

# Playwright's 5 s can be short for a rerun after a write while the other worker runs the suite
# on the same two cores: a PostgreSQL run once missed the participants dialog's confirmation
# (not reproduced in 37 reruns; a slow rerun is the likeliest cause). A wrong page still fails.
expect.set_options(timeout=15_000)


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


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
