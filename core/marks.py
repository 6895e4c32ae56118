"""Marking attendance: Присутствовал / Не пришел / Ожидается (SPEC §6); the rules of who may
mark what, and when, are core.statuses'."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, mks_outbox, statuses
from core.actors import Actor
from core.db import run_in_transaction
from core.errors import NotAllowed, ValidationError
from core.schema import bookings, sessions, status_history
from core.validation import clean_text


def set_status(
    engine: Engine, booking_ids: list[int], status: str, actor: Actor, now: datetime, comment: str | None = None
) -> int:
    """Mark several bookings Присутствовал / Не пришел / Ожидается at once; returns how many changed.

    «Присутствовал» and «Не пришел» say what happened, so they are refused before the session's
    day; what a volunteer may mark is narrower (statuses.mark_refusal). Cancelled bookings are
    left alone: bringing one back would need a fresh capacity check, which is what booking again
    is for. The staff comment is kept beside the booking's own comment (the visitor's words),
    never over it.
    """
    if actor.role not in statuses.MARKING_ROLES:
        raise NotAllowed()
    if status not in statuses.MARKS:
        raise ValidationError("status_invalid", field="status")
    if not booking_ids:
        raise ValidationError("nothing_selected", field="bookings")
    comment = clean_text(comment, "comment")
    return run_in_transaction(engine, lambda conn: set_status_in_transaction(conn, booking_ids, status, actor, now, comment))


def set_status_in_transaction(conn: Connection, booking_ids: list[int], status: str, actor: Actor, now: datetime, comment: str | None) -> int:
    """`set_status` inside the caller's transaction (the door books a walk-in and marks them in one)."""
    found = conn.execute(
        sa.select(bookings.c.id, bookings.c.status, bookings.c.status_changed_at, bookings.c.status_changed_by, sessions.c.date)
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(bookings.c.id.in_(booking_ids), bookings.c.status.in_(statuses.ACTIVE))
    ).all()
    for row in found:
        refusal = statuses.mark_refusal(
            actor.role, row.status, status, row.date, now.date(),
            now=now, marked_at=row.status_changed_at, marked_by_me=row.status_changed_by == actor.audit_name,
        )
        if refusal:
            raise ValidationError(refusal, field="status", status=statuses.ADMIN_LABEL[status])
    values: dict = dict(status=status, status_changed_at=now, status_changed_by=actor.audit_name)
    if comment:
        values["staff_comment"] = comment
    ids = [row.id for row in found]
    if ids:
        conn.execute(bookings.update().where(bookings.c.id.in_(ids)).values(**values))
        conn.execute(
            status_history.insert(),
            [{"booking_id": i, "status": status, "comment": comment, "changed_at": now, "changed_by": actor.audit_name} for i in ids],
        )
        # a service received (or taken back) goes to МКС through the outbox, with this commit
        mks_outbox.queue_marks(conn, [(row.id, row.status) for row in found], status, now)
    audit.record(conn, actor, now, "set_status", "booking", None, status=status, count=len(ids))
    return len(ids)
