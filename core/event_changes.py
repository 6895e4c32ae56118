"""Planning events and changing them: create, edit (with what an edit would cancel), archive,
activate, delete. Every change locks the event (core.locks) so no booking is in flight."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import Actor
from core.cancellation import cancel_bookings_in_transaction
from core.db import note_shared_change, run_in_transaction
from core.errors import DomainError, ValidationError
from core.events import Event, booked_people_on_or_after, get_event, has_history
from core.joins import HOLDS_PLACE
from core.locks import lock_events
from core.places import place_for_event
from core.recurrence import Recurrence, occurs_on, rule_to_stored
from core.schema import bookings, event_services, events, services, sessions
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
)
from core.waitlist import days_waited_on, fill_freed


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


def create_event(engine: Engine, spec: EventSpec, actor: Actor, now: datetime) -> int:
    """Create an event with its services (and a new place if asked) in one transaction."""
    spec = validate_spec(spec, today=now.date())

    def work(conn: Connection) -> int:
        place_id = place_for_event(conn, spec.place_id, spec.new_place_name, now)
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
    active = sa.func.count(bookings.c.id).filter(HOLDS_PLACE)
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
        .where(sessions.c.event_id == event_id, sessions.c.date >= today, HOLDS_PLACE)
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
        place_id = place_for_event(conn, spec.place_id, spec.new_place_name, now)
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
        # a capacity raised, or bookings cancelled with a dropped date, give places to the waiting
        fill_freed(conn, days_waited_on(conn, event_id, today), now)
        note_shared_change(conn)
        audit.record(conn, actor, now, "update", "event", event_id, cancelled_bookings=cancelled)
        return cancelled

    return run_in_transaction(engine, work)


def _lock_for_change(conn: Connection, event_id: int) -> Event:
    """Hold the event exclusively (see core.locks): bookings in flight end first, new ones wait,
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
        # an archived event books nobody: its lines close
        fill_freed(conn, days_waited_on(conn, event_id, today), now)
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
