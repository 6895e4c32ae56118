"""Посещаемость: attendance figures and chart series, aggregated in the database.

Every query here is one GROUP BY over bookings joined to their sessions; nothing loops over
booking rows in Python, so years of history cost the database a scan, not the app a loop.
Python only reshapes the small aggregated result (pivot, fill the empty weeks, divide).

Definitions, shared by the page, the charts and the downloads:
- A booking counts when its status is not cancelled; it belongs to the period by the date of
  its session (not by when it was made).
- A session is *held* when it is dated in the period, before `today`, and has at least one
  counted booking. Sessions nobody booked are never stored (series are computed), so they
  are not counted: the fill rate describes the sessions people actually came to book.
- Fill rate = booked places / capacity, summed over held sessions (so a big session weighs
  more than a small one); capacity is the session's own override or its event service's.
- No-show rate = no-shows / (attended + no-shows); None when nobody was marked yet.
- A visitor is *new* in the month of their first counted booking anywhere (any place, any
  service), *returning* in every later month they book.
- The records *begin* on the date of the earliest session with a counted booking (any place,
  any service). The default period does not reach back before it, and a period is compared with
  the previous one only when the records cover all of that one and it has bookings: days before
  the records began would read as growth.
"""

from dataclasses import dataclass
from functools import cache
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import Actor
from core.attendance_filter import AnalyticsFilter
from core.db import run_in_transaction
from core.joins import SESSION_CAPACITY, SESSION_START
from core.schema import bookings, event_services, events, places, services, sessions
from core.validation import format_ru_date

CHART_STATUSES = (statuses.ATTENDED, statuses.NO_SHOW, statuses.EXPECTED)

_BOOKED = (
    bookings.join(sessions, sessions.c.id == bookings.c.session_id)
    .join(event_services, event_services.c.id == sessions.c.event_service_id)
    .join(events, events.c.id == sessions.c.event_id)
)


_RECORDS_BEGIN = (
    sa.select(sa.func.min(sessions.c.date))
    .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
    .where(bookings.c.status.in_(statuses.ACTIVE))
)


def records_begin(conn: Connection) -> date | None:
    """The date of the earliest session with a counted booking; None while nobody has booked."""
    return conn.execute(_RECORDS_BEGIN).scalar_one()


# The statements are built once per shape of filter (with or without a place, a service) and
# take the period as parameters: building them on every call cost a fifth of the page's
# Python time. `_params` gives the values, `shape` the key.
_TODAY = sa.bindparam("today", type_=sa.Date)


def _shape(flt: AnalyticsFilter) -> tuple[bool, bool]:
    return flt.place_id is not None, flt.service_id is not None


def _params(flt: AnalyticsFilter, today: date | None = None) -> dict:
    return {"start": flt.start, "end": flt.end, "place_id": flt.place_id, "service_id": flt.service_id, "today": today}


def _where(shape: tuple[bool, bool]) -> list:
    by_place, by_service = shape
    period = sessions.c.date.between(sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date))
    conditions = [period, bookings.c.status.in_(statuses.ACTIVE)]
    if by_place:
        conditions.append(events.c.place_id == sa.bindparam("place_id"))
    if by_service:
        conditions.append(event_services.c.service_id == sa.bindparam("service_id"))
    return conditions


def _count_of(status: str):
    return sa.func.count().filter(bookings.c.status == status)


def _truncated(grain: str, column):
    # the unit as a literal, not a bound parameter: PostgreSQL treats two parameters as two
    # different expressions and would refuse the GROUP BY
    return sa.cast(sa.func.date_trunc(sa.literal_column(f"'{grain}'"), column), sa.Date)


def _held_sessions(shape: tuple[bool, bool], *extra):
    """One row per held session: its booked places and capacity (plus any `extra` columns)."""
    return (
        sa.select(sessions.c.id, sa.func.count().label("booked"), SESSION_CAPACITY.label("capacity"), *extra)
        .select_from(_BOOKED)
        .where(*_where(shape), sessions.c.date < _TODAY)
        .group_by(sessions.c.id, sessions.c.capacity, event_services.c.capacity, *extra)
        .subquery()
    )


# --- key figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigures:
    sessions_held: int
    bookings: int
    attended: int
    no_show: int
    visitors: int
    booked_places: int  # over held sessions only
    capacity_places: int  # over held sessions only

    @property
    def no_show_rate(self) -> float | None:
        marked = self.attended + self.no_show
        return self.no_show / marked if marked else None

    @property
    def fill_rate(self) -> float | None:
        return self.booked_places / self.capacity_places if self.capacity_places else None


@cache
def _key_counts(shape: tuple[bool, bool]) -> sa.Select:
    return (
        sa.select(
            sa.func.count().label("bookings"),
            _count_of("attended").label("attended"),
            _count_of("no_show").label("no_show"),
            sa.func.count(sa.distinct(bookings.c.visitor_id)).label("visitors"),
        )
        .select_from(_BOOKED)
        .where(*_where(shape))
    )


