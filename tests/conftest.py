"""Shared fixtures: a real database per test, a fixed clock, and factories for the domain rows.

Every test gets its own DuckDB file (or, on the PostgreSQL pass, its own PostgreSQL
database), so no test depends on another's rows. Time is one fixed `now`, passed in: no
fixture or helper reads the wall clock.

Factories insert through the core use cases where that is cheap (events go through
`create_event`, so they are validated exactly as the form would be) and straight into the
tables where the use case is slow on purpose (argon2 hashing: every visitor, volunteer and
staff row here shares hashes computed once per test session, at tests/hashing.py's cost).
"""

import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import db, demo
from core.actors import Actor, volunteer_code
from core.booking import SessionKey
from core.event_changes import EventSpec, ServiceSpec, create_event
from core.events import get_event
from core.passwords import hash_secret
from core.visitors import FIRST_CARD_NUMBER
from core.schema import places, services, staff, visitors, volunteers
from core.validation import search_key
from tests.clock import suite_now
from tests.postgres import create_database, drop_database
from tests.mks_fixtures import mariadb_server, mks_db  # noqa: F401 - the МКС tests' server and database

# Known secrets behind the precomputed hashes, for the tests that sign in.
STAFF_PASSWORD = "correct-horse-battery"
VOLUNTEER_PASSWORD = "volunteer-password-1"
VISITOR_PIN = "2468"

# The run's instant (tests/clock.py): DEFAULT_NOW, a Tuesday morning before the 10:00
# services of the default event start, unless TEST_NOW moves the run.
NOW = suite_now()


