"""Booking: one person onto one or several sessions of one event day, all or nothing, the
capacity invariants (SPEC §3.3) and the window (SPEC §3.4) enforced in the booking's own
transaction, under the locks of core.locks. On DuckDB the bookings that arrive together are
applied together (core.booking_queue).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, service_limits, statuses
from core.actors import Actor
from core.booking_queue import queue_of
from core.booking_window import window_refusal
from core.db import DAY_LOCK_ATTEMPTS, is_duckdb, run_in_transaction
from core.errors import BookingRefused, NotAllowed, ValidationError
from core.joins import HOLDS_PLACE
from core.locks import lock_days, lock_events_of_services
from core.recurrence import occurs_on, rule_from_stored
from core.schema import bookings, event_services, occurrences, services, sessions, status_history, visitors
from core.validation import clean_text

STAFF_BOOKERS = ("admin", "volunteer")


@dataclass(frozen=True)
class SessionKey:
    """A session is one event service on one date; it may have no stored row yet."""

    event_service_id: int
    date: date


# The booking's statements are built once, since building them is a noticeable part of a
# booking. Each takes lists, so one statement serves a batch of requests as well as a single
# one. They are IN lists, not one array (`= ANY`) as in the session lists: DuckDB finds a few
# rows by an IN list far faster.
# with the catalog's retirement: a retired service is offered nowhere, so it is booked nowhere
_SERVICES_OF = (
    sa.select(event_services, services.c.retired_at.label("service_retired_at"), services.c.limit_days.label("service_limit_days"))
    .join(services, services.c.id == event_services.c.service_id)
    .where(event_services.c.id.in_(sa.bindparam("es_ids", expanding=True)))
)
_PEOPLE = sa.select(visitors.c.id, visitors.c.erased_at).where(visitors.c.id.in_(sa.bindparam("person_ids", expanding=True)))

_SESSION_STATE = (
    sessions.c.id, sessions.c.event_service_id, sessions.c.event_id, sessions.c.date,
    sessions.c.start_time, sessions.c.capacity, sessions.c.cancelled_at,
)
_NEW_SESSIONS = sessions.insert().returning(*_SESSION_STATE)
# every session row of the event days, once per booking holding a place on it (or once with no visitor)
_DAY_SESSIONS = (
    sa.select(*_SESSION_STATE, bookings.c.visitor_id)
    .select_from(sessions.outerjoin(bookings, sa.and_(bookings.c.session_id == sessions.c.id, HOLDS_PLACE)))
    .where(
        sessions.c.event_id.in_(sa.bindparam("day_event_ids", expanding=True)),
        sessions.c.date.in_(sa.bindparam("days", expanding=True)),
    )
)
_NEW_BOOKINGS = bookings.insert().returning(bookings.c.id, bookings.c.session_id, bookings.c.visitor_id)
_NEW_HISTORY = status_history.insert()
_DROP_OCCURRENCES = occurrences.delete().where(occurrences.c.id.in_(sa.bindparam("unused_ids", expanding=True)))
_DROP_SESSIONS = sessions.delete().where(sessions.c.id.in_(sa.bindparam("unused_ids", expanding=True)))


@dataclass(frozen=True)
class BookingRequest:
    """One person onto one or several sessions of one event day, as somebody asked for it."""

    visitor_id: int
    keys: tuple[SessionKey, ...]  # in the caller's order, each once
    actor: Actor
    now: datetime
    comment: str | None = None
    # a person who came to the door without a booking, booked onto today's session (core.door):
    # the booking window's "before the start" does not apply, the capacities do
    walk_in: bool = False
    # an admin's reason for booking past «не чаще раза в N дней» (core.service_limits), or None
    limit_override: str | None = None

    @property
    def day(self) -> date:
        return self.keys[0].date


BookingOutcome = list[int] | BookingRefused


@dataclass
class _Day:
    """The active bookings of one event day, kept current while a batch books into it."""

    participants: set[int] = field(default_factory=set)
    booked: Counter = field(default_factory=Counter)  # session id -> active bookings
    held: set[tuple[int, int]] = field(default_factory=set)  # (session id, visitor id)

    def add(self, session_id: int, visitor_id: int) -> None:
        self.participants.add(visitor_id)
        self.booked[session_id] += 1
        self.held.add((session_id, visitor_id))


def _by_id(conn: Connection, statement, name: str, ids) -> dict[int, sa.Row]:
    ids = sorted(set(ids))
    return {row.id: row for row in conn.execute(statement, {name: ids})} if ids else {}


def _targets(request: BookingRequest, services: dict, events_by_id: dict, people: dict) -> tuple[sa.Row, list[sa.Row]]:
    """The event and the event-service rows a request books, all of one event day, and a person
    who may be booked; refusals in that order."""
    rows = [services.get(es_id) for es_id in sorted({k.event_service_id for k in request.keys})]
    if any(row is None or row.removed_at is not None for row in rows):
        raise BookingRefused("session_not_found")
    if any(row.service_retired_at is not None for row in rows):
        raise BookingRefused("service_retired")
    if len({row.event_id for row in rows}) != 1 or len({k.date for k in request.keys}) != 1:
        raise BookingRefused("sessions_on_different_days")
    event = events_by_id.get(rows[0].event_id)
    if event is None or event.deleted_at is not None or event.archived_at is not None:
        raise BookingRefused("session_not_found")
    rule = rule_from_stored(event.freq, event.interval, event.weekdays, event.count, event.until)
    if not occurs_on(event.first_date, rule, request.day):
        raise BookingRefused("session_not_found")
    person = people.get(request.visitor_id)
    if person is None:
        raise BookingRefused("person_not_found")
    if person.erased_at is not None:
        raise BookingRefused("person_erased")
    return event, rows


def _sessions_of_days(conn: Connection, wanted: list[tuple[sa.Row, list[sa.Row], date]]) -> tuple[dict, dict[tuple[int, date], _Day], set[int]]:
    """The session rows of the wanted event days by (event service id, date), creating those a
    request books that do not exist yet; each day's active bookings; the ids of the created rows."""
    days = {(event.id, day) for event, _, day in wanted}
    state = {key: _Day() for key in days}
    session_of = {}
    rows = conn.execute(_DAY_SESSIONS, {"day_event_ids": sorted({e for e, _ in days}), "days": sorted({d for _, d in days})})
    for row in rows:
        if (row.event_id, row.date) in state:
            session_of[row.event_service_id, row.date] = row
            if row.visitor_id is not None:
                state[row.event_id, row.date].add(row.id, row.visitor_id)
    missing = sorted({(es.id, day, event.id) for event, es_rows, day in wanted for es in es_rows if (es.id, day) not in session_of})
    created = []
    if missing:
        created = conn.execute(_NEW_SESSIONS, [{"event_service_id": es, "event_id": e, "date": d} for es, d, e in missing]).all()
        session_of |= {(row.event_service_id, row.date): row for row in created}
    return session_of, state, {row.id for row in created}


