"""AppTest fixtures: the real app.py on a fresh copy of a demo database, signed in as a role."""

import os
import shutil
import uuid
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import demo, sign_ins
from core.actors import Actor, volunteer_code
from core.db import make_engine, migrate
from tests.backend import on_postgres
from tests.postgres import create_database
from ui.clock import now
from ui.db import get_engine
from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]
ACTORS = {
    "admin": Actor("staff", 1, "admin", "admin", "Администратор"),
    "coordinator": Actor("staff", 2, "coordinator", "coordinator", "Координатор"),
    "volunteer": Actor("volunteer", 1, "volunteer", volunteer_code(1), "Ксения Орлова"),
    "visitor": Actor("visitor", 1, "visitor", "100001", "Виктор Толстихин"),
}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    """One demo database per test run; each test gets its own copy of it."""
    if on_postgres():
        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], "demo_template")
    else:
        url = f"duckdb:///{tmp_path_factory.mktemp('demo') / 'template.duckdb'}"
    engine = make_engine(url)
    migrate(engine)
    demo.load(engine, now())
    engine.dispose()
    return url


@pytest.fixture
def app_db(demo_template, tmp_path, monkeypatch) -> str:
    """A fresh copy of the demo for this test; the app's DATABASE_URL points at it."""
    if on_postgres():
        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], f"app_{uuid.uuid4().hex[:12]}", template="demo_template")
    else:
        path = tmp_path / "app.duckdb"
        shutil.copy(demo_template.removeprefix("duckdb:///"), path)
        url = f"duckdb:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    # every AppTest would otherwise start its own daily-backup thread
    monkeypatch.setenv("DAILY_BACKUPS", "off")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    # the app's engine lives in st.cache_resource: close its connections before the next test
    get_engine().dispose()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def db_engine(app_db):
    """A second engine on the app's database, to check what was written."""
    engine = make_engine(app_db)
    yield engine
    engine.dispose()


def signed_in(at: AppTest, actor: Actor) -> AppTest:
    """`at`'s session signed in as `actor`, with a real sign-in row, as the sign-in form leaves
    it (AppTest has no browser to fetch the cookie)."""
    sign_in_id, _ = sign_ins.start(get_engine(), actor, now())
    at.session_state["actor"] = actor
    at.session_state["sign_in_id"] = sign_in_id
    return at


def open_app(page: str | None = None, role: str | None = None) -> AppTest:
    """Run app.py, sign in as `role` (or stay signed out), and open `page` (a file in app_pages/)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if role:
        signed_in(at, ACTORS[role])
    if page and PAGES[page][3] != page:
        # before the first run AppTest finds a page by its file name only, not by a url_path
        # that differs from it (AppTest.switch_page's docstring): one run to register the pages
        at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py")
    return at.run()


@pytest.fixture
def app(app_db):
    return open_app


@pytest.fixture(autouse=True, scope="session")
def show_error_details():
    """Tests want the traceback that users never see."""
    st.config.set_option("client.showErrorDetails", "full")


def table_as_read(at: AppTest, index: int = 0):
    """A st.table's cells as a person reads them: its no-break spaces and hyphens as plain ones."""
    return at.table[index].value.map(lambda v: v.replace("\u00a0", " ").replace("\u2011", "-") if isinstance(v, str) else v)
