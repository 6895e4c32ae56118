"""Services received, on their way to МКС: an outbox in our own database.

A mark «Присутствовал» on a linked visitor's booking writes an outbox row in the transaction of
the mark itself (core.marks.set_status calls `queue_marks`), so marking never waits for МКС
and a committed mark is never without its row. Taking the mark back queues the removal of what
was added. A worker (`deliver_due`: the app's background thread, every few seconds) sends the
rows in id order, one МКС transaction each, and acknowledges each in our database after МКС
committed it.

Exactly once, whatever happens between those two commits: the row written to МКС carries a
marker naming the booking (core.mks), and the check for the marker and the insert run under a
MySQL named lock. A worker killed after МКС's commit leaves its row «waiting»; the next one
finds the marker and only acknowledges. A second mark, a second instance and a retry meet the
same check. While МКС is down the head row waits with a growing delay (up to 15 minutes) and
nothing behind it overtakes it; marks go on being written meanwhile.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import mks, mks_status, statuses
from core.db import run_in_transaction
from core.joins import BOOKING_DETAILS, SESSION_START
from core.schema import bookings, event_services, mks_clients, mks_outbox, mks_service_types, places, sessions

ADD, REMOVE = "add", "remove"
WAITING, SENT, FAILED, KEPT = "waiting", "sent", "failed", "kept"
FIRST_DELAY_SECONDS = 10
MAX_DELAY_SECONDS = 900


def comment_for(place: str, start: datetime) -> str:
    """The comment of a service row: «Запись на помощь: Цветной, 05.12.2026 10:00»."""
    return f"Запись на помощь: {place}, {start:%d.%m.%Y %H:%M}"


# what an "add" writes: the linked client, the МКС type of the booked service, the session's start
_TARGETS = (
    sa.select(
        bookings.c.id, mks_clients.c.mks_client_id, mks_service_types.c.mks_type_id, sessions.c.date,
        SESSION_START.label("start_time"), places.c.name.label("place"),
    )
    .select_from(
        BOOKING_DETAILS.join(mks_clients, mks_clients.c.visitor_id == bookings.c.visitor_id)
        .join(mks_service_types, mks_service_types.c.service_id == event_services.c.service_id)
    )
    .where(bookings.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(bookings.c.id)
)


def queue_marks(conn: Connection, changes: list[tuple[int, str]], status: str, now: datetime) -> int:
    """Outbox rows for the bookings whose mark moves to or from «Присутствовал», in the caller's
    transaction; `changes` holds (booking id, status before). Returns how many were queued.

    Only bookings of a linked visitor on a service that came from МКС go there.
    """
    adding = sorted(i for i, before in changes if before != statuses.ATTENDED and status == statuses.ATTENDED)
    removing = sorted(i for i, before in changes if before == statuses.ATTENDED and status != statuses.ATTENDED)
    rows = []
    if adding:
        for row in conn.execute(_TARGETS, {"ids": adding}):
            start = datetime.combine(row.date, row.start_time)
            rows.append(dict(booking_id=row.id, action=ADD, mks_client_id=row.mks_client_id, mks_type_id=row.mks_type_id,
                             service_at=start, comment=comment_for(row.place, start)))
    if removing:
        # what to remove is what was added: the booking's latest "add", as it was queued
        latest = {}
        added = conn.execute(
            sa.select(mks_outbox).where(mks_outbox.c.booking_id.in_(removing), mks_outbox.c.action == ADD).order_by(mks_outbox.c.id)
        )
        for row in added:
            latest[row.booking_id] = row
        rows.extend(
            dict(booking_id=row.booking_id, action=REMOVE, mks_client_id=row.mks_client_id, mks_type_id=row.mks_type_id,
                 service_at=row.service_at, comment=row.comment)
            for row in latest.values()
        )
    if rows:
        conn.execute(mks_outbox.insert(), [row | dict(queued_at=now, state=WAITING, attempts=0) for row in rows])
    return len(rows)


def forget_visitor(conn: Connection, visitor_id: int) -> None:
    """An erasure: the visitor's link to МКС and every outbox row of their bookings go, in the
    caller's transaction; nothing here ties the anonymised bookings to a МКС client any more.
    Services not yet delivered are not delivered (МКС keeps what it already has)."""
    conn.execute(mks_clients.delete().where(mks_clients.c.visitor_id == visitor_id))
    theirs = sa.select(bookings.c.id).where(bookings.c.visitor_id == visitor_id).scalar_subquery()
    conn.execute(mks_outbox.delete().where(mks_outbox.c.booking_id.in_(theirs)))


# --- delivery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRun:
    handled: int
    error: str | None = None  # an MksError code when МКС stopped the run


def _head(engine: Engine) -> sa.Row | None:
    """The first row still waiting: nothing behind it goes before it."""
    with engine.connect() as conn:
        return conn.execute(sa.select(mks_outbox).where(mks_outbox.c.state == WAITING).order_by(mks_outbox.c.id).limit(1)).first()


def _due(row: sa.Row | None, now: datetime) -> bool:
    return row is not None and (row.next_try_at is None or row.next_try_at <= now)


def _record(row: sa.Row) -> mks.ServiceRecord:
    return mks.ServiceRecord(row.booking_id, row.mks_client_id, row.mks_type_id, row.service_at, row.comment)


def _finish(engine: Engine, row_id: int, state: str, now: datetime, mks_service_id: int | None = None, error: str | None = None) -> None:
    """Acknowledge a row in our database (only once: a row another worker finished stays as it is)."""
    run_in_transaction(engine, lambda conn: conn.execute(
        mks_outbox.update()
        .where(mks_outbox.c.id == row_id, mks_outbox.c.state == WAITING)
        .values(state=state, done_at=now, mks_service_id=mks_service_id, error=error, next_try_at=None)
    ))


def _back_off(engine: Engine, row: sa.Row, error: str, now: datetime) -> None:
    delay = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** row.attempts)
    run_in_transaction(engine, lambda conn: conn.execute(
        mks_outbox.update()
        .where(mks_outbox.c.id == row.id, mks_outbox.c.state == WAITING)
        .values(attempts=mks_outbox.c.attempts + 1, next_try_at=now + timedelta(seconds=delay), error=error)
    ))


def _send(conn: Connection, row: sa.Row, user_id: int | None) -> tuple[str, int | None]:
    """One row to МКС; returns the state to acknowledge and the МКС id of the row added."""
    if row.action == ADD:
        mks_id, _inserted = mks.put_service(conn, _record(row), user_id)
        return SENT, mks_id
    outcome = mks.withdraw_service(conn, _record(row))
    return (KEPT if outcome == "changed" else SENT), None


def deliver_due(engine: Engine, mks_engine: Engine, now: datetime, user_id: int | None = None, limit: int = 200) -> DeliveryRun:
    """Send the waiting rows, in order, while МКС takes them; returns how many were handled.

    Costs МКС nothing while the outbox is empty or its head row is waiting out a delay. When
    another instance is delivering (it holds the lock) this one leaves the rows to it.
    """
    if not _due(_head(engine), now):
        return DeliveryRun(0)
    handled = 0
    try:
        with mks.delivery_lock(mks_engine) as conn:
            if conn is None:
                return DeliveryRun(0)
            while handled < limit:
                # read again under the lock: another worker may have acknowledged it meanwhile
                row = _head(engine)
                if not _due(row, now):
                    break
                try:
                    state, mks_id = _send(conn, row, user_id)
                except mks.MksError as refused:
                    if not refused.lasting:
                        raise
                    _finish(engine, row.id, FAILED, now, error=refused.code)
                else:
                    _finish(engine, row.id, state, now, mks_service_id=mks_id)
                handled += 1
    except mks.MksError as exc:
        stuck = _head(engine)
        if stuck is not None:
            _back_off(engine, stuck, exc.code, now)
        mks_status.record_error(engine, exc, now)
        return DeliveryRun(handled, exc.code)
    mks_status.record_ok(engine, now)
    return DeliveryRun(handled)
