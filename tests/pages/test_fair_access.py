"""Честный доступ on the screens: «можно снова с …» for a limited service, and other dates and
places, one tap each, when the chosen session is full or not allowed."""

from datetime import timedelta

import sqlalchemy as sa

from core.schema import bookings, services
from tests.pages.test_desk import VOLUNTEER, find
from tests.pages.test_export import downloads  # noqa: F401 - the fixture: every file a download button hands out
from tests.pages.test_visitor import (
    as_visitor,
    booked,  # noqa: F401 - the fixture
    bookings_of,
    chosen_key,
    click,
    fill_up,
    newcomer,  # noqa: F401 - the fixture
    service_id,
    start_booking,
    texts,
)
from ui.clock import today
from ui.visitor_bookings import BOOKED


def limit(engine, name: str, days: int) -> None:
    with engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == service_id(engine, name)).values(limit_days=days))


def test_a_limited_service_says_when_it_can_be_booked_again(booked, db_engine):  # noqa: F811
    visitor, _, key = booked
    limit(db_engine, "Стирка", 3)
    at = as_visitor(visitor)
    assert f"Эту услугу — не чаще раза в 3 дня, можно снова с {key.date + timedelta(days=3):%d.%m}" in texts(at)
    click(at, f"vb_pick_{service_id(db_engine, 'Стирка')}")
    dates = at.pills(key="vb_date").options
    too_soon = [f"{key.date + timedelta(days=n):%d.%m} ·" for n in range(-2, 3)]
    assert dates and not any(day in label for label in dates for day in too_soon)


def test_a_refused_booking_offers_other_dates_and_places_booked_with_one_tap(newcomer, db_engine):  # noqa: F811
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", today() + timedelta(days=1))
    refused = chosen_key(at)
    fill_up(db_engine, refused)
    click(at, "vb_confirm")

    assert [e.value for e in at.error] == ["Мест на эту услугу больше нет."]
    offered = [b.key for b in at.button if (b.key or "").startswith("vb_alt_")]
    assert 1 <= len(offered) <= 5
    assert f"vb_alt_{refused.event_service_id}:{refused.date.isoformat()}" not in offered
    assert "Можно в другой день или в другом месте" in texts(at)

    click(at, offered[0])
    es_id, day = offered[0].removeprefix("vb_alt_").split(":")
    (made,) = bookings_of(db_engine, newcomer.id)
    with db_engine.connect() as conn:
        session = conn.execute(sa.text("SELECT event_service_id, date FROM sessions WHERE id = :id"), {"id": made.session_id}).one()
    assert (session.event_service_id, session.date.isoformat()) == (int(es_id), day)
    assert at.session_state[BOOKED] == [made.id]  # the usual confirmation opens


def test_the_desk_offers_other_dates_when_the_chosen_one_filled_up(app, db_engine):
    at = find(app("desk", "volunteer"), "Толстихин", db_engine, "100001")
    at.selectbox(key="desk_service").set_value("Стирка").run()
    at.pills(key="desk_date").set_value((today() + timedelta(days=2)).isoformat()).run()
    es_id, day = at.radio(key="desk_slot").value.split(":")
    from core.booking import SessionKey

    fill_up(db_engine, SessionKey(int(es_id), today().fromisoformat(day)))
    click(at, "desk_confirm")
    assert [e.value for e in at.error] == ["Мест на эту услугу больше нет."]
    offered = [b.key for b in at.button if (b.key or "").startswith("desk_alt_")]
    assert offered

    click(at, offered[0])
    [done] = [s.value for s in at.success if s.value.startswith("Записано: Стирка, ")]
    assert "\\\\" not in done  # escaped once (md), not twice
    with db_engine.connect() as conn:
        maker = conn.execute(sa.select(bookings.c.created_by_kind, bookings.c.created_by_id).order_by(bookings.c.id.desc())).first()
    assert tuple(maker) == ("volunteer", VOLUNTEER.id)





def test_the_desk_offers_a_talon_to_print_after_a_booking(app, db_engine, downloads):  # noqa: F811
    at = find(app("desk", "volunteer"), "Толстихин", db_engine, "100001")
    assert not at.get("download_button")
    at.selectbox(key="desk_service").set_value("Стирка").run()
    day = today() + timedelta(days=2)
    at.pills(key="desk_date").set_value(day.isoformat()).run()
    click(at, "desk_confirm")

    assert [b.proto.label for b in at.get("download_button")] == ["Распечатать талон"]
    data, mime, name = next(d for d in downloads if (d[2] or "").startswith("талон-"))
    page = data.decode("utf-8")
    assert mime == "text/html" and name == f"талон-{day:%d.%m.%Y}.html"
    assert "Виктор Т." in page and "Толстихин" not in page and "Карта 100001" in page
    assert "Стирка" in page and f"{day:%d.%m.%Y}" in page and "Отмените запись" in page

    click(at, "dk_other")  # another visitor: the talon is not theirs
    assert not at.get("download_button")


def test_a_service_full_at_the_chosen_place_shows_where_else_it_is_free(newcomer, db_engine):  # noqa: F811
    from core.booking import SessionKey
    from core.events import load_events
    from core.sessions import SessionFilter
    from core.visits import offers
    from ui.clock import now

    with db_engine.connect() as conn:
        here = conn.execute(sa.text("SELECT id FROM places WHERE name = 'Ясная'")).scalar_one()
        washing = [o for o in offers(conn, load_events(conn), newcomer.id, SessionFilter(place_ids=(here,)), now())
                   if o.session.service_name == "Стирка"]
    assert washing
    for offer in washing:
        fill_up(db_engine, SessionKey(offer.session.event_service_id, offer.session.date))
    at = as_visitor(newcomer)
    at.pills(key="vp_place").set_value("Ясная").run()

    assert "Мест нет на все ближайшие даты." in texts(at) and "Можно в другой день или в другом месте" in texts(at)
    offered = [b.key for b in at.button if (b.key or "").startswith("vb_alt_")]
    assert 1 <= len(offered) <= 5
    assert not {f"vb_alt_{o.session.event_service_id}:{o.session.date.isoformat()}" for o in washing} & set(offered)
    click(at, offered[0])
    assert at.session_state[BOOKED] == [bookings_of(db_engine, newcomer.id)[0].id]


def test_the_desk_says_when_a_limited_service_can_be_booked_again(app, db_engine):
    from core.booking import SessionKey
    from core.service_limits import next_allowed
    from tests.pages.test_desk import visitor_id
    from tests.pages.test_sessions import upcoming

    person = visitor_id(db_engine, "100001")
    limit(db_engine, "Стирка", 30)
    with db_engine.connect() as conn:
        again = next_allowed(conn, person, today()).get(service_id(db_engine, "Стирка"))
    if again is None:
        target = next(s for s in upcoming(db_engine) if s.service_name == "Стирка" and not s.is_full and s.date > today())
        from core.booking import book
        from ui.clock import now

        book(db_engine, person, [SessionKey(target.event_service_id, target.date)], VOLUNTEER, now())
        with db_engine.connect() as conn:
            again = next_allowed(conn, person, today())[service_id(db_engine, "Стирка")]
    at = find(app("desk", "volunteer"), "Толстихин", db_engine, "100001")
    assert f"Стирка: не чаще раза в 30 дней, можно снова с {again:%d.%m}" in texts(at)
