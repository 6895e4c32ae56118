"""Check-in at the door: today's sessions at one place with their people, marked one tap each.

Who may mark what is core.statuses' rule (`mark_refusal`): a volunteer marks «Присутствовал» or
«Не пришел» on today's sessions only and takes back their own mark within a minute; an admin
keeps every right. The marks themselves are core.marks' `set_status`, so МКС, the status
history and the audit log see a mark at the door as any other. A person who comes without a
booking is booked and marked «Присутствовал» in one transaction, under the same capacity
rules as every booking.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import statuses
from core.actors import ERASED_NAME, Actor
from core.booking import BookingRequest, SessionKey, book_together
from core.db import run_in_transaction
from core.errors import BookingRefused, DomainError, NotAllowed
from core.events import Event
from core.marks import set_status, set_status_in_transaction
from core.schema import bookings, visitors
from core.sessions import Session, SessionFilter, sessions_between


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
            person = DoorPerson(row.id, row.visitor_id, name, row.card_number, row.status, row.status_changed_at, row.status_changed_by)
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


def walk_in(engine: Engine, visitor_id: int, key: SessionKey, actor: Actor, now: datetime) -> int:
    """Book a person who came without a booking onto today's session and mark them
    «Присутствовал», in one transaction: both or neither. Returns the booking's id.

    The capacities hold as for every booking (the same core.booking rules, under the same
    locks); the window's "before the start" does not: people come to the door after it.
    """
    if actor.role not in statuses.MARKING_ROLES:
        raise NotAllowed()
    if key.date != now.date():
        raise BookingRefused("walk_in_today_only")
    request = BookingRequest(visitor_id, (key,), actor, now, walk_in=True)

    def work(conn: Connection) -> int:
        (outcome,) = book_together(conn, [request])
        if isinstance(outcome, BookingRefused):
            raise outcome
        set_status_in_transaction(conn, outcome, statuses.ATTENDED, actor, now, None)
        return outcome[0]

    # two first bookers of an untouched day may both create its lock row: then this runs again
    return run_in_transaction(engine, work, retry_duplicates=True)
