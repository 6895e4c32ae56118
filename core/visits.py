"""One person's own bookings, as the visitor page shows them: history, reminders, event days.

Read-only queries return frozen dataclasses; the two writes (comment on or cancel a whole event
day) are one transaction each, like everything in core/booking.py. Nothing here reads the
clock: `now` is passed in.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import Actor
from core.booking import cancel_bookings_in_transaction, is_bookable_now
from core.catalog import retired_service_ids
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed
from core.events import Event
from core.schema import bookings, event_services, events, places, services, sessions, staff
from core.sessions import (
    BOOKING_DETAILS,
    SESSION_END,
    SESSION_START,
    STAFF_MAKER,
    Session,
    SessionFilter,
    booked_session_keys,
    sessions_between,
    stored_occurrences,
)
from core.validation import clean_text

MISSED_DAYS = 30


@dataclass(frozen=True)
class Visit:
    """One booking of the person, with what it is for and who made it."""

    booking_id: int
    event_id: int
    event_title: str
    recurring: bool
    event_service_id: int
    date: date
    start_time: time
    end_time: time
    service_name: str
    place_name: str
    status: str
    comment: str | None
    created_at: datetime
    created_by_kind: str
    created_by_id: int | None
    staff_login: str | None

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time)

    def is_changeable(self, now: datetime) -> bool:
        """Still planned and not started: the person may cancel it or say they cannot come."""
        return self.status == statuses.EXPECTED and self.starts_at > now


@dataclass(frozen=True)
class Reminders:
    """What the banner says: the bookings ahead, and those missed in the last 30 days."""

    upcoming: tuple[Visit, ...]
    missed: tuple[Visit, ...]


@dataclass(frozen=True)
class EventDay:
    """One date of an event the person takes part in (at least one active booking that day)."""

    event_id: int
    event_title: str
    recurring: bool
    date: date
    place_name: str
    visits: tuple[Visit, ...]
    participants: int
    capacity: int

    @property
    def start_time(self) -> time:
        return min(v.start_time for v in self.visits)

    @property
    def end_time(self) -> time:
        return max(v.end_time for v in self.visits)

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(v.service_name for v in self.visits)

    @property
    def comments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.comment for v in self.visits if v.comment))

    def is_upcoming(self, now: datetime) -> bool:
        return datetime.combine(self.date, self.end_time) > now

    def changeable(self, now: datetime) -> tuple[Visit, ...]:
        return tuple(v for v in self.visits if v.is_changeable(now))


@dataclass(frozen=True)
class Offer:
    """A session inside its booking window, as one person sees it."""

    session: Session
    free: int  # places this person could still take: 0 when full for them
    mine: bool  # the person already holds an active booking on it

    @property
    def is_open(self) -> bool:
        return self.free > 0 and not self.mine


def booking_horizon(events: list[Event], today: date) -> date:
    """The last date any live event service can be booked for today: today + the longest window."""
    windows = [es.window_days for event in events if not event.is_archived(today) for es in event.services]
    return today + timedelta(days=max(windows, default=0))


def offers(conn: Connection, events: list[Event], visitor_id: int, flt: SessionFilter, now: datetime) -> list[Offer]:
    """Every session bookable right now (window and start time, SPEC §3.4) of a service still in the
    catalog, with this person's free places.

    A person already taking part in the event that day is only limited by the session's own
    capacity, not by the event's (SPEC §3.3 rule 2), so their free places can exceed a
    stranger's. Sorted by date and time.
    """
    today = now.date()
    horizon = booking_horizon(events, today)
    # a service retired from the catalog keeps its events and bookings but takes no new ones here
    retired = retired_service_ids(conn)
    found = [
        s for s in sessions_between(conn, events, flt, today, horizon, today)
        if s.service_id not in retired and is_bookable_now(s.date, s.start_time, s.window_days, now)
    ]
    mine = booked_session_keys(conn, visitor_id, today, horizon)
    event_of = {es.id: event.id for event in events for es in event.services}
    taking_part = {(event_of[es_id], day) for es_id, day in mine if es_id in event_of}
    result = []
    for session in found:
        if (session.event_id, session.date) in taking_part:
            free = max(0, session.capacity - session.booked)
        else:
            free = session.free_places
        result.append(Offer(session, free, (session.event_service_id, session.date) in mine))
    return result


def _visits_query(visitor_id: int) -> sa.Select:
    start, end = SESSION_START, SESSION_END
    return (
        sa.select(
            bookings.c.id,
            bookings.c.status,
            bookings.c.comment,
            bookings.c.created_at,
            bookings.c.created_by_kind,
            bookings.c.created_by_id,
            sessions.c.date,
            sessions.c.event_service_id,
            start.label("start_time"),
            end.label("end_time"),
            events.c.id.label("event_id"),
            events.c.title,
            events.c.freq,
            services.c.name.label("service_name"),
            places.c.name.label("place_name"),
            staff.c.login.label("staff_login"),
        )
        .select_from(BOOKING_DETAILS.outerjoin(staff, STAFF_MAKER))
        .where(bookings.c.visitor_id == visitor_id)
        .order_by(sessions.c.date, start, services.c.name, bookings.c.id)
    )


def _visit(row) -> Visit:
    return Visit(
        booking_id=row.id,
        event_id=row.event_id,
        event_title=row.title,
        recurring=row.freq is not None,
        event_service_id=row.event_service_id,
        date=row.date,
        start_time=row.start_time,
        end_time=row.end_time,
        service_name=row.service_name,
        place_name=row.place_name,
        status=row.status,
        comment=row.comment,
        created_at=row.created_at,
        created_by_kind=row.created_by_kind,
        created_by_id=row.created_by_id,
        staff_login=row.staff_login,
    )


def visits_of(
    conn: Connection,
    visitor_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    only: tuple[str, ...] | None = None,
) -> list[Visit]:
    """Every booking of the person (cancelled ones too), earliest first; optionally a date range or only some statuses."""
    stmt = _visits_query(visitor_id)
    if start is not None:
        stmt = stmt.where(sessions.c.date >= start)
    if end is not None:
        stmt = stmt.where(sessions.c.date <= end)
    if only is not None:
        stmt = stmt.where(bookings.c.status.in_(only))
    return [_visit(row) for row in conn.execute(stmt)]


def history(visits: list[Visit], now: datetime) -> tuple[list[Visit], list[Visit]]:
    """(ahead, past): bookings not yet over, nearest first; and the rest, latest first."""
    ahead = [v for v in visits if v.ends_at > now]
    past = [v for v in reversed(visits) if v.ends_at <= now]
    return ahead, past


def reminders(conn: Connection, visitor_id: int, now: datetime, missed_days: int = MISSED_DAYS) -> Reminders:
    """Planned bookings not over yet (nearest first) and no-shows of the last `missed_days` days (latest first)."""
    today = now.date()
    upcoming = [v for v in visits_of(conn, visitor_id, start=today, only=(statuses.EXPECTED,)) if v.ends_at > now]
    missed = visits_of(conn, visitor_id, start=today - timedelta(days=missed_days), end=today, only=(statuses.NO_SHOW,))
    return Reminders(tuple(upcoming), tuple(reversed(missed)))


def _day_figures(conn: Connection, keys: set[tuple[int, date]]) -> dict[tuple[int, date], tuple[int, int]]:
    """(participants, capacity) per event day: distinct people with an active booking, never who."""
    if not keys:
        return {}
    event_ids = sorted({event_id for event_id, _ in keys})
    window = {"event_ids": event_ids, "start": min(day for _, day in keys), "end": max(day for _, day in keys)}
    stored = stored_occurrences(conn, window)
    capacities = dict(conn.execute(sa.select(events.c.id, events.c.capacity).where(events.c.id.in_(event_ids))).all())
    figures = {}
    for key in keys:
        capacity, _, participants = stored.get(key, (None, False, 0))
        figures[key] = (participants, capacity or capacities[key[0]])
    return figures


def event_days_of(conn: Connection, visitor_id: int) -> list[EventDay]:
    """Every event day the person takes part in, earliest first, with how many take part in all."""
    visits = visits_of(conn, visitor_id, only=statuses.ACTIVE)

    def day_key(visit: Visit) -> tuple[date, int]:
        return visit.date, visit.event_id

    figures = _day_figures(conn, {(v.event_id, v.date) for v in visits})
    days = []
    for (day, event_id), group in groupby(sorted(visits, key=day_key), key=day_key):
        group = tuple(sorted(group, key=lambda v: (v.start_time, v.service_name)))
        participants, capacity = figures[(event_id, day)]
        first = group[0]
        days.append(
            EventDay(event_id, first.event_title, first.recurring, day, first.place_name, group, participants, capacity)
        )
    return days


def _own_day_bookings(conn: Connection, visitor_id: int, event_id: int, day: date, actor: Actor) -> list[sa.Row]:
    """The person's active bookings of one event day that `actor` may change."""
    if actor.role == "coordinator" or (actor.role == "visitor" and actor.id != visitor_id):
        raise NotAllowed()
    start = sa.func.coalesce(sessions.c.start_time, event_services.c.start_time)
    stmt = (
        sa.select(bookings.c.id, bookings.c.status, sessions.c.date, start.label("start_time"))
        .select_from(
            bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(
                event_services, event_services.c.id == sessions.c.event_service_id
            )
        )
        .where(
            bookings.c.visitor_id == visitor_id,
            sessions.c.event_id == event_id,
            sessions.c.date == day,
            bookings.c.status.in_(statuses.ACTIVE),
        )
    )
    if actor.role == "volunteer":
        # as with single bookings: a volunteer changes only what they booked themselves
        stmt = stmt.where(bookings.c.created_by_kind == "volunteer", bookings.c.created_by_id == actor.id)
    return conn.execute(stmt).all()


