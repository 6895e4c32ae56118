"""The waiting list of a full session: people line up, and a place that frees goes to the first
of them who may still take it, in the same transaction that freed it.

Joining is a booking attempt: the booking rules (core.booking) run under the booking's locks,
and only a refusal for want of a place («мест нет» for the service or for the event day) lets
the person into the line; any other refusal (window, already booked, …) is theirs to see. A
place frees when a booking is cancelled, a capacity is raised or a person's data is erased:
each of those calls `fill_freed` before committing. It takes the event days' locks first and
only then reads the line, so a person who joined a moment earlier is seen, and a booker racing
the freeing counts after the promotion: nobody overtakes the line and nothing is overbooked.
A person first in line who may no longer be booked (already booked, window closed, data
erased, session gone) leaves the line with that reason, and the next one is tried. At the
session's start the line closes: nobody is booked from it any more.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor, volunteer_code
from core.booking import BookingRequest, SessionKey, book_together
from core.db import DAY_LOCK_ATTEMPTS, run_in_transaction
from core.errors import BookingRefused, DomainError, NotAllowed
from core.joins import SESSION_START, with_session_details
from core.locks import lock_event_days
from core.schema import event_services, places, services, sessions, staff, visitors, waitlist
from core.validation import clean_text

WAITING, BOOKED, LEFT, CLOSED = "waiting", "booked", "left", "closed"
# the refusals that mean "no place": only these let a person into the line, and only these keep
# them in it when a place frees for somebody else
NO_PLACE = ("session_full", "event_full")
JOINING_ROLES = ("admin", "volunteer", "visitor")


@dataclass(frozen=True)
class Entry:
    """One person in (or once in) a session's line, as lists show it."""

    id: int
    session_id: int
    visitor_id: int
    state: str
    rank: int | None  # 1 for the first in line; None once out of it
    created_at: datetime
    created_by_kind: str
    created_by_id: int | None
    comment: str | None
    booking_id: int | None
    reason: str | None
    first_name: str = ""
    last_name: str = ""
    card_number: str = ""


@dataclass(frozen=True)
class MyEntry:
    """A place in a line (or a booking that came from one), as the visitor's page shows it."""

    entry_id: int
    state: str
    rank: int | None
    service_id: int
    service_name: str
    place_name: str
    day: date
    start_time: time


def _session_row(conn: Connection, key: SessionKey) -> int:
    """The stored row of a session, created if nobody touched it yet (an event day can be full
    while one of its services has no booking, so no row)."""
    found = conn.execute(
        sa.select(sessions.c.id).where(sessions.c.event_service_id == key.event_service_id, sessions.c.date == key.date)
    ).scalar()
    if found is not None:
        return found
    event_id = conn.execute(sa.select(event_services.c.event_id).where(event_services.c.id == key.event_service_id)).scalar_one()
    return conn.execute(
        sessions.insert().values(event_service_id=key.event_service_id, event_id=event_id, date=key.date).returning(sessions.c.id)
    ).scalar_one()


class _PlaceFree(Exception):
    """The join found a place: the booking it made is rolled back, the person books instead."""


def join(engine: Engine, visitor_id: int, key: SessionKey, actor: Actor, now: datetime, comment: str | None = None) -> int:
    """Put the person in the session's line; returns their place in it (1 = next).

    Refused, in words, when a place is free («book instead»), when they are already in the
    line, and with the booking's own refusal for anything else that keeps them out (window,
    already booked, …). Visitors join for themselves, volunteers and admins for anybody.
    """
    if actor.role not in JOINING_ROLES or actor.role == "visitor" and actor.id != visitor_id:
        raise NotAllowed()
    comment = clean_text(comment, "comment")
    request = BookingRequest(visitor_id, (key,), actor, now, comment)

    def work(conn: Connection) -> int:
        (outcome,) = book_together(conn, [request])
        if not isinstance(outcome, BookingRefused):
            raise _PlaceFree()
        if outcome.code not in NO_PLACE:
            raise outcome
        session_id = _session_row(conn, key)
        if conn.execute(
            sa.select(waitlist.c.id).where(
                waitlist.c.session_id == session_id, waitlist.c.visitor_id == visitor_id, waitlist.c.state == WAITING
            )
        ).first():
            raise DomainError("waitlist_already_in")
        last = conn.execute(sa.select(sa.func.max(waitlist.c.position)).where(waitlist.c.session_id == session_id)).scalar()
        entry_id = conn.execute(
            waitlist.insert()
            .values(
                session_id=session_id, visitor_id=visitor_id, position=(last or 0) + 1, state=WAITING, comment=comment,
                created_at=now, created_by_kind=actor.kind, created_by_id=actor.id,
            )
            .returning(waitlist.c.id)
        ).scalar_one()
        audit.record(conn, actor, now, "waitlist_join", "waitlist", entry_id)
        return _rank(conn, session_id, entry_id)

    try:
        return run_in_transaction(engine, work, retry_duplicates=True, attempts=DAY_LOCK_ATTEMPTS)
    except _PlaceFree:
        raise DomainError("waitlist_place_free") from None


