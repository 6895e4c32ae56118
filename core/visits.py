"""One person's own bookings, as the visitor page shows them: history, reminders, event days.

Read-only queries returning frozen dataclasses; cancelling and commenting a booking are
core/booking.py's. Nothing here reads the clock: `now` is passed in.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core import statuses
from core.actors import short_name
from core.booking_window import is_bookable_now
from core.catalog import retired_service_ids
from core.events import Event
from core.places import Place
from core.schema import bookings, events, places, services, sessions, staff, volunteers
from core.joins import BOOKING_DETAILS, SESSION_END, SESSION_START, STAFF_MAKER, VOLUNTEER_MAKER
from core.sessions import (
    Session,
    SessionFilter,
    booked_session_keys,
    sessions_between,
    stored_occurrences,
)

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
    place: Place
    status: str
    comment: str | None
    created_at: datetime
    created_by_kind: str
    created_by_id: int | None
    staff_login: str | None
    volunteer_name: str | None  # "Ирина К.": how the visitor page names the volunteer who booked

    @property
    def place_name(self) -> str:
        return self.place.name

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
    place: Place
    visits: tuple[Visit, ...]
    participants: int
    capacity: int

    @property
    def place_name(self) -> str:
        return self.place.name

    @property
    def free(self) -> int:
        """Places left for people not yet taking part that day."""
        return max(0, self.capacity - self.participants)

    @property
    def start_time(self) -> time:
        return min(v.start_time for v in self.visits)

    @property
    def end_time(self) -> time:
        return max(v.end_time for v in self.visits)

    def is_upcoming(self, now: datetime) -> bool:
        return datetime.combine(self.date, self.end_time) > now


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
            places.c.id.label("place_id"),
            places.c.name.label("place_name"),
            places.c.address,
            places.c.metro,
            places.c.directions,
            staff.c.login.label("staff_login"),
            volunteers.c.first_name.label("volunteer_first"),
            volunteers.c.last_name.label("volunteer_last"),
        )
        .select_from(BOOKING_DETAILS.outerjoin(staff, STAFF_MAKER).outerjoin(volunteers, VOLUNTEER_MAKER))
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
        place=Place(row.place_id, row.place_name, row.address, row.metro, row.directions),
        status=row.status,
        comment=row.comment,
        created_at=row.created_at,
        created_by_kind=row.created_by_kind,
        created_by_id=row.created_by_id,
        staff_login=row.staff_login,
        volunteer_name=short_name(row.volunteer_first, row.volunteer_last) if row.volunteer_first else None,
    )


def visits_of(
    conn: Connection,
    visitor_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    only: tuple[str, ...] | None = None,
    booking_ids: list[int] | None = None,
) -> list[Visit]:
    """Every booking of the person (cancelled ones too), earliest first; optionally a date range,
    only some statuses or only some bookings."""
    stmt = _visits_query(visitor_id)
    if booking_ids is not None:
        stmt = stmt.where(bookings.c.id.in_(booking_ids))
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
    return _reminders_among(_recent_visits(conn, visitor_id, now, missed_days), now)


def _recent_visits(conn: Connection, visitor_id: int, now: datetime, missed_days: int = MISSED_DAYS) -> list[Visit]:
    """The person's active bookings from `missed_days` days ago on: all the reminders and the days ahead need."""
    return visits_of(conn, visitor_id, start=now.date() - timedelta(days=missed_days), only=statuses.ACTIVE)


def _reminders_among(recent: list[Visit], now: datetime) -> Reminders:
    upcoming = [v for v in recent if v.status == statuses.EXPECTED and v.ends_at > now]
    missed = [v for v in recent if v.status == statuses.NO_SHOW and v.date <= now.date()]
    return Reminders(tuple(upcoming), tuple(reversed(missed)))


def reminders_and_days_ahead(conn: Connection, visitor_id: int, now: datetime) -> tuple[Reminders, list[EventDay]]:
    """The banner's reminders and the event days from today on (what the visitor's page shows),
    from one read of the person's bookings."""
    recent = _recent_visits(conn, visitor_id, now)
    today = now.date()
    return _reminders_among(recent, now), _event_days(conn, [v for v in recent if v.date >= today])


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


def event_days_of(conn: Connection, visitor_id: int, start: date | None = None) -> list[EventDay]:
    """Every event day the person takes part in (from `start` on, if given), earliest first, with
    how many take part in all."""
    return _event_days(conn, visits_of(conn, visitor_id, start=start, only=statuses.ACTIVE))


def _event_days(conn: Connection, visits: list[Visit]) -> list[EventDay]:
    """`visits` (active ones) grouped by event day, earliest first, with each day's figures."""

    def day_key(visit: Visit) -> tuple[date, int]:
        return visit.date, visit.event_id

    figures = _day_figures(conn, {(v.event_id, v.date) for v in visits})
    days = []
    for (day, event_id), group in groupby(sorted(visits, key=day_key), key=day_key):
        group = tuple(sorted(group, key=lambda v: (v.start_time, v.service_name)))
        participants, capacity = figures[(event_id, day)]
        first = group[0]
        days.append(
            EventDay(event_id, first.event_title, first.recurring, day, first.place, group, participants, capacity)
        )
    return days
