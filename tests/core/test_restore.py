"""Restore is safe: refused while the database is in use, asks before replacing, keeps the replaced database.

Every restore here runs as `make restore` runs it, `python -m core.manage restore FILE` in a
process of its own (on the suite's clock, tests/clock.py): the exit code, what it prints and
whether it sees a terminal are part of what is tested. The database is the suite's backend.
"""

import os
import pty
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import backup
from core.config import PROJECT_ROOT
from core.db import make_engine, migrate
from core.places import add_place
from core.schema import places
from tests.backend import on_postgres
from tests.postgres import create_database

duckdb_only = pytest.mark.skipif(on_postgres(), reason="a DuckDB file held by another process")
postgres_only = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL sessions")

# places stand in for any rows: one in the backup, one written after it, one by a running app
IN_BACKUP, AFTER_BACKUP, BY_THE_APP = "Цветной", "Ясная", "Гиляровского"


@dataclass(frozen=True)
class Database:
    url: str
    backup: Path
    backups: Path  # BACKUP_DIR


def add_places(url: str, now, *names: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for name in names:
            add_place(conn, name, now)
    engine.dispose()


def places_in(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        names = list(conn.execute(sa.select(places.c.name).order_by(places.c.id)).scalars())
    engine.dispose()
    return names


@pytest.fixture
def database(tmp_path, now) -> Database:
    """A database with one place in its backup and one more added since."""
    if on_postgres():
        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], f"restore_{uuid.uuid4().hex[:12]}")
    else:
        url = f"duckdb:///{tmp_path / 'app.duckdb'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    add_places(url, now, IN_BACKUP)
    engine = make_engine(url)
    taken = backup.take_backup(engine, tmp_path / "backups", now)
    engine.dispose()
    add_places(url, now, AFTER_BACKUP)
    return Database(url, taken.path, tmp_path / "backups")


def subprocess_env(url: str, backups: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "YES"}
    return env | {"DATABASE_URL": url, "BACKUP_DIR": str(backups), "PYTHONPATH": str(PROJECT_ROOT)} | extra


def run_restore(database: Database, *, stdin=subprocess.DEVNULL, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.clock", "core.manage", "restore", str(database.backup)],
        env=subprocess_env(database.url, database.backups, **env), stdin=stdin,
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120,
    )


APP = """
import sys, time
from datetime import datetime
from core.db import make_engine
from core.places import add_place

engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    add_place(conn, sys.argv[2], datetime.fromisoformat(sys.argv[3]))
held = engine.connect()
print("ready", flush=True)
time.sleep(600)
"""


@contextmanager
def app_running(database: Database, now) -> Iterator[None]:
    """Another process that wrote BY_THE_APP and keeps the database open; killed at the end, as a
    crash would: on DuckDB its last write is then only in the WAL."""
    app = subprocess.Popen(
        [sys.executable, "-c", APP, database.url, BY_THE_APP, now.isoformat()],
        env=subprocess_env(database.url, database.backups), stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )
    try:
        assert app.stdout.readline().strip() == "ready"
        yield
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()


def kept_beside(database: Database) -> list[Path]:
    if on_postgres():
        return sorted(database.backups.glob("before-restore-*"))
    target = Path(database.url.removeprefix("duckdb:///"))
    return sorted(target.parent.glob(f"{target.name}.before-restore-*"))


@duckdb_only
def test_restore_is_refused_while_another_process_holds_the_duckdb_file(database, now):
    with app_running(database, now):
        result = run_restore(database, YES="1")

    assert result.returncode != 0
    assert "База данных сейчас используется" in result.stderr and "Ничего не изменено" in result.stderr
    assert kept_beside(database) == []
    # the app's last write, still only in its WAL when it was killed, is there too
    assert places_in(database.url) == [IN_BACKUP, AFTER_BACKUP, BY_THE_APP]


@duckdb_only
def test_restore_replaces_the_data_and_keeps_the_old_file_beside_it_with_what_its_wal_held(database, now):
    with app_running(database, now):
        pass
    target = Path(database.url.removeprefix("duckdb:///"))
    assert Path(f"{target}.wal").exists()  # a crashed app's bookings, not yet in the file

    result = run_restore(database, YES="1")

    assert result.returncode == 0, result.stderr
    [kept] = kept_beside(database)
    assert kept.name.startswith("app.duckdb.before-restore-2026-")
    assert f"Прежняя база сохранена: {kept}" in result.stdout
    assert not Path(f"{target}.wal").exists()
    assert places_in(database.url) == [IN_BACKUP]
    assert places_in(f"duckdb:///{kept}") == [IN_BACKUP, AFTER_BACKUP, BY_THE_APP]


@postgres_only
def test_restore_is_refused_while_another_session_is_connected_to_the_database(database):
    engine = make_engine(database.url)
    with engine.connect():
        result = run_restore(database, YES="1")
    engine.dispose()

    assert result.returncode != 0
    assert "База данных сейчас используется (подключений к базе: 1)" in result.stderr
    assert kept_beside(database) == []
    assert places_in(database.url) == [IN_BACKUP, AFTER_BACKUP]


@postgres_only
def test_restore_replaces_the_data_and_keeps_a_dump_of_the_replaced_database_with_the_backups(database, tmp_path, now):
    result = run_restore(database, YES="1")

    assert result.returncode == 0, result.stderr
    [kept] = kept_beside(database)
    assert f"Прежняя база сохранена: {kept}" in result.stdout
    assert places_in(database.url) == [IN_BACKUP]
    # the kept dump restores like any backup
    again = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], f"kept_{uuid.uuid4().hex[:12]}")
    backup.restore(kept, again, tmp_path / "unused", now)
    assert places_in(again) == [IN_BACKUP, AFTER_BACKUP]


def test_restore_without_a_terminal_and_without_yes_is_refused_and_says_to_add_yes(database):
    result = run_restore(database)

    assert result.returncode != 0
    assert "Добавьте YES=1" in result.stderr
    assert kept_beside(database) == []
    assert places_in(database.url) == [IN_BACKUP, AFTER_BACKUP]


@pytest.mark.parametrize("answer, restored", [("да", True), ("Да ", True), ("нет", False), ("yes", False), ("", False)])
def test_on_a_terminal_restore_goes_ahead_only_when_the_admin_types_да(database, answer, restored):
    terminal, its_end = pty.openpty()
    os.write(terminal, f"{answer}\n".encode())
    try:
        result = run_restore(database, stdin=its_end)
    finally:
        os.close(its_end)
        os.close(terminal)

    assert "Введите «да»" in result.stdout
    assert (result.returncode == 0) is restored, result.stderr
    assert len(kept_beside(database)) == int(restored)
    assert places_in(database.url) == ([IN_BACKUP] if restored else [IN_BACKUP, AFTER_BACKUP])
    if not restored:
        assert "Восстановление отменено" in result.stderr
