"""Check-in at the door: today's sessions at one place with their people, marked one tap each.

Who may mark what is core.statuses' rule (`mark_refusal`): a volunteer marks «Присутствовал» or
«Не пришел» on today's sessions only and takes back their own mark within a minute; an admin
keeps every right. The marks themselves are core.marks' `set_status`, so МКС, the status
history and the audit log see a mark at the door as any other. A person who comes without a
booking is booked and marked «Присутствовал» in one transaction, under the same capacity
rules as every booking. Some minutes after a session starts, the place of a person who did
not come can be given to somebody at the door: the waiting list first, then a walk-in.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import ERASED_NAME, Actor
from core.booking import BookingRequest, SessionKey, book_together
from core.db import DAY_LOCK_ATTEMPTS, run_in_transaction
from core.errors import BookingRefused, DomainError, NotAllowed
from core.events import Event
from core.joins import SESSION_START
from core.locks import lock_event_days
from core.marks import set_status, set_status_in_transaction
from core.schema import bookings, event_services, sessions, visitors, waitlist
from core.sessions import Session, SessionFilter, sessions_between
from core.waitlist import BOOKED, WAITING


@dataclass(frozen=True)
class DoorPerson:
    """One active booking of a session, as the door shows it."""

    booking_id: int
    visitor_id: int
    name: str  # «Петрова Анна», as the desk and Участники show staff
    card_number: str
    status: str
    marked_at: datetime | None
    marked_by: str | None  # the audit name of whoever set the status last
    released: bool = False  # «Не пришел», and the place given to somebody else

    def undo_seconds_left(self, actor: Actor, now: datetime) -> int:
        """Seconds left for `actor` to take back their own mark of this person (0: no undo)."""
        if self.status not in statuses.OUTCOMES or self.marked_by != actor.audit_name:
            return 0
        return statuses.undo_seconds_left(self.marked_at, now)


@dataclass(frozen=True)
class DoorSession:
    session: Session
    people: tuple[DoorPerson, ...]

    @property
    def arrived(self) -> int:
        return sum(person.status == statuses.ATTENDED for person in self.people)


_PEOPLE_OF_SESSIONS = (
    sa.select(
        bookings.c.id,
        bookings.c.session_id,
        bookings.c.visitor_id,
        bookings.c.status,
        bookings.c.status_changed_at,
        bookings.c.status_changed_by,
        bookings.c.released_at,
        visitors.c.first_name,
        visitors.c.last_name,
        visitors.c.card_number,
    )
    .select_from(bookings.join(visitors, visitors.c.id == bookings.c.visitor_id))
    .where(bookings.c.session_id.in_(sa.bindparam("session_ids", expanding=True)), bookings.c.status.in_(statuses.ACTIVE))
    .order_by(visitors.c.last_name, visitors.c.first_name, bookings.c.id)
)


def today_at_place(conn: Connection, events: list[Event], place_id: int, today: date) -> list[DoorSession]:
    """Today's sessions at one place, by start time, each with its active bookings by surname."""
    found = sessions_between(conn, list(events), SessionFilter(place_ids=(place_id,)), today, today, today)
    stored = [s.session_id for s in found if s.session_id is not None]
    by_session: dict[int, list[DoorPerson]] = {}
    if stored:
        for row in conn.execute(_PEOPLE_OF_SESSIONS, {"session_ids": stored}):
            name = f"{row.last_name} {row.first_name}".strip() or ERASED_NAME
            person = DoorPerson(
                row.id, row.visitor_id, name, row.card_number, row.status, row.status_changed_at, row.status_changed_by,
                released=row.released_at is not None,
            )
            by_session.setdefault(row.session_id, []).append(person)
    ordered = sorted(found, key=lambda s: (s.start_time or time(), s.service_name))
    return [DoorSession(s, tuple(by_session.get(s.session_id, ()))) for s in ordered]


def places_open_today(conn: Connection, events: list[Event], today: date) -> set[int]:
    """The places with at least one session today."""
    return {s.place_id for s in sessions_between(conn, list(events), SessionFilter(), today, today, today)}


def mark(engine: Engine, booking_id: int, status: str, actor: Actor, now: datetime) -> None:
    """One tap at the door: «Пришёл» (attended), «Не пришёл» (no_show) or back to «Ожидается»."""
    if set_status(engine, [booking_id], status, actor, now) == 0:
        # a cancelled booking is left alone by set_status: say so rather than nothing
        raise DomainError("booking_not_active")


def undo(engine: Engine, booking_id: int, actor: Actor, now: datetime) -> None:
    """Take back a mark just made: the booking is «Ожидается» again."""
    mark(engine, booking_id, statuses.EXPECTED, actor, now)