def cancel_event_day(
    engine: Engine, visitor_id: int, event_id: int, day: date, actor: Actor, now: datetime, reason: str | None = None
) -> int:
    """Leave an event day: cancel every planned booking of it not started yet; returns how many.

    Bookings already attended or started stay as they are. Refused when nothing is left to cancel.
    """
    reason = clean_text(reason, "comment")

    def work(conn: Connection) -> int:
        rows = _own_day_bookings(conn, visitor_id, event_id, day, actor)
        ids = [r.id for r in rows if r.status == statuses.EXPECTED and datetime.combine(r.date, r.start_time) > now]
        if not ids:
            raise DomainError("nothing_to_cancel")
        changed = cancel_bookings_in_transaction(conn, ids, actor, now, reason)
        audit.record(conn, actor, now, "cancel", "event_day", f"{event_id}:{day.isoformat()}", bookings=changed)
        return changed

    return run_in_transaction(engine, work)


def comment_event_day(
    engine: Engine, visitor_id: int, event_id: int, day: date, comment: str | None, actor: Actor, now: datetime
) -> int:
    """Put one comment on every active booking of the person's event day; returns how many."""
    comment = clean_text(comment, "comment")

    def work(conn: Connection) -> int:
        ids = [r.id for r in _own_day_bookings(conn, visitor_id, event_id, day, actor)]
        if not ids:
            raise DomainError("booking_not_found")
        conn.execute(bookings.update().where(bookings.c.id.in_(ids)).values(comment=comment))
        audit.record(conn, actor, now, "comment", "event_day", f"{event_id}:{day.isoformat()}", bookings=len(ids))
        return len(ids)

    return run_in_transaction(engine, work)
