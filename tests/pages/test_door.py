"""Отметка у входа: pick a place, mark each booked person with one tap, take it back within a
minute; a person without a booking is found (or registered), booked and marked in one go."""

from datetime import timedelta

import sqlalchemy as sa

from core import door, statuses
from core.visitors import find_visitors
from core.schema import bookings, events, places, visitors
from tests.pages.conftest import ACTORS
from ui.clock import today
from ui.format import md

VOLUNTEER = ACTORS["volunteer"]


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def place_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(places.c.id).where(places.c.name == name)).scalar_one()


def today_at(engine, name: str) -> list[door.DoorSession]:
    from core.events import load_events

    with engine.connect() as conn:
        return door.today_at_place(conn, load_events(conn), place_id(engine, name), today())


def first_expected(engine, name: str = "Цветной") -> door.DoorPerson:
    return next(p for s in today_at(engine, name) for p in s.people if p.status == statuses.EXPECTED)


def at_place(at, engine, name: str = "Цветной"):
    at.selectbox(key="door_place_choice").set_value(place_id(engine, name)).run()
    assert not at.exception
    return at


def status_of(engine, booking_id: int) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(
            sa.select(bookings.c.status, bookings.c.status_changed_by).where(bookings.c.id == booking_id)
        ).one())


def badges(at) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_a_volunteer_marks_a_booked_person_arrived_with_one_tap_and_takes_it_back(app, db_engine):
    at = at_place(app("door", "volunteer"), db_engine)
    person = first_expected(db_engine)
    assert at.button(key=f"door_out_{person.booking_id}").label == "Не пришёл"

    click(at, f"door_in_{person.booking_id}")

    assert status_of(db_engine, person.booking_id) == (statuses.ATTENDED, VOLUNTEER.audit_name)
    assert any("Присутствовал" in b and "green" in b for b in badges(at))
    assert at.button(key=f"door_undo_{person.booking_id}").label == "Отменить отметку"
    assert any("Отменить отметку можно ещё" in c.value for c in at.caption)

    click(at, f"door_undo_{person.booking_id}")

    assert status_of(db_engine, person.booking_id)[0] == statuses.EXPECTED
    assert at.button(key=f"door_in_{person.booking_id}")


def test_a_minute_after_the_mark_the_undo_is_gone_and_a_late_tap_is_refused(app, db_engine):
    at = at_place(app("door", "volunteer"), db_engine)
    person = first_expected(db_engine)
    click(at, f"door_out_{person.booking_id}")
    undo = at.button(key=f"door_undo_{person.booking_id}")
    with db_engine.begin() as conn:  # the minute passes while the button is on the screen
        conn.execute(bookings.update().where(bookings.c.id == person.booking_id)
                     .values(status_changed_at=bookings.c.status_changed_at - timedelta(seconds=61)))

    undo.click().run()

    assert not at.exception
    assert status_of(db_engine, person.booking_id)[0] == statuses.NO_SHOW
    assert [e.value for e in at.error] == ["Отметку можно отменить только в течение минуты. Теперь исправить её может администратор."]
    assert f"door_undo_{person.booking_id}" not in [b.key for b in at.button]


def test_the_door_shows_todays_sessions_of_the_chosen_place_and_remembers_it(app, db_engine):
    at = at_place(app("door", "volunteer"), db_engine, "Гиляровского")
    shown = today_at(db_engine, "Гиляровского")
    subheaders = [s.value for s in at.subheader]
    assert len(subheaders) == len(shown)
    for expected_session in shown:
        assert any(expected_session.session.service_name in s for s in subheaders)
    assert at.caption[0].value.startswith(f"Сегодня {today():%d.%m.%Y}.")

    at.switch_page("app_pages/desk.py").run()
    at.switch_page("app_pages/door.py").run()

    assert at.selectbox(key="door_place_choice").value == place_id(db_engine, "Гиляровского")


def unbooked_today(engine, session: door.DoorSession) -> tuple[int, str]:
    booked = {p.visitor_id for p in session.people}
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(visitors.c.id, visitors.c.card_number)
            .where(visitors.c.id.not_in(booked), visitors.c.erased_at.is_(None)).order_by(visitors.c.id)
        ).first()
    return row.id, row.card_number


def test_a_person_without_a_booking_is_found_booked_and_marked_arrived_in_one_tap(app, db_engine):
    at = at_place(app("door", "volunteer"), db_engine)
    target = next(s for s in today_at(db_engine, "Цветной") if not s.session.is_full)
    visitor_id, card = unbooked_today(db_engine, target)
    at.segmented_control(key="door_tab").set_value("walk_in").run()
    at.selectbox(key="door_walk_session").set_value(target.session.event_service_id).run()
    at.text_input(key="door_q").input(card).run()

    click(at, f"door_walk_{visitor_id}")

    after = next(s for s in today_at(db_engine, "Цветной") if s.session.event_service_id == target.session.event_service_id)
    arrived = next(p for p in after.people if p.visitor_id == visitor_id)
    assert (arrived.status, arrived.marked_by) == (statuses.ATTENDED, VOLUNTEER.audit_name)
    with db_engine.connect() as conn:
        made = conn.execute(sa.select(bookings.c.created_by_kind, bookings.c.created_by_id).where(bookings.c.id == arrived.booking_id)).one()
    assert tuple(made) == ("volunteer", VOLUNTEER.id)
    assert any("Записано и отмечено «Присутствовал»" in s.value for s in at.success)
    assert at.button(key=f"door_undo_{arrived.booking_id}")


