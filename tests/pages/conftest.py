"""AppTest fixtures: the real app.py on a fresh copy of a demo database, signed in as a role."""

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import demo
from core.actors import Actor, volunteer_code
from core.db import make_engine, migrate
from ui.clock import now

ROOT = Path(__file__).resolve().parents[2]
ACTORS = {
    "admin": Actor("staff", 1, "admin", "admin", "Администратор"),
    "coordinator": Actor("staff", 2, "coordinator", "coordinator", "Координатор"),
    "volunteer": Actor("volunteer", 1, "volunteer", volunteer_code(1), "Ксения Орлова"),
    "visitor": Actor("visitor", 1, "visitor", "100001", "Виктор Толстихин"),
}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """One demo database per test run; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "template.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    migrate(engine)
    demo.load(engine, now())
    engine.dispose()
    return path


@pytest.fixture
def app_db(demo_template, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("DATABASE_URL", f"duckdb:///{path}")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def db_engine(app_db):
    """A second engine on the app's database, to check what was written."""
    engine = make_engine(f"duckdb:///{app_db}")
    yield engine
    engine.dispose()


def open_app(page: str | None = None, role: str | None = None) -> AppTest:
    """Run app.py, sign in as `role` (or stay signed out), and open `page` (a file in app_pages/)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if role:
        at.session_state["actor"] = ACTORS[role]
        at.session_state["last_seen"] = now()
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    return at


@pytest.fixture
def app(app_db):
    return open_app


@pytest.fixture(autouse=True, scope="session")
def show_error_details():
    """Tests want the traceback that users never see."""
    st.config.set_option("client.showErrorDetails", "full")
