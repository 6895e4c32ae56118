"""Sessions (мероприятия): computed from event series, merged with stored changes and bookings.

A session is one event service on one date. Nothing is stored for a date nobody touched, so
lists generate the dates of each series for a window of days, then lay the stored rows
(time and capacity changes, deletions, bookings) over them.
"""

import math
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from core import statuses
from core.errors import DomainError
from core.events import Event, EventService
from core.joins import HOLDS_PLACE
from core.recurrence import occurrences as series_dates
from core.recurrence import Recurrence, occurs_on
from core.schema import bookings, occurrences, sessions

# How far lists look: upcoming sessions of endless series are shown this far ahead.
UPCOMING_HORIZON = timedelta(days=366)
_FIRST_WINDOW_DAYS = 14


@dataclass(frozen=True)
class Session:
    event_service_id: int
    date: date
    event_id: int
    event_title: str
    service_id: int
    service_name: str
    place_id: int
    place_name: str
    start_time: time
    end_time: time
    capacity: int
    window_days: int
    booked: int
    event_capacity: int
    participants: int
    session_id: int | None

    @property
    def is_full(self) -> bool:
        return self.booked >= self.capacity or self.participants >= self.event_capacity

    @property
    def free_places(self) -> int:
        return max(0, min(self.capacity - self.booked, self.event_capacity - self.participants))


@dataclass(frozen=True)
class SessionFilter:
    """The filters of the Мероприятия lists; each empty tuple means "all"."""

    service_ids: tuple[int, ...] = ()
    place_ids: tuple[int, ...] = ()
    visitor_id: int | None = None

    def keeps(self, event: Event, es: EventService) -> bool:
        if self.place_ids and event.place_id not in self.place_ids:
            return False
        return not self.service_ids or es.service_id in self.service_ids


# The window queries are built once, with the window as parameters: a list page runs them on
# every click, and building them cost as much as the Python work on their rows. The events go
# as one array (`= ANY`), not an IN list, which SQLAlchemy renders again on every call.
# DuckDB and PostgreSQL both take a list as an array.
_WINDOW_EVENTS = sa.bindparam("event_ids", type_=ARRAY(sa.Integer))
_WINDOW_START, _WINDOW_END = sa.bindparam("start"), sa.bindparam("end")
_STORED_COLUMNS = (
    sessions.c.id,
    sessions.c.event_service_id,
    sessions.c.date,
    sessions.c.start_time,
    sessions.c.end_time,
    sessions.c.capacity,
    sessions.c.cancelled_at,
)
_STORED_SESSIONS = (
    sa.select(*_STORED_COLUMNS, sa.func.count(bookings.c.id).filter(HOLDS_PLACE).label("booked"))
    .select_from(sessions.outerjoin(bookings, bookings.c.session_id == sessions.c.id))
    .where(sessions.c.event_id == sa.any_(_WINDOW_EVENTS), sessions.c.date.between(_WINDOW_START, _WINDOW_END))
    .group_by(*_STORED_COLUMNS)
)
_DAY_PARTICIPANTS = (
    sa.select(sessions.c.event_id, sessions.c.date, sa.func.count(sa.distinct(bookings.c.visitor_id)).label("n"))
    .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
    .where(
        sessions.c.event_id == sa.any_(_WINDOW_EVENTS),
        sessions.c.date.between(_WINDOW_START, _WINDOW_END),
        HOLDS_PLACE,
    )
    .group_by(sessions.c.event_id, sessions.c.date)
)
_STORED_OCCURRENCES = sa.select(occurrences.c.event_id, occurrences.c.date, occurrences.c.capacity, occurrences.c.cancelled_at).where(
    occurrences.c.event_id == sa.any_(_WINDOW_EVENTS), occurrences.c.date.between(_WINDOW_START, _WINDOW_END)
)


def _stored_sessions(conn: Connection, window: dict) -> dict[tuple[int, date], sa.Row]:
    """What the database adds to the computed sessions: overrides, cancellation, active bookings."""
    return {(r.event_service_id, r.date): r for r in conn.execute(_STORED_SESSIONS, window).all()}


def stored_occurrences(conn: Connection, window: dict) -> dict[tuple[int, date], tuple]:
    """(capacity override, cancelled, participants) per touched event date of the window
    ({"event_ids": [...], "start": date, "end": date})."""
    counts = {(r.event_id, r.date): r.n for r in conn.execute(_DAY_PARTICIPANTS, window).all()}
    result = {key: (None, False, n) for key, n in counts.items()}
    for r in conn.execute(_STORED_OCCURRENCES, window).all():
        result[(r.event_id, r.date)] = (r.capacity, r.cancelled_at is not None, counts.get((r.event_id, r.date), 0))
    return result


