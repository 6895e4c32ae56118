"""Form messages: every field's error at once, each under its field; none outlives its cause."""

import pytest
import sqlalchemy as sa

from core.schema import volunteers
from tests.pages.test_bad_input_forms import changed, click, message_after, open_page, open_registration, snapshot, widget
from tests.pages.test_schedule import add_service, start_form
from tests.pages.test_sessions import key_of, upcoming
from ui.clock import today

# --- every field's error at once --------------------------------------------------------


@pytest.mark.parametrize("prefix", ["vp", "dk"], ids=["visitor page", "volunteer desk"])
def test_visitor_registration_shows_every_bad_fields_message_at_once(app_db, db_engine, prefix):
    at = open_registration(prefix)
    before = snapshot(db_engine)
    for name, value in (("first", "А"), ("last", ""), ("phone", "12345")):
        widget(at, f"{prefix}_{name}").set_value(value)
    widget(at, f"{prefix}_consent").set_value(False)
    click(at, f"{prefix}_register")

    expected = {
        f"{prefix}_first": "Не меньше 2 букв.",
        f"{prefix}_last": "Заполните это поле.",
        f"{prefix}_phone": "Неверный номер. Пример: +7 (916) 123-45-67.",
        f"{prefix}_consent": "Без согласия на обработку персональных данных регистрация невозможна.",
    }
    assert sorted(e.value for e in at.error) == sorted(expected.values())
    assert {key: message_after(at, key) for key in expected} == expected
    assert not changed(before, snapshot(db_engine))
    assert not at.metric


def test_volunteer_signup_shows_every_bad_fields_message_at_once(app_db, db_engine):
    at = open_page("volunteer_signup")
    before = snapshot(db_engine)
    for key, value in (("vs_first", "Павел"), ("vs_last", "Г"), ("vs_phone", "12"),
                       ("vs_login", "volunteer"), ("vs_password", "короткий")):
        widget(at, key).set_value(value)
    click(at, "vs_submit")

    expected = {
        "vs_last": "Не меньше 2 букв.",
        "vs_phone": "Неверный номер. Пример: +7 (916) 123-45-67.",
        "vs_login": "Этот логин уже занят.",
        "vs_password": "Пароль — не меньше 10 символов.",
    }
    assert sorted(e.value for e in at.error) == sorted(expected.values())
    assert {key: message_after(at, key) for key in expected} == expected
    assert not changed(before, snapshot(db_engine))
    assert not at.success


def test_a_volunteer_signup_fixed_after_a_refusal_is_sent_without_old_messages(app_db, db_engine):
    at = open_page("volunteer_signup")
    for key, value in (("vs_first", ""), ("vs_last", "Громов"), ("vs_phone", ""), ("vs_login", "ab"), ("vs_password", "x")):
        widget(at, key).set_value(value)
    click(at, "vs_submit")
    assert len(at.error) == 3

    widget(at, "vs_first").set_value("Павел").run()
    assert [e.value for e in at.error] == ["Логин — от 3 до 32 латинских букв, цифр, точек, дефисов или подчёркиваний.",
                                           "Пароль — не меньше 10 символов."]
    widget(at, "vs_login").set_value("pavel.g")
    widget(at, "vs_password").set_value("длинный-пароль-1")
    click(at, "vs_submit")
    assert not at.error
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(volunteers.c.status).where(volunteers.c.login == "pavel.g")).scalar_one() == "pending"


# --- the event form ---------------------------------------------------------------------


def test_every_service_row_above_the_event_capacity_is_flagged(app, db_engine):
    at = start_form(app("schedule", "admin"), "Мало мест", capacity=5)
    add_service(at, "Стирка", capacity=8)
    add_service(at, "Душ", capacity=3)
    add_service(at, "Выдача одежды", capacity=9)
    before = snapshot(db_engine)
    click(at, "ev_save")

    rows = at.session_state["ev_form"]["rows"]
    message = "Вместимость услуги не может быть больше вместимости события (5)."
    assert [e.value for e in at.error] == [message, message]
    assert message_after(at, f"ev_row_{rows[0]['uid']}_cap", allowed=(f"ev_row_{rows[0]['uid']}_win",)) == message
    assert message_after(at, f"ev_row_{rows[2]['uid']}_cap", allowed=(f"ev_row_{rows[2]['uid']}_win",)) == message
    assert not changed(before, snapshot(db_engine))

    at.number_input(key="ev_capacity").set_value(9).run()  # the cause of both is fixed
    assert not at.error


def test_the_missing_services_message_goes_once_a_service_is_added(app, db_engine):
    at = start_form(app("schedule", "admin"), "Без услуг")
    click(at, "ev_save")
    assert [e.value for e in at.error] == ["Добавьте хотя бы одну услугу."]

    add_service(at, "Стирка")
    assert not at.error
    click(at, "ev_save")
    assert not at.error
    assert any("создано" in s.value for s in at.success)


# --- Мероприятия: editing one session ---------------------------------------------------


def test_a_good_session_edit_after_a_refused_one_shows_only_the_success(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.service_name == "Стирка" and s.date > today())
    key = key_of(target)
    at = click(app("sessions", "admin"), f"ss_edit_{key}")
    at.number_input(key=f"se_cap_{key}").set_value(0)
    click(at, f"se_save_{key}")
    assert [e.value for e in at.error] == ["Вместимость — от 1 до 1000."]

    at.number_input(key=f"se_cap_{key}").set_value(target.capacity + 1).run()
    assert not at.error  # its cause is fixed before saving
    click(at, f"se_save_{key}")
    assert not at.error
    assert [s.value for s in at.success] == ["Мероприятие изменено."]


def test_opening_another_sessions_edit_drops_the_first_ones_message(app, db_engine):
    first, second = [s for s in upcoming(db_engine) if s.service_name == "Стирка" and s.date > today()][:2]
    at = click(app("sessions", "admin"), f"ss_edit_{key_of(first)}")
    at.number_input(key=f"se_cap_{key_of(first)}").set_value(0)
    click(at, f"se_save_{key_of(first)}")
    assert at.error
    click(at, f"ss_edit_{key_of(second)}")  # another row's form: the first one's message goes
    assert not at.error
    click(at, f"se_save_{key_of(second)}")
    assert not at.error
    assert [s.value for s in at.success] == ["Мероприятие изменено."]


# --- the visitor's sign-in --------------------------------------------------------------


def test_a_pin_message_goes_when_the_visitor_switches_to_signing_in_by_surname(app):
    at = app("visitor")
    at.text_input(key="vp_card").input("100001")
    at.text_input(key="vp_pin").input("12")
    click(at, "vp_signin")
    assert [e.value for e in at.error] == ["PIN — 4 цифры."]

    at.segmented_control(key="vp_how").set_value("surname").run()
    assert not at.error
    at.segmented_control(key="vp_how").set_value("card").run()
    assert not at.error


def test_a_missing_card_message_goes_once_a_card_number_is_typed(app):
    at = app("visitor")
    at.text_input(key="vp_pin").input("1111")
    click(at, "vp_signin")
    assert [e.value for e in at.error] == ["Введите номер карты."]
    at.text_input(key="vp_card").input("100001").run()
    assert not at.error
