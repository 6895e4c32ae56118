"""Events and their services: plan, edit, archive, activate, delete; places."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import Actor
from core.booking import cancel_bookings_in_transaction, lock_events
from core.catalog import CatalogService, list_catalog  # noqa: F401  (the catalog lives in core.catalog; older importers)
from core.db import note_shared_change, run_in_transaction
from core.errors import DomainError, ValidationError
from core.recurrence import (
    Recurrence,
    describe,
    last_date,
    next_occurrences,
    occurs_on,
    rule_from_stored,
    rule_to_stored,
)
from core.schema import bookings, event_services, events, places, services, sessions
from core.validation import (
    clean_capacity,
    clean_count,
    clean_interval,
    clean_place_name,
    clean_service_capacity,
    clean_time_range,
    clean_title,
    clean_until,
    clean_window_days,
    format_ru_date,
    search_key,
)


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


@dataclass
class ServiceSpec:
    """One service row of the event form."""

    service_id: int
    start_time: time
    end_time: time
    capacity: int | str
    window_days: int | str


@dataclass
class EventSpec:
    """What the event form submits, raw; `validate_spec` turns it into a CleanEvent or refuses."""

    title: str
    first_date: date
    capacity: int | str
    place_id: int | None = None
    new_place_name: str | None = None
    freq: str | None = None  # None: a one-off event
    interval: int | str = 1
    weekdays: tuple[int, ...] = ()
    end_kind: str = "never"  # "never" | "count" | "until"
    count: int | str | None = None
    until: date | None = None
    services: list[ServiceSpec] = field(default_factory=list)


@dataclass(frozen=True)
class CleanEvent:
    title: str
    first_date: date
    capacity: int
    place_id: int | None
    new_place_name: str | None
    rule: Recurrence | None
    services: tuple[ServiceSpec, ...]


# --- reading ----------------------------------------------------------------------------


# Built once: every page reads the events, and building the statements cost a third of it.
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


# --- validation -------------------------------------------------------------------------


def validate_spec(spec: EventSpec, today: date | None = None) -> CleanEvent:
    """Clean every field; raise ValidationError naming the first bad field."""
    title = clean_title(spec.title)
    capacity = clean_capacity(spec.capacity)
    if spec.place_id is None and not (spec.new_place_name or "").strip():
        raise ValidationError("required", field="place")
    new_place = clean_place_name(spec.new_place_name) if spec.place_id is None else None
    if spec.first_date is None:
        raise ValidationError("required", field="first_date")
    if today is not None and spec.first_date < today:
        raise ValidationError("date_in_past", field="first_date")
    rule = None
    if spec.freq is not None:
        weekdays = tuple(spec.weekdays) if spec.freq == "weekly" else ()
        if spec.freq == "weekly" and not weekdays:
            raise ValidationError("weekdays_required", field="weekdays")
        rule = Recurrence(
            freq=spec.freq,
            interval=clean_interval(spec.interval),
            weekdays=weekdays,
            count=clean_count(spec.count) if spec.end_kind == "count" else None,
            until=clean_until(spec.first_date, spec.until) if spec.end_kind == "until" else None,
        )
        if spec.end_kind == "until" and rule.until is None:
            raise ValidationError("required", field="until")
    if not spec.services:
        raise ValidationError("services_required", field="services")
    clean_services = []
    seen = set()
    for index, row in enumerate(spec.services):
        prefix = f"services.{index}."
        start, end = clean_time_range(row.start_time, row.end_time, field=prefix + "end_time")
        service_capacity = clean_service_capacity(row.capacity, capacity, field=prefix + "capacity")
        window = clean_window_days(row.window_days, field=prefix + "window_days")
        if (row.service_id, start) in seen:
            raise ValidationError("service_repeated", field=prefix + "service_id")
        seen.add((row.service_id, start))
        clean_services.append(ServiceSpec(row.service_id, start, end, service_capacity, window))
    return CleanEvent(title, spec.first_date, capacity, spec.place_id, new_place, rule, tuple(clean_services))


def _resolve_place(conn: Connection, place_id: int | None, new_place_name: str | None, now: datetime) -> int:
    if place_id is not None:
        return place_id
    key = search_key(new_place_name)
    existing = conn.execute(sa.select(places).where(places.c.name_key == key)).first()
    if existing:
        raise ValidationError("place_exists", field="place", place=existing.name)
    return conn.execute(
        places.insert().values(name=new_place_name, name_key=key, created_at=now).returning(places.c.id)
    ).scalar_one()


def add_place(conn: Connection, name: str, now: datetime) -> int:
    """A new place, trimmed and unique regardless of case."""
    return _resolve_place(conn, None, clean_place_name(name), now)


# --- writing ----------------------------------------------------------------------------


def create_event(engine: Engine, spec: EventSpec, actor: Actor, now: datetime) -> int:
    """Create an event with its services (and a new place if asked) in one transaction."""
    spec = validate_spec(spec, today=now.date())

    def work(conn: Connection) -> int:
        place_id = _resolve_place(conn, spec.place_id, spec.new_place_name, now)
        event_id = conn.execute(
            events.insert()
            .values(
                title=spec.title,
                place_id=place_id,
                first_date=spec.first_date,
                capacity=spec.capacity,
                created_at=now,
                updated_at=now,
                **rule_to_stored(spec.rule),
            )
            .returning(events.c.id)
        ).scalar_one()
        _insert_services(conn, event_id, spec.services)
        note_shared_change(conn)
        audit.record(conn, actor, now, "create", "event", event_id, services=len(spec.services))
        return event_id

    return run_in_transaction(engine, work)


def _insert_services(conn: Connection, event_id: int, rows) -> None:
    for row in rows:
        conn.execute(
            event_services.insert().values(
                event_id=event_id,
                service_id=row.service_id,
                start_time=row.start_time,
                end_time=row.end_time,
                capacity=row.capacity,
                window_days=row.window_days,
            )
        )


@dataclass(frozen=True)
class EditConflicts:
    """What an edit would break: dates that leave the series, capacities below bookings."""

    outside_series: list[tuple[date, str, int]]  # (date, service, people)
    capacity_below: list[str]  # human-readable "12.03.2026 Стирка: 5 записано"

    @property
    def people_outside(self) -> int:
        return sum(people for _, _, people in self.outside_series)


def _future_session_loads(conn: Connection, event_id: int, today: date) -> list[sa.Row]:
    """Per stored future session of the event: its service, date and active bookings."""
    active = sa.func.count(bookings.c.id).filter(bookings.c.status.in_(statuses.ACTIVE))
    return conn.execute(
        sa.select(
            sessions.c.id,
            sessions.c.event_service_id,
            sessions.c.date,
            sessions.c.capacity,
            event_services.c.service_id,
            services.c.name.label("service_name"),
            active.label("booked"),
        )
        .select_from(
            sessions.join(event_services, event_services.c.id == sessions.c.event_service_id)
            .join(services, services.c.id == event_services.c.service_id)
            .outerjoin(bookings, bookings.c.session_id == sessions.c.id)
        )
        .where(sessions.c.event_id == event_id, sessions.c.date >= today)
        .group_by(
            sessions.c.id,
            sessions.c.event_service_id,
            sessions.c.date,
            sessions.c.capacity,
            event_services.c.service_id,
            services.c.name,
        )
        .having(active > 0)
        .order_by(sessions.c.date)
    ).all()


def _participants_by_date(conn: Connection, event_id: int, today: date) -> dict[date, int]:
    rows = conn.execute(
        sa.select(sessions.c.date, sa.func.count(sa.distinct(bookings.c.visitor_id)))
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(sessions.c.event_id == event_id, sessions.c.date >= today, bookings.c.status.in_(statuses.ACTIVE))
        .group_by(sessions.c.date)
    ).all()
    return {d: n for d, n in rows}


def edit_conflicts(conn: Connection, event_id: int, spec: CleanEvent, today: date, kept_service_ids: dict[int, int]) -> EditConflicts:
    """Future bookings the edited event could not keep.

    `kept_service_ids` maps an existing event-service id to the index of the form row that
    replaces it; an event service missing from it is being removed.
    """
    outside: list[tuple[date, str, int]] = []
    below: list[str] = []
    for row in _future_session_loads(conn, event_id, today):
        if not occurs_on(spec.first_date, spec.rule, row.date) or row.event_service_id not in kept_service_ids:
            outside.append((row.date, row.service_name, row.booked))
            continue
        new_capacity = spec.services[kept_service_ids[row.event_service_id]].capacity
        if row.capacity is None and row.booked > new_capacity:
            below.append(f"{format_ru_date(row.date)} {row.service_name}: записано {row.booked}")
    for day, people in _participants_by_date(conn, event_id, today).items():
        if people > spec.capacity and occurs_on(spec.first_date, spec.rule, day):
            below.append(f"{format_ru_date(day)} событие: участников {people}")
    return EditConflicts(outside, below)


def update_event(
    engine: Engine,
    event_id: int,
    spec: EventSpec,
    actor: Actor,
    now: datetime,
    *,
    kept_service_ids: dict[int, int],
    cancel_outside: bool = False,
) -> int:
    """Save an edited event; returns how many bookings were cancelled.

    A capacity below the people already booked is refused, naming where. Bookings on dates or
    services the new series no longer has are cancelled only when `cancel_outside` is set
    (the page asks for confirmation first); otherwise the edit is refused, naming them.
    """
    spec = validate_spec(spec)
    today = now.date()

    def work(conn: Connection) -> int:
        _lock_for_change(conn, event_id)
        conflicts = edit_conflicts(conn, event_id, spec, today, kept_service_ids)
        if conflicts.capacity_below:
            raise ValidationError("capacity_below_booked", field="capacity", where="; ".join(conflicts.capacity_below[:5]))
        cancelled = 0
        if conflicts.outside_series:
            if not cancel_outside:
                where = "; ".join(f"{format_ru_date(d)} {name} ({n})" for d, name, n in conflicts.outside_series[:5])
                raise ValidationError("bookings_outside_series", field="first_date", where=where)
            cancelled = _cancel_outside(conn, event_id, spec, today, kept_service_ids, actor, now)
        place_id = _resolve_place(conn, spec.place_id, spec.new_place_name, now)
        conn.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(
                title=spec.title,
                place_id=place_id,
                first_date=spec.first_date,
                capacity=spec.capacity,
                updated_at=now,
                **rule_to_stored(spec.rule),
            )
        )
        current_ids = [
            r.id
            for r in conn.execute(
                sa.select(event_services.c.id).where(
                    event_services.c.event_id == event_id, event_services.c.removed_at.is_(None)
                )
            )
        ]
        replaced_rows = set(kept_service_ids.values())
        for es_id in current_ids:
            if es_id in kept_service_ids:
                row = spec.services[kept_service_ids[es_id]]
                conn.execute(
                    event_services.update()
                    .where(event_services.c.id == es_id)
                    .values(start_time=row.start_time, end_time=row.end_time, capacity=row.capacity, window_days=row.window_days)
                )
            else:
                conn.execute(event_services.update().where(event_services.c.id == es_id).values(removed_at=now))
        _insert_services(conn, event_id, [row for i, row in enumerate(spec.services) if i not in replaced_rows])
        note_shared_change(conn)
        audit.record(conn, actor, now, "update", "event", event_id, cancelled_bookings=cancelled)
        return cancelled

    return run_in_transaction(engine, work)


def _lock_for_change(conn: Connection, event_id: int) -> Event:
    """Hold the event exclusively (see core.booking): bookings in flight end first, new ones wait,
    so what the change counts and cancels is all there is."""
    lock_events(conn, [event_id], shared=False)
    return get_event(conn, event_id)


def _cancel_bookings_where(conn: Connection, condition, actor: Actor, now: datetime, reason: str) -> int:
    """Cancel the still-expected bookings matching `condition`; marked attendance is history and stays."""
    ids = [
        r.id
        for r in conn.execute(
            sa.select(bookings.c.id)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(condition, bookings.c.status == statuses.EXPECTED)
        )
    ]
    return cancel_bookings_in_transaction(conn, ids, actor, now, reason)


def _cancel_outside(conn, event_id, spec, today, kept_service_ids, actor, now) -> int:
    session_ids = [
        r.id
        for r in _future_session_loads(conn, event_id, today)
        if not occurs_on(spec.first_date, spec.rule, r.date) or r.event_service_id not in kept_service_ids
    ]
    return _cancel_bookings_where(conn, sessions.c.id.in_(session_ids), actor, now, "Расписание события изменено")


def archive_event(engine: Engine, event_id: int, actor: Actor, now: datetime) -> int:
    """Archive an event; its bookings from today on are cancelled. Returns people affected."""
    today = now.date()

    def work(conn: Connection) -> int:
        event = _lock_for_change(conn, event_id)
        if event.archived_at is not None:
            raise DomainError("event_already_archived")
        people = booked_people_on_or_after(conn, event_id, today)
        _cancel_bookings_where(
            conn, sa.and_(sessions.c.event_id == event_id, sessions.c.date >= today), actor, now, "Событие отправлено в архив"
        )
        conn.execute(events.update().where(events.c.id == event_id).values(archived_at=now, updated_at=now))
        note_shared_change(conn)
        audit.record(conn, actor, now, "archive", "event", event_id, people_affected=people)
        return people

    return run_in_transaction(engine, work)


def activate_event(engine: Engine, event_id: int, actor: Actor, now: datetime, new_date: date | None = None) -> None:
    """Return an archived event to Активные; a one-off one needs a new date, today or later."""
    today = now.date()

    def work(conn: Connection) -> None:
        event = _lock_for_change(conn, event_id)
        if not event.is_archived(today):
            raise DomainError("event_not_archived")
        values: dict = dict(archived_at=None, updated_at=now)
        if event.rule is None:
            if new_date is None:
                raise ValidationError("required", field="new_date")
            if new_date < today:
                raise ValidationError("date_in_past", field="new_date")
            values["first_date"] = new_date
        elif event.last_date() is not None and event.last_date() < today:
            # a finished series comes back without an end, so it has dates in Активные again
            values.update(count=None, until=None)
        conn.execute(events.update().where(events.c.id == event_id).values(**values))
        note_shared_change(conn)
        audit.record(conn, actor, now, "activate", "event", event_id)

    run_in_transaction(engine, work)


def delete_event(engine: Engine, event_id: int, actor: Actor, now: datetime) -> None:
    """Delete an event that nobody ever booked; one with history is refused (archive it instead)."""

    def work(conn: Connection) -> None:
        _lock_for_change(conn, event_id)
        if has_history(conn, event_id):
            raise DomainError("event_has_history")
        conn.execute(events.update().where(events.c.id == event_id).values(deleted_at=now, updated_at=now))
        note_shared_change(conn)
        audit.record(conn, actor, now, "delete", "event", event_id)

    run_in_transaction(engine, work)


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
