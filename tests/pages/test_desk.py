"""Стойка волонтёра: find or register a visitor, book them under the window rules, own list, PIN reset."""

from datetime import timedelta

import sqlalchemy as sa

from core.booking import SessionKey, book
from core.visitors import visitor_sign_in
from core.schema import bookings, visitors
from core.participants import bookings_made_by
from tests.pages.conftest import ACTORS
from tests.pages.test_sessions import open_panel, upcoming
from ui.clock import now, today
from ui.db import after_write
from ui.format import md, ru_day_short

VOLUNTEER = ACTORS["volunteer"]


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def visitor_id(engine, card: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == card)).scalar_one()


def find(at, query: str, engine, card: str):
    at.text_input(key="dk_q").input(query).run()
    return click(at, f"dk_pick_{visitor_id(engine, card)}")


def test_the_search_is_answered_once_for_the_pages_reruns_and_again_after_a_write(app, db_engine):
    """The desk, the participant filter and the participants dialog share one cached search."""
    at = app("desk", "volunteer")
    at.text_input(key="dk_q").input("Толстихин").run()
    card = f"dk_pick_{visitor_id(db_engine, '100001')}"

    def label() -> str:
        return next(b.label for b in at.button if b.key == card)

    assert "(999)" not in label()
    with db_engine.begin() as conn:  # another app instance on the same database changes his phone
        conn.execute(visitors.update().where(visitors.c.card_number == "100001").values(phone="+79990001122"))
    at.run()
    assert "(999)" not in label(), "this instance's answer, for now"
    after_write()
    at.run()
    assert "+7 (999) 000-11-22" in label()


def test_the_volunteer_finds_a_visitor_by_surname_and_books_them_as_themselves(app, db_engine):
    at = find(app("desk", "volunteer"), "Толстихин", db_engine, "100001")
    assert any("Толстихин Виктор" in m.value for m in at.markdown)
    at.selectbox(key="desk_service").set_value("Стирка").run()
    day = today() + timedelta(days=2)
    at.pills(key="desk_date").set_value(day.isoformat()).run()
    click(at, "desk_confirm")
    with db_engine.connect() as conn:
        made = conn.execute(
            sa.select(bookings.c.created_by_kind, bookings.c.created_by_id)
            .where(bookings.c.visitor_id == visitor_id(db_engine, "100001"))
            .order_by(bookings.c.id.desc())
        ).first()
    assert tuple(made) == ("volunteer", VOLUNTEER.id)


def test_a_booking_by_a_volunteer_shows_their_id_in_the_participants_dialog(app, db_engine):
    target = next(s for s in upcoming(db_engine) if not s.is_full and s.date > today())
    book(db_engine, visitor_id(db_engine, "100070"), [SessionKey(target.event_service_id, target.date)], VOLUNTEER, now())
    panel = open_panel(target)
    # who booked is shown escaped, as any text, in the person's line under the name
    assert any(f"· {md('В-0001')}, запись от " in m.value for m in panel.markdown)


def test_the_volunteer_registers_a_visitor_and_hands_over_card_and_pin(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("new").run()
    at.text_input(key="dk_first").input("Олег")
    at.text_input(key="dk_last").input("Сидоров")
    at.text_input(key="dk_phone").input("8 (916) 555-44-33")
    click(at, "dk_register")
    assert [e.value for e in at.error] == ["Без согласия на обработку персональных данных регистрация невозможна."]
    at.checkbox(key="dk_consent").check()
    click(at, "dk_register")
    metrics = {m.label: m.value for m in at.metric}
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(visitors).where(visitors.c.last_name == "Сидоров")).one()
    assert metrics["Номер карты"] == row.card_number and len(metrics["PIN"]) == 4
    assert (row.phone, row.consent_by) == ("+79165554433", f"volunteer:{VOLUNTEER.label}")


