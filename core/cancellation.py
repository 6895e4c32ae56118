"""Cancelling bookings inside a use case's own transaction: a visitor's cancel, an event
changed or archived, a person erased."""

from datetime import datetime

from sqlalchemy.engine import Connection

from core import statuses
from core.actors import Actor
from core.schema import bookings, status_history


def cancel_bookings_in_transaction(conn: Connection, booking_ids: list[int], actor: Actor, now: datetime, reason: str | None) -> int:
    """Cancel the bookings still «Ожидается» inside the caller's transaction (a marked one is
    history and stays); returns how many changed."""
    if not booking_ids:
        return 0
    changed = conn.execute(
        bookings.update()
        .where(bookings.c.id.in_(booking_ids), bookings.c.status == statuses.EXPECTED)
        .values(status=statuses.CANCELLED, status_changed_at=now, status_changed_by=actor.audit_name)
        .returning(bookings.c.id)
    ).all()
    for (booking_id,) in changed:
        conn.execute(
            status_history.insert().values(
                booking_id=booking_id, status=statuses.CANCELLED, comment=reason, changed_at=now, changed_by=actor.audit_name
            )
        )
    return len(changed)
