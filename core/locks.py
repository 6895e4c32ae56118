"""The locks every write that counts bookings takes, always in this order.

Counting and then inserting is not enough under snapshot isolation: two transactions both
count 7 of 8 and both insert. So a transaction that books, or changes what a booking counts
against, first takes
- the event's row (`lock_events`): shared for what books into an event or changes one of its
  sessions, so bookings of one event do not wait for each other; exclusive for a change of
  the event itself (capacity, services, times, archive, delete), so a booking reads the event
  and its services only once no change is under way, and a change counts the bookings only
  once no booking is in flight;
- then the row of its event day in `occurrences` (`version = version + 1`, `lock_days`),
  which every booking and every change of a session writes.
On DuckDB a second concurrent writer of either row gets a write-write conflict and is retried;
on PostgreSQL it waits for the row lock and then reads what the first one committed. Either
way what a transaction counts is current.

The statements are built once (building them anew cost a millisecond a booking) and take
lists, so one statement serves a batch of requests as well as a single one.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.db import is_duckdb
from core.schema import event_services, events, occurrences


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
# (duckdb, shared) -> statement
_LOCK_EVENTS = {(d, sh): _event_lock_statement(_EVENTS_BY_ID, shared=sh, duckdb=d) for d in (False, True) for sh in (False, True)}
_LOCK_EVENTS_OF_SERVICES = {d: _event_lock_statement(_EVENTS_OF_SERVICES, shared=True, duckdb=d) for d in (False, True)}

# The day lock takes the events and the dates of a batch as two lists, so it also touches an
# event's row on another request's date: a harmless extra version bump, and one statement
# instead of one per day (a list of (event, date) pairs costs DuckDB more than this for a
# single day).
_OCCURRENCE_STATE = (occurrences.c.id, occurrences.c.event_id, occurrences.c.date, occurrences.c.capacity, occurrences.c.cancelled_at)
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


def lock_events(conn: Connection, event_ids, *, shared: bool) -> dict[int, sa.Row]:
    """Lock the events' rows and return them as committed: shared for what books into an event
    or changes one of its sessions, exclusive for a change of the event itself."""
    ids = sorted(set(event_ids))
    return {row.id: row for row in conn.execute(_LOCK_EVENTS[is_duckdb(conn), shared], {"event_ids": ids})} if ids else {}


def lock_events_of_services(conn: Connection, event_service_ids) -> dict[int, sa.Row]:
    """Lock (shared) the events of these event services and return them by id, as committed."""
    rows = conn.execute(_LOCK_EVENTS_OF_SERVICES[is_duckdb(conn)], {"es_ids": sorted(set(event_service_ids))})
    return {row.id: row for row in rows}


def lock_event_days(conn: Connection, days: set[tuple[int, date]]) -> tuple[dict[tuple[int, date], sa.Row], set[int]]:
    """Lock the events (shared) and then their days, see `lock_days`."""
    lock_events(conn, (event_id for event_id, _ in days), shared=True)
    return lock_days(conn, days)


def lock_days(conn: Connection, days: set[tuple[int, date]]) -> tuple[dict[tuple[int, date], sa.Row], set[int]]:
    """Write the occurrence row of each (event id, date), creating the missing ones; returns the
    rows by (event id, date) and the ids of those created.

    This write is the lock of an event day. Every booking takes it first, and so does every
    change of a session (its time, capacity or deletion), so on DuckDB two of them on one day
    conflict and one runs again, and on PostgreSQL the second waits and then reads what the
    first committed: either way what a transaction counts is current. Rows usually exist, so
    they are updated first and inserted only when missing. Two first writers of an untouched
    day may both insert: one fails on the unique key (on PostgreSQL once the other commits) and
    its transaction runs again, finding the row. (An upsert would spare that rare rerun but
    costs DuckDB far more than an insert, every time.)
    """
    dates = sorted({day for _, day in days})
    bumped = conn.execute(_BUMP_OCCURRENCES, {"lock_event_ids": sorted({e for e, _ in days}), "lock_days": dates})
    occurrence_of = {(row.event_id, row.date): row for row in bumped}
    missing = sorted(days - occurrence_of.keys())
    created = conn.execute(_NEW_OCCURRENCES, [{"event_id": e, "date": d} for e, d in missing]).all() if missing else []
    occurrence_of |= {(row.event_id, row.date): row for row in created}
    return occurrence_of, {row.id for row in created}
