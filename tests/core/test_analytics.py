"""Посещаемость figures on a small known data set: every key figure and chart series, exactly.

The data set (today is Tuesday 10.03.2026; the period is 16.02–15.03.2026, four weeks):

    date        place    service            capacity  bookings
    26.01 (пн)  Цветной  Душ 10:00          2         v1 attended, v2 attended      previous period
    26.02 (чт)  Ясная    Стирка 11:15*      6*        v2 attended, v4 no_show       (*session overrides 10:00 / 4)
    03.03 (вт)  Цветной  Стирка 10:00       4         v1 attended, v2 no_show, v3 attended, v4 cancelled
    03.03 (вт)  Цветной  Душ 12:30          2         v1 attended
    12.03 (чт)  Цветной  Стирка 10:00       4         v1 expected, v3 expected      future: not held
    20.03 (пт)  Цветной  Стирка 10:00       4         v4 expected                   after the period
"""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from core.analytics import (
    KeyFigures,
    attendance_over_time,
    attendance_report,
    by_place,
    by_service,
    fill_by_weekday_hour,
    key_figures,
    record_download,
    records_begin,
    visitors_by_month,
)
from core.actors import Actor
from core.attendance_filter import AnalyticsFilter, default_filter
from core.errors import ValidationError
from core.schema import audit_log, bookings, event_services, events, places, services, sessions, visitors
from tests.clock import DEFAULT_NOW as NOW
from tests.conftest import fresh_engine, throw_away


@pytest.fixture
def now():
    """This module's scenario is written for its own Tuesday, 10.03.2026 09:00: it keeps that
    clock at every instant of the run (core takes `now` as an input; nothing reads the wall)."""
    return NOW

PERIOD = AnalyticsFilter(date(2026, 2, 16), date(2026, 3, 15))
# the same four weeks one week later: its previous period starts on the day the records begin
LATER = AnalyticsFilter(date(2026, 2, 23), date(2026, 3, 22))


def _insert(conn, table, **values) -> int:
    return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _known_rows(conn) -> dict[str, int]:
    """The data set above, written straight into the tables; returns the ids tests filter by."""
    ids = {name: _insert(conn, places, name=name, name_key=name.lower(), created_at=NOW) for name in ("Цветной", "Ясная")}
    for name in ("Стирка", "Душ"):
        ids[name] = _insert(
            conn, services, name=name, description=name, default_capacity=4, default_window_days=7, default_duration_min=60
        )
    people = [
        _insert(conn, visitors, card_number=str(100000 + n), first_name="Анна", last_name=f"Посетитель{n}",
                search_key=f"посетитель{n} анна", created_at=NOW, created_by="staff:admin")
        for n in range(1, 5)
    ]

    def session(day: date, place: str, service: str, capacity: int, start: time, override: dict | None = None) -> int:
        event_id = _insert(conn, events, title="Событие", place_id=ids[place], first_date=day, capacity=10,
                           created_at=NOW, updated_at=NOW)
        es_id = _insert(conn, event_services, event_id=event_id, service_id=ids[service], start_time=start,
                        end_time=time(start.hour + 1, start.minute), capacity=capacity, window_days=7)
        return _insert(conn, sessions, event_service_id=es_id, event_id=event_id, date=day, **(override or {}))

    plan = [
        (session(date(2026, 1, 26), "Цветной", "Душ", 2, time(10)), "attended", "attended", None, None),
        (session(date(2026, 2, 26), "Ясная", "Стирка", 4, time(10), {"start_time": time(11, 15), "capacity": 6}),
         None, "attended", None, "no_show"),
        (session(date(2026, 3, 3), "Цветной", "Стирка", 4, time(10)), "attended", "no_show", "attended", "cancelled"),
        (session(date(2026, 3, 3), "Цветной", "Душ", 2, time(12, 30)), "attended", None, None, None),
        (session(date(2026, 3, 12), "Цветной", "Стирка", 4, time(10)), "expected", None, "expected", None),
        (session(date(2026, 3, 20), "Цветной", "Стирка", 4, time(10)), None, None, None, "expected"),
    ]
    for session_id, *statuses in plan:
        for visitor_id, status in zip(people, statuses):
            if status:
                conn.execute(bookings.insert().values(session_id=session_id, visitor_id=visitor_id, status=status,
                                                      created_at=NOW, created_by_kind="staff", created_by_id=1))
    return ids