# --- the calendar pass ------------------------------------------------------------------
# The modules whose tests lean hardest on "today": the session lists and the calendar, the
# booking window, the visitor's page, the desk, Расписание, the event form. `make test` runs
# them again at instants where dates bite (Makefile: CALENDAR_INSTANTS). Посещаемость and the
# export take their periods as dates from their filters, and core.events takes `now` as input:
# left out to keep `make test` within 15 minutes on 2 cores.
CALENDAR_MODULES = {
    "tests/core/test_sessions.py", "tests/core/test_visits.py",
    "tests/pages/test_schedule.py", "tests/pages/test_sessions.py", "tests/pages/test_visitor.py",
    "tests/pages/test_desk.py", "tests/pages/test_event_form.py",
    "tests/core/test_door.py", "tests/pages/test_door.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.split("::")[0] in CALENDAR_MODULES:
            item.add_marker(pytest.mark.calendar)


# --- the database -----------------------------------------------------------------------


@functools.cache
def _migrated_duckdb_file() -> Path:
    """One migrated, empty DuckDB file per test process, for fresh_engine to copy."""
    folder = Path(tempfile.mkdtemp(prefix="migrated-"))
    atexit.register(shutil.rmtree, folder, True)
    engine = db.make_engine(f"duckdb:///{folder / 'migrated.duckdb'}")
    db.migrate(engine)
    engine.dispose()
    return folder / "migrated.duckdb"


@functools.cache
def _migrated_postgres_template(admin_url: str) -> str:
    """One migrated, empty PostgreSQL database per test process, for fresh_engine to copy."""
    engine = db.make_engine(create_database(admin_url, "migrated"))
    db.migrate(engine)
    engine.dispose()
    return "migrated"


def fresh_engine(tmp_path) -> sa.Engine:
    """A migrated, empty database of its own: a copy of a migrated one, as a DuckDB file or a
    PostgreSQL database. Copying costs a fraction of migrating, over a thousand tests."""
    if admin_url := os.environ.get("TEST_POSTGRES_ADMIN_URL"):
        name = f"test_{uuid.uuid4().hex[:12]}"
        return db.make_engine(create_database(admin_url, name, template=_migrated_postgres_template(admin_url)))
    shutil.copy(_migrated_duckdb_file(), tmp_path / "test.duckdb")
    return db.make_engine(f"duckdb:///{tmp_path / 'test.duckdb'}")


def throw_away(engine: sa.Engine) -> None:
    """Close the engine; on PostgreSQL also drop its database (a thousand would fill the disk)."""
    engine.dispose()
    if admin_url := os.environ.get("TEST_POSTGRES_ADMIN_URL"):
        drop_database(admin_url, engine.url.database)


@pytest.fixture
def engine(tmp_path):
    engine = fresh_engine(tmp_path)
    yield engine
    throw_away(engine)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def today(now) -> date:
    return now.date()


@pytest.fixture
def demo_engine(tmp_path, now):
    engine = fresh_engine(tmp_path)
    demo.load(engine, now)
    yield engine
    throw_away(engine)


# --- secrets, hashed once ---------------------------------------------------------------


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    return {
        "staff": hash_secret(STAFF_PASSWORD),
        "volunteer": hash_secret(VOLUNTEER_PASSWORD),
        "pin": hash_secret(VISITOR_PIN),
    }


# --- people and actors ------------------------------------------------------------------


@pytest.fixture
def make_staff(engine, now, hashes) -> Callable[..., Actor]:
    """A staff account (password STAFF_PASSWORD) and the Actor it signs in as."""
    numbers = count(1)

    def make(login: str | None = None, role: str = "admin", display_name: str = "Администратор", active: bool = True) -> Actor:
        login = login or f"staff{next(numbers)}"
        with engine.begin() as conn:
            staff_id = conn.execute(
                staff.insert()
                .values(login=login, display_name=display_name, role=role, password_hash=hashes["staff"], active=active, created_at=now)
                .returning(staff.c.id)
            ).scalar_one()
        return Actor("staff", staff_id, role, login, display_name)

    return make


@pytest.fixture
def admin(make_staff) -> Actor:
    return make_staff(login="admin", role="admin")


@pytest.fixture
def coordinator(make_staff) -> Actor:
    return make_staff(login="coordinator", role="coordinator", display_name="Координатор")


@pytest.fixture
def make_volunteer(engine, now, hashes) -> Callable[..., int]:
    """A volunteer row (password VOLUNTEER_PASSWORD); returns its id."""
    numbers = count(1)

    def make(first_name: str = "Ксения", last_name: str = "Орлова", login: str | None = None, status: str = "active") -> int:
        login = login or f"volunteer{next(numbers)}"
        with engine.begin() as conn:
            return conn.execute(
                volunteers.insert()
                .values(
                    first_name=first_name,
                    last_name=last_name,
                    phone="+79165550001",
                    login=login,
                    password_hash=hashes["volunteer"],
                    status=status,
                    created_at=now - timedelta(days=30),
                    approved_at=now - timedelta(days=29) if status != "pending" else None,
                )
                .returning(volunteers.c.id)
            ).scalar_one()

    return make


@pytest.fixture
def volunteer_actor(make_volunteer) -> Actor:
    volunteer_id = make_volunteer()
    return Actor("volunteer", volunteer_id, "volunteer", volunteer_code(volunteer_id), "Ксения Орлова")


@pytest.fixture
def make_visitor(engine, now, hashes) -> Callable[..., int]:
    """A registered visitor (PIN VISITOR_PIN) with a card number issued as registration does."""

    def make(first_name: str = "Анна", last_name: str = "Петрова", phone: str | None = "+79161234567", comment: str | None = None) -> int:
        with engine.begin() as conn:
            visitor_id = conn.execute(sa.select(visitors.c.id.default.next_value())).scalar_one()
            conn.execute(
                visitors.insert().values(
                    id=visitor_id,
                    card_number=str(FIRST_CARD_NUMBER - 1 + visitor_id),
                    first_name=first_name,
                    last_name=last_name,
                    search_key=search_key(f"{last_name} {first_name}"),
                    phone=phone,
                    comment=comment,
                    pin_hash=hashes["pin"],
                    consent_at=now,
                    consent_version="2026-11",
                    consent_by="staff:admin",
                    created_at=now,
                    created_by="staff:admin",
                )
            )
        return visitor_id

    return make


@pytest.fixture
def visitor_actor(engine) -> Callable[[int], Actor]:
    """The Actor a visitor signs in as."""

    def make(visitor_id: int) -> Actor:
        with engine.connect() as conn:
            row = conn.execute(sa.select(visitors).where(visitors.c.id == visitor_id)).one()
        return Actor("visitor", row.id, "visitor", row.card_number, f"{row.first_name} {row.last_name}")

    return make


# --- places, catalog, events ------------------------------------------------------------


@pytest.fixture
def make_place(engine, now) -> Callable[..., int]:
    numbers = count(1)

    def make(name: str | None = None) -> int:
        name = name or f"Место {next(numbers)}"
        with engine.begin() as conn:
            return conn.execute(
                places.insert().values(name=name, name_key=search_key(name), created_at=now).returning(places.c.id)
            ).scalar_one()

    return make


@pytest.fixture
def make_service(engine) -> Callable[..., int]:
    """A catalog row (МКС item); returns its id."""
    numbers = count(1)

    def make(name: str | None = None, capacity: int = 10, window_days: int = 7, minutes: int = 60) -> int:
        name = name or f"Услуга {next(numbers)}"
        with engine.begin() as conn:
            return conn.execute(
                services.insert()
                .values(
                    name=name,
                    description=f"Описание: {name}",
                    default_capacity=capacity,
                    default_window_days=window_days,
                    default_duration_min=minutes,
                )
                .returning(services.c.id)
            ).scalar_one()

    return make


@pytest.fixture
def make_event(engine, now, admin, make_place, make_service):
    """An event built through `create_event`, returned as the loaded `core.events.Event`.

    Defaults: a one-off event tomorrow with one 10:00-11:00 service of 10 places and a 7-day
    window. `services` rows are dicts with any of capacity, window_days, start, end,
    service_id. A first date in the past is created "back then" (create_event refuses past
    dates, as the form does), so past events go through the same code path.
    """

    def make(
        capacity: int = 10,
        services: list[dict] | None = None,
        freq: str | None = None,
        first_date: date | None = None,
        *,
        title: str = "Стирка и душ",
        place_id: int | None = None,
        new_place_name: str | None = None,
        interval: int = 1,
        weekdays: tuple[int, ...] = (),
        end_kind: str = "never",
        count: int | None = None,
        until: date | None = None,
    ):
        first_date = first_date or now.date() + timedelta(days=1)
        if place_id is None and new_place_name is None:
            place_id = make_place()
        rows = []
        for row in services if services is not None else [{}]:
            start = row.get("start", time(10))
            rows.append(
                ServiceSpec(
                    service_id=row.get("service_id") or make_service(),
                    start_time=start,
                    end_time=row.get("end", (datetime.combine(first_date, start) + timedelta(hours=1)).time()),
                    capacity=row.get("capacity", min(10, capacity)),
                    window_days=row.get("window_days", 7),
                )
            )
        spec = EventSpec(
            title=title,
            first_date=first_date,
            capacity=capacity,
            place_id=place_id,
            new_place_name=new_place_name,
            freq=freq,
            interval=interval,
            weekdays=weekdays,
            end_kind=end_kind,
            count=count,
            until=until,
            services=rows,
        )
        created = min(now, datetime.combine(first_date, time(8)))
        event_id = create_event(engine, spec, admin, created)
        with engine.connect() as conn:
            return get_event(conn, event_id)

    return make


def key_of(event, day: date | None = None, service: int = 0) -> SessionKey:
    """The session of `event`'s n-th service on `day` (default: its first date)."""
    return SessionKey(event.services[service].id, day or event.first_date)


@pytest.fixture
def session_key():
    return key_of
