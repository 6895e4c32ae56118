"""Backups: retention keeps at most 28 days, a snapshot under write load is consistent, restore round-trips."""

import hashlib
import subprocess
import threading
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from core import backup
from core.booking import book
from core.db import make_engine
from core.errors import DomainError
from core.schema import bookings
from tests.backend import on_postgres
from tests.conftest import key_of
from tests.postgres import create_database

TODAY = date(2026, 3, 31)


def touch(folder: Path, moment: datetime) -> Path:
    path = folder / f"backup-{moment:%Y-%m-%d-%H%M%S}.duckdb"
    path.write_bytes(b"x")
    return path


def kept_days(folder: Path) -> list[int]:
    return sorted((TODAY - b.day).days for b in backup.list_backups(folder))


def test_daily_backups_for_sixty_days_keep_seven_daily_and_three_weekly_at_most_28_days_old(tmp_path):
    for age in range(60):
        touch(tmp_path, datetime.combine(TODAY - timedelta(days=age), datetime.min.time()) + timedelta(hours=3))
    backup.prune(tmp_path, TODAY)
    ages = kept_days(tmp_path)
    assert ages[:7] == [0, 1, 2, 3, 4, 5, 6]
    assert len(ages) == 10
    assert max(ages) <= 28


def test_what_restores_kept_goes_after_28_days_with_the_backups(tmp_path):
    today = date(2026, 12, 2)
    beside_database = tmp_path / "app.duckdb.before-restore-2026-11-03-101500"
    dump = tmp_path / "backups" / "before-restore-2026-11-01-090000.dump"
    recent = tmp_path / "app.duckdb.before-restore-2026-11-05-120000"
    for path in (beside_database, dump, recent):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"old data")

    removed = backup.prune_kept_by_restore([tmp_path, tmp_path / "backups"], today)

    assert sorted(removed) == sorted([beside_database, dump])
    assert recent.exists() and not beside_database.exists() and not dump.exists()


def test_several_backups_in_one_day_keep_only_the_newest_of_that_day(tmp_path):
    morning = touch(tmp_path, datetime(2026, 3, 31, 3, 0))
    evening = touch(tmp_path, datetime(2026, 3, 31, 20, 0))
    backup.prune(tmp_path, TODAY)
    assert not morning.exists() and evening.exists()


@pytest.mark.parametrize(
    "newest_age_hours, stale",
    [(1, False), (25, False), (27, True), (None, True)],
)
def test_admins_are_warned_when_the_newest_backup_is_older_than_26_hours(tmp_path, newest_age_hours, stale):
    moment = datetime(2026, 3, 31, 12, 0)
    if newest_age_hours is not None:
        touch(tmp_path, moment - timedelta(hours=newest_age_hours))
    assert backup.is_stale(tmp_path, moment) is stale


def table_digest(engine, table) -> tuple[int, str]:
    """Row count and a checksum of every row, in id order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
    return len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def restored_engine(tmp_path, taken: backup.Backup, now):
    if on_postgres():
        import os

        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], f"restored_{taken.taken_at:%H%M%S%f}")
    else:
        url = f"duckdb:///{tmp_path / 'restored.duckdb'}"
    backup.restore(taken.path, url, tmp_path / "kept", now)
    return make_engine(url)


def test_a_backup_taken_under_booking_load_holds_every_acknowledged_booking_and_restores_exactly(
    engine, tmp_path, now, make_event, make_visitor, admin
):
    event = make_event(capacity=400, services=[dict(capacity=400)])
    people = [make_visitor() for _ in range(300)]
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def keep_booking(chunk):
        for person in chunk:
            if stop.is_set():
                return
            try:
                ids = book(engine, person, [key_of(event)], admin, now)
            except DomainError:
                continue
            with lock:
                acknowledged.extend(ids)

    threads = [threading.Thread(target=keep_booking, args=(people[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 30:
        threading.Event().wait(0.01)
    with lock:
        before = set(acknowledged)
    taken = backup.take_backup(engine, tmp_path / "backups", now)
    with lock:
        after = set(acknowledged)
    stop.set()
    for thread in threads:
        thread.join()

    copy = restored_engine(tmp_path, taken, now)
    with copy.connect() as conn:
        in_backup = set(conn.execute(sa.select(bookings.c.id)).scalars())
    assert before <= in_backup <= after
    # every row that made it into the backup is byte-for-byte the source's row
    count, digest = table_digest(copy, bookings)
    with engine.connect() as conn:
        source_rows = conn.execute(sa.select(bookings).where(bookings.c.id.in_(in_backup)).order_by(bookings.c.id)).all()
    assert (count, digest) == (len(source_rows), hashlib.sha256(repr([tuple(r) for r in source_rows]).encode()).hexdigest())
    copy.dispose()


def test_a_restored_backup_equals_its_source_table_by_table(demo_engine, tmp_path, now):
    from core.schema import metadata

    taken = backup.take_backup(demo_engine, tmp_path / "backups", now)
    copy = restored_engine(tmp_path, taken, now)
    for table in metadata.sorted_tables:
        if "id" in table.c:
            assert table_digest(copy, table) == table_digest(demo_engine, table), table.name
    copy.dispose()


# --- the PostgreSQL password stays off the command line -------------------------------------
# A command line is readable by every user of the server (`ps`, /proc/*/cmdline); libpq reads
# PGPASSWORD from the environment of pg_dump / pg_restore instead.

SECRET = "s3cret-Пароль"


@pytest.fixture
def client_calls(monkeypatch):
    """What pg_dump / pg_restore would have been started with: (argv, env) per call."""
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs.get("env")))
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(backup.subprocess, "run", run)
    return calls


@pytest.mark.parametrize(
    "url, target",
    [
        ("postgresql+psycopg://zapis:s3cret-Пароль@db.example.org:5433/zapis?sslmode=require",
         "postgresql://zapis@db.example.org:5433/zapis?sslmode=require"),
        ("postgresql+psycopg://zapis@db.example.org/zapis?password=s3cret-Пароль", "postgresql://zapis@db.example.org/zapis"),
    ],
)
def test_pg_dump_and_pg_restore_get_the_password_through_the_environment_never_the_command_line(
    tmp_path, now, client_calls, url, target, monkeypatch
):
    # no server at db.example.org to ask who else is connected (test_restore.py covers that)
    monkeypatch.setattr(backup, "sole_user", lambda url: nullcontext())
    backup.take_backup(make_engine(url), tmp_path, now)
    backup.restore(tmp_path / "backup.dump", url, tmp_path, now)

    # the daily backup; the copy of the database a restore replaces; the restore
    assert [argv[0] for argv, _ in client_calls] == ["pg_dump", "pg_dump", "pg_restore"]
    for argv, env in client_calls:
        assert not any(SECRET in arg or quote(SECRET) in arg for arg in argv)
        assert env["PGPASSWORD"] == SECRET
        assert target in argv


def test_a_url_without_a_password_sets_no_pgpassword(tmp_path, now, client_calls, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)

    backup.take_backup(make_engine("postgresql+psycopg:///zapis"), tmp_path, now)

    argv, env = client_calls[0]
    assert argv[-1] == "postgresql:///zapis" and "PGPASSWORD" not in env