def _rank(conn: Connection, session_id: int, entry_id: int) -> int:
    ahead = _line(conn, [session_id])
    return next(i for i, row in enumerate(ahead, start=1) if row.id == entry_id)


def _line(conn: Connection, session_ids: Iterable[int]) -> list[sa.Row]:
    """The waiting entries of these sessions, each session's in line order."""
    return conn.execute(
        sa.select(waitlist)
        .where(waitlist.c.session_id.in_(sorted(set(session_ids))), waitlist.c.state == WAITING)
        .order_by(waitlist.c.session_id, waitlist.c.position, waitlist.c.id)
    ).all()


def _maker(row) -> Actor:
    """Whoever put the person in line books them when their turn comes, so the booking reads
    «записал волонтёр …» or «сам» exactly as if they had booked it then."""
    if row.created_by_kind == "volunteer":
        return Actor("volunteer", row.created_by_id, "volunteer", volunteer_code(row.created_by_id))
    if row.created_by_kind == "staff":
        return Actor("staff", row.created_by_id, "admin", row.staff_login or "-")
    return Actor("visitor", row.visitor_id, "visitor", row.card_number)


def _started(day: date, start: time, now: datetime) -> bool:
    return day < now.date() or day == now.date() and start <= now.time()


def fill_freed(conn: Connection, days: Iterable[tuple[int, date]], now: datetime) -> list[int]:
    """Give the places free on these event days to the people waiting for them, first come
    first served, in the caller's transaction; returns the new booking ids.

    Each session's line is tried in order. A person refused for want of a place stays (the
    place may free later); refused for anything else, they leave the line with that reason;
    a session that has started closes its line.
    """
    days = {(event_id, day) for event_id, day in days if day >= now.date()}
    if not days:
        return []
    lock_event_days(conn, days)
    rows = conn.execute(
        sa.select(
            waitlist, sessions.c.event_service_id, sessions.c.date, SESSION_START.label("start_time"),
            visitors.c.card_number, staff.c.login.label("staff_login"),
        )
        .select_from(
            waitlist.join(sessions, sessions.c.id == waitlist.c.session_id)
            .join(event_services, event_services.c.id == sessions.c.event_service_id)
            .join(visitors, visitors.c.id == waitlist.c.visitor_id)
            .outerjoin(staff, sa.and_(waitlist.c.created_by_kind == "staff", staff.c.id == waitlist.c.created_by_id))
        )
        .where(
            waitlist.c.state == WAITING,
            sessions.c.event_id.in_(sorted({e for e, _ in days})),
            sessions.c.date.in_(sorted({d for _, d in days})),
        )
        .order_by(waitlist.c.session_id, waitlist.c.position, waitlist.c.id)
    ).all()
    booked_ids, full_sessions = [], set()
    for row in rows:
        if row.session_id in full_sessions:
            continue
        if _started(row.date, row.start_time, now):
            _close(conn, row.id, CLOSED, "session_started", now)
            continue
        request = BookingRequest(row.visitor_id, (SessionKey(row.event_service_id, row.date),), _maker(row), now, row.comment)
        (outcome,) = book_together(conn, [request])
        if isinstance(outcome, BookingRefused):
            if outcome.code == "session_full":
                full_sessions.add(row.session_id)
            elif outcome.code != "event_full":  # the day is full for newcomers; the next may be no newcomer
                _close(conn, row.id, CLOSED, outcome.code, now)
            continue
        (booking_id,) = outcome
        conn.execute(
            waitlist.update().where(waitlist.c.id == row.id).values(state=BOOKED, booking_id=booking_id, resolved_at=now)
        )
        audit.record(conn, _maker(row), now, "waitlist_booked", "booking", booking_id)
        booked_ids.append(booking_id)
    return booked_ids


def _close(conn: Connection, entry_id: int, state: str, reason: str | None, now: datetime) -> None:
    conn.execute(waitlist.update().where(waitlist.c.id == entry_id).values(state=state, reason=reason, resolved_at=now))


def leave_every_line(conn: Connection, visitor_id: int, now: datetime) -> None:
    """An erased person (152-ФЗ) waits nowhere any more, and their words in a line go."""
    conn.execute(
        waitlist.update()
        .where(waitlist.c.visitor_id == visitor_id, waitlist.c.state == WAITING)
        .values(state=CLOSED, reason="person_erased", resolved_at=now)
    )
    conn.execute(waitlist.update().where(waitlist.c.visitor_id == visitor_id).values(comment=None))


