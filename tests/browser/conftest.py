"""One real app server per test run, fresh demo database, headless Debian Chromium."""

import os

import pytest
from playwright.sync_api import sync_playwright

from tests.backend import on_postgres
from tests.browser.server import ROOT, AppServer, launch_chromium
from tests.postgres import create_database

SHOTS = ROOT / "screenshots" / "tests"


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