@pytest.fixture
def empty_engine(tmp_path):
    """A migrated, empty database of its own, beside the module's `known` one."""
    engine = fresh_engine(tmp_path)
    yield engine
    throw_away(engine)


@pytest.fixture(scope="module")
def known_db(tmp_path_factory):
    """One database for the whole module: every test here only reads."""
    engine = fresh_engine(tmp_path_factory.mktemp("analytics"))
    with engine.begin() as conn:
        ids = _known_rows(conn)
    yield engine, ids
    engine.dispose()


@pytest.fixture
def engine(known_db):
    return known_db[0]


@pytest.fixture
def known(known_db):
    return known_db[1]


def figures(engine, flt, today) -> KeyFigures:
    with engine.connect() as conn:
        return key_figures(conn, flt, today)


def test_key_figures_of_the_period_count_every_non_cancelled_booking(engine, known, today):
    assert figures(engine, PERIOD, today) == KeyFigures(
        sessions_held=3, bookings=8, attended=4, no_show=2, visitors=4, booked_places=6, capacity_places=12
    )


def test_no_show_rate_and_fill_rate_are_ratios_of_the_counts(engine, known, today):
    current = figures(engine, PERIOD, today)
    assert current.no_show_rate == pytest.approx(2 / 6)
    assert current.fill_rate == pytest.approx(6 / 12)


def test_the_previous_period_has_the_same_length_and_ends_the_day_before(engine, known, today):
    previous = PERIOD.previous()
    assert (previous.start, previous.end) == (date(2026, 1, 19), date(2026, 2, 15))
    assert figures(engine, previous, today) == KeyFigures(
        sessions_held=1, bookings=2, attended=2, no_show=0, visitors=2, booked_places=2, capacity_places=2
    )
    assert figures(engine, previous, today).no_show_rate == 0


def test_a_period_without_bookings_has_zeros_and_no_rates(engine, known, today):
    empty = figures(engine, AnalyticsFilter(date(2025, 1, 1), date(2025, 1, 31)), today)
    assert (empty.bookings, empty.sessions_held, empty.visitors) == (0, 0, 0)
    assert empty.no_show_rate is None and empty.fill_rate is None


@pytest.mark.parametrize(
    "place, service, expected",
    [
        ("Цветной", None, KeyFigures(2, 6, 3, 1, 3, 4, 6)),
        ("Ясная", None, KeyFigures(1, 2, 1, 1, 2, 2, 6)),
        (None, "Душ", KeyFigures(1, 1, 1, 0, 1, 1, 2)),
        ("Ясная", "Душ", KeyFigures(0, 0, 0, 0, 0, 0, 0)),
    ],
)
def test_place_and_service_filters_narrow_every_figure(engine, known, today, place, service, expected):
    flt = AnalyticsFilter(PERIOD.start, PERIOD.end, known.get(place), known.get(service))
    assert figures(engine, flt, today) == expected


def test_a_session_held_today_is_not_counted_until_tomorrow(engine, known):
    on_the_day = figures(engine, PERIOD, date(2026, 3, 3))
    after = figures(engine, PERIOD, date(2026, 3, 4))
    assert (on_the_day.sessions_held, after.sessions_held) == (1, 3)


def test_attendance_per_week_is_stacked_by_status_with_empty_weeks_kept(engine, known):
    with engine.connect() as conn:
        frame = attendance_over_time(conn, PERIOD)
    assert frame.to_dict("list") == {
        "period": [date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)],
        "attended": [0, 1, 3, 0],
        "no_show": [0, 1, 1, 0],
        "expected": [0, 0, 0, 2],
    }


def test_a_long_period_is_charted_by_month(engine, known):
    half_year = AnalyticsFilter(date(2025, 12, 1), date(2026, 6, 30))
    assert (PERIOD.grain, half_year.grain) == ("week", "month")
    with engine.connect() as conn:
        frame = attendance_over_time(conn, half_year)
    assert frame["period"].tolist() == [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 7)]
    assert frame[["attended", "no_show", "expected"]].values.tolist() == [
        [0, 0, 0], [2, 0, 0], [1, 1, 0], [3, 1, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0],
    ]