@cache
def _held_sizes(shape: tuple[bool, bool]) -> sa.Select:
    held = _held_sessions(shape)
    return sa.select(
        sa.func.count().label("sessions"),
        sa.func.coalesce(sa.func.sum(held.c.booked), 0).label("booked"),
        sa.func.coalesce(sa.func.sum(held.c.capacity), 0).label("capacity"),
    )


def key_figures(conn: Connection, flt: AnalyticsFilter, today: date) -> KeyFigures:
    """The six key figures of the page for one period."""
    counts = conn.execute(_key_counts(_shape(flt)), _params(flt)).one()
    sizes = conn.execute(_held_sizes(_shape(flt)), _params(flt, today)).one()
    return KeyFigures(
        sessions_held=sizes.sessions,
        bookings=counts.bookings,
        attended=counts.attended,
        no_show=counts.no_show,
        visitors=counts.visitors,
        booked_places=int(sizes.booked),
        capacity_places=int(sizes.capacity),
    )


# --- chart series -------------------------------------------------------------------------


def _buckets(grain: str, start: date, end: date) -> list[date]:
    """Every week (Monday) or month (1st) that touches start..end, so empty ones show as zero."""
    first = start - timedelta(days=start.weekday()) if grain == "week" else start.replace(day=1)
    found = []
    day = first
    while day <= end:
        found.append(day)
        if grain == "week":
            day += timedelta(days=7)
        else:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return found


@cache
def _over_time(shape: tuple[bool, bool], grain: str) -> sa.Select:
    bucket = _truncated(grain, sessions.c.date).label("period")
    return (
        sa.select(bucket, bookings.c.status, sa.func.count().label("n"))
        .select_from(_BOOKED)
        .where(*_where(shape))
        .group_by(bucket, bookings.c.status)
    )


def attendance_over_time(conn: Connection, flt: AnalyticsFilter, grain: str | None = None) -> pd.DataFrame:
    """Bookings per week (or month) by status: columns period, attended, no_show, expected."""
    grain = grain or flt.grain
    rows = conn.execute(_over_time(_shape(flt), grain), _params(flt)).all()
    counts = {(r.period, r.status): r.n for r in rows}
    return pd.DataFrame(
        [
            {"period": period, **{status: counts.get((period, status), 0) for status in CHART_STATUSES}}
            for period in _buckets(grain, flt.start, flt.end)
        ],
        columns=["period", *CHART_STATUSES],
    )


@cache
def _breakdown_by(shape: tuple[bool, bool], table: sa.Table) -> sa.Select:
    return (
        sa.select(
            table.c.name.label("name"),
            _count_of("attended").label("attended"),
            _count_of("no_show").label("no_show"),
            _count_of("expected").label("expected"),
            sa.func.count().label("bookings"),
        )
        .select_from(
            _BOOKED.join(services, services.c.id == event_services.c.service_id).join(places, places.c.id == events.c.place_id)
        )
        .where(*_where(shape))
        .group_by(table.c.id, table.c.name)
        .order_by(sa.func.count().desc(), table.c.name)
    )


def _breakdown(conn: Connection, flt: AnalyticsFilter, table: sa.Table) -> pd.DataFrame:
    rows = conn.execute(_breakdown_by(_shape(flt), table), _params(flt)).all()
    frame = pd.DataFrame([r._asdict() for r in rows], columns=["name", "attended", "no_show", "expected", "bookings"])
    marked = frame["attended"] + frame["no_show"]
    frame["no_show_rate"] = (frame["no_show"] / marked).where(marked > 0)
    return frame


def by_service(conn: Connection, flt: AnalyticsFilter) -> pd.DataFrame:
    """Per catalog service, most booked first: name, attended, no_show, expected, bookings, no_show_rate."""
    return _breakdown(conn, flt, services)


def by_place(conn: Connection, flt: AnalyticsFilter) -> pd.DataFrame:
    """Per place, most booked first: the same columns as `by_service`."""
    return _breakdown(conn, flt, places)


@cache
def _fill(shape: tuple[bool, bool]) -> sa.Select:
    held = _held_sessions(shape, sa.extract("isodow", sessions.c.date).label("weekday"), sa.extract("hour", SESSION_START).label("hour"))
    return (
        sa.select(
            held.c.weekday,
            held.c.hour,
            sa.func.count().label("sessions"),
            sa.func.sum(held.c.booked).label("booked"),
            sa.func.sum(held.c.capacity).label("capacity"),
        )
        .group_by(held.c.weekday, held.c.hour)
        .order_by(held.c.weekday, held.c.hour)
    )


def fill_by_weekday_hour(conn: Connection, flt: AnalyticsFilter, today: date) -> pd.DataFrame:
    """Fill rate of held sessions per ISO weekday (1 = Monday) and start hour.

    Columns weekday, hour, sessions, booked, capacity, fill_rate; one row per cell that had a
    held session, ordered by weekday and hour.
    """
    rows = conn.execute(_fill(_shape(flt)), _params(flt, today)).all()
    frame = pd.DataFrame(
        [(int(r.weekday), int(r.hour), r.sessions, int(r.booked), int(r.capacity)) for r in rows],
        columns=["weekday", "hour", "sessions", "booked", "capacity"],
    )
    frame["fill_rate"] = frame["booked"] / frame["capacity"]
    return frame


