"""«Не чаще раза в N дней»: how often one person may get a catalog service, at any place.

Like МКС's limitDays for handing out items: a catalog service may carry N (`services.limit_days`,
NULL = no limit). What counts are the person's bookings of that catalog service, at every place
and in every event, that are planned or were attended (Ожидается, Присутствовал): a cancelled
booking or a no-show gave nothing out. A booking on day D is refused when another counted
booking lies less than N days from D, before or after it: |D - other| < N. So with N = 7 a
person who got it on a Monday may get it again from the next Monday on, and N = 1 only keeps
two on one day apart.

The booking (core/booking.py) checks this in its own transaction, after taking `lock_people`:
the event and day locks of core.locks do not cover a person who books two different events at
once, so the person's row is the lock that makes the second booking read the first.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core import statuses
from core.db import is_duckdb
from core.errors import BookingRefused
from core.recurrence import plural
from core.schema import bookings, event_services, services, sessions, visitors

# what was given out or is still planned: a cancellation or a no-show frees the person again
COUNTED = (statuses.EXPECTED, statuses.ATTENDED)


def first_allowed(day: date, others: Iterable[date], every_days: int | None) -> date:
    """The first date on or after `day` that lies `every_days` days or more from every one of
    `others`; `day` itself when there is no limit or nothing in the way."""
    if not every_days:
        return day
    step = timedelta(days=every_days)
    allowed = day
    # ascending: each date in the way pushes the answer past itself, never back before a
    # date already passed, so one pass finds the first free date
    for other in sorted(set(others)):
        if abs((allowed - other).days) < every_days:
            allowed = other + step
    return allowed


def limit_refusal(day: date, others: Iterable[date], every_days: int | None) -> BookingRefused | None:
    """«Эту услугу можно получать не чаще раза в N дней…» when a counted booking is too close to `day`."""
    allowed = first_allowed(day, others, every_days)
    if allowed == day:
        return None
    return BookingRefused("service_limit", every=days_words(every_days), allowed=allowed.strftime("%d.%m.%Y"))


def days_words(count: int) -> str:
    """"7 дней", "1 день", "3 дня"."""
    return f"{count} {plural(count, 'день', 'дня', 'дней')}"


# --- in the booking's transaction -------------------------------------------------------

# DuckDB has no row locks: writing the row (to its own value) makes a concurrent writer of it
# conflict and run again. PostgreSQL: FOR NO KEY UPDATE waits for the other booking to commit,
# and the dates read after it (READ COMMITTED, a statement later) include its booking.
_LOCK_PEOPLE_DUCKDB = (
    visitors.update()
    .where(visitors.c.id.in_(sa.bindparam("person_ids", expanding=True)))
    .values(pin_failures=visitors.c.pin_failures)
    .returning(visitors.c.id)
)
_LOCK_PEOPLE_POSTGRES = (
    sa.select(visitors.c.id)
    .where(visitors.c.id.in_(sa.bindparam("person_ids", expanding=True)))
    .order_by(visitors.c.id)
    .with_for_update(key_share=True)
)
_COUNTED_DATES = (
    sa.select(bookings.c.visitor_id, event_services.c.service_id, sessions.c.date)
    .select_from(
        bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(
            event_services, event_services.c.id == sessions.c.event_service_id
        )
    )
    .where(
        bookings.c.visitor_id.in_(sa.bindparam("person_ids", expanding=True)),
        event_services.c.service_id.in_(sa.bindparam("service_ids", expanding=True)),
        bookings.c.status.in_(COUNTED),
    )
)


def lock_people(conn: Connection, visitor_ids) -> None:
    """Lock the people's rows until the transaction ends: taken after the event and day locks,
    and only by bookings of a limited service, so other bookings never wait for it."""
    ids = sorted(set(visitor_ids))
    if ids:
        conn.execute(_LOCK_PEOPLE_DUCKDB if is_duckdb(conn) else _LOCK_PEOPLE_POSTGRES, {"person_ids": ids}).all()


class CountedDates:
    """The counted booking dates of some people and services, kept current while a batch books."""

    def __init__(self, rows: Iterable[tuple[int, int, date]] = ()) -> None:
        self._dates: dict[tuple[int, int], list[date]] = defaultdict(list)
        for visitor_id, service_id, day in rows:
            self.add(visitor_id, service_id, day)

    def add(self, visitor_id: int, service_id: int, day: date) -> None:
        self._dates[visitor_id, service_id].append(day)

    def of(self, visitor_id: int, service_id: int) -> list[date]:
        return self._dates.get((visitor_id, service_id), [])


def counted_dates(conn: Connection, visitor_ids, service_ids) -> CountedDates:
    """The dates of the people's counted bookings of these catalog services, at every place."""
    people, wanted = sorted(set(visitor_ids)), sorted(set(service_ids))
    if not people or not wanted:
        return CountedDates()
    return CountedDates(conn.execute(_COUNTED_DATES, {"person_ids": people, "service_ids": wanted}).all())


def lock_and_read(conn: Connection, wanted: Iterable[tuple[int, int]]) -> CountedDates:
    """Lock the people of the wanted (person, limited catalog service) pairs, then read their
    counted dates: under the lock, so a booking of theirs in flight elsewhere is seen."""
    wanted = set(wanted)
    people = {visitor_id for visitor_id, _ in wanted}
    lock_people(conn, people)
    return counted_dates(conn, people, {service_id for _, service_id in wanted})


def request_refusal(visitor_id: int, day: date, limited: list[tuple[int, int]], counted: CountedDates) -> BookingRefused | None:
    """The limit's answer for one person booking on `day` the sessions whose catalog services
    carry limits `limited` ([(service id, N)], one per session); two sessions of one limited
    service in one request count against each other."""
    booked_here: list[int] = []
    for service_id, every_days in sorted(limited):
        here = [day for other in booked_here if other == service_id]
        refusal = limit_refusal(day, [*counted.of(visitor_id, service_id), *here], every_days)
        if refusal:
            return refusal
        booked_here.append(service_id)
    return None


# --- for the visitor page ---------------------------------------------------------------

_LIMITED = sa.select(services.c.id, services.c.limit_days).where(services.c.limit_days > 0)


def next_allowed(conn: Connection, visitor_id: int, today: date) -> dict[int, date]:
    """For each limited catalog service the person may not get today: the first date they may
    («можно снова с …»)."""
    limits = dict(conn.execute(_LIMITED).all())
    counted = counted_dates(conn, [visitor_id], limits)
    found = {}
    for service_id, every_days in limits.items():
        allowed = first_allowed(today, counted.of(visitor_id, service_id), every_days)
        if allowed > today:
            found[service_id] = allowed
    return found
