"""«Не чаще раза в N дней» (core.service_limits): one person, one catalog service, every place.

The rule: a booking on day D is refused when the person holds another booking of the same
catalog service, planned or attended, less than N days from D (|D - other| < N), at any place.
"""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.booking
from core import db
from core.audit import search
from core.booking import book
from core.catalog import ServiceFields, add_service, list_catalog, update_service
from core.db import make_engine
from core.errors import BookingRefused, NotAllowed, ValidationError
from core.schema import schema_version, services
from core.service_limits import first_allowed, limit_refusal, next_allowed
from tests.conftest import key_of
from tests.core.conftest import second_while_first_holds

D = date(2026, 3, 16)


# --- the rule, on dates alone -----------------------------------------------------------


@pytest.mark.parametrize(
    "others, every_days, allowed",
    [
        ([], 7, D),
        ([D - timedelta(days=7)], 7, D),  # a week after: allowed, |D - other| == N
        ([D - timedelta(days=6)], 7, D + timedelta(days=1)),
        ([D], 7, D + timedelta(days=7)),
        ([D + timedelta(days=6)], 7, D + timedelta(days=13)),  # a later booking is in the way too
        ([D + timedelta(days=7)], 7, D),
        ([D - timedelta(days=1), D + timedelta(days=5)], 7, D + timedelta(days=12)),  # pushed past both
        ([D - timedelta(days=1), D + timedelta(days=20)], 7, D + timedelta(days=6)),
        ([D], None, D),  # no limit
        ([D], 1, D + timedelta(days=1)),  # N = 1: once a day
    ],
)
def test_first_allowed_date(others, every_days, allowed):
    assert first_allowed(D, others, every_days) == allowed


dates = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@given(day=dates, others=st.lists(dates, max_size=8), every_days=st.integers(1, 60))
def test_the_first_allowed_date_is_free_and_every_date_before_it_is_not(day, others, every_days):
    allowed = first_allowed(day, others, every_days)

    def free(candidate: date) -> bool:
        return all(abs((candidate - other).days) >= every_days for other in others)

    assert allowed >= day
    assert free(allowed)
    assert not any(free(day + timedelta(days=n)) for n in range((allowed - day).days))
    assert (limit_refusal(day, others, every_days) is None) == (allowed == day)


def test_the_refusal_names_the_limit_and_the_first_date_allowed():
    refusal = limit_refusal(D, [D - timedelta(days=2)], 7)
    assert refusal.message == "Эту услугу можно получать не чаще раза в 7 дней: следующая запись возможна с 21.03.2026."


# --- in the booking ---------------------------------------------------------------------


@pytest.fixture
def limited(engine, make_service, make_event, make_place):
    """A catalog service «не чаще раза в 7 дней» held daily at two places (windows of 30 days),
    and a plain service at the first place."""
    service_id = make_service(name="Одежда")
    with engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == service_id).values(limit_days=7))
    plain_id = make_service(name="Душ")
    here = make_event(freq="daily", services=[dict(service_id=service_id, window_days=30), dict(service_id=plain_id, window_days=30, start=time(12))])
    there = make_event(freq="daily", services=[dict(service_id=service_id, window_days=30)], place_id=make_place("Ясная"))
    return here, there


def refused(call) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        call()
    return caught.value


def test_the_same_service_at_another_place_within_the_limit_is_refused(engine, now, limited, make_visitor, volunteer_actor):
    here, there = limited
    person = make_visitor()
    first = here.first_date
    book(engine, person, [key_of(here, first)], volunteer_actor, now)

    refusal = refused(lambda: book(engine, person, [key_of(there, first + timedelta(days=3))], volunteer_actor, now))
    assert refusal.code == "service_limit"
    assert (first + timedelta(days=7)).strftime("%d.%m.%Y") in refusal.message
    assert book(engine, person, [key_of(there, first + timedelta(days=7))], volunteer_actor, now)


