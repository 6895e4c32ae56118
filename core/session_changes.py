"""Changing one session: its time and capacity, or deleting it; the series is untouched."""

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor
from core.db import run_in_transaction
from core.errors import DomainError, ValidationError
from core.joins import HOLDS_PLACE
from core.locks import lock_event_days
from core.schema import bookings, sessions
from core.sessions import Session
from core.validation import clean_capacity, clean_time_range
from core.waitlist import fill_freed


def _lock_session(conn: Connection, session: Session) -> tuple[int, int]:
    """Take the event day's lock, then find or create the session's row; returns its id and its
    active bookings. Taking the lock first makes a booking racing this change wait or run again."""
    lock_event_days(conn, {(session.event_id, session.date)})
    session_id = session.session_id
    if session_id is None:
        # the row may have been created since the session was read (by its first booking)
        session_id = conn.execute(
            sa.select(sessions.c.id).where(sessions.c.event_service_id == session.event_service_id, sessions.c.date == session.date)
        ).scalar()
    if session_id is None:
        session_id = conn.execute(
            sessions.insert()
            .values(event_service_id=session.event_service_id, event_id=session.event_id, date=session.date)
            .returning(sessions.c.id)
        ).scalar_one()
    booked = conn.execute(
        sa.select(sa.func.count())
        .select_from(bookings)
        .where(bookings.c.session_id == session_id, HOLDS_PLACE)
    ).scalar()
    return session_id, booked


def edit_session(
    engine: Engine, session: Session, start_time: time, end_time: time, capacity, actor: Actor, now: datetime
) -> None:
    """Change the time and capacity of this one session; the series is untouched.

    The capacity must hold the people already booked and stay within the event's capacity.
    """
    start_time, end_time = clean_time_range(start_time, end_time)
    capacity = clean_capacity(capacity)
    if capacity > session.event_capacity:
        raise ValidationError("service_capacity_above_event", field="capacity", event_capacity=session.event_capacity)

    def work(conn: Connection) -> None:
        session_id, booked = _lock_session(conn, session)
        if capacity < booked:
            raise ValidationError("capacity_below_booked", field="capacity", where=f"записано {booked}")
        conn.execute(
            sessions.update()
            .where(sessions.c.id == session_id)
            .values(start_time=start_time, end_time=end_time, capacity=capacity)
        )
        audit.record(conn, actor, now, "update", "session", session_id, capacity=capacity)
        fill_freed(conn, {(session.event_id, session.date)}, now)

    # a first booking may create the day's rows at the same moment: then this runs again
    run_in_transaction(engine, work, retry_duplicates=True)


def delete_session(engine: Engine, session: Session, actor: Actor, now: datetime) -> None:
    """Remove one occurrence of a service; refused while anybody is booked on it."""

    def work(conn: Connection) -> None:
        session_id, booked = _lock_session(conn, session)
        if booked:
            raise DomainError("session_has_bookings", count=booked)
        conn.execute(sessions.update().where(sessions.c.id == session_id).values(cancelled_at=now))
        audit.record(conn, actor, now, "delete", "session", session_id)

    # a first booking may create the day's rows at the same moment: then this runs again
    run_in_transaction(engine, work, retry_duplicates=True)