def test_a_newcomer_is_registered_at_the_door_and_marked_arrived(app, db_engine):
    at = at_place(app("door", "volunteer"), db_engine)
    at.segmented_control(key="door_tab").set_value("walk_in").run()
    at.text_input(key="door_first").input("Олег")
    at.text_input(key="door_last").input("Сидоров")
    at.checkbox(key="door_consent").check()
    click(at, "door_register")
    assert {m.label for m in at.metric} == {"Номер карты", "PIN"}

    click(at, "door_walk_new")

    with db_engine.connect() as conn:
        (newcomer,) = find_visitors(conn, "Сидоров Олег")
        rows = conn.execute(sa.select(bookings.c.status).where(bookings.c.visitor_id == newcomer.id)).scalars().all()
    assert rows == [statuses.ATTENDED]


def test_an_admin_marks_at_the_door_too(app, db_engine):
    at = at_place(app("door", "admin"), db_engine)
    person = first_expected(db_engine)
    click(at, f"door_in_{person.booking_id}")
    assert status_of(db_engine, person.booking_id) == (statuses.ATTENDED, ACTORS["admin"].audit_name)


def test_the_door_opens_on_a_place_with_sessions_today(app, db_engine):
    # the daily «Стирка и душ» moves from Цветной (the first place) to Ясная: Цветной has nothing today
    with db_engine.begin() as conn:
        conn.execute(events.update().where(events.c.title == "Стирка и душ").values(place_id=place_id(db_engine, "Ясная")))
    assert today_at(db_engine, "Цветной") == []

    at = app("door", "volunteer")

    chosen = at.selectbox(key="door_place_choice").value
    assert chosen != place_id(db_engine, "Цветной")
    with db_engine.connect() as conn:
        name = conn.execute(sa.select(places.c.name).where(places.c.id == chosen)).scalar_one()
    assert today_at(db_engine, name)
    assert "Цветной (сегодня ничего нет)" in at.selectbox(key="door_place_choice").options


def test_names_at_the_door_are_shown_as_typed(app, db_engine):
    from tests.pages.test_literal_text import image, plant

    plant(db_engine, 9)
    at = app("door", "volunteer")
    assert not at.exception
    shown = [s.value for s in at.subheader] + [m.value for m in at.markdown]
    chosen = at.selectbox(key="door_place_choice").value
    with db_engine.connect() as conn:
        place = conn.execute(sa.select(places.c.name).where(places.c.id == chosen)).scalar_one()
    people = [p for s in today_at(db_engine, place) for p in s.people]
    assert people
    assert all(image(9) not in text for text in shown)
    for found in today_at(db_engine, place):
        assert any(text.startswith(md(found.session.service_name) + ",") for text in shown)
    for person in people:
        assert any(text.startswith(f"**{md(person.name)}**") for text in shown)


def test_the_place_of_who_did_not_come_goes_to_the_first_in_line_at_the_door(app, db_engine, monkeypatch):
    from datetime import datetime, time

    from core import waitlist
    from core.booking import SessionKey
    from core.session_changes import edit_session
    from core.visitors import register_visitor
    from ui.clock import now

    monkeypatch.setenv("RELEASE_AFTER_MINUTES", "0")
    absent = first_expected(db_engine)
    (session,) = [s.session for s in today_at(db_engine, "Цветной") if absent in s.people]
    moment = now()
    started = max(datetime.combine(moment.date(), time(0)), moment - timedelta(minutes=30)).time()
    # it started a little while ago and is full
    edit_session(db_engine, session, started, time(23, 59), session.booked, ACTORS["admin"], moment)
    waiting = register_visitor(db_engine, "Глеб", "Ждущий", None, None, True, None, moment).visitor_id
    waitlist.join(db_engine, waiting, SessionKey(session.event_service_id, session.date), ACTORS["admin"], moment)

    at = at_place(app("door", "volunteer"), db_engine)
    click(at, f"door_release_{absent.booking_id}")
    assert status_of(db_engine, absent.booking_id)[0] == statuses.EXPECTED  # asked first
    click(at, f"door_release_yes_{absent.booking_id}")

    assert status_of(db_engine, absent.booking_id)[0] == statuses.NO_SHOW
    assert "Место отдано другому." in [c.value for c in at.caption]
    seat = next(b for b in at.button if (b.key or "").startswith("door_seat_"))
    assert seat.label.startswith("1. Ждущий Глеб")
    click(at, seat.key)

    with db_engine.connect() as conn:
        seated = conn.execute(sa.select(bookings.c.status).where(bookings.c.visitor_id == waiting)).scalars().all()
    assert seated == [statuses.ATTENDED]
    assert any(s.value == "Записано и отмечено «Присутствовал»: Ждущий Глеб." for s in at.success)