def test_a_booking_before_a_planned_one_is_refused_too(engine, now, limited, make_visitor, volunteer_actor):
    here, there = limited
    person = make_visitor()
    book(engine, person, [key_of(here, here.first_date + timedelta(days=5))], volunteer_actor, now)
    refusal = refused(lambda: book(engine, person, [key_of(there, there.first_date)], volunteer_actor, now))
    assert (here.first_date + timedelta(days=12)).strftime("%d.%m.%Y") in refusal.message


@pytest.mark.parametrize("status, counts", [("expected", True), ("attended", True), ("no_show", False), ("cancelled", False)])
def test_planned_and_attended_bookings_count_cancelled_and_missed_do_not(
    engine, now, limited, make_visitor, volunteer_actor, add_booking, status, counts
):
    here, there = limited
    person = make_visitor()
    add_booking(key_of(here, here.first_date), person, status=status)
    attempt = lambda: book(engine, person, [key_of(there, there.first_date + timedelta(days=1))], volunteer_actor, now)  # noqa: E731
    if counts:
        assert refused(attempt).code == "service_limit"
    else:
        assert attempt()


def test_other_services_and_other_people_are_not_limited(engine, now, limited, make_visitor, volunteer_actor):
    here, there = limited
    person, other = make_visitor(), make_visitor(first_name="Олег")
    book(engine, person, [key_of(here, here.first_date)], volunteer_actor, now)
    assert book(engine, person, [key_of(here, here.first_date + timedelta(days=1), service=1)], volunteer_actor, now)
    assert book(engine, other, [key_of(there, there.first_date)], volunteer_actor, now)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tries=st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=1, max_size=6), every_days=st.integers(1, 10))
def test_whatever_is_tried_no_two_counted_bookings_of_a_person_are_closer_than_n_days(
    engine, now, limited, make_visitor, volunteer_actor, tries, every_days
):
    here, there = limited
    with engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == here.services[0].service_id).values(limit_days=every_days))
    person = make_visitor()
    for at_here, offset in tries:
        event = here if at_here else there
        try:
            book(engine, person, [key_of(event, event.first_date + timedelta(days=offset))], volunteer_actor, now)
        except BookingRefused as refusal:
            assert refusal.code in ("service_limit", "already_booked", "session_full", "event_full")
    with engine.connect() as conn:
        days = sorted(conn.execute(sa.text(
            "SELECT s.date FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN event_services es ON es.id = s.event_service_id "
            "WHERE b.visitor_id = :person AND es.service_id = :service AND b.status IN ('expected', 'attended')"
        ), {"person": person, "service": here.services[0].service_id}).scalars())
    assert all((later - earlier).days >= every_days for earlier, later in zip(days, days[1:]))


def test_people_booked_one_after_another_in_one_batch_see_each_other(engine, now, limited, make_visitor, volunteer_actor):
    here, there = limited
    person = make_visitor()
    requests = [
        core.booking.BookingRequest(person, (key_of(here, here.first_date),), volunteer_actor, now),
        core.booking.BookingRequest(person, (key_of(there, there.first_date + timedelta(days=2)),), volunteer_actor, now),
    ]
    with engine.begin() as conn:
        first, second = core.booking.book_together(conn, requests)
    assert isinstance(first, list) and second.code == "service_limit"


def test_the_same_person_booking_two_places_at_once_gets_one_booking(engine, now, limited, make_visitor, volunteer_actor, monkeypatch):
    """The person's lock: the second booking (another event, another day lock, another engine
    so another DuckDB queue) starts while the first has written but not committed."""
    here, there = limited
    person = make_visitor()
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        answers = second_while_first_holds(
            monkeypatch, core.booking, "book_together",
            lambda: book(engine, person, [key_of(here, here.first_date)], volunteer_actor, now),
            lambda: book(other_engine, person, [key_of(there, there.first_date + timedelta(days=1))], volunteer_actor, now),
        )
    finally:
        other_engine.dispose()
    assert answers == {"first": "done", "second": "service_limit"}