@lru_cache(maxsize=4096)
def _series_dates(first_date: date, rule: Recurrence | None, start: date, end: date) -> tuple[date, ...]:
    """A series' dates in a window, remembered: a list page asks for the same windows on every
    click, and expanding 45 series was a seventh of its time."""
    return tuple(series_dates(first_date, rule, start, end))


class _Candidate(NamedTuple):
    """A session found in a window, cheap to sort; made into a Session only when shown."""

    sort_key: tuple
    event: Event
    service: EventService
    day: date
    row: sa.Row | None
    day_capacity: int | None
    participants: int


def _candidates(
    conn: Connection,
    events: list[Event],
    flt: SessionFilter,
    start: date,
    end: date,
    today: date,
    upcoming: bool,
    only: set[tuple[int, date]] | None = None,
) -> list[_Candidate]:
    """Every live session of the given events between start and end (inclusive), unsorted;
    with `only`, just those of these (event service, date) keys."""
    only_services = None if only is None else {es_id for es_id, _ in only}
    scoped = []
    for event in events:
        if upcoming and event.is_archived(today):
            continue
        kept = [es for es in event.services if flt.keeps(event, es) and (only is None or es.id in only_services)]
        if kept:
            scoped.append((event, kept))
    if not scoped:
        return []
    window = {"event_ids": [event.id for event, _ in scoped], "start": start, "end": end}
    stored = _stored_sessions(conn, window)
    stored_days = stored_occurrences(conn, window)
    # A session people are booked on stays listed even when its date has left the series: a
    # one-off event brought back from the archive gets a new date, and its past day must keep
    # its participants in Прошедшие and the calendar (as the export keeps them).
    booked_days: dict[int, set[date]] = {}
    for (es_id, day), row in stored.items():
        if row.booked:
            booked_days.setdefault(es_id, set()).add(day)
    found = []
    for event, kept in scoped:
        last = end
        if event.archived_at is not None:
            last = min(end, event.archived_at.date())
        if only is None:
            series = set(_series_dates(event.first_date, event.rule, start, last))
        else:  # a person's few dates, not every date of the series between them; a set, as
            # two services of one day are two keys of the same date
            ids = {es.id for es in kept}
            series = {d for es_id, d in only if es_id in ids and start <= d <= last and occurs_on(event.first_date, event.rule, d)}
        off_series = {d for es in kept for d in booked_days.get(es.id, ()) if start <= d <= last} - series
        for day in series | off_series:
            day_capacity, day_cancelled, participants = stored_days.get((event.id, day), (None, False, 0))
            if day_cancelled:
                continue
            for es in kept:
                if only is not None and (es.id, day) not in only:
                    continue
                row = stored.get((es.id, day))
                if row is not None and row.cancelled_at is not None:
                    continue
                if day in off_series and (row is None or not row.booked):
                    continue  # off the series, only the sessions that have people happened
                start_time = (row is not None and row.start_time) or es.start_time
                sort_key = (day, start_time, es.service_name, event.place_name, es.id)
                found.append(_Candidate(sort_key, event, es, day, row, day_capacity, participants))
    return found


def _session(found: _Candidate) -> Session:
    event, es, row = found.event, found.service, found.row
    return Session(
        event_service_id=es.id,
        date=found.day,
        event_id=event.id,
        event_title=event.title,
        service_id=es.service_id,
        service_name=es.service_name,
        place_id=event.place_id,
        place_name=event.place_name,
        start_time=found.sort_key[1],
        end_time=(row is not None and row.end_time) or es.end_time,
        capacity=(row is not None and row.capacity) or es.capacity,
        window_days=es.window_days,
        booked=row.booked if row is not None else 0,
        event_capacity=found.day_capacity or event.capacity,
        participants=found.participants,
        session_id=row.id if row is not None else None,
    )


def _in_window(
    conn: Connection, events: list[Event], flt: SessionFilter, start: date, end: date, today: date, upcoming: bool
) -> list[Session]:
    """Every live session of the given events between start and end (inclusive), sorted."""
    found = sorted(_candidates(conn, events, flt, start, end, today, upcoming))
    return [_session(c) for c in found]


def _first_window(events: list[Event], flt: SessionFilter, wanted: int) -> timedelta:
    """A window likely to hold `wanted` sessions, from how often the series run (at most 14 days).

    Each window costs a round of queries, and each day in it costs its sessions made and sorted:
    with many busy series a page of twenty fits in a day or two.
    """
    per_day = sum(
        event.rule.per_day * sum(1 for es in event.services if flt.keeps(event, es))
        for event in events
        if event.rule is not None
    )
    if not per_day:
        return timedelta(days=_FIRST_WINDOW_DAYS)
    return timedelta(days=max(1, min(_FIRST_WINDOW_DAYS, math.ceil(1.5 * wanted / per_day))))


