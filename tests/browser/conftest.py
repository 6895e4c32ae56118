"""One real app server per test run, fresh demo database, headless Debian Chromium."""

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.server import ROOT, AppServer, launch_chromium

SHOTS = ROOT / "screenshots" / "tests"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    app = AppServer(tmp_path_factory.mktemp("browser") / "browser.duckdb")
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
