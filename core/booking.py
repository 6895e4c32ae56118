"""Book, cancel and mark attendance: one transaction per use case, invariants enforced.

The capacity invariants (SPEC §3.3) must hold with many people booking at once. Counting and
then inserting is not enough under snapshot isolation: two transactions both count 7 of 8 and
both insert. So every booking transaction takes two locks, always in this order:
- the event's row, shared (`lock_events`): bookings of one event do not wait for each other,
  but a change of the event itself (capacity, services, times, archive, delete) holds it
  exclusively, so a booking reads the event and its services only once no change is under way,
  and a change counts the bookings only once no booking is in flight;
- the row of its event day in `occurrences` (`version = version + 1`, `lock_event_days`), which
  every change of a session writes too.
On DuckDB a second concurrent writer of either row gets a write-write conflict and is retried;
on PostgreSQL it waits for the row lock and then reads what the first one committed. Either
way what a transaction counts is current.
On DuckDB the bookings that arrive together are also applied together, one transaction per
batch (see _BookingQueue).
"""

import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, mks_outbox, statuses
from core.actors import Actor
from core.db import is_duckdb, run_in_transaction
from core.errors import BookingRefused, DomainError, NotAllowed, ValidationError
from core.recurrence import occurs_on, rule_from_stored
from core.schema import bookings, event_services, events, occurrences, services, sessions, status_history, visitors
from core.validation import clean_text

STAFF_BOOKERS = ("admin", "volunteer")


@dataclass(frozen=True)
class SessionKey:
    """A session is one event service on one date; it may have no stored row yet."""

    event_service_id: int
    date: date


def is_bookable_now(day: date, start: time, window_days: int, now: datetime) -> bool:
    """The booking window (SPEC §3.4): today <= day <= today + window, and before the start today."""
    today = now.date()
    if not today <= day <= today + timedelta(days=window_days):
        return False
    return day != today or now.time() < start


def _window_refusal(day: date, start: time, window_days: int, now: datetime) -> str | None:
    if is_bookable_now(day, start, window_days, now):
        return None
    return "session_started" if day == now.date() else "window_closed"


# The booking's statements are built once: building them anew cost a millisecond a booking.
# Each takes lists, so one statement serves a batch of requests as well as a single one. They
# are IN lists, not one array (`= ANY`) as in the session lists: DuckDB finds a few rows by an
# IN list far faster (the lock's UPDATE: 1.2 against 1.9 ms).
# with the catalog's retirement: a retired service is offered nowhere, so it is booked nowhere
_SERVICES_OF = (
    sa.select(event_services, services.c.retired_at.label("service_retired_at"))
    .join(services, services.c.id == event_services.c.service_id)
    .where(event_services.c.id.in_(sa.bindparam("es_ids", expanding=True)))
)


def _event_lock_statement(where, *, shared: bool, duckdb: bool):
    """The statement that locks the events matching `where` and returns their rows as committed."""
    if duckdb:
        # DuckDB has no row locks: writing the row (to its own value) makes any concurrent
        # writer of it conflict and run again, on a snapshot that holds the other's change
        return events.update().where(where).values(capacity=events.c.capacity).returning(*events.c)
    return sa.select(events).where(where).order_by(events.c.id).with_for_update(read=shared)


_EVENTS_BY_ID = events.c.id.in_(sa.bindparam("event_ids", expanding=True))
_EVENTS_OF_SERVICES = events.c.id.in_(
    sa.select(event_services.c.event_id).where(event_services.c.id.in_(sa.bindparam("es_ids", expanding=True)))
)
# (duckdb, shared) -> statement; built once, like the booking's other statements
_LOCK_EVENTS = {(d, sh): _event_lock_statement(_EVENTS_BY_ID, shared=sh, duckdb=d) for d in (False, True) for sh in (False, True)}
_LOCK_EVENTS_OF_SERVICES = {d: _event_lock_statement(_EVENTS_OF_SERVICES, shared=True, duckdb=d) for d in (False, True)}
_PEOPLE = sa.select(visitors.c.id, visitors.c.erased_at).where(visitors.c.id.in_(sa.bindparam("person_ids", expanding=True)))