def list_sessions(
    conn: Connection,
    events: list[Event],
    flt: SessionFilter,
    today: date,
    *,
    upcoming: bool,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Session], bool]:
    """One page of Предстоящие (today on, nearest first) or Прошедшие (before today, latest first).

    Returns the page and whether there is a next one. Windows of days grow until the page is
    full, so an endless series costs only the dates a page shows.
    """
    if flt.visitor_id is not None:
        return _sessions_of_visitor(conn, events, flt, today, upcoming=upcoming, offset=offset, limit=limit)
    wanted = offset + limit + 1
    found: list[_Candidate] = []
    span = _first_window(events, flt, wanted)
    if upcoming:
        start, stop = today, today + UPCOMING_HORIZON
        while start <= stop and len(found) < wanted:
            end = min(stop, start + span - timedelta(days=1))
            found.extend(sorted(_candidates(conn, events, flt, start, end, today, True)))
            start, span = end + timedelta(days=1), span * 2
    else:
        earliest = min((e.first_date for e in events), default=today)
        end = today - timedelta(days=1)
        while len(found) < wanted:
            if end < earliest:
                # a booked session may be older than every first date (an event brought back
                # on a new date): asked only when the list runs out, so once per last page
                earliest = _earliest_booked_day(conn, events, before=earliest)
                if earliest is None:
                    break
            start = max(earliest, end - span + timedelta(days=1))
            found.extend(sorted(_candidates(conn, events, flt, start, end, today, False), reverse=True))
            end, span = start - timedelta(days=1), span * 2
    # only the shown page becomes Session objects
    return [_session(c) for c in found[offset : offset + limit]], len(found) > offset + limit


_EARLIEST_BOOKED = (
    sa.select(sa.func.min(sessions.c.date))
    .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
    .where(
        sessions.c.event_id == sa.any_(_WINDOW_EVENTS),
        sessions.c.date < sa.bindparam("before"),
        bookings.c.status.in_(statuses.ACTIVE),
    )
)


def _earliest_booked_day(conn: Connection, events: list[Event], before: date) -> date | None:
    """The earliest date before `before` with an active booking on one of these events."""
    if not events:
        return None
    return conn.execute(_EARLIEST_BOOKED, {"event_ids": [e.id for e in events], "before": before}).scalar()


def booked_session_keys(conn: Connection, visitor_id: int, start: date | None = None, end: date | None = None) -> set[tuple[int, date]]:
    """(event service, date) of every session this person has an active booking on."""
    stmt = (
        sa.select(sessions.c.event_service_id, sessions.c.date)
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(bookings.c.visitor_id == visitor_id, bookings.c.status.in_(statuses.ACTIVE))
    )
    if start is not None:
        stmt = stmt.where(sessions.c.date >= start)
    if end is not None:
        stmt = stmt.where(sessions.c.date <= end)
    return {(r.event_service_id, r.date) for r in conn.execute(stmt)}


def _sessions_of_visitor(conn, events, flt, today, *, upcoming, offset, limit) -> tuple[list[Session], bool]:
    """Only the sessions this person has an active booking on (the participant filter)."""
    if upcoming:
        wanted = booked_session_keys(conn, flt.visitor_id, start=today)
    else:
        wanted = booked_session_keys(conn, flt.visitor_id, end=today - timedelta(days=1))
    if not wanted:
        return [], False
    start, end = min(d for _, d in wanted), max(d for _, d in wanted)
    found = sorted(_candidates(conn, events, flt, start, end, today, upcoming, only=wanted), reverse=not upcoming)
    return [_session(c) for c in found[offset : offset + limit]], len(found) > offset + limit


def sessions_between(conn: Connection, events: list[Event], flt: SessionFilter, start: date, end: date, today: date) -> list[Session]:
    """All live sessions in a date range (for the calendar and booking), participant filter included."""
    wanted = None if flt.visitor_id is None else booked_session_keys(conn, flt.visitor_id, start, end)
    return [_session(c) for c in sorted(_candidates(conn, events, flt, start, end, today, start >= today, only=wanted))]


def get_session(conn: Connection, events: list[Event], event_service_id: int, day: date, today: date) -> Session:
    for event in events:
        for es in event.services:
            if es.id == event_service_id:
                found = _in_window(conn, [event], SessionFilter(), day, day, today, upcoming=False)
                for session in found:
                    if session.event_service_id == event_service_id:
                        return session
    raise DomainError("session_not_found")