def test_bookings_by_service_and_by_place_most_booked_first(engine, known):
    with engine.connect() as conn:
        services, places = by_service(conn, PERIOD), by_place(conn, PERIOD)
    columns = ["name", "attended", "no_show", "expected", "bookings"]
    assert services[columns].values.tolist() == [["Стирка", 3, 2, 2, 7], ["Душ", 1, 0, 0, 1]]
    assert services["no_show_rate"].tolist() == pytest.approx([0.4, 0.0])
    assert places[columns].values.tolist() == [["Цветной", 3, 1, 2, 6], ["Ясная", 1, 1, 0, 2]]


def test_no_show_rate_is_empty_for_a_service_nobody_was_marked_on(engine, known):
    coming = AnalyticsFilter(date(2026, 3, 11), date(2026, 3, 15))
    with engine.connect() as conn:
        frame = by_service(conn, coming)
    assert frame["name"].tolist() == ["Стирка"]
    assert frame["no_show_rate"].isna().all()


def test_fill_rate_by_weekday_and_hour_uses_session_overrides(engine, known, today):
    with engine.connect() as conn:
        frame = fill_by_weekday_hour(conn, PERIOD, today)
    assert frame[["weekday", "hour", "sessions", "booked", "capacity"]].values.tolist() == [
        [2, 10, 1, 3, 4],
        [2, 12, 1, 1, 2],
        [4, 11, 1, 2, 6],
    ]
    assert frame["fill_rate"].tolist() == pytest.approx([0.75, 0.5, 1 / 3])


def test_new_visitors_are_counted_in_the_month_of_their_first_booking_anywhere(engine, known):
    with engine.connect() as conn:
        frame = visitors_by_month(conn, PERIOD)
    assert frame.to_dict("list") == {
        "month": [date(2026, 2, 1), date(2026, 3, 1)],
        "visitors": [2, 3],
        "new": [1, 1],  # February: v4 (v2 first came in January); March: v3
        "returning": [1, 2],
    }


def test_new_ignores_the_place_filter_a_person_is_new_to_the_charity_once(engine, known):
    # v2's first booking was at Цветной in January; at Ясная in February v2 is still returning
    with engine.connect() as conn:
        frame = visitors_by_month(conn, AnalyticsFilter(PERIOD.start, PERIOD.end, place_id=known["Ясная"]))
    assert frame.to_dict("list")["new"] == [1, 0]
    assert frame.to_dict("list")["returning"] == [1, 0]


def test_the_report_bundles_this_and_the_previous_period(engine, known, today):
    with engine.connect() as conn:
        report = attendance_report(conn, LATER, today)
    assert (report.current.bookings, report.previous.bookings) == (9, 2)
    assert not report.is_empty
    assert len(report.over_time) == 4 and len(report.services) == 2 and len(report.fill) == 3
    assert report.describe_comparison() == (
        "Стрелки — изменение к предыдущему периоду такой же длины: 26.01.2026–22.02.2026 (28 дней)."
    )


def test_the_records_begin_with_the_earliest_session_anyone_booked(engine, known, empty_engine):
    with engine.connect() as conn, empty_engine.connect() as nothing:
        assert (records_begin(conn), records_begin(nothing)) == (date(2026, 1, 26), None)


@pytest.mark.parametrize(
    "flt, place, compared, sentence",
    [
        # 19.01–15.02: a week of it lies before the records begin, so it would read as growth
        (PERIOD, None, None, "Без сравнения с предыдущим периодом: записи ведутся только с 26.01.2026."),
        (LATER, None, 2, "Стрелки — изменение к предыдущему периоду такой же длины: 26.01.2026–22.02.2026 (28 дней)."),
        # recorded, but nobody booked at Ясная then: no «+2» against nothing
        (LATER, "Ясная", None, "Без сравнения с предыдущим периодом: в нём (26.01.2026–22.02.2026) нет записей."),
    ],
)
def test_a_period_is_compared_only_with_a_previous_one_fully_recorded_and_not_empty(engine, known, today, flt, place, compared, sentence):
    with engine.connect() as conn:
        report = attendance_report(conn, AnalyticsFilter(flt.start, flt.end, known.get(place)), today)
    assert (report.previous.bookings if report.previous else None) == compared
    assert report.describe_comparison() == sentence


