"""Events and their services as planned: reading them, the dates they fall on, the
Расписание filter. Planning and changing them is core.event_changes."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core import statuses
from core.errors import DomainError
from core.recurrence import Recurrence, describe, last_date, next_occurrences, occurs_on, rule_from_stored
from core.schema import bookings, event_services, events, places, services, sessions
from core.validation import format_ru_date, search_key


@dataclass(frozen=True)
class EventService:
    id: int
    event_id: int
    service_id: int
    service_name: str
    start_time: time
    end_time: time
    capacity: int
    window_days: int


@dataclass(frozen=True)
class Event:
    id: int
    title: str
    place_id: int
    place_name: str
    first_date: date
    capacity: int
    rule: Recurrence | None
    archived_at: datetime | None
    services: tuple[EventService, ...]

    @property
    def is_recurring(self) -> bool:
        return self.rule is not None

    def last_date(self) -> date | None:
        return last_date(self.first_date, self.rule)

    def is_archived(self, today: date) -> bool:
        """Archived by an admin, or its last date has passed (a one-off: the day after it)."""
        if self.archived_at is not None:
            return True
        end = self.last_date()
        return end is not None and end < today

    def schedule_text(self) -> str:
        """The date of a one-off event, or the rule of a series in words."""
        if self.rule is None:
            return format_ru_date(self.first_date)
        return describe(self.first_date, self.rule)

    def occurs_on(self, day: date) -> bool:
        return occurs_on(self.first_date, self.rule, day)


# Built once: every page reads the events, and building the statements was a large part of it.
# The columns come in the order of the dataclasses' fields, so rows unpack straight into them.
_EVENT_ROWS = (
    sa.select(
        events.c.id, events.c.title, events.c.place_id, places.c.name, events.c.first_date, events.c.capacity,
        events.c.freq, events.c.interval, events.c.weekdays, events.c.count, events.c.until, events.c.archived_at,
    )
    .join(places, places.c.id == events.c.place_id)
    .where(events.c.deleted_at.is_(None))
    .order_by(events.c.id)
)
_SERVICE_ROWS = (
    sa.select(
        event_services.c.id, event_services.c.event_id, event_services.c.service_id, services.c.name,
        event_services.c.start_time, event_services.c.end_time, event_services.c.capacity, event_services.c.window_days,
    )
    .join(services, services.c.id == event_services.c.service_id)
    .where(event_services.c.removed_at.is_(None))
    .order_by(event_services.c.start_time, services.c.name)
)


def load_events(conn: Connection, event_ids: list[int] | None = None) -> list[Event]:
    """All events not deleted (or just the given ones), with their current services."""
    stmt = _EVENT_ROWS if event_ids is None else _EVENT_ROWS.where(events.c.id.in_(event_ids))
    event_rows = conn.execute(stmt).all()
    by_event: dict[int, list[EventService]] = {}
    for row in conn.execute(_SERVICE_ROWS).all():
        by_event.setdefault(row[1], []).append(EventService(*row))
    return [
        Event(
            event_id, title, place_id, place_name, first_date, capacity,
            rule_from_stored(freq, interval, weekdays, count, until), archived_at, tuple(by_event.get(event_id, ())),
        )
        for event_id, title, place_id, place_name, first_date, capacity, freq, interval, weekdays, count, until, archived_at
        in event_rows
    ]


def get_event(conn: Connection, event_id: int) -> Event:
    found = load_events(conn, [event_id])
    if not found:
        raise DomainError("event_not_found")
    return found[0]


def booked_people_on_or_after(conn: Connection, event_id: int, day: date) -> int:
    """Distinct people still expected on this event from `day` on: whom archiving affects."""
    return conn.execute(
        sa.select(sa.func.count(sa.distinct(bookings.c.visitor_id)))
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(sessions.c.event_id == event_id, sessions.c.date >= day, bookings.c.status == statuses.EXPECTED)
    ).scalar()


def has_history(conn: Connection, event_id: int) -> bool:
    """Any booking ever made on this event, whatever its status."""
    return (
        conn.execute(
            sa.select(bookings.c.id)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(sessions.c.event_id == event_id)
            .limit(1)
        ).first()
        is not None
    )


def next_occurrence(event: Event, today: date) -> date | None:
    """The first date on or after today, skipping nothing: the date shown in lists."""
    found = next_occurrences(event.first_date, event.rule, today, 1)
    return found[0] if found else None


def default_end_time(start: time, minutes: int) -> time:
    """Start plus the catalog's default duration, capped at 23:59."""
    moment = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)
    return moment.time() if moment.date() == date(2000, 1, 1) else time(23, 59)


@dataclass(frozen=True)
class EventFilter:
    """The filters of the Расписание list; it filters and describes itself in words."""

    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    kind: str = "all"  # "all" | "one_off" | "recurring"
    service_id: int | None = None
    place_id: int | None = None

    def keeps(self, event: Event) -> bool:
        if self.text:
            needle = search_key(self.text)
            if needle not in search_key(event.title) and needle not in search_key(event.place_name):
                return False
        if self.kind == "one_off" and event.is_recurring or self.kind == "recurring" and not event.is_recurring:
            return False
        if self.place_id is not None and event.place_id != self.place_id:
            return False
        if self.service_id is not None and all(es.service_id != self.service_id for es in event.services):
            return False
        if self.date_from or self.date_to:
            first_inside = next_occurrences(event.first_date, event.rule, self.date_from or event.first_date, 1)
            if not first_inside or (self.date_to is not None and first_inside[0] > self.date_to):
                return False
        return True

    def describe(self, service_names: dict[int, str], place_names: dict[int, str]) -> str:
        parts = []
        if self.text:
            parts.append(f"поиск «{self.text}»")
        if self.date_from or self.date_to:
            parts.append(f"даты {format_ru_date(self.date_from) or '…'}–{format_ru_date(self.date_to) or '…'}")
        if self.kind != "all":
            parts.append("разовые" if self.kind == "one_off" else "повторяющиеся")
        if self.service_id is not None:
            parts.append(f"услуга: {service_names.get(self.service_id, '?')}")
        if self.place_id is not None:
            parts.append(f"место: {place_names.get(self.place_id, '?')}")
        return "; ".join(parts) if parts else "все события"


def split_active_archived(events: list[Event], today: date) -> tuple[list[Event], list[Event]]:
    active = [e for e in events if not e.is_archived(today)]
    archived = [e for e in events if e.is_archived(today)]
    return active, archived


def next_participants(conn: Connection, event_list: list[Event], today: date) -> dict[int, tuple[date, int]]:
    """For each event with a date ahead: (its next date, participants booked on it)."""
    nexts = {e.id: next_occurrence(e, today) for e in event_list}
    nexts = {event_id: day for event_id, day in nexts.items() if day is not None}
    if not nexts:
        return {}
    rows = conn.execute(
        sa.select(sessions.c.event_id, sessions.c.date, sa.func.count(sa.distinct(bookings.c.visitor_id)))
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(
            sessions.c.event_id.in_(list(nexts)),
            sessions.c.date.in_(sorted(set(nexts.values()))),
            bookings.c.status.in_(statuses.ACTIVE),
        )
        .group_by(sessions.c.event_id, sessions.c.date)
    ).all()
    counts = {(event_id, day): n for event_id, day, n in rows}
    return {event_id: (day, counts.get((event_id, day), 0)) for event_id, day in nexts.items()}