def _walk_in_in_transaction(conn: Connection, visitor_id: int, key: SessionKey, actor: Actor, now: datetime) -> int:
    (outcome,) = book_together(conn, [BookingRequest(visitor_id, (key,), actor, now, walk_in=True)])
    if isinstance(outcome, BookingRefused):
        raise outcome
    set_status_in_transaction(conn, outcome, statuses.ATTENDED, actor, now, None)
    return outcome[0]


def _check_walk_in(key: SessionKey, actor: Actor, now: datetime) -> None:
    if actor.role not in statuses.MARKING_ROLES:
        raise NotAllowed()
    if key.date != now.date():
        raise BookingRefused("walk_in_today_only")


def walk_in(engine: Engine, visitor_id: int, key: SessionKey, actor: Actor, now: datetime) -> int:
    """Book a person who came without a booking onto today's session and mark them
    «Присутствовал», in one transaction: both or neither. Returns the booking's id.

    The capacities hold as for every booking (the same core.booking rules, under the same
    locks); the window's "before the start" does not: people come to the door after it.
    """
    _check_walk_in(key, actor, now)
    # two first bookers of an untouched day may both create its lock row: then this runs again
    return run_in_transaction(engine, lambda conn: _walk_in_in_transaction(conn, visitor_id, key, actor, now), retry_duplicates=True)


# --- places of people who did not come ---------------------------------------------------


def may_release(day: date, start: time, now: datetime, after_minutes: int) -> bool:
    """A place still «Ожидается» may be given away today, `after_minutes` after its start."""
    return day == now.date() and now >= datetime.combine(day, start) + timedelta(minutes=after_minutes)


def release(engine: Engine, booking_id: int, actor: Actor, now: datetime, after_minutes: int) -> None:
    """The person never came: their booking becomes (or stays) «Не пришел» and stops holding its place, so
    the door can give it to somebody in the waiting list or to a walk-in (`seat_from_line`,
    `walk_in`). Both in one transaction, under the event day's lock."""
    if actor.role not in statuses.MARKING_ROLES:
        raise NotAllowed()

    def work(conn: Connection) -> None:
        row = conn.execute(
            sa.select(bookings.c.status, sessions.c.event_id, sessions.c.date, SESSION_START.label("start_time"))
            .select_from(
                bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(
                    event_services, event_services.c.id == sessions.c.event_service_id
                )
            )
            .where(bookings.c.id == booking_id)
        ).first()
        if row is None:
            raise DomainError("booking_not_found")
        lock_event_days(conn, {(row.event_id, row.date)})
        if not may_release(row.date, row.start_time, now, after_minutes):
            opens = datetime.combine(row.date, row.start_time) + timedelta(minutes=after_minutes)
            raise DomainError("release_too_early", minutes=after_minutes, time=f"{opens:%H:%M}")
        if row.status == statuses.EXPECTED:
            set_status_in_transaction(conn, [booking_id], statuses.NO_SHOW, actor, now, None)
        elif row.status != statuses.NO_SHOW:
            raise DomainError("release_not_expected")
        changed = conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id, bookings.c.status == statuses.NO_SHOW, bookings.c.released_at.is_(None))
            .values(released_at=now)
        ).rowcount
        if not changed:
            raise DomainError("release_not_expected")
        audit.record(conn, actor, now, "release", "booking", booking_id)

    run_in_transaction(engine, work, attempts=DAY_LOCK_ATTEMPTS)


def seat_from_line(engine: Engine, entry_id: int, actor: Actor, now: datetime) -> int:
    """A person from the session's waiting list who is at the door gets a free place: booked,
    marked «Присутствовал» and out of the line, in one transaction. Returns the booking's id."""

    def work(conn: Connection) -> int:
        entry = conn.execute(
            sa.select(waitlist.c.visitor_id, waitlist.c.state, sessions.c.event_service_id, sessions.c.date)
            .select_from(waitlist.join(sessions, sessions.c.id == waitlist.c.session_id))
            .where(waitlist.c.id == entry_id)
        ).first()
        if entry is None or entry.state != WAITING:
            raise DomainError("waitlist_not_waiting")
        key = SessionKey(entry.event_service_id, entry.date)
        _check_walk_in(key, actor, now)
        booking_id = _walk_in_in_transaction(conn, entry.visitor_id, key, actor, now)
        conn.execute(waitlist.update().where(waitlist.c.id == entry_id).values(state=BOOKED, booking_id=booking_id, resolved_at=now))
        return booking_id

    return run_in_transaction(engine, work, retry_duplicates=True, attempts=DAY_LOCK_ATTEMPTS)