def _limited(es_rows) -> list[tuple[int, int]]:
    """(catalog service id, N) of each session booked whose service is «не чаще раза в N дней»."""
    return [(es.service_id, es.service_limit_days) for es in es_rows if es.service_limit_days]


def _refusal(
    request: BookingRequest, event, es_rows, occurrence, session_of: dict, day_state: _Day, counted: service_limits.CountedDates
) -> BookingRefused | None:
    """The rules of SPEC §3.3–3.4 and the per-person limit for one request, against the day and
    the person's bookings as they stand."""
    day, visitor_id = request.day, request.visitor_id
    if occurrence.cancelled_at is not None:
        return BookingRefused("session_cancelled")
    # a closed window is the answer before any "full": the date is not bookable at all
    for es in es_rows:
        row = session_of[es.id, day]
        if row.cancelled_at is not None:
            return BookingRefused("session_cancelled")
        if request.actor.role != "admin" and not (request.walk_in and day == request.now.date()):
            refusal = window_refusal(day, row.start_time or es.start_time, es.window_days, request.now)
            if refusal:
                return BookingRefused(refusal)
    if visitor_id not in day_state.participants:
        if len(day_state.participants) + 1 > (occurrence.capacity or event.capacity):
            return BookingRefused("event_full")
    # "already booked" is the more useful answer, so it wins over "full" whatever the order
    if any((session_of[es.id, day].id, visitor_id) in day_state.held for es in es_rows):
        return BookingRefused("already_booked")
    if request.limit_override is None:
        refusal = service_limits.request_refusal(visitor_id, day, _limited(es_rows), counted)
        if refusal:
            return refusal
    for es in es_rows:
        row = session_of[es.id, day]
        if day_state.booked[row.id] + 1 > (row.capacity or es.capacity):
            return BookingRefused("session_full")
    return None


