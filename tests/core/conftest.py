"""Checks the core tests share: row counts and the capacity invariants (SPEC §3.3) in plain SQL.

The invariants are read straight from the tables, not through core, so a bug in core's own
counting cannot hide itself.
"""

import pytest
import sqlalchemy as sa

INVARIANT_QUERIES = {
    # 1. active bookings on a session <= the session's capacity
    "session above capacity": """
        SELECT s.id, count(*) AS booked, coalesce(s.capacity, es.capacity) AS cap
        FROM bookings b
        JOIN sessions s ON s.id = b.session_id
        JOIN event_services es ON es.id = s.event_service_id
        WHERE b.status IN ('expected', 'attended', 'no_show') AND b.released_at IS NULL
        GROUP BY s.id, s.capacity, es.capacity
        HAVING count(*) > coalesce(s.capacity, es.capacity)
    """,
    # 2. distinct participants of an event occurrence <= the event's capacity
    "occurrence above capacity": """
        SELECT s.event_id, s.date, count(DISTINCT b.visitor_id) AS people
        FROM bookings b
        JOIN sessions s ON s.id = b.session_id
        JOIN events e ON e.id = s.event_id
        LEFT JOIN occurrences o ON o.event_id = s.event_id AND o.date = s.date
        WHERE b.status IN ('expected', 'attended', 'no_show') AND b.released_at IS NULL
        GROUP BY s.event_id, s.date, e.capacity, o.capacity
        HAVING count(DISTINCT b.visitor_id) > coalesce(o.capacity, e.capacity)
    """,
    # 3. at most one active booking per person per session
    "duplicate active booking": """
        SELECT b.session_id, b.visitor_id, count(*) AS n
        FROM bookings b
        WHERE b.status IN ('expected', 'attended', 'no_show')
        GROUP BY b.session_id, b.visitor_id
        HAVING count(*) > 1
    """,
}


def invariant_violations(engine) -> dict[str, list]:
    """Every row that breaks a capacity invariant, by invariant; empty when all hold."""
    with engine.connect() as conn:
        found = {name: conn.execute(sa.text(sql)).all() for name, sql in INVARIANT_QUERIES.items()}
    return {name: rows for name, rows in found.items() if rows}


@pytest.fixture
def assert_invariants():
    def check(engine) -> None:
        assert invariant_violations(engine) == {}

    return check


@pytest.fixture
def table_count(engine):
    """How many rows a table holds (optionally only those matching a SQL condition)."""

    def count(table: str, where: str = "TRUE") -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()

    return count


@pytest.fixture
def add_booking(engine, now):
    """Arrange a booking straight in the tables (no rules checked); returns its id.

    Written as `book` leaves it: the booking row and its first status_history row. For setting
    the scene only: the use case under test is always called through core.
    """
    from core.schema import bookings, occurrences, sessions, status_history

    def add(key, visitor_id: int, status: str = "expected", created_by_kind: str = "staff", created_by_id: int = 1) -> int:
        with engine.begin() as conn:
            event_id = conn.execute(
                sa.text("SELECT event_id FROM event_services WHERE id = :id"), {"id": key.event_service_id}
            ).scalar_one()
            if conn.execute(
                sa.select(occurrences.c.id).where(occurrences.c.event_id == event_id, occurrences.c.date == key.date)
            ).first() is None:
                conn.execute(occurrences.insert().values(event_id=event_id, date=key.date))
            session_id = conn.execute(
                sa.select(sessions.c.id).where(sessions.c.event_service_id == key.event_service_id, sessions.c.date == key.date)
            ).scalar()
            if session_id is None:
                session_id = conn.execute(
                    sessions.insert()
                    .values(event_service_id=key.event_service_id, event_id=event_id, date=key.date)
                    .returning(sessions.c.id)
                ).scalar_one()
            booking_id = conn.execute(
                bookings.insert()
                .values(
                    session_id=session_id,
                    visitor_id=visitor_id,
                    status=status,
                    created_at=now,
                    created_by_kind=created_by_kind,
                    created_by_id=created_by_id,
                )
                .returning(bookings.c.id)
            ).scalar_one()
            conn.execute(
                status_history.insert().values(booking_id=booking_id, status=status, changed_at=now, changed_by="staff:admin")
            )
            return booking_id

    return add


@pytest.fixture
def active_on(engine):
    """Active bookings on one session key (0 when the session has no row yet)."""

    def count(key) -> int:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM bookings b JOIN sessions s ON s.id = b.session_id "
                    "WHERE s.event_service_id = :es AND s.date = :day AND b.status IN ('expected', 'attended', 'no_show')"
                ),
                {"es": key.event_service_id, "day": key.date},
            ).scalar()

    return count


def second_while_first_holds(monkeypatch, module, function_name: str, first, second) -> dict[str, str]:
    """The worst moment of a race, made certain: run `first` until it has returned from
    `module.function_name` inside its transaction (written, not committed), start `second`,
    and let `first` go on 0.3 s later, while `second` waits for the lock (PostgreSQL) or
    retries after conflicts (DuckDB). Returns how each ended: "done" or its refusal code."""
    import threading
    import time

    from core.errors import DomainError

    written, go = threading.Event(), threading.Event()
    original = getattr(module, function_name)

    def held(*args, **kwargs):
        found = original(*args, **kwargs)
        written.set()
        assert go.wait(30)
        return found

    monkeypatch.setattr(module, function_name, held)
    answers: dict[str, str] = {}

    def run(name, call):
        try:
            call()
            answers[name] = "done"
        except DomainError as exc:
            answers[name] = exc.code

    threads = [threading.Thread(target=run, args=(name, call)) for name, call in (("first", first), ("second", second))]
    threads[0].start()
    assert written.wait(30)
    threads[1].start()
    time.sleep(0.3)
    go.set()
    for thread in threads:
        thread.join(30)
    return answers
