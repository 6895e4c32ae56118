"""Where else: when a session is full, closed or not allowed yet for a person, the nearest
sessions of the same catalog service that person can book right now, at any place.

"Can book right now" is what the booking would accept for them today: inside the booking
window and before the start (core.visits.offers), a place free for them, not already theirs,
and allowed by «не чаще раза в N дней» (core.service_limits) against their own bookings.
"""

from datetime import date, datetime

from sqlalchemy.engine import Connection

from core.events import Event
from core.schema import services
from core.service_limits import counted_dates, limit_refusal
from core.sessions import SessionFilter
from core.visits import Offer, offers

ALTERNATIVES = 5


def _limits(conn: Connection, service_ids) -> dict[int, int]:
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    rows = conn.execute(services.select().with_only_columns(services.c.id, services.c.limit_days).where(services.c.id.in_(ids)))
    return {row.id: row.limit_days for row in rows if row.limit_days}


def within_limits(conn: Connection, visitor_id: int, found: list[Offer]) -> list[Offer]:
    """The offers «не чаще раза в N дней» lets this person book, and those they already hold."""
    limits = _limits(conn, (o.session.service_id for o in found))
    if not limits:
        return found
    counted = counted_dates(conn, [visitor_id], limits)
    return [
        o for o in found
        if o.mine or o.session.service_id not in limits
        or limit_refusal(o.session.date, counted.of(visitor_id, o.session.service_id), limits[o.session.service_id]) is None
    ]


def alternatives(
    conn: Connection,
    events: list[Event],
    visitor_id: int,
    service_id: int,
    now: datetime,
    *,
    skip: tuple[tuple[int, date], ...] = (),
    limit: int = ALTERNATIVES,
) -> list[Offer]:
    """Up to `limit` sessions of catalog service `service_id`, at every place, that the person
    can book right now, nearest first (date, then time); `skip` leaves out sessions by
    (event service id, date), such as the one that was just refused."""
    found = [
        o for o in offers(conn, events, visitor_id, SessionFilter(service_ids=(service_id,)), now)
        if o.is_open and (o.session.event_service_id, o.session.date) not in skip
    ]
    found.sort(key=lambda o: (o.session.date, o.session.start_time, o.session.place_name))
    return within_limits(conn, visitor_id, found)[:limit]