def test_my_bookings_hold_only_what_this_volunteer_made(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("mine").run()
    with db_engine.connect() as conn:
        mine = bookings_made_by(conn, VOLUNTEER.id, today())
        others = conn.execute(
            sa.select(sa.func.count()).where(bookings.c.created_by_kind == "volunteer", bookings.c.created_by_id != VOLUNTEER.id)
        ).scalar()
    shown = [m.value for m in at.markdown if m.value.startswith("**") and "карта" in m.value]
    assert len(shown) == len(mine) and mine and others


def test_a_volunteer_cancels_their_own_booking_and_the_place_is_freed(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("mine").run()
    with db_engine.connect() as conn:
        target = next(b for b in bookings_made_by(conn, VOLUNTEER.id, today()) if b.status == "expected" and b.date > today())
    click(at, f"dk_cancel_{target.booking_id}")
    click(at, f"dk_yes_cancel_{target.booking_id}")
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(bookings.c.status).where(bookings.c.id == target.booking_id)).scalar() == "cancelled"
    assert any("Запись отменена" in s.value for s in at.success)


def status_of(engine, booking_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.select(bookings.c.status).where(bookings.c.id == booking_id)).scalar()


def test_cancel_at_the_desk_first_asks_and_no_keeps_the_booking(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("mine").run()
    with db_engine.connect() as conn:
        target = next(b for b in bookings_made_by(conn, VOLUNTEER.id, today()) if b.status == "expected" and b.date > today())
    click(at, f"dk_cancel_{target.booking_id}")
    assert status_of(db_engine, target.booking_id) == "expected"
    assert any(w.value.startswith("Отменить запись") and md(target.visitor_name) in w.value for w in at.warning)
    click(at, f"dk_no_cancel_{target.booking_id}")
    assert status_of(db_engine, target.booking_id) == "expected"
    assert not [w for w in at.warning if w.value.startswith("Отменить запись")]
    assert f"dk_yes_cancel_{target.booking_id}" not in {b.key for b in at.button}


def test_a_booking_marked_at_the_door_offers_no_cancel_at_the_desk(app, db_engine):
    with db_engine.connect() as conn:
        target = next(b for b in bookings_made_by(conn, VOLUNTEER.id, today()) if b.status == "expected")
    with db_engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == target.booking_id).values(status="attended"))
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("mine").run()
    keys = {b.key for b in at.button}
    assert f"dk_cancel_{target.booking_id}" not in keys
    assert any(k.startswith("dk_cancel_") for k in keys)
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(bookings.c.status).where(bookings.c.id == target.booking_id)).scalar() == "attended"


def test_resetting_a_pin_gives_a_new_pin_that_works(app, db_engine):
    at = find(app("desk", "volunteer"), "100003", db_engine, "100003")
    click(at, "dk_reset_pin")
    click(at, "dk_yes_pin")
    new_pin = next(m.value for m in at.metric if m.label.startswith("Новый PIN"))
    assert visitor_sign_in(db_engine, "100003", new_pin, now()).label == "100003"
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'pin_reset'")).scalar() == 1


def test_resetting_a_pin_first_asks_and_no_keeps_the_old_pin(app, db_engine):
    at = find(app("desk", "volunteer"), "100003", db_engine, "100003")
    click(at, "dk_reset_pin")
    assert not [m for m in at.metric if m.label.startswith("Новый PIN")]
    assert any(w.value.startswith("Сбросить PIN?") for w in at.warning)
    click(at, "dk_no_pin")
    assert not [w for w in at.warning if w.value.startswith("Сбросить PIN?")]
    assert visitor_sign_in(db_engine, "100003", "1111", now()).label == "100003"
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'pin_reset'")).scalar() == 0


def test_a_volunteer_books_only_inside_the_window(app, db_engine):
    at = find(app("desk", "volunteer"), "100001", db_engine, "100001")
    at.selectbox(key="desk_service").set_value("Стирка").run()
    offered = [label.split(" · ")[0] for label in at.pills(key="desk_date").options]
    beyond_window = {ru_day_short(today() + timedelta(days=n)) for n in range(8, 15)}
    assert offered and not beyond_window & set(offered)
    assert ru_day_short(today() + timedelta(days=1)) in offered
