"""Two ways to start: `make run` (demo data) and `make serve` (production: checks, never demo data)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st

from core import manage
from core.config import ConfigError, Settings, secrets_file_values, settings
from core.manage import PLACES, StartRefused, prepare_production, serve_check, start_up
from core.accounts import authenticate
from core.passwords import hash_secret
from core.schema import events, places, services, staff, visitors, volunteers

ROOT = Path(__file__).resolve().parents[2]
REAL_PASSWORD = "a-real-admin-password"


def production(login: str | None = "boss", password: str | None = REAL_PASSWORD) -> Settings:
    return Settings(timezone="Europe/Moscow", admin_login=login, admin_password=password, mode="production")


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def place_names(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(sa.select(places.c.name).order_by(places.c.id)).scalars().all()


def refusal(call) -> StartRefused:
    with pytest.raises(StartRefused) as caught:
        call()
    return caught.value


# --- a new production database --------------------------------------------------------


def test_a_new_production_database_gets_the_three_places_an_empty_catalog_and_the_configured_admin(engine, now):
    start_up(engine, production(), now)

    assert place_names(engine) == list(PLACES) == ["Цветной", "Гиляровского", "Ясная"]
    assert [count(engine, table) for table in (services, events, visitors, volunteers)] == [0, 0, 0, 0]
    actor = authenticate(engine, "boss", REAL_PASSWORD, now)
    assert (actor.role, actor.label) == ("admin", "boss")


def test_starting_production_again_adds_nothing(engine, now):
    start_up(engine, production(), now)
    start_up(engine, production(login=None, password=None), now)

    assert place_names(engine) == list(PLACES)
    assert count(engine, staff) == 1


@pytest.mark.parametrize(
    "login, password, named",
    [
        (None, None, "ADMIN_LOGIN и ADMIN_PASSWORD"),
        ("boss", None, "ADMIN_PASSWORD"),
        (None, REAL_PASSWORD, "ADMIN_LOGIN"),
    ],
)
def test_production_without_an_active_admin_refuses_naming_the_settings_to_set(engine, now, login, password, named):
    refused = refusal(lambda: start_up(engine, production(login, password), now))

    assert refused.code == "admin_missing"
    assert f"Задайте {named} " in refused.message
    # nothing written: the places arrive with the first start that succeeds
    assert count(engine, places) == 0


def test_a_deactivated_admin_does_not_count_as_the_active_admin(engine, now, make_staff):
    make_staff(login="former", role="admin", active=False)

    assert refusal(lambda: start_up(engine, production(None, None), now)).code == "admin_missing"


def test_an_active_admin_needs_no_admin_settings(engine, now, admin):
    start_up(engine, production(None, None), now)

    assert place_names(engine) == list(PLACES)


@pytest.mark.parametrize(
    "login, password, code",
    [
        ("x", REAL_PASSWORD, "admin_invalid"),
        ("boss", "short", "admin_invalid"),
        ("boss", "admin-demo", "admin_password_is_demo"),
        ("taken", REAL_PASSWORD, "admin_login_taken"),
    ],
)
def test_unusable_admin_settings_are_refused_with_their_reason(engine, now, make_staff, login, password, code):
    make_staff(login="taken", role="coordinator")

    refused = refusal(lambda: start_up(engine, production(login, password), now))

    assert refused.code == code
    assert ("ADMIN_LOGIN" in refused.message) or ("ADMIN_PASSWORD" in refused.message)


# --- demo accounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, login, password, active, refused",
    [
        (staff, "admin", "admin-demo", True, True),
        (staff, "coordinator", "coordinator-demo", True, True),
        (volunteers, "pavel.gromov", "volunteer-demo", True, True),
        # a real admin who chose the login "admin" and a password of their own
        (staff, "admin", REAL_PASSWORD, True, False),
        # the demo password under a login that is not a demo login
        (staff, "anna", "admin-demo", True, False),
        # a deactivated account cannot sign in
        (staff, "admin", "admin-demo", False, False),
        (volunteers, "volunteer", "volunteer-demo", False, False),
    ],
)
def test_production_refuses_only_accounts_that_sign_in_with_a_published_demo_password(
    engine, now, table, login, password, active, refused
):
    with engine.begin() as conn:
        if table is staff:
            conn.execute(staff.insert().values(login=login, display_name="Тест", role="admin", password_hash=hash_secret(password), active=active, created_at=now))
        else:
            conn.execute(volunteers.insert().values(
                first_name="Павел", last_name="Громов", phone="+79165550001", login=login, password_hash=hash_secret(password),
                status="active" if active else "deactivated", created_at=now,
            ))

    start = lambda: prepare_production(engine, production(), now)  # noqa: E731
    if refused:
        assert refusal(start).message.startswith(f"В базе есть демо-учётные записи с опубликованными паролями: {login}.")
    else:
        start()


def test_production_refuses_the_demo_database_and_names_its_accounts(demo_engine, now):
    refused = refusal(lambda: start_up(demo_engine, production(), now))

    assert refused.code == "demo_accounts"
    for login in ("admin", "coordinator", "volunteer"):
        assert login in refused.params["logins"].split(", ")


def test_demo_mode_loads_the_demo_into_an_empty_database(engine, now):
    start_up(engine, Settings("Europe/Moscow", None, None, mode="demo"), now)

    assert count(engine, events) > 0 and count(engine, visitors) > 0


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, mode", [(None, "demo"), ("demo", "demo"), ("production", "production"), (" Production ", "production")])
def test_app_mode_comes_from_the_environment(monkeypatch, value, mode):
    if value is None:
        monkeypatch.delenv("APP_MODE", raising=False)
    else:
        monkeypatch.setenv("APP_MODE", value)

    assert settings().mode == mode
    assert settings().production is (mode == "production")


def test_a_misspelt_app_mode_is_refused_rather_than_taken_for_demo(monkeypatch):
    monkeypatch.setenv("APP_MODE", "prod")

    with pytest.raises(ConfigError, match="APP_MODE"):
        settings()


def test_admin_settings_are_read_from_the_secrets_files_the_later_one_winning(tmp_path):
    home, project = tmp_path / "home.toml", tmp_path / "project.toml"
    home.write_text('ADMIN_LOGIN = "home"\nADMIN_PASSWORD = "from-home-file-1"\n', encoding="utf-8")
    project.write_text('ADMIN_LOGIN = "boss"\nOTHER = "x"\n', encoding="utf-8")

    assert secrets_file_values([home, project]) == {"ADMIN_LOGIN": "boss", "ADMIN_PASSWORD": "from-home-file-1"}
    assert secrets_file_values([tmp_path / "missing.toml"]) == {}


def test_serve_check_takes_the_first_admin_from_the_projects_secrets_file(tmp_path, monkeypatch, now):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('ADMIN_LOGIN = "boss"\nADMIN_PASSWORD = "from-the-file-1"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("ADMIN_LOGIN", "ADMIN_PASSWORD", "APP_MODE"):
        monkeypatch.delenv(name, raising=False)
    url = f"duckdb:///{tmp_path / 'prod.duckdb'}"
    monkeypatch.setenv("DATABASE_URL", url)

    assert "готова" in serve_check()

    engine = manage.make_engine(url)
    assert authenticate(engine, "boss", "from-the-file-1", now).role == "admin"
    engine.dispose()


def test_make_demo_is_refused_in_production_mode(monkeypatch):
    monkeypatch.setenv("APP_MODE", "production")

    assert refusal(lambda: manage.init(reset=True)).code == "demo_in_production"


# --- the command line and the Makefile -----------------------------------------------------


def clean_env(tmp_path, drop=("DATABASE_URL", "ADMIN_LOGIN", "ADMIN_PASSWORD", "APP_MODE", "HOST", "PORT", "MAKEFLAGS", "MAKELEVEL")) -> dict:
    # HOME and the working folder in tmp_path: no secrets.toml of the developer's reaches the check
    return {k: v for k, v in os.environ.items() if k not in drop} | {"HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}


def run_serve_check(tmp_path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.manage", "serve-check"],
        cwd=tmp_path, env=clean_env(tmp_path) | {"APP_MODE": "production"} | env,
        capture_output=True, text=True, timeout=120,
    )


def test_serve_check_without_database_url_exits_non_zero_saying_what_to_set(tmp_path):
    done = run_serve_check(tmp_path)

    assert done.returncode != 0
    assert "Не задан DATABASE_URL" in done.stderr
    assert "задайте также ADMIN_LOGIN и ADMIN_PASSWORD" in done.stderr


def test_serve_check_on_a_new_database_without_admin_settings_exits_non_zero_then_passes_with_them(tmp_path):
    url = f"duckdb:///{tmp_path / 'prod.duckdb'}"

    refused = run_serve_check(tmp_path, DATABASE_URL=url)
    started = run_serve_check(tmp_path, DATABASE_URL=url, ADMIN_LOGIN="boss", ADMIN_PASSWORD=REAL_PASSWORD)

    assert refused.returncode != 0 and "Задайте ADMIN_LOGIN и ADMIN_PASSWORD" in refused.stderr
    assert started.returncode == 0, started.stderr


# A stand-in for the virtualenv's python: logs APP_MODE and its arguments; the check's exit
# code comes from CHECK_EXIT. The real Makefile runs with it, so order and environment are real.
FAKE_PYTHON = """#!/bin/sh
echo "${APP_MODE:-unset} $*" >> "$CALLS"
case "$*" in *serve-check*|*manage\ init*) exit "${CHECK_EXIT:-0}" ;; esac
"""


def run_make(tmp_path, target: str, check_exit: int = 0, **env) -> tuple[int, list[str]]:
    venv = tmp_path / "venv"
    venv.mkdir(exist_ok=True)
    (venv / ".installed").touch()  # newer than requirements.txt: nothing to install
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    calls = tmp_path / "calls.log"
    calls.unlink(missing_ok=True)
    done = subprocess.run(
        ["make", "--no-print-directory", target, f"VENV={venv}", f"PY={fake}"], cwd=ROOT,
        env=clean_env(tmp_path) | {"CALLS": str(calls), "CHECK_EXIT": str(check_exit)} | env,
        capture_output=True, text=True, timeout=60,
    )
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_make_serve_runs_the_check_then_streamlit_in_production_mode_on_localhost(tmp_path):
    code, calls = run_make(tmp_path, "serve")

    assert code == 0
    assert len(calls) == 2 and calls[0] == "production -m core.manage serve-check"
    assert calls[1].startswith("production -m streamlit run ")
    assert calls[1].endswith(" --server.address 127.0.0.1 --server.port 8501")


def test_make_serve_does_not_start_streamlit_when_the_check_refuses(tmp_path):
    code, calls = run_make(tmp_path, "serve", check_exit=1)

    assert code != 0
    assert calls == ["production -m core.manage serve-check"]


@pytest.mark.parametrize("target, mode", [("run", "unset"), ("serve", "production")])
def test_make_run_and_make_serve_take_host_and_port_from_the_environment(tmp_path, target, mode):
    code, calls = run_make(tmp_path, target, HOST="0.0.0.0", PORT="8502")

    assert code == 0
    assert calls[-1].startswith(f"{mode} -m streamlit run ")
    assert calls[-1].endswith(" --server.address 0.0.0.0 --server.port 8502")


# --- the running app ----------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """ui.db.get_engine on a database of its own, as `make serve`'s Streamlit process sees it."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = manage.make_engine(url)
        from core.schema import metadata

        with engine.begin() as conn:
            metadata.drop_all(conn)
        engine.dispose()
    else:
        url = f"duckdb:///{tmp_path / 'app.duckdb'}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()


def test_the_app_in_production_mode_never_loads_demo_data_into_an_empty_database(app_env, monkeypatch):
    from ui.db import get_engine

    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.setenv("ADMIN_LOGIN", "boss")
    monkeypatch.setenv("ADMIN_PASSWORD", REAL_PASSWORD)

    engine = get_engine()

    assert place_names(engine) == list(PLACES)
    assert [count(engine, table) for table in (services, events, visitors, volunteers)] == [0, 0, 0, 0]
    engine.dispose()


def test_the_app_in_production_mode_without_admin_settings_refuses_to_hand_out_an_engine(app_env, monkeypatch):
    from ui.db import get_engine

    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.delenv("ADMIN_LOGIN", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("ui.db.app_settings", lambda: production(None, None))

    with pytest.raises(StartRefused):
        get_engine()