def test_a_period_reaching_back_before_the_records_is_charted_from_where_they_begin(engine, known, today):
    # 288 days would be charted by month; the 49 recorded ones are charted by week, from 26.01
    long_ago = AnalyticsFilter(date(2025, 6, 1), date(2026, 3, 15))
    with engine.connect() as conn:
        report = attendance_report(conn, long_ago, today)
    assert report.grain == "week"
    assert report.over_time["period"].tolist() == [date(2026, 1, 26) + timedelta(weeks=n) for n in range(7)]
    assert report.visitors["month"].tolist() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert report.current == figures(engine, AnalyticsFilter(date(2026, 1, 26), date(2026, 3, 15)), today)
    assert PERIOD.recorded(date(2026, 1, 26)) == PERIOD  # already inside the records
    assert PERIOD.recorded(date(2026, 4, 1)) == PERIOD  # before the records: nothing to chart either way


def test_nothing_is_compared_before_anyone_booked(empty_engine, today):
    with empty_engine.connect() as conn:
        report = attendance_report(conn, PERIOD, today)
    assert report.previous is None and report.is_empty
    assert report.describe_comparison() == "Без сравнения с предыдущим периодом: записей ещё нет."


def test_a_period_that_ends_before_it_starts_is_refused_at_the_end_field():
    with pytest.raises(ValidationError) as refusal:
        AnalyticsFilter(date(2026, 3, 15), date(2026, 3, 14))
    assert refusal.value.field == "end"
    assert refusal.value.message == "Начало периода позже его конца."


@pytest.mark.parametrize(
    "begin, start",
    [
        (None, date(2025, 12, 11)),  # nobody booked yet: the last 90 days
        (date(2020, 1, 1), date(2025, 12, 11)),  # years of records: still the last 90 days
        (date(2026, 1, 26), date(2026, 1, 26)),  # records began 44 days ago: from that day, no empty weeks before
        (date(2026, 3, 10), date(2026, 3, 10)),
        (date(2026, 3, 20), date(2025, 12, 11)),  # only future sessions booked: nothing to start from
    ],
)
def test_the_default_period_ends_today_and_starts_where_the_records_begin_or_90_days_back(begin, start):
    flt = default_filter(date(2026, 3, 10), begin)
    assert (flt.start, flt.end, flt.place_id, flt.service_id) == (start, date(2026, 3, 10), None, None)


@pytest.mark.parametrize(
    "flt, sentence",
    [
        (PERIOD, "Период 16.02.2026–15.03.2026 (28 дней); место: все; услуга: все"),
        (AnalyticsFilter(date(2026, 3, 1), date(2026, 3, 1), 1, 2),
         "Период 01.03.2026–01.03.2026 (1 день); место: Цветной; услуга: Душ"),
        (AnalyticsFilter(date(2026, 3, 1), date(2026, 3, 3), 9), "Период 01.03.2026–03.03.2026 (3 дня); место: ?; услуга: все"),
    ],
)
def test_the_filter_describes_itself_in_russian(flt, sentence):
    assert flt.describe({1: "Цветной"}, {2: "Душ"}) == sentence


def test_figures_are_computed_by_the_database_in_a_handful_of_queries(engine, known, today):
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as conn:
        attendance_report(conn, LATER, today)
    # where the records begin, key figures 2 x 2 (this and the previous period), one per chart
    assert len(statements) == 10
    assert all("GROUP BY" in sql or "count(" in sql or "min(" in sql for sql in statements)


def test_a_download_is_audited_with_the_filter_and_nothing_personal(empty_engine):
    engine = empty_engine
    coordinator = Actor("staff", 2, "coordinator", "coordinator", "Координатор")
    record_download(engine, coordinator, NOW, AnalyticsFilter(PERIOD.start, PERIOD.end, place_id=3), "places")
    with engine.connect() as conn:
        row = conn.execute(sa.select(audit_log)).one()
    assert (row.actor, row.role, row.action, row.entity, row.entity_id) == (
        "staff:coordinator", "coordinator", "export", "attendance", "places"
    )
    assert row.detail == '{"start": "2026-02-16", "end": "2026-03-15", "place_id": 3, "service_id": null}'
