"""Sessions (SPEC §3.2, §4.2): computed from series, with stored changes and bookings laid over."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from core.errors import DomainError, ValidationError
from core.event_changes import activate_event, archive_event
from core.events import load_events
from core.schema import sessions as sessions_table
from core.session_changes import delete_session, edit_session
from core.sessions import SessionFilter, get_session, list_sessions, sessions_between
from tests.conftest import key_of


@pytest.fixture
def listing(engine, today):
    """One page of Предстоящие (or Прошедшие) as core builds it."""

    def page(upcoming: bool = True, flt: SessionFilter = SessionFilter(), offset: int = 0, limit: int = 50):
        with engine.connect() as conn:
            return list_sessions(conn, load_events(conn), flt, today, upcoming=upcoming, offset=offset, limit=limit)

    return page


@pytest.fixture
def session_of(engine, today):
    def find(event, day=None, service: int = 0):
        key = key_of(event, day, service)
        with engine.connect() as conn:
            return get_session(conn, load_events(conn), key.event_service_id, key.date, today)

    return find


def when(page) -> list[tuple]:
    return [(s.date, s.start_time, s.event_title) for s in page]


# --- listing ----------------------------------------------------------------------------


def test_upcoming_sessions_come_nearest_first(today, make_event, listing):
    make_event(title="Стирка", freq="daily", first_date=today, services=[dict(start=time(12)), dict(start=time(10))])
    make_event(title="Парикмахер", first_date=today + timedelta(days=1), services=[dict(start=time(9))])
    tomorrow = today + timedelta(days=1)

    page, has_more = listing(limit=5)

    assert when(page) == [
        (today, time(10), "Стирка"),
        (today, time(12), "Стирка"),
        (tomorrow, time(9), "Парикмахер"),
        (tomorrow, time(10), "Стирка"),
        (tomorrow, time(12), "Стирка"),
    ]
    assert has_more


def test_past_sessions_come_most_recent_first(today, make_event, listing):
    make_event(title="Стирка", freq="daily", first_date=today - timedelta(days=3), services=[dict(start=time(10)), dict(start=time(12))])
    day = [today - timedelta(days=n) for n in range(4)]

    page, has_more = listing(upcoming=False)

    assert when(page) == [
        (day[1], time(12), "Стирка"),
        (day[1], time(10), "Стирка"),
        (day[2], time(12), "Стирка"),
        (day[2], time(10), "Стирка"),
        (day[3], time(12), "Стирка"),
        (day[3], time(10), "Стирка"),
    ]
    assert not has_more


def test_upcoming_pages_follow_each_other(today, make_event, listing):
    make_event(freq="daily", first_date=today)

    first, first_more = listing(limit=5)
    second, second_more = listing(offset=5, limit=5)

    assert [s.date for s in first + second] == [today + timedelta(days=n) for n in range(10)]
    assert first_more and second_more


def test_the_last_page_of_a_finite_series_has_no_next(today, make_event, listing):
    make_event(freq="daily", first_date=today, end_kind="count", count=7)

    page, has_more = listing(offset=5, limit=5)

    assert [s.date for s in page] == [today + timedelta(days=5), today + timedelta(days=6)]
    assert not has_more


def test_past_pages_follow_each_other(today, make_event, listing):
    make_event(freq="daily", first_date=today - timedelta(days=7))

    first, first_more = listing(upcoming=False, limit=5)
    second, second_more = listing(upcoming=False, offset=5, limit=5)

    assert [s.date for s in first + second] == [today - timedelta(days=n) for n in range(1, 8)]
    assert (first_more, second_more) == (True, False)


def test_an_endless_series_far_ahead_is_paged_without_end(today, make_event, listing):
    make_event(freq="weekly", weekdays=(2,), first_date=today)

    page, has_more = listing(offset=40, limit=10)

    assert len(page) == 10 and has_more
    assert all(s.date.weekday() == 2 for s in page)


def test_filter_by_service_keeps_only_that_service(today, make_service, make_event, listing):
    laundry, shower = make_service("Стирка"), make_service("Душ")
    make_event(first_date=today + timedelta(days=1), services=[dict(service_id=laundry), dict(service_id=shower, start=time(12))])

    page, _ = listing(flt=SessionFilter(service_ids=(shower,)))

    assert [s.service_name for s in page] == ["Душ"]


def test_filter_by_place_keeps_only_that_place(today, make_place, make_event, listing):
    tsvetnoy, yasnaya = make_place("Цветной"), make_place("Ясная")
    make_event(title="Стирка", place_id=tsvetnoy)
    make_event(title="Душ", place_id=yasnaya)

    page, _ = listing(flt=SessionFilter(place_ids=(yasnaya,)))

    assert [(s.event_title, s.place_name) for s in page] == [("Душ", "Ясная")]


def test_filter_by_participant_keeps_only_their_active_sessions(today, make_event, make_visitor, add_booking, listing):
    event = make_event(freq="daily", first_date=today - timedelta(days=3), services=[dict(), dict(start=time(12))])
    me, other = make_visitor(), make_visitor(first_name="Борис")
    yesterday, tomorrow, later = (today + timedelta(days=n) for n in (-1, 1, 3))
    add_booking(key_of(event, yesterday, 0), me, "attended")
    add_booking(key_of(event, tomorrow, 1), me)
    add_booking(key_of(event, later, 0), me, "cancelled")
    add_booking(key_of(event, later, 1), other)

    upcoming, _ = listing(flt=SessionFilter(visitor_id=me))
    past, _ = listing(upcoming=False, flt=SessionFilter(visitor_id=me))

    assert [(s.date, s.start_time) for s in upcoming] == [(tomorrow, time(12))]
    assert [(s.date, s.start_time) for s in past] == [(yesterday, time(10))]


def test_a_participant_with_no_bookings_sees_no_sessions(today, make_event, make_visitor, listing):
    make_event(freq="daily", first_date=today)

    assert listing(flt=SessionFilter(visitor_id=make_visitor())) == ([], False)


def test_a_session_shows_its_own_time_and_capacity(engine, today, make_event, listing):
    event = make_event(freq="daily", first_date=today + timedelta(days=1), services=[dict(capacity=10, start=time(10))])
    changed, usual = today + timedelta(days=1), today + timedelta(days=2)
    with engine.begin() as conn:
        conn.execute(
            sessions_table.insert().values(
                event_service_id=event.services[0].id, event_id=event.id, date=changed, start_time=time(11, 30), end_time=time(12, 30), capacity=4
            )
        )

    page, _ = listing(limit=2)

    assert [(s.date, s.start_time, s.end_time, s.capacity) for s in page] == [
        (changed, time(11, 30), time(12, 30), 4),
        (usual, time(10), time(11), 10),
    ]


def test_a_session_counts_active_bookings_and_the_days_participants(today, make_event, make_visitor, add_booking, session_of):
    event = make_event(capacity=5, services=[dict(capacity=3), dict(capacity=3, start=time(12))])
    anna, boris, vera = make_visitor(), make_visitor(first_name="Борис"), make_visitor(first_name="Вера")
    add_booking(key_of(event, service=0), anna)
    add_booking(key_of(event, service=0), boris, "no_show")
    add_booking(key_of(event, service=0), vera, "cancelled")
    add_booking(key_of(event, service=1), anna)
    add_booking(key_of(event, service=1), vera)

    session = session_of(event)

    assert (session.booked, session.capacity, session.participants, session.event_capacity) == (2, 3, 3, 5)
    assert (session.free_places, session.is_full) == (1, False)


def test_a_session_is_full_when_its_event_day_is_full(today, make_event, make_visitor, add_booking, session_of):
    event = make_event(capacity=2, services=[dict(capacity=2), dict(capacity=2, start=time(12))])
    add_booking(key_of(event, service=1), make_visitor())
    add_booking(key_of(event, service=1), make_visitor(first_name="Борис"))

    session = session_of(event, service=0)

    assert (session.booked, session.free_places, session.is_full) == (0, 0, True)


# --- deleting one session ---------------------------------------------------------------


def test_a_session_with_bookings_cannot_be_deleted(engine, now, today, make_event, make_visitor, admin, add_booking, session_of, listing):
    event = make_event(freq="daily", first_date=today + timedelta(days=1))
    add_booking(key_of(event), make_visitor())

    with pytest.raises(DomainError) as caught:
        delete_session(engine, session_of(event), admin, now)

    assert (caught.value.code, caught.value.params) == ("session_has_bookings", {"count": 1})
    assert listing(limit=1)[0][0].date == event.first_date


def test_a_session_with_only_cancelled_bookings_can_be_deleted(engine, now, today, make_event, make_visitor, admin, add_booking, session_of, listing):
    event = make_event(freq="daily", first_date=today + timedelta(days=1))
    add_booking(key_of(event), make_visitor(), "cancelled")

    delete_session(engine, session_of(event), admin, now)

    assert listing(limit=1)[0][0].date == today + timedelta(days=2)


def test_deleting_a_session_removes_only_that_date(engine, now, today, make_event, admin, session_of, listing):
    event = make_event(freq="daily", first_date=today + timedelta(days=1), services=[dict(), dict(start=time(12))])
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)

    delete_session(engine, session_of(event, tomorrow, 0), admin, now)

    page, _ = listing(limit=3)
    assert [(s.date, s.start_time) for s in page] == [(tomorrow, time(12)), (after, time(10)), (after, time(12))]
    with pytest.raises(DomainError) as caught:
        session_of(event, tomorrow, 0)
    assert caught.value.code == "session_not_found"


# --- editing one session ----------------------------------------------------------------


def test_editing_a_session_changes_only_that_date(engine, now, today, make_event, admin, session_of, listing):
    event = make_event(capacity=10, freq="daily", first_date=today + timedelta(days=1), services=[dict(capacity=5)])

    edit_session(engine, session_of(event), time(11), time(13), 8, admin, now)

    page, _ = listing(limit=2)
    assert [(s.start_time, s.end_time, s.capacity) for s in page] == [(time(11), time(13), 8), (time(10), time(11), 5)]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE entity = 'session' AND action = 'update'")).scalar() == 1


def test_a_session_capacity_cannot_drop_below_its_bookings(engine, now, make_event, make_visitor, admin, add_booking, session_of):
    event = make_event(services=[dict(capacity=5)])
    add_booking(key_of(event), make_visitor())
    add_booking(key_of(event), make_visitor(first_name="Борис"))

    with pytest.raises(ValidationError) as caught:
        edit_session(engine, session_of(event), time(10), time(11), 1, admin, now)

    assert caught.value.code == "capacity_below_booked"
    assert session_of(event).capacity == 5


def test_a_session_capacity_may_drop_to_its_bookings(engine, now, make_event, make_visitor, admin, add_booking, session_of):
    event = make_event(services=[dict(capacity=5)])
    add_booking(key_of(event), make_visitor())
    add_booking(key_of(event), make_visitor(first_name="Борис"))

    edit_session(engine, session_of(event), time(10), time(11), 2, admin, now)

    assert session_of(event).capacity == 2


def test_a_session_capacity_cannot_exceed_the_event_capacity(engine, now, make_event, admin, session_of):
    event = make_event(capacity=6, services=[dict(capacity=5)])

    with pytest.raises(ValidationError) as caught:
        edit_session(engine, session_of(event), time(10), time(11), 7, admin, now)

    assert (caught.value.code, caught.value.params) == ("service_capacity_above_event", {"event_capacity": 6})
    assert session_of(event).capacity == 5


def test_a_session_must_end_after_it_starts(engine, now, make_event, admin, session_of):
    event = make_event()

    with pytest.raises(ValidationError) as caught:
        edit_session(engine, session_of(event), time(12), time(11), 5, admin, now)
    assert caught.value.code == "time_order"


# --- archived events ---------------------------------------------------------------------


def test_an_archived_event_has_no_upcoming_sessions(engine, now, today, make_event, admin, listing):
    archived = make_event(title="Летний душ", freq="daily", first_date=today - timedelta(days=5))
    make_event(title="Стирка", freq="daily", first_date=today)
    archive_event(engine, archived.id, admin, now)

    page, _ = listing(limit=20)

    assert {s.event_title for s in page} == {"Стирка"}


def test_an_archived_event_keeps_its_past_sessions(engine, now, today, make_event, admin, listing):
    archived = make_event(title="Летний душ", freq="daily", first_date=today - timedelta(days=2))
    archive_event(engine, archived.id, admin, now)

    page, _ = listing(upcoming=False)

    assert [(s.date, s.event_title) for s in page] == [
        (today - timedelta(days=1), "Летний душ"),
        (today - timedelta(days=2), "Летний душ"),
    ]


def test_a_past_one_off_event_is_listed_among_past_sessions_only(today, make_event, listing):
    make_event(title="Парикмахерская акция", first_date=today - timedelta(days=20))

    assert listing() == ([], False)
    assert [s.event_title for s in listing(upcoming=False)[0]] == ["Парикмахерская акция"]


def test_a_participant_on_two_services_of_one_day_sees_each_session_once(engine, today, make_event, make_visitor, add_booking, listing):
    event = make_event(services=[dict(), dict(start=time(12))])
    me = make_visitor()
    add_booking(key_of(event, service=0), me)
    add_booking(key_of(event, service=1), me)

    page, _ = listing(flt=SessionFilter(visitor_id=me))
    with engine.connect() as conn:
        week = sessions_between(conn, load_events(conn), SessionFilter(visitor_id=me), today, today + timedelta(days=6), today)

    assert [s.start_time for s in page] == [time(10), time(12)]
    assert [s.start_time for s in week] == [time(10), time(12)]


def test_a_one_off_event_brought_back_on_a_new_date_keeps_its_past_session(engine, now, today, make_event, make_visitor, admin, add_booking, listing):
    old, new = today - timedelta(days=20), today + timedelta(days=3)
    event = make_event(title="Парикмахерская акция", first_date=old, services=[dict(), dict(start=time(12))])
    anna = make_visitor()
    add_booking(key_of(event, old, 0), anna, "attended")

    activate_event(engine, event.id, admin, now, new_date=new)

    past, _ = listing(upcoming=False)
    assert [(s.date, s.start_time, s.booked) for s in past] == [(old, time(10), 1)]
    assert [(s.date, s.start_time) for s in listing(upcoming=False, flt=SessionFilter(visitor_id=anna))[0]] == [(old, time(10))]
    assert [(s.date, s.start_time) for s in listing()[0]] == [(new, time(10)), (new, time(12))]
    with engine.connect() as conn:
        events = load_events(conn)
        around_old = sessions_between(conn, events, SessionFilter(), old - timedelta(days=3), old + timedelta(days=3), today)
        opened = get_session(conn, events, event.services[0].id, old, today)
    assert [(s.date, s.start_time) for s in around_old] == [(old, time(10))]
    assert (opened.date, opened.booked) == (old, 1)