def book_together(conn: Connection, requests: list[BookingRequest]) -> list[BookingOutcome]:
    """Apply the requests one after another in the caller's transaction.

    Each gets its new booking ids (in the order of its keys) or its refusal, exactly as if it
    had been booked alone after the ones before it; the statements are shared, so a batch costs
    the database little more than a single booking. A refused request leaves nothing behind
    but version bumps: the lock rows created for it alone are deleted again.
    """
    es_ids = sorted({k.event_service_id for r in requests for k in r.keys})
    # the event first, then its services: read under the lock, no change of them is under way
    events_by_id = lock_events_of_services(conn, es_ids)
    services = _by_id(conn, _SERVICES_OF, "es_ids", es_ids)
    people = _by_id(conn, _PEOPLE, "person_ids", (r.visitor_id for r in requests))

    outcomes: list[BookingOutcome | None] = [None] * len(requests)
    wanted = {}
    for index, request in enumerate(requests):
        try:
            event, es_rows = _targets(request, services, events_by_id, people)
        except BookingRefused as refusal:
            outcomes[index] = refusal
            continue
        wanted[index] = (event, es_rows, request.day)
    if not wanted:
        return outcomes

    occurrence_of, new_occurrences = lock_days(conn, {(event.id, day) for event, _, day in wanted.values()})
    session_of, day_state, new_sessions = _sessions_of_days(conn, list(wanted.values()))
    # a person booking two events at once is not under one event or day lock: a limited
    # service takes the person's own lock (core.service_limits) before their dates are read
    counted = service_limits.lock_and_read(
        conn, {(requests[index].visitor_id, service_id) for index, (_, es_rows, _) in wanted.items() for service_id, _ in _limited(es_rows)}
    )
    accepted: list[tuple[int, list[sa.Row]]] = []
    for index, (event, es_rows, day) in wanted.items():
        request = requests[index]
        state = day_state[event.id, day]
        refusal = _refusal(request, event, es_rows, occurrence_of[event.id, day], session_of, state, counted)
        if refusal:
            outcomes[index] = refusal
            continue
        for es in es_rows:
            state.add(session_of[es.id, day].id, request.visitor_id)
        for service_id, _ in _limited(es_rows):
            counted.add(request.visitor_id, service_id, day)
        accepted.append((index, [session_of[es.id, day] for es in es_rows]))

    used_sessions = {row.id for _, rows in accepted for row in rows}
    used_occurrences = {occurrence_of[wanted[index][0].id, wanted[index][2]].id for index, _ in accepted}
    if unused := sorted(new_sessions - used_sessions):
        conn.execute(_DROP_SESSIONS, {"unused_ids": unused})
    if unused := sorted(new_occurrences - used_occurrences):
        conn.execute(_DROP_OCCURRENCES, {"unused_ids": unused})
    if accepted:
        _write_bookings(conn, requests, accepted, outcomes)
    return outcomes