def days_waited_on(conn: Connection, event_id: int, today: date) -> set[tuple[int, date]]:
    """The event's days from today on where somebody waits: what a change of the event may free."""
    rows = conn.execute(
        sa.select(sessions.c.event_id, sessions.c.date)
        .select_from(waitlist.join(sessions, sessions.c.id == waitlist.c.session_id))
        .where(waitlist.c.state == WAITING, sessions.c.event_id == event_id, sessions.c.date >= today)
        .distinct()
    ).all()
    return {(row.event_id, row.date) for row in rows}


def leave(engine: Engine, entry_id: int, actor: Actor, now: datetime) -> None:
    """Take a person out of the line: themselves, the volunteer who put them there, or an admin."""

    def work(conn: Connection) -> None:
        row = conn.execute(sa.select(waitlist).where(waitlist.c.id == entry_id)).first()
        if row is None or row.state != WAITING:
            raise DomainError("waitlist_not_waiting")
        mine = (
            actor.role == "admin"
            or actor.role == "visitor" and row.visitor_id == actor.id
            or actor.role == "volunteer" and row.created_by_kind == "volunteer" and row.created_by_id == actor.id
        )
        if not mine:
            raise NotAllowed()
        _close(conn, entry_id, LEFT, None, now)
        audit.record(conn, actor, now, "waitlist_leave", "waitlist", entry_id)

    run_in_transaction(engine, work)


def move(engine: Engine, entry_id: int, earlier: bool, actor: Actor, now: datetime) -> None:
    """An admin moves a person one place up (`earlier`) or down the line, by swapping with the
    neighbour; at either end nothing changes."""
    if actor.role != "admin":
        raise NotAllowed()

    def work(conn: Connection) -> None:
        row = conn.execute(sa.select(waitlist).where(waitlist.c.id == entry_id)).first()
        if row is None or row.state != WAITING:
            raise DomainError("waitlist_not_waiting")
        line = _line(conn, [row.session_id])
        at = next(i for i, other in enumerate(line) if other.id == entry_id)
        to = at - 1 if earlier else at + 1
        if not 0 <= to < len(line):
            return
        # positions may repeat after a race of joins: renumber the line in its order, then swap
        order = [other.id for other in line]
        order[at], order[to] = order[to], order[at]
        for position, other_id in enumerate(order, start=1):
            conn.execute(waitlist.update().where(waitlist.c.id == other_id).values(position=position))
        audit.record(conn, actor, now, "waitlist_move", "waitlist", entry_id, to=to + 1)

    run_in_transaction(engine, work)


def line_of(conn: Connection, session_id: int) -> list[Entry]:
    """Who waits for this session, in line order (Участники)."""
    rows = conn.execute(
        sa.select(waitlist, visitors.c.first_name, visitors.c.last_name, visitors.c.card_number)
        .select_from(waitlist.join(visitors, visitors.c.id == waitlist.c.visitor_id))
        .where(waitlist.c.session_id == session_id, waitlist.c.state == WAITING)
        .order_by(waitlist.c.position, waitlist.c.id)
    ).all()
    return [
        Entry(
            r.id, r.session_id, r.visitor_id, r.state, rank, r.created_at, r.created_by_kind, r.created_by_id, r.comment,
            r.booking_id, r.reason, r.first_name, r.last_name, r.card_number,
        )
        for rank, r in enumerate(rows, start=1)
    ]


def entries_of_visitor(conn: Connection, visitor_id: int, now: datetime) -> list[MyEntry]:
    """The person's places in lines of sessions from today on, the bookings that came to them
    from a line, and the lines that closed on them (the session started or is gone), nearest
    first; a line whose session has started shows as closed even before anything freed."""
    rows = conn.execute(
        sa.select(
            waitlist.c.id, waitlist.c.session_id, waitlist.c.state, waitlist.c.position, sessions.c.date,
            SESSION_START.label("start_time"), services.c.id.label("service_id"), services.c.name.label("service_name"),
            places.c.name.label("place_name"),
        )
        .select_from(with_session_details(waitlist.join(sessions, sessions.c.id == waitlist.c.session_id)))
        .where(waitlist.c.visitor_id == visitor_id, waitlist.c.state.in_((WAITING, BOOKED, CLOSED)), sessions.c.date >= now.date())
        .order_by(sessions.c.date, "start_time")
    ).all()
    waiting_sessions = [r.session_id for r in rows if r.state == WAITING]
    ranks = {}
    for session_id in set(waiting_sessions):
        for rank, row in enumerate(_line(conn, [session_id]), start=1):
            ranks[row.id] = rank
    return [
        MyEntry(
            r.id,
            CLOSED if r.state == WAITING and _started(r.date, r.start_time, now) else r.state,
            ranks.get(r.id) if r.state == WAITING else None,
            r.service_id, r.service_name, r.place_name, r.date, r.start_time,
        )
        for r in rows
    ]
