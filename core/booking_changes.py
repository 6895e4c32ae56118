"""A booking changed by the people it belongs to: cancelled (its place freed, and given to the
first in the waiting list) or its comment rewritten. Its owner, the volunteer who made it, or an
admin."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import Actor
from core.cancellation import cancel_bookings_in_transaction
from core.db import DAY_LOCK_ATTEMPTS, run_in_transaction
from core.errors import DomainError, NotAllowed
from core.locks import lock_event_days
from core.schema import bookings, event_services, sessions
from core.validation import clean_text
from core.waitlist import fill_freed


def _booking_to_change(conn: Connection, booking_id: int, actor: Actor):
    """The booking with its session's date and start, when this actor may change it."""
    booking = conn.execute(
        sa.select(bookings, sessions.c.event_id, sessions.c.date, sessions.c.start_time.label("session_start"), event_services.c.start_time)
        .select_from(
            bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(
                event_services, event_services.c.id == sessions.c.event_service_id
            )
        )
        .where(bookings.c.id == booking_id)
    ).first()
    if booking is None:
        raise DomainError("booking_not_found")
    if not _may_change(actor, booking):
        raise NotAllowed()
    return booking


def _may_change(actor: Actor, booking) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "visitor":
        return booking.visitor_id == actor.id
    if actor.role == "volunteer":
        return booking.created_by_kind == "volunteer" and booking.created_by_id == actor.id
    return False


def cancel(engine: Engine, booking_id: int, actor: Actor, now: datetime, reason: str | None = None) -> None:
    """Cancel one booking: frees its place. Visitors and volunteers cancel only future ones of their own."""
    reason = clean_text(reason, "comment")

    def work(conn: Connection) -> None:
        booking = _booking_to_change(conn, booking_id, actor)
        # the day's lock before anything is written: the freed place goes to the waiting list
        # under it, and a racing writer of the day conflicts here, not after our work
        lock_event_days(conn, {(booking.event_id, booking.date)})
        booking = _booking_to_change(conn, booking_id, actor)
        if booking.status == statuses.CANCELLED:
            raise DomainError("booking_not_active")
        if not statuses.can_cancel(actor.role, booking.status):
            raise DomainError("booking_marked")
        if actor.role != "admin" and booking.date < now.date():
            raise DomainError("booking_in_past")
        cancel_bookings_in_transaction(conn, [booking_id], actor, now, reason)
        audit.record(conn, actor, now, "cancel", "booking", booking_id)
        fill_freed(conn, {(booking.event_id, booking.date)}, now)

    run_in_transaction(engine, work, attempts=DAY_LOCK_ATTEMPTS)


def set_comment(engine: Engine, booking_id: int, comment: str | None, actor: Actor, now: datetime) -> None:
    """Replace a booking's comment (its owner, the volunteer who made it, or an admin)."""
    comment = clean_text(comment, "comment")

    def work(conn: Connection) -> None:
        _booking_to_change(conn, booking_id, actor)
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(comment=comment))
        audit.record(conn, actor, now, "comment", "booking", booking_id)

    run_in_transaction(engine, work)