def _write_bookings(conn: Connection, requests: list[BookingRequest], accepted: list[tuple[int, list[sa.Row]]], outcomes: list) -> None:
    """Insert the accepted bookings, their first status and one audit row per request, a statement each."""
    new_rows = [
        {
            "session_id": row.id,
            "visitor_id": requests[index].visitor_id,
            "status": statuses.EXPECTED,
            "comment": requests[index].comment,
            "created_at": requests[index].now,
            "created_by_kind": requests[index].actor.kind,
            "created_by_id": requests[index].actor.id,
        }
        for index, rows in accepted
        for row in rows
    ]
    # a person holds one booking of a session, so (session, person) names each new row
    booking_id = {(row.session_id, row.visitor_id): row.id for row in conn.execute(_NEW_BOOKINGS, new_rows)}
    history, entries = [], []
    for index, rows in accepted:
        request = requests[index]
        ids_by_service = {row.event_service_id: booking_id[row.id, request.visitor_id] for row in rows}
        outcomes[index] = [ids_by_service[key.event_service_id] for key in request.keys]
        for new_id in ids_by_service.values():
            history.append(
                {"booking_id": new_id, "status": statuses.EXPECTED, "comment": None, "changed_at": request.now, "changed_by": request.actor.audit_name}
            )
        override = {"limit_override": request.limit_override} if request.limit_override is not None else {}
        entries.append(
            audit.entry(
                request.actor, request.now, "book", "booking", ",".join(map(str, sorted(ids_by_service.values()))), sessions=len(rows), **override
            )
        )
    conn.execute(_NEW_HISTORY, history)
    audit.record_all(conn, entries)


class _NothingBooked(Exception):
    """Every request of a batch was refused: the transaction is rolled back, answers kept."""

    def __init__(self, outcomes: list[BookingOutcome]) -> None:
        super().__init__("every request refused")
        self.outcomes = outcomes


def _book_or_roll_back(conn: Connection, requests: list[BookingRequest]) -> list[BookingOutcome]:
    outcomes = book_together(conn, requests)
    if all(isinstance(outcome, BookingRefused) for outcome in outcomes):
        # nothing to keep, not even a version bump or a lock row
        raise _NothingBooked(outcomes)
    return outcomes


def _book_in_transaction(engine: Engine, requests: list[BookingRequest]) -> list[BookingOutcome]:
    try:
        return run_in_transaction(
            engine, lambda conn: _book_or_roll_back(conn, requests), retry_duplicates=True, attempts=DAY_LOCK_ATTEMPTS
        )
    except _NothingBooked as nothing:
        return nothing.outcomes


def book(
    engine: Engine,
    visitor_id: int,
    keys: list[SessionKey],
    actor: Actor,
    now: datetime,
    comment: str | None = None,
    limit_override: str | None = None,
) -> list[int]:
    """Book one person onto one or several sessions of the same event day, all or nothing.

    Visitors and volunteers book inside the booking window; an admin may book outside it, but
    never past a capacity. An admin may book past «не чаще раза в N дней» by giving a reason
    (`limit_override`, written in the audit log). Returns the new booking ids, one per key, in
    the order of `keys`.
    """
    if not keys:
        raise ValidationError("nothing_selected", field="sessions")
    if actor.role == "visitor" and actor.id != visitor_id:
        raise NotAllowed()
    if actor.role == "coordinator":
        raise NotAllowed()
    if limit_override is not None:
        if actor.role != "admin":
            raise NotAllowed()
        limit_override = clean_text(limit_override, "limit_override", maximum=200)
        if limit_override is None:
            raise ValidationError("required", field="limit_override")
    request = BookingRequest(visitor_id, tuple(dict.fromkeys(keys)), actor, now, clean_text(comment, "comment"), limit_override=limit_override)
    if is_duckdb(engine):
        outcome = queue_of(engine).submit(request, lambda batch: _book_in_transaction(engine, batch))
    else:
        # PostgreSQL serves several app processes; its row locks queue them, a booking each
        (outcome,) = _book_in_transaction(engine, [request])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