# The lock and the day query take the events and the dates of a batch as two lists, so they
# also touch an event's rows on another request's date: a harmless extra version bump, rows
# filtered out, and one statement instead of one per day (a list of (event, date) pairs costs
# DuckDB more than this for a single day).
_OCCURRENCE_STATE = (occurrences.c.id, occurrences.c.event_id, occurrences.c.date, occurrences.c.capacity, occurrences.c.cancelled_at)
_SESSION_STATE = (
    sessions.c.id, sessions.c.event_service_id, sessions.c.event_id, sessions.c.date,
    sessions.c.start_time, sessions.c.capacity, sessions.c.cancelled_at,
)
_BUMP_OCCURRENCES = (
    occurrences.update()
    .where(
        occurrences.c.event_id.in_(sa.bindparam("lock_event_ids", expanding=True)),
        occurrences.c.date.in_(sa.bindparam("lock_days", expanding=True)),
    )
    .values(version=occurrences.c.version + 1)
    .returning(*_OCCURRENCE_STATE)
)
_NEW_OCCURRENCES = occurrences.insert().returning(*_OCCURRENCE_STATE)
_NEW_SESSIONS = sessions.insert().returning(*_SESSION_STATE)
# every session row of the event days, once per active booking on it (or once with no visitor)
_DAY_SESSIONS = (
    sa.select(*_SESSION_STATE, bookings.c.visitor_id)
    .select_from(sessions.outerjoin(bookings, sa.and_(bookings.c.session_id == sessions.c.id, bookings.c.status.in_(statuses.ACTIVE))))
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


def lock_events(conn: Connection, event_ids, *, shared: bool) -> dict[int, sa.Row]:
    """Lock the events' rows and return them as committed: shared for what books into an event
    or changes one of its sessions, exclusive for a change of the event itself."""
    ids = sorted(set(event_ids))
    return {row.id: row for row in conn.execute(_LOCK_EVENTS[is_duckdb(conn), shared], {"event_ids": ids})} if ids else {}


def lock_event_days(conn: Connection, days: set[tuple[int, date]]) -> tuple[dict[tuple[int, date], sa.Row], set[int]]:
    """Lock the events (shared) and then their days, see `_lock_days`."""
    lock_events(conn, (event_id for event_id, _ in days), shared=True)
    return _lock_days(conn, days)


def _lock_days(conn: Connection, days: set[tuple[int, date]]) -> tuple[dict[tuple[int, date], sa.Row], set[int]]:
    """Write the occurrence row of each (event id, date), creating the missing ones; returns the
    rows by (event id, date) and the ids of those created.

    This write is the lock of an event day. Every booking takes it first, and so does every
    change of a session (its time, capacity or deletion), so on DuckDB two of them on one day
    conflict and one runs again, and on PostgreSQL the second waits and then reads what the
    first committed: either way what a transaction counts is current. Rows usually exist, so
    they are updated first and inserted only when missing. Two first writers of an untouched
    day may both insert: one fails on the unique key (on PostgreSQL once the other commits) and
    its transaction runs again, finding the row. (An upsert would spare that rare rerun but
    costs DuckDB three times an insert every time.)
    """
    dates = sorted({day for _, day in days})
    bumped = conn.execute(_BUMP_OCCURRENCES, {"lock_event_ids": sorted({e for e, _ in days}), "lock_days": dates})
    occurrence_of = {(row.event_id, row.date): row for row in bumped}
    missing = sorted(days - occurrence_of.keys())
    created = conn.execute(_NEW_OCCURRENCES, [{"event_id": e, "date": d} for e, d in missing]).all() if missing else []
    occurrence_of |= {(row.event_id, row.date): row for row in created}
    return occurrence_of, {row.id for row in created}


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


def _refusal(request: BookingRequest, event, es_rows, occurrence, session_of: dict, day_state: _Day) -> BookingRefused | None:
    """The rules of SPEC §3.3–3.4 for one request, against the day as it stands."""
    day, visitor_id = request.day, request.visitor_id
    if occurrence.cancelled_at is not None:
        return BookingRefused("session_cancelled")
    # a closed window is the answer before any "full": the date is not bookable at all
    for es in es_rows:
        row = session_of[es.id, day]
        if row.cancelled_at is not None:
            return BookingRefused("session_cancelled")
        if request.actor.role != "admin" and not (request.walk_in and day == request.now.date()):
            refusal = _window_refusal(day, row.start_time or es.start_time, es.window_days, request.now)
            if refusal:
                return BookingRefused(refusal)
    if visitor_id not in day_state.participants:
        if len(day_state.participants) + 1 > (occurrence.capacity or event.capacity):
            return BookingRefused("event_full")
    # "already booked" is the more useful answer, so it wins over "full" whatever the order
    if any((session_of[es.id, day].id, visitor_id) in day_state.held for es in es_rows):
        return BookingRefused("already_booked")
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
    events_by_id = {row.id: row for row in conn.execute(_LOCK_EVENTS_OF_SERVICES[is_duckdb(conn)], {"es_ids": es_ids})}
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

    occurrence_of, new_occurrences = _lock_days(conn, {(event.id, day) for event, _, day in wanted.values()})
    session_of, day_state, new_sessions = _sessions_of_days(conn, list(wanted.values()))
    accepted: list[tuple[int, list[sa.Row]]] = []
    for index, (event, es_rows, day) in wanted.items():
        request = requests[index]
        state = day_state[event.id, day]
        refusal = _refusal(request, event, es_rows, occurrence_of[event.id, day], session_of, state)
        if refusal:
            outcomes[index] = refusal
            continue
        for es in es_rows:
            state.add(session_of[es.id, day].id, request.visitor_id)
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
        entries.append(
            audit.entry(request.actor, request.now, "book", "booking", ",".join(map(str, sorted(ids_by_service.values()))), sessions=len(rows))
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
        return run_in_transaction(engine, lambda conn: _book_or_roll_back(conn, requests), retry_duplicates=True)
    except _NothingBooked as nothing:
        return nothing.outcomes


class _Ticket:
    __slots__ = ("request", "outcome")

    def __init__(self, request: BookingRequest) -> None:
        self.request = request
        self.outcome: BookingOutcome | Exception | None = None


class _BookingQueue:
    """The bookings of one DuckDB database, applied a batch per transaction.

    One process writes a DuckDB file, and every statement costs DuckDB about half a millisecond
    whatever it carries. So people booking at the same moment are served by one transaction
    that books them all, in the order they came, instead of a transaction each: whoever gets
    the turn books everybody waiting, and the others find their answer ready (`make bench`:
    16 threads, 100–150 → 370–440 bookings per second). A lone booker is a batch of one.
    """

    MAX_BATCH = 64

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._leading = False

    def book(self, engine: Engine, request: BookingRequest) -> BookingOutcome | Exception:
        ticket = _Ticket(request)
        with self._changed:
            self._waiting.append(ticket)
        while True:
            # the others wait on a condition, not on the leader's lock: they learn their answer
            # as soon as their batch commits, and are back with the next request in time to
            # join the batch after (waiting for the lock made every batch one or two long)
            with self._changed:
                while ticket.outcome is None and self._leading:
                    self._changed.wait()
                if ticket.outcome is not None:
                    return ticket.outcome
                self._leading = True
                batch, self._waiting = self._waiting[: self.MAX_BATCH], self._waiting[self.MAX_BATCH :]
            try:
                self._apply(engine, batch)
            finally:
                # even if the leader is interrupted, nobody of its batch may wait for ever
                for waiting in batch:
                    if waiting.outcome is None:
                        waiting.outcome = DomainError("busy_try_again")
                with self._changed:
                    self._leading = False
                    self._changed.notify_all()

    def _apply(self, engine: Engine, batch: list[_Ticket]) -> None:
        try:
            outcomes = _book_in_transaction(engine, [ticket.request for ticket in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the request's own thread, see below
            if len(batch) == 1:
                batch[0].outcome = exc
                return
            # one request's failure must not become everybody's: book them one at a time
            for ticket in batch:
                self._apply(engine, [ticket])
            return
        for ticket, outcome in zip(batch, outcomes, strict=True):
            ticket.outcome = outcome


_QUEUES: weakref.WeakKeyDictionary[Engine, _BookingQueue] = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


def _queue_of(engine: Engine) -> _BookingQueue:
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(engine, _BookingQueue())


def book(
    engine: Engine,
    visitor_id: int,
    keys: list[SessionKey],
    actor: Actor,
    now: datetime,
    comment: str | None = None,
) -> list[int]:
    """Book one person onto one or several sessions of the same event day, all or nothing.

    Visitors and volunteers book inside the booking window; an admin may book outside it, but
    never past a capacity. Returns the new booking ids, one per key, in the order of `keys`.
    """
    if not keys:
        raise ValidationError("nothing_selected", field="sessions")
    if actor.role == "visitor" and actor.id != visitor_id:
        raise NotAllowed()
    if actor.role == "coordinator":
        raise NotAllowed()
    request = BookingRequest(visitor_id, tuple(dict.fromkeys(keys)), actor, now, clean_text(comment, "comment"))
    if is_duckdb(engine):
        outcome = _queue_of(engine).book(engine, request)
    else:
        # PostgreSQL serves several app processes; its row locks queue them, a booking each
        (outcome,) = _book_in_transaction(engine, [request])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def cancel_bookings_in_transaction(conn: Connection, booking_ids: list[int], actor: Actor, now: datetime, reason: str | None) -> int:
    """Cancel the bookings still «Ожидается» inside the caller's transaction (a marked one is
    history and stays); returns how many changed."""
    if not booking_ids:
        return 0
    changed = conn.execute(
        bookings.update()
        .where(bookings.c.id.in_(booking_ids), bookings.c.status == statuses.EXPECTED)
        .values(status=statuses.CANCELLED, status_changed_at=now, status_changed_by=actor.audit_name)
        .returning(bookings.c.id)
    ).all()
    for (booking_id,) in changed:
        conn.execute(
            status_history.insert().values(
                booking_id=booking_id, status=statuses.CANCELLED, comment=reason, changed_at=now, changed_by=actor.audit_name
            )
        )
    return len(changed)


def _booking_with_session(conn: Connection, booking_id: int):
    return conn.execute(
        sa.select(bookings, sessions.c.date, sessions.c.start_time.label("session_start"), event_services.c.start_time)
        .select_from(
            bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(
                event_services, event_services.c.id == sessions.c.event_service_id
            )
        )
        .where(bookings.c.id == booking_id)
    ).first()


def _may_change(actor: Actor, booking) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "visitor":
        return booking.visitor_id == actor.id
    if actor.role == "volunteer":
        return booking.created_by_kind == "volunteer" and booking.created_by_id == actor.id
    return False


def cancel(engine: Engine, booking_id: int, actor: Actor, now: datetime, reason: str | None = None) -> None:
    """Cancel one booking: frees its place. Visitors and volunteers cancel only future ones of their own."""
    reason = clean_text(reason, "comment")

    def work(conn: Connection) -> None:
        booking = _booking_with_session(conn, booking_id)
        if booking is None:
            raise DomainError("booking_not_found")
        if not _may_change(actor, booking):
            raise NotAllowed()
        if booking.status == statuses.CANCELLED:
            raise DomainError("booking_not_active")
        if not statuses.can_cancel(actor.role, booking.status):
            raise DomainError("booking_marked")
        if actor.role != "admin" and booking.date < now.date():
            raise DomainError("booking_in_past")
        cancel_bookings_in_transaction(conn, [booking_id], actor, now, reason)
        audit.record(conn, actor, now, "cancel", "booking", booking_id)

    run_in_transaction(engine, work)


def set_status(
    engine: Engine, booking_ids: list[int], status: str, actor: Actor, now: datetime, comment: str | None = None
) -> int:
    """Mark several bookings Присутствовал / Не пришел / Ожидается at once; returns how many changed.

    «Присутствовал» and «Не пришел» say what happened, so they are refused before the session's
    day; what a volunteer may mark is narrower (statuses.mark_refusal). Cancelled bookings are
    left alone: bringing one back would need a fresh capacity check, which is what booking again
    is for. The staff comment is kept beside the booking's own comment (the visitor's words),
    never over it.
    """
    if actor.role not in statuses.MARKING_ROLES:
        raise NotAllowed()
    if status not in statuses.MARKS:
        raise ValidationError("status_invalid", field="status")
    if not booking_ids:
        raise ValidationError("nothing_selected", field="bookings")
    comment = clean_text(comment, "comment")
    return run_in_transaction(engine, lambda conn: set_status_in_transaction(conn, booking_ids, status, actor, now, comment))


def set_status_in_transaction(conn: Connection, booking_ids: list[int], status: str, actor: Actor, now: datetime, comment: str | None) -> int:
    """`set_status` inside the caller's transaction (the door books a walk-in and marks them in one)."""
    found = conn.execute(
        sa.select(bookings.c.id, bookings.c.status, bookings.c.status_changed_at, bookings.c.status_changed_by, sessions.c.date)
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(bookings.c.id.in_(booking_ids), bookings.c.status.in_(statuses.ACTIVE))
    ).all()
    for row in found:
        refusal = statuses.mark_refusal(
            actor.role, row.status, status, row.date, now.date(),
            now=now, marked_at=row.status_changed_at, marked_by_me=row.status_changed_by == actor.audit_name,
        )
        if refusal:
            raise ValidationError(refusal, field="status", status=statuses.ADMIN_LABEL[status])
    values: dict = dict(status=status, status_changed_at=now, status_changed_by=actor.audit_name)
    if comment:
        values["staff_comment"] = comment
    ids = [row.id for row in found]
    if ids:
        conn.execute(bookings.update().where(bookings.c.id.in_(ids)).values(**values))
        conn.execute(
            status_history.insert(),
            [{"booking_id": i, "status": status, "comment": comment, "changed_at": now, "changed_by": actor.audit_name} for i in ids],
        )
        # a service received (or taken back) goes to МКС through the outbox, with this commit
        mks_outbox.queue_marks(conn, [(row.id, row.status) for row in found], status, now)
    audit.record(conn, actor, now, "set_status", "booking", None, status=status, count=len(ids))
    return len(ids)


def set_comment(engine: Engine, booking_id: int, comment: str | None, actor: Actor, now: datetime) -> None:
    """Replace a booking's comment (its owner, the volunteer who made it, or an admin)."""
    comment = clean_text(comment, "comment")

    def work(conn: Connection) -> None:
        booking = _booking_with_session(conn, booking_id)
        if booking is None:
            raise DomainError("booking_not_found")
        if not _may_change(actor, booking):
            raise NotAllowed()
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(comment=comment))
        audit.record(conn, actor, now, "comment", "booking", booking_id)

    run_in_transaction(engine, work)
