"""Several instances on one database (PostgreSQL): start-up and the daily backup happen once."""

import os
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import backup, db
from core.config import Settings
from core.manage import PLACES, start_up
from core.schema import places, schema_version, staff
from tests.backend import on_postgres
from tests.postgres import create_database

# Advisory locks and instances in separate processes exist only on PostgreSQL; a DuckDB file
# is opened by one process.
postgres_only = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL: several instances share one database")

PRODUCTION = Settings("Europe/Moscow", "boss", "a-real-admin-password", mode="production")


def at_once(work, *args_per_thread) -> list:
    """Run work(*args) in one thread per args, released together; returns their results.

    An exception in any thread fails the test with that exception.
    """
    barrier = threading.Barrier(len(args_per_thread))
    results: list = [None] * len(args_per_thread)
    errors: list[BaseException] = []

    def run(index, args):
        barrier.wait()
        try:
            results[index] = work(*args)
        except BaseException as exc:  # noqa: BLE001 - reported below, with its traceback
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, args)) for n, args in enumerate(args_per_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def new_database_engines(tmp_path):
    """Two engines, as two instances would have, on one new database with no tables at all."""
    if on_postgres():
        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], f"instances_{uuid.uuid4().hex[:12]}")
        engines = [db.make_engine(url), db.make_engine(url)]
    else:
        one = db.make_engine(f"duckdb:///{tmp_path / 'new.duckdb'}")
        engines = [one, one]
    yield engines
    for engine in engines:
        engine.dispose()


@postgres_only
@pytest.mark.parametrize("attempt", range(3))
def test_two_instances_migrating_a_new_database_at_once_end_with_one_schema_and_no_error(new_database_engines, attempt):
    versions = at_once(db.migrate, *[(engine,) for engine in new_database_engines])

    assert versions == [len(db.MIGRATIONS)] * 2
    with new_database_engines[0].connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [len(db.MIGRATIONS)]


def test_two_instances_starting_a_new_database_at_once_add_the_places_and_the_admin_once(new_database_engines, now):
    db.migrate(new_database_engines[0])

    at_once(lambda engine: start_up(engine, PRODUCTION, now), *[(engine,) for engine in new_database_engines])

    with new_database_engines[0].connect() as conn:
        assert conn.execute(sa.select(places.c.name).order_by(places.c.id)).scalars().all() == list(PLACES)
        assert conn.execute(sa.select(staff.c.login)).scalars().all() == ["boss"]


# --- the daily backup ------------------------------------------------------------------------


@pytest.fixture
def fake_pg_dump(monkeypatch):
    """pg_dump that writes a small file and is slow enough for the other instance to wake up meanwhile."""
    import subprocess as real_subprocess

    def run(argv, **kwargs):
        if argv[0] != "pg_dump":
            return real_subprocess.run(argv, **kwargs)
        threading.Event().wait(0.3)
        target = argv[argv.index("-f") + 1]
        with open(target, "wb") as file:
            file.write(b"PGDMP")
        return real_subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(backup.subprocess, "run", run)


def test_two_instances_waking_up_together_take_one_daily_backup(engine, tmp_path, now, fake_pg_dump):
    folder = tmp_path / "backups"
    # two instances: on PostgreSQL each has its own engine (own connections)
    engines = [engine, db.make_engine(engine.url.render_as_string(hide_password=False))] if on_postgres() else [engine, engine]

    taken = at_once(backup.take_daily_backup, *[(e, folder, now) for e in engines])

    assert len([t for t in taken if t is not None]) == 1
    assert len(backup.list_backups(folder)) == 1
    engines[1].dispose()


def test_the_daily_backup_is_not_taken_twice_on_one_day_but_is_the_next_day(engine, tmp_path, now, fake_pg_dump):
    folder = tmp_path / "backups"

    first = backup.take_daily_backup(engine, folder, now)
    again = backup.take_daily_backup(engine, folder, now + timedelta(hours=5))
    tomorrow = backup.take_daily_backup(engine, folder, now + timedelta(days=1))

    assert first is not None and again is None and tomorrow is not None
    assert [b.day for b in backup.list_backups(folder)] == [tomorrow.day, first.day]


@postgres_only
def test_while_another_instance_holds_the_backup_lock_the_daily_backup_is_skipped(engine, tmp_path, now, fake_pg_dump):
    other = db.make_engine(engine.url.render_as_string(hide_password=False))
    with other.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": db.BACKUP_LOCK}).scalar()
        skipped = backup.take_daily_backup(engine, tmp_path, now)
        conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": db.BACKUP_LOCK})
    taken = backup.take_daily_backup(engine, tmp_path, now)
    other.dispose()

    assert skipped is None and taken is not None