def test_two_sessions_of_one_limited_service_in_one_booking_are_refused(engine, now, make_service, make_event, make_visitor, volunteer_actor):
    service_id = make_service()
    with engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == service_id).values(limit_days=1))
    event = make_event(services=[dict(service_id=service_id), dict(service_id=service_id, start=time(14))])
    keys = [key_of(event), key_of(event, service=1)]
    assert refused(lambda: book(engine, make_visitor(), keys, volunteer_actor, now)).code == "service_limit"


def test_an_admin_books_past_the_limit_with_a_reason_in_the_audit_log(engine, now, limited, make_visitor, volunteer_actor, admin):
    here, there = limited
    person = make_visitor()
    book(engine, person, [key_of(here, here.first_date)], volunteer_actor, now)
    later = key_of(there, there.first_date + timedelta(days=1))
    assert refused(lambda: book(engine, person, [later], admin, now)).code == "service_limit"
    with pytest.raises(ValidationError):
        book(engine, person, [later], admin, now, limit_override="  ")
    with pytest.raises(NotAllowed):
        book(engine, person, [later], volunteer_actor, now, limit_override="Срочно")

    (booking_id,) = book(engine, person, [later], admin, now, limit_override="Одежда сгорела <b>при пожаре</b>")
    with engine.connect() as conn:
        (row,) = [r for r in search(conn, action="book") if r.entity_id == str(booking_id)]
    assert "Одежда сгорела <b>при пожаре</b>" in row.detail and "limit_override" in row.detail


def test_the_visitor_sees_when_a_limited_service_is_possible_again(engine, now, limited, make_visitor, volunteer_actor):
    here, _ = limited
    person = make_visitor()
    book(engine, person, [key_of(here, here.first_date)], volunteer_actor, now)
    with engine.connect() as conn:
        found = next_allowed(conn, person, now.date())
    assert found == {here.services[0].service_id: here.first_date + timedelta(days=7)}


# --- the catalog field and migration 10 -------------------------------------------------


@pytest.mark.parametrize("value, kept", [("", None), ("  ", None), (None, None), ("7", 7), (30, 30)])
def test_the_catalog_keeps_the_limit_or_none(engine, now, admin, value, kept):
    service_id = add_service(engine, ServiceFields("Стрижка", "Парикмахер", 5, 7, 30, value), admin, now)
    with engine.connect() as conn:
        assert {s.id: s.limit_days for s in list_catalog(conn)}[service_id] == kept


@pytest.mark.parametrize("value", ["0", "366", "семь", -1])
def test_the_catalog_refuses_a_limit_out_of_range(engine, now, admin, value):
    service_id = add_service(engine, ServiceFields("Стрижка", "Парикмахер", 5, 7, 30), admin, now)
    with pytest.raises(ValidationError) as caught:
        update_service(engine, service_id, ServiceFields("Стрижка", "Парикмахер", 5, 7, 30, value), admin, now)
    assert caught.value.field == "limit_days"


def test_migration_12_adds_the_limit_to_a_version_9_database_and_keeps_its_services(engine, now, admin):
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE services"))
        conn.execute(sa.text(
            "CREATE TABLE services (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL UNIQUE, name_key VARCHAR(240) UNIQUE, "
            "description VARCHAR(500) NOT NULL, default_capacity INTEGER NOT NULL, default_window_days INTEGER NOT NULL, "
            "default_duration_min INTEGER NOT NULL, retired_at TIMESTAMP)"
        ))
        conn.execute(sa.text(
            "INSERT INTO services VALUES (1, 'Стирка', 'стирка', 'Стирка белья', 10, 7, 60, NULL)"
        ))
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=9))

    assert db.MIGRATIONS.index(db._service_limit_days) + 1 == 12
    assert db.migrate(engine) == len(db.MIGRATIONS)
    update_service(engine, 1, ServiceFields("Стирка", "Стирка белья", 10, 7, 60, "14"), admin, now)
    with engine.connect() as conn:
        assert [(s.id, s.name, s.limit_days) for s in list_catalog(conn)] == [(1, "Стирка", 14)]
