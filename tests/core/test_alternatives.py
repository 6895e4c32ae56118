"""Where else (core.alternatives): the nearest bookable sessions of the same catalog service."""

from datetime import time, timedelta

import pytest

from core.alternatives import alternatives
from core.booking import SessionKey, book
from core.events import load_events
from core.schema import services
from tests.conftest import key_of


@pytest.fixture
def clothes(engine, make_service, make_event, make_place):
    """«Одежда» at two places: Цветной daily at 10:00 (1 place), Ясная every other day at 12:00
    (3 places), both bookable 4 days ahead; and «Душ» at Цветной."""
    service_id = make_service(name="Одежда")
    shower_id = make_service(name="Душ")
    first = make_event(freq="daily", capacity=5, place_id=make_place("Цветной"), services=[
        dict(service_id=service_id, capacity=1, window_days=4), dict(service_id=shower_id, start=time(14), window_days=4)])
    second = make_event(freq="daily", interval=2, capacity=5, place_id=make_place("Ясная"), services=[
        dict(service_id=service_id, capacity=3, window_days=4, start=time(12))])
    return service_id, first, second


def found(engine, person, service_id, now, **options):
    with engine.connect() as conn:
        return [(o.session.place_name, o.session.date, o.session.start_time, o.free)
                for o in alternatives(conn, load_events(conn), person, service_id, now, **options)]


def test_a_full_session_is_not_offered_and_the_nearest_others_are_in_date_and_time_order(
    engine, now, clothes, make_visitor, admin
):
    service_id, first, second = clothes
    tomorrow = first.first_date
    book(engine, make_visitor(first_name="Олег"), [key_of(first, tomorrow)], admin, now)  # its only place

    assert found(engine, make_visitor(), service_id, now) == [
        ("Ясная", tomorrow, time(12), 3),
        ("Цветной", tomorrow + timedelta(days=1), time(10), 1),
        ("Цветной", tomorrow + timedelta(days=2), time(10), 1),
        ("Ясная", tomorrow + timedelta(days=2), time(12), 3),
        ("Цветной", tomorrow + timedelta(days=3), time(10), 1),
    ]


def test_at_most_the_limit_are_given_and_skip_leaves_a_session_out(engine, now, clothes, make_visitor):
    service_id, first, _ = clothes
    person = make_visitor()
    shown = found(engine, person, service_id, now, limit=2, skip=((first.services[0].id, first.first_date),))
    assert [(place, day) for place, day, _, _ in shown] == [("Ясная", first.first_date), ("Цветной", first.first_date + timedelta(days=1))]


def test_sessions_already_mine_and_dates_the_limit_forbids_are_not_offered(engine, now, clothes, make_visitor, admin):
    service_id, first, second = clothes
    with engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == service_id).values(limit_days=2))
    person = make_visitor()
    book(engine, person, [key_of(first, first.first_date)], admin, now)

    # booked tomorrow, so not tomorrow again (at Ясная) nor the day after: from tomorrow + 2 on
    assert [(place, day) for place, day, _, _ in found(engine, person, service_id, now)] == [
        ("Цветной", first.first_date + timedelta(days=2)),
        ("Ясная", first.first_date + timedelta(days=2)),
        ("Цветной", first.first_date + timedelta(days=3)),
    ]


def test_every_alternative_is_accepted_by_the_booking(engine, now, clothes, make_visitor, volunteer_actor):
    service_id, _, _ = clothes
    person = make_visitor()
    with engine.connect() as conn:
        offered = alternatives(conn, load_events(conn), person, service_id, now)
    assert len(offered) == 5
    for offer in offered:
        assert book(engine, make_visitor(first_name="Гость"), [SessionKey(offer.session.event_service_id, offer.session.date)],
                    volunteer_actor, now)
