"""The database layer: start-up migrations and the retrying transaction helper, on a real file."""

from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.backend import duckdb_only

from core import db
from core.errors import BookingRefused, DomainError
from core.schema import places, schema_version

MOMENT = datetime(2026, 3, 10, 9, 0)


def place_names(engine) -> list[str]:
    with engine.connect() as conn:
        return [r.name for r in conn.execute(sa.select(places.c.name).order_by(places.c.id))]


def add_place(conn, name: str) -> None:
    conn.execute(places.insert().values(name=name, name_key=name.lower(), created_at=MOMENT))


def test_migrate_brings_a_new_database_to_the_newest_version(tmp_path):
    engine = db.make_engine(f"duckdb:///{tmp_path / 'new' / 'app.duckdb'}")  # the folder is made too

    assert db.migrate(engine) == len(db.MIGRATIONS)
    assert db.is_empty(engine)
    engine.dispose()


def test_migrate_twice_keeps_the_version_and_the_data(engine):
    with engine.begin() as conn:
        add_place(conn, "Цветной")

    assert db.migrate(engine) == len(db.MIGRATIONS)
    assert db.migrate(engine) == len(db.MIGRATIONS)

    with engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [len(db.MIGRATIONS)]
    assert place_names(engine) == ["Цветной"]
    assert not db.is_empty(engine)


def test_an_older_database_gets_only_the_missing_migrations(tmp_path, monkeypatch):
    # a database made when only the first migration existed, opened by the newest code
    engine = db.make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    newest = list(db.MIGRATIONS)
    monkeypatch.setattr(db, "MIGRATIONS", newest[:1])
    assert db.migrate(engine) == 1
    with engine.begin() as conn:
        add_place(conn, "Цветной")
    monkeypatch.setattr(db, "MIGRATIONS", newest)

    assert db.migrate(engine) == len(newest)

    with engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [len(newest)]
    assert place_names(engine) == ["Цветной"]
    engine.dispose()


def test_migrate_survives_a_restart_on_the_same_file(tmp_path):
    url = f"duckdb:///{tmp_path / 'app.duckdb'}"
    first = db.make_engine(url)
    db.migrate(first)
    with first.begin() as conn:
        add_place(conn, "Ясная")
    first.dispose()

    second = db.make_engine(url)
    assert db.migrate(second) == len(db.MIGRATIONS)
    assert place_names(second) == ["Ясная"]
    second.dispose()


@duckdb_only
def test_a_write_conflict_is_retried_until_it_goes_through(engine):
    with engine.begin() as conn:
        add_place(conn, "Цветной")
    calls = []

    def work(conn):
        calls.append(1)
        conn.execute(sa.select(places)).all()  # this transaction's snapshot starts here
        if len(calls) == 1:
            # somebody else changes the same row and commits first
            with engine.begin() as other:
                other.execute(places.update().values(name="Гиляровского"))
        conn.execute(places.update().values(name="Ясная"))
        return "saved"

    assert db.run_in_transaction(engine, work) == "saved"
    assert len(calls) == 2
    assert place_names(engine) == ["Ясная"]


@duckdb_only
def test_a_conflict_on_every_attempt_ends_as_busy_try_again(engine):
    with engine.begin() as conn:
        add_place(conn, "Цветной")
    calls = []

    def work(conn):
        calls.append(1)
        conn.execute(sa.select(places)).all()
        with engine.begin() as other:
            other.execute(places.update().values(name=f"Чужая правка {len(calls)}"))
        conn.execute(places.update().values(name="Ясная"))

    with pytest.raises(DomainError) as caught:
        db.run_in_transaction(engine, work, attempts=3)

    assert caught.value.code == "busy_try_again"
    assert caught.value.message == "Система занята, попробуйте ещё раз."
    assert len(calls) == 3
    assert place_names(engine) == ["Чужая правка 3"]


def test_a_business_refusal_is_never_retried_and_rolls_back(engine):
    calls = []

    def work(conn):
        calls.append(1)
        add_place(conn, "Цветной")
        raise BookingRefused("session_full")

    with pytest.raises(BookingRefused) as caught:
        db.run_in_transaction(engine, work)

    assert caught.value.code == "session_full"
    assert len(calls) == 1
    assert place_names(engine) == []


def test_a_duplicate_is_not_retried_unless_asked(engine):
    with engine.begin() as conn:
        add_place(conn, "Цветной")
    calls = []

    def work(conn):
        calls.append(1)
        add_place(conn, "Цветной")

    with pytest.raises(sa.exc.DBAPIError) as caught:
        db.run_in_transaction(engine, work)

    assert db.is_duplicate(caught.value)
    assert len(calls) == 1


def test_a_duplicate_is_retried_when_asked(engine):
    with engine.begin() as conn:
        add_place(conn, "Цветной")
    calls = []

    def work(conn):
        # the first attempt loses the insert race; the retry finds the row and uses it
        calls.append(1)
        if len(calls) == 1:
            add_place(conn, "Цветной")
        return conn.execute(sa.select(places.c.id).where(places.c.name_key == "цветной")).scalar_one()

    assert db.run_in_transaction(engine, work, retry_duplicates=True) == 1
    assert len(calls) == 2


def test_the_engine_url_comes_from_the_environment(monkeypatch, tmp_path):
    url = f"duckdb:///{tmp_path / 'env.duckdb'}"
    monkeypatch.setenv("DATABASE_URL", url)

    engine = db.make_engine()

    assert db.database_url() == url and db.is_duckdb(engine)
    engine.dispose()


def test_every_change_of_events_or_the_catalog_moves_the_shared_version_on(engine, now, admin, make_event):
    from core.catalog import ServiceFields, add_service, retire_service
    from core.event_changes import archive_event

    def version() -> int:
        with engine.connect() as conn:
            return db.shared_version(conn)

    start = version()
    event = make_event()
    after_create = version()
    archive_event(engine, event.id, admin, now)
    service_id = add_service(engine, ServiceFields("Парикмахер", "Стрижка", 5, 7, 30), admin, now)
    retire_service(engine, service_id, admin, now)
    assert start < after_create < version() and version() - start == 4