@cache
def _visitors_by_month(shape: tuple[bool, bool]) -> sa.Select:
    first = (
        sa.select(bookings.c.visitor_id, sa.func.min(sessions.c.date).label("first_day"))
        .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
        .where(bookings.c.status.in_(statuses.ACTIVE))
        .group_by(bookings.c.visitor_id)
        .subquery()
    )
    month = _truncated("month", sessions.c.date)
    return (
        sa.select(
            month.label("month"),
            sa.func.count(sa.distinct(bookings.c.visitor_id)).label("visitors"),
            sa.func.count(sa.distinct(bookings.c.visitor_id))
            .filter(_truncated("month", first.c.first_day) == month)
            .label("new"),
        )
        .select_from(_BOOKED.join(first, first.c.visitor_id == bookings.c.visitor_id))
        .where(*_where(shape))
        .group_by(month)
    )


def visitors_by_month(conn: Connection, flt: AnalyticsFilter) -> pd.DataFrame:
    """Distinct visitors per month of the period, split into new and returning.

    Columns month (the 1st), visitors, new, returning. "New" looks at all history, whatever
    the place and service filter: the month of a person's first counted booking anywhere.
    """
    rows = conn.execute(_visitors_by_month(_shape(flt)), _params(flt)).all()
    counts = {r.month: (r.visitors, r.new) for r in rows}
    table = []
    for bucket in _buckets("month", flt.start, flt.end):
        visitors, new = counts.get(bucket, (0, 0))
        table.append({"month": bucket, "visitors": visitors, "new": new, "returning": visitors - new})
    return pd.DataFrame(table, columns=["month", "visitors", "new", "returning"])


# --- everything the page shows, in one call ------------------------------------------------


def previous_to_compare(conn: Connection, flt: AnalyticsFilter, today: date, begin: date | None) -> KeyFigures | None:
    """The previous period's figures, or None when a comparison would mislead: the records (which
    begin on `begin`) do not cover all of it, or it has no bookings under this filter."""
    earlier = flt.previous()
    if begin is None or begin > earlier.start:
        return None
    figures = key_figures(conn, earlier, today)
    return figures if figures.bookings else None


@dataclass(frozen=True)
class AttendanceReport:
    current: KeyFigures
    previous: KeyFigures | None  # None: nothing fair to compare with (see `describe_comparison`)
    previous_period: AnalyticsFilter
    records_begin: date | None
    grain: str  # of `over_time`: "week" or "month", by the recorded part of the period
    over_time: pd.DataFrame
    services: pd.DataFrame
    places: pd.DataFrame
    fill: pd.DataFrame
    visitors: pd.DataFrame

    @property
    def is_empty(self) -> bool:
        return self.current.bookings == 0

    def describe_comparison(self) -> str:
        """One Russian sentence under the key figures: what the changes compare with, or why there are none."""
        earlier = self.previous_period
        if self.previous is not None:
            return f"Стрелки — изменение к предыдущему периоду такой же длины: {earlier.describe_period()}."
        if self.records_begin is None:
            return "Без сравнения с предыдущим периодом: записей ещё нет."
        if self.records_begin > earlier.start:
            return f"Без сравнения с предыдущим периодом: записи ведутся только с {format_ru_date(self.records_begin)}."
        return (
            "Без сравнения с предыдущим периодом: в нём "
            f"({format_ru_date(earlier.start)}–{format_ru_date(earlier.end)}) нет записей."
        )


def attendance_report(conn: Connection, flt: AnalyticsFilter, today: date) -> AttendanceReport:
    """Key figures for this period and (when fair) the previous one, and every chart series.

    The series over time start where the records begin when the period starts earlier."""
    begin = records_begin(conn)
    charted = flt.recorded(begin)
    return AttendanceReport(
        current=key_figures(conn, flt, today),
        previous=previous_to_compare(conn, flt, today, begin),
        previous_period=flt.previous(),
        records_begin=begin,
        grain=charted.grain,
        over_time=attendance_over_time(conn, charted),
        services=by_service(conn, flt),
        places=by_place(conn, flt),
        fill=fill_by_weekday_hour(conn, flt, today),
        visitors=visitors_by_month(conn, charted),
    )


def record_download(engine: Engine, actor: Actor, now: datetime, flt: AnalyticsFilter, table: str) -> None:
    """Audit one download of the numbers behind a chart: which table and filter, nothing personal."""
    detail = {"start": flt.start, "end": flt.end, "place_id": flt.place_id, "service_id": flt.service_id}
    run_in_transaction(engine, lambda conn: audit.record(conn, actor, now, "export", "attendance", table, **detail))
