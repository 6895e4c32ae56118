"""Запись для посетителей: sign in by card or surname with the PIN, register, book and see the
confirmation, Мои записи (ahead) and История (past), cancel, reminders."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

from core.actors import Actor
from core.booking import SessionKey, book
from core.catalog import retire_service
from core.marks import set_status
from core.events import load_events
from core.accounts import load_actor
from core.visitors import register_visitor
from core.schema import bookings, event_services, services, visitor_photos, visitors
from core.schema import sign_ins as sign_ins_table
from core.session_changes import edit_session
from core.sessions import get_session
from core.visits import history, visits_of
from tests.pages.conftest import ACTORS, ROOT, signed_in
from ui.clock import now, today
from ui.db import after_write, cached_catalog, cached_events, cached_places
from ui.format import md, ru_day_short

ADMIN = ACTORS["admin"]
SAME_ANSWER = "Неверный номер карты или PIN."


# --- helpers ----------------------------------------------------------------------------


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def as_visitor(actor: Actor) -> AppTest:
    """The app signed in as this visitor, on the visitor page."""
    at = signed_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), actor)
    at.run()
    at.switch_page("app_pages/visitor.py").run()
    assert not at.exception
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["vp_tab"] = label
    at.run()
    assert not at.exception
    return at


def children_of(block) -> list[tuple[str, str | None, str | None]]:
    """(type, key, value of an error) of every element in a container, in order."""
    found = []
    for child in getattr(block, "children", {}).values():
        found.append((child.type, getattr(child, "key", None), child.value if child.type == "error" else None))
        found.extend(children_of(child))
    return found


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error])


def visitor_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(visitors)).scalar()


def service_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(services.c.id).where(services.c.name == name)).scalar_one()


def card_id(engine, card: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == card)).scalar_one()


def bookings_of(engine, visitor_id: int) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(bookings).where(bookings.c.visitor_id == visitor_id).order_by(bookings.c.id)).all()


@pytest.fixture
def newcomer(app_db, db_engine) -> Actor:
    """A visitor registered a minute ago: no bookings yet, so every date is open to them."""
    registration = register_visitor(db_engine, "Тимур", "Новиков", None, None, True, None, now(), pin="2468")
    return load_actor(db_engine, "visitor", registration.visitor_id)


def start_booking(at: AppTest, engine, service: str, day) -> AppTest:
    """Доступные услуги → the service's Записаться → the date; the first time slot is preselected."""
    click(at, f"vb_pick_{service_id(engine, service)}")
    at.pills(key="vb_date").set_value(day.isoformat()).run()
    assert not at.exception
    return at


def chosen_key(at: AppTest) -> SessionKey:
    es_id, day = at.radio(key="vb_slot").value.split(":")
    return SessionKey(int(es_id), today().fromisoformat(day))


# --- entry and registration -------------------------------------------------------------


def test_the_page_opens_on_the_card_sign_in_with_registration_a_tap_away(app):
    at = app("visitor")
    assert [t.key for t in at.text_input] == ["vp_card", "vp_pin"]
    assert [(b.key, b.label) for b in at.button] == [
        ("vp_signin", "Войти"), ("vp_new", "Я здесь впервые — зарегистрироваться"),
    ]
    assert not at.tabs  # nothing of anybody's profile before signing in


@pytest.mark.parametrize("key", ["vp_card", "vp_pin"])
def test_card_number_and_pin_are_digit_fields_without_a_phone_icon_or_autofill(app, key):
    field = app("visitor").text_input(key=key)
    # type="tel" in the browser: a phone shows its digit keypad (tests/browser checks the page itself)
    assert field.proto.type == TextInputProto.Type.PHONE
    assert (field.proto.icon, field.autocomplete) == ("", "off")
    assert "+1" not in field.placeholder  # not Streamlit's own example of a phone number


def fill_registration(at, first="Анна", last="Смирнова", phone="", consent=True):
    click(at, "vp_new")
    at.text_input(key="vp_first").input(first)
    at.text_input(key="vp_last").input(last)
    at.text_input(key="vp_phone").input(phone)
    if consent:
        at.checkbox(key="vp_consent").check()
    return click(at, "vp_register")


@pytest.mark.parametrize(
    "first, last, phone, consent, field, message",
    [
        ("А", "Смирнова", "", True, "vp_first", "Не меньше 2 букв."),
        ("Анна", "Smirnova1", "", True, "vp_last", "Только буквы, дефис, апостроф и пробел."),
        ("Анна", "Смирнова", "12345", True, "vp_phone", "Неверный номер. Пример: +7 (916) 123-45-67."),
        ("Анна", "Смирнова", "+7 (777) 123-45-67", True, "vp_phone", "Неверный номер. Пример: +7 (916) 123-45-67."),
        ("Анна", "Смирнова", "", False, "vp_consent",
         "Без согласия на обработку персональных данных регистрация невозможна."),
    ],
)
def test_bad_registration_is_refused_under_its_field_and_saves_nobody(app, db_engine, first, last, phone, consent, field, message):
    before = visitor_count(db_engine)
    at = fill_registration(at=app("visitor"), first=first, last=last, phone=phone, consent=consent)
    order = children_of(at.get_by_key("vp_registration"))
    position = [key for _, key, _ in order].index(field)
    assert order[position + 1] == ("error", None, message)
    assert [e.value for e in at.error] == [message]
    assert visitor_count(db_engine) == before
    assert "actor" not in at.session_state


def test_registration_shows_card_and_pin_large_then_signs_the_visitor_in(app, db_engine):
    at = fill_registration(app("visitor"), phone="8 916 123-45-67")
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Номер карты", "PIN"}
    assert metrics["PIN"].isdigit() and len(metrics["PIN"]) == 4
    assert any("Запишите номер карты и PIN" in w.value for w in at.warning)
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(visitors).where(visitors.c.card_number == metrics["Номер карты"])).one()
    assert (row.first_name, row.last_name, row.phone) == ("Анна", "Смирнова", "+79161234567")
    assert (row.consent_version, row.consent_by) == ("2026-11", "visitor:self")
    assert "actor" not in at.session_state  # not before the person has seen and noted the card

    click(at, "vp_continue")
    assert at.session_state["actor"].label == metrics["Номер карты"]
    assert "**Смирнова Анна**" in texts(at)


# --- sign-in ----------------------------------------------------------------------------


def sign_in_by_card(at, card: str, pin: str) -> AppTest:
    at.text_input(key="vp_card").input(card)
    at.text_input(key="vp_pin").input(pin)
    return click(at, "vp_signin")


def test_a_visitor_signs_in_with_card_and_pin_and_sees_their_profile(app):
    at = sign_in_by_card(app("visitor"), "100001", "1111")
    assert at.session_state["actor"].label == "100001"
    assert "**Толстихин Виктор**  \nКарта 100001" in texts(at)
    assert [t.label for t in at.tabs] == ["Доступные услуги", "Мои записи", "История"]


@pytest.mark.parametrize("card, pin", [("100001", "9999"), ("999999", "1111")])
def test_a_wrong_pin_and_an_unknown_card_get_the_same_message(app, card, pin):
    at = sign_in_by_card(app("visitor"), card, pin)
    assert [e.value for e in at.error] == [SAME_ANSWER]
    assert "actor" not in at.session_state
    assert at.text_input(key="vp_pin").value == ""


def test_namesakes_are_listed_masked_and_the_chosen_one_signs_in(app):
    at = app("visitor")
    at.segmented_control(key="vp_how").set_value("surname").run()
    at.text_input(key="vp_surname").input("петрова").run()
    pick = at.radio(key="vp_pick")
    assert {md("Анна П., карта …02"), md("Анна П., карта …04")} <= set(pick.options)  # radio options read markdown
    assert "Петрова" not in " ".join(pick.options)
    assert "**Петрова" not in texts(at)  # no bookings, no full names before the PIN
    pick.set_value("100004").run()
    at.text_input(key="vp_pin").input("1111")
    click(at, "vp_signin")
    assert at.session_state["actor"].label == "100004"


def test_five_wrong_pins_slow_the_visitor_down_with_a_russian_message_under_the_pin(app, db_engine):
    at = app("visitor")
    for _ in range(5):
        at = sign_in_by_card(at, "100003", "0000")
    assert [e.value for e in at.error] == ["Неверный номер карты или PIN."]
    at = sign_in_by_card(at, "100003", "1111")
    slowed = "Слишком много неверных PIN. Подождите 15 мин. или обратитесь к сотруднику: он выдаст новый PIN."
    assert [e.value for e in at.error] == [slowed]
    assert "actor" not in at.session_state


def test_a_mistyped_card_number_is_answered_at_the_card_field(app, db_engine):
    at = sign_in_by_card(app("visitor"), "1000042", "1111")
    assert [e.value for e in at.error] == ["В номере карты ошибка: проверьте цифры."]
    assert "actor" not in at.session_state


def test_fifteen_idle_minutes_end_the_visitor_session(app, db_engine):
    at = app("visitor", "visitor")
    with db_engine.begin() as conn:  # the clock moved 16 minutes on since the last click
        conn.execute(sign_ins_table.update().values(last_seen_at=now() - timedelta(minutes=16)))
    at.run()
    assert "actor" not in at.session_state
    assert any("Сеанс завершён" in i.value for i in at.info)
    assert not at.tabs


def test_vyiti_signs_the_visitor_out(app):
    at = app("visitor", "visitor")
    click(at, "vp_logout")
    assert "actor" not in at.session_state
    assert at.text_input(key="vp_card").value == ""


@pytest.mark.parametrize("role", ["admin", "volunteer"])
def test_a_signed_in_staff_member_gets_only_a_note(app, role):
    at = app("visitor", role)
    assert any("Эта страница — для посетителей" in i.value for i in at.info)
    assert not at.tabs and not [b for b in at.button if (b.key or "").startswith("vp_")]


# --- Доступные услуги and booking -------------------------------------------------------


def test_available_services_open_first_with_description_dates_and_places(newcomer, db_engine):
    at = as_visitor(newcomer)
    assert at.tabs[0].label == "Доступные услуги"
    shown = texts(at)
    assert "**Стирка**" in shown and "Стирка и сушка вещей" in shown
    assert "Ближайшие даты: " in shown
    at.pills(key="vp_place").set_value("Гиляровского").run()
    shown = texts(at)
    assert "**Стирка**" not in shown and "**Психолог**" in shown


CVETNOY = md("📍 **Цветной** · Цветной бульвар, 11, стр. 2 · м. Цветной бульвар").replace("\\*", "*")
HOW_TO_CVETNOY = "Как пройти: " + md("Выход из метро к цирку, 5 минут пешком по бульвару в сторону Трубной площади. "
                                     "Вход со двора через арку, синяя дверь.")


def block_texts(block) -> list[str]:
    """Markdown and captions inside a container, in order."""
    found = []
    for child in getattr(block, "children", {}).values():
        if child.type in ("markdown", "caption"):
            found.append(child.value)
        found.extend(block_texts(child))
    return found


def keys_in(block) -> set[str]:
    return {key for _, key, _ in children_of(block) if key}


def test_the_booking_steps_open_on_the_nearest_date_and_say_where_the_place_is(newcomer, db_engine):
    at = click(as_visitor(newcomer), f"vb_pick_{service_id(db_engine, 'Стирка')}")
    dates = at.pills(key="vb_date")
    assert dates.value  # the nearest date is chosen: nothing to tap
    assert ru_day_short(date.fromisoformat(dates.value)) == dates.options[0].split(" · ")[0]
    assert all("свободно " in label for label in at.radio(key="vb_slot").options)
    shown = texts(at)
    assert CVETNOY in shown and HOW_TO_CVETNOY in shown


def test_a_booking_is_confirmed_in_a_dialog_with_what_when_where_and_a_calendar_file(newcomer, db_engine):
    tomorrow = today() + timedelta(days=1)
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", tomorrow)
    at.text_input(key="vb_comment").input("Приду с сыном")
    click(at, "vb_confirm")

    made = bookings_of(db_engine, newcomer.id)
    assert [(b.status, b.created_by_kind, b.created_by_id, b.comment) for b in made] == [
        ("expected", "visitor", newcomer.id, "Приду с сыном")
    ]
    weekday = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][tomorrow.weekday()]
    assert block_texts(at.get_by_key("vp_confirmation")) == [
        f"**{weekday} {tomorrow:%d.%m.%Y}**", "**Стирка**, 10:00–\u206012:00", CVETNOY, HOW_TO_CVETNOY, "💬 Приду с сыном",
    ]
    assert [(d.key, d.label) for d in at.download_button] == [("vp_ics", "Добавить в календарь")]
    assert at.session_state["vp_tab"] == "Мои записи"  # what is behind the dialog
    assert [s.value for s in at.success] == ["Вы записаны."]  # the dialog's; none out of view in the list
    assert any(i.value.startswith("**Вы записаны:** Стирка") for i in at.info)

    click(at, "vp_booked_ok")
    assert not at.download_button
    assert f"vp_visit_{made[0].id}" in keys_in(at.main)


def test_a_booking_leaves_events_places_and_catalog_shared_and_a_change_to_them_is_read_at_once(newcomer, db_engine):
    """Every page reads events, places and the catalog; a booking leaves them as they were, so the
    pages keep the copy they share instead of reading all three again after every tap."""
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", today() + timedelta(days=1))
    plan = (cached_events(), cached_places(), cached_catalog())
    click(at, "vb_confirm")
    assert [b.status for b in bookings_of(db_engine, newcomer.id)] == ["expected"]
    assert all(now_read is before for now_read, before in zip((cached_events(), cached_places(), cached_catalog()), plan))

    washing = service_id(db_engine, "Стирка")
    retire_service(db_engine, washing, ACTORS["admin"], now())
    after_write()  # what the admin's retiring does in the app
    assert next(s for s in cached_catalog() if s.id == washing).active is False
    assert cached_events() is not plan[0]


def test_a_mistaken_booking_is_cancelled_from_the_confirmation_after_a_question(newcomer, db_engine):
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", today() + timedelta(days=1))
    next(c for c in at.checkbox if (c.key or "").startswith("vb_extra_")).check().run()  # and Душ
    click(at, "vb_confirm")
    click(at, "vp_undo")
    assert any(w.value == "Отменить эту запись? Место освободится для другого человека." for w in at.warning)
    assert [b.status for b in bookings_of(db_engine, newcomer.id)] == ["expected", "expected"]

    click(at, "vp_undo_yes")

    assert [b.status for b in bookings_of(db_engine, newcomer.id)] == ["cancelled", "cancelled"]
    assert "Запись отменена. Место освободилось." in [s.value for s in at.success]
    assert not at.download_button
    click(at, "vp_booked_ok")
    gone = [s.value for s in at.success]  # «Мои записи», where the bookings were
    assert len(gone) == 2 and all(g.startswith("Запись отменена: ") for g in gone)
    assert {g.split(",")[0] for g in gone} == {"Запись отменена: Стирка", "Запись отменена: Душ"}


def test_book_more_closes_the_confirmation_and_goes_back_to_the_services(newcomer, db_engine):
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", today() + timedelta(days=1))
    click(at, "vb_confirm")
    click(at, "vp_book_more")
    assert not at.download_button
    assert at.session_state["vp_tab"] == "Доступные услуги"


def test_other_services_of_the_same_day_are_booked_together(newcomer, db_engine):
    tomorrow = today() + timedelta(days=1)
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", tomorrow)
    extras = [c for c in at.checkbox if (c.key or "").startswith("vb_extra_")]
    assert [c.label.split(",")[0] for c in extras] == ["Душ"]
    extras[0].check().run()
    click(at, "vb_confirm")
    assert len(bookings_of(db_engine, newcomer.id)) == 2


def fill_up(engine, key: SessionKey) -> None:
    """Another person takes the last place: the session's capacity is cut to those booked."""

    def session():
        with engine.connect() as conn:
            return get_session(conn, load_events(conn), key.event_service_id, key.date, today())

    if session().booked == 0:
        book(engine, card_id(engine, "100005"), [key], ADMIN, now())
    current = session()
    edit_session(engine, current, current.start_time, current.end_time, current.booked, ADMIN, now())


def book_behind_the_back(engine, key: SessionKey, visitor: Actor) -> None:
    """The same person booked it meanwhile (another tab, or at the desk)."""
    book(engine, visitor.id, [key], visitor, now())


def close_window(engine, key: SessionKey, visitor: Actor) -> None:
    """An admin shortened the booking window meanwhile: tomorrow is out of it now."""
    with engine.begin() as conn:
        conn.execute(event_services.update().where(event_services.c.id == key.event_service_id).values(window_days=0))


@pytest.mark.parametrize(
    "meanwhile, message",
    [
        (lambda engine, key, visitor: fill_up(engine, key), "Мест на эту услугу больше нет."),
        (book_behind_the_back, "Этот человек уже записан на эту услугу."),
        (close_window, "Запись на эту дату закрыта."),
    ],
    ids=["full", "already booked", "window closed"],
)
def test_a_refused_booking_says_why_and_books_nothing_at_all(newcomer, db_engine, meanwhile, message):
    tomorrow = today() + timedelta(days=1)
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", tomorrow)
    next(c for c in at.checkbox if (c.key or "").startswith("vb_extra_")).check().run()  # and Душ
    key = chosen_key(at)
    meanwhile(db_engine, key, newcomer)
    before = [(b.id, b.status) for b in bookings_of(db_engine, newcomer.id)]

    click(at, "vb_confirm")

    assert [e.value for e in at.error] == [message]
    assert [(b.id, b.status) for b in bookings_of(db_engine, newcomer.id)] == before  # not even the Душ
    assert at.pills(key="vb_date").options  # the flow stays open to choose again


def test_a_date_without_free_places_cannot_be_picked(newcomer, db_engine):
    tomorrow = today() + timedelta(days=1)
    at = start_booking(as_visitor(newcomer), db_engine, "Стирка", tomorrow)
    fill_up(db_engine, chosen_key(at))
    after_write()  # what the admin's change does in the app: the page reads the offers again
    click(at, "vb_cancel")
    click(at, f"vb_pick_{service_id(db_engine, 'Стирка')}")
    offered = at.pills(key="vb_date").options
    assert offered and not any(f"{tomorrow:%d.%m} ·" in label for label in offered)


# --- Мои записи and История ------------------------------------------------------------


@pytest.fixture
def booked(newcomer, db_engine) -> tuple[Actor, int, SessionKey]:
    """The newcomer booked on tomorrow's Стирка; returns (actor, booking id, session key)."""
    with db_engine.connect() as conn:
        events = load_events(conn)
    washing = next(e for e in events if e.title == "Стирка и душ")
    key = SessionKey(next(es.id for es in washing.services if es.service_name == "Стирка"), today() + timedelta(days=1))
    (booking_id,) = book(db_engine, newcomer.id, [key], newcomer, now())
    return newcomer, booking_id, key


def booked_on(engine, key: SessionKey) -> int:
    with engine.connect() as conn:
        return get_session(conn, load_events(conn), key.event_service_id, key.date, today()).booked


def test_my_bookings_show_the_day_the_place_the_status_and_one_way_to_cancel(booked):
    actor, booking_id, _ = booked
    at = open_tab(as_visitor(actor), "Мои записи")
    shown = texts(at)
    assert CVETNOY in shown and HOW_TO_CVETNOY in shown
    assert "**10:00–\u206012:00 Стирка**  \n🟡 Запланировано" in shown
    assert {b.key: b.label for b in at.button if b.key.endswith(f"_{booking_id}")} == {
        f"vp_cancel_{booking_id}": "Отменить запись", f"vp_comment_{booking_id}": "Комментарий",
    }
    assert "Не смогу прийти" not in [b.label for b in at.button]
    assert "кто записал" not in shown and "сам" not in shown.split()  # nothing to say about one's own booking


def test_my_bookings_are_read_once_a_minute_and_again_after_every_write_of_the_app(booked, db_engine):
    """As the reminders over them: a tap that changes nothing («Отменить запись?», another tab)
    reads nothing again; a write of the app reads them at once."""
    actor, booking_id, _ = booked
    at = open_tab(as_visitor(actor), "Мои записи")
    assert f"vp_cancel_{booking_id}" in [b.key for b in at.button]
    with db_engine.begin() as conn:  # another app instance on the same database cancels it
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(status="cancelled"))
    assert f"vp_cancel_{booking_id}" in [b.key for b in at.run().button], "this instance's copy, for now"
    after_write()
    statements = []
    record = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)  # the app's engine is its own
    try:
        assert f"vp_cancel_{booking_id}" not in [b.key for b in at.run().button]
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    # the banner over the tabs and «Мои записи» under them, from one read of the person's bookings
    assert "Вы записаны" not in texts(at)
    assert len([sql for sql in statements if sql.lstrip().startswith("SELECT bookings.id,")]) == 1


def test_my_bookings_say_how_many_places_are_free_never_a_count_of_others(booked, db_engine):
    actor, _, _ = booked
    at = open_tab(as_visitor(actor), "Мои записи")
    shown = texts(at)
    assert re.search(r"^Свободно \d+ (место|места|мест)$", shown, re.M)
    assert "участник" not in shown
    with db_engine.connect() as conn:
        others = conn.execute(sa.select(visitors.c.last_name, visitors.c.first_name).where(visitors.c.id != actor.id)).all()
    assert not any(f"{last} {first}" in shown or f"{first} {last}" in shown for last, first in others)


@pytest.mark.parametrize(
    "maker, words",
    [("volunteer", "Записал волонтёр Ксения О."), ("admin", "Записал администратор")],
)
def test_a_booking_made_for_the_visitor_names_who_made_it_in_plain_words(newcomer, db_engine, maker, words):
    tomorrow = today() + timedelta(days=1)
    with db_engine.connect() as conn:
        washing = next(e for e in load_events(conn) if e.title == "Стирка и душ")
    key = SessionKey(next(es.id for es in washing.services if es.service_name == "Стирка"), tomorrow)
    book(db_engine, newcomer.id, [key], ACTORS[maker], now())
    at = open_tab(as_visitor(newcomer), "Мои записи")
    shown = texts(at)
    assert md(words) in shown
    assert "В-0" not in shown and "admin" not in shown and "кто записал" not in shown


def test_history_shows_only_the_past_and_my_bookings_only_what_is_ahead(app, db_engine):
    with db_engine.connect() as conn:
        ahead, past = history(visits_of(conn, ACTORS["visitor"].id), now())
    assert ahead and past  # the demo visitor has both
    at = open_tab(app("visitor", "visitor"), "История")
    shown = keys_in(at.main)
    assert {f"vp_past_{v.booking_id}" for v in past[:10]} <= shown
    assert not any(f"vp_past_{v.booking_id}" in shown or f"vp_visit_{v.booking_id}" in shown for v in ahead)
    at = open_tab(at, "Мои записи")
    shown = keys_in(at.main)
    assert any(f"vp_visit_{v.booking_id}" in shown for v in ahead)
    assert not any(f"vp_visit_{v.booking_id}" in shown or f"vp_past_{v.booking_id}" in shown for v in past)


def test_history_speaks_the_visitor_vocabulary(app):
    at = open_tab(app("visitor", "visitor"), "История")
    shown = texts(at)
    assert "Выполнено" in shown or "Не явился" in shown
    assert not any(word in shown for word in ("Присутствовал", "Не пришел", "Ожидается"))


def test_cancelling_asks_first_then_frees_the_place_and_says_so_where_the_card_was(booked, db_engine):
    actor, booking_id, key = booked
    at = open_tab(as_visitor(actor), "Мои записи")
    click(at, f"vp_cancel_{booking_id}")
    assert any(w.value.startswith("Отменить запись «Стирка»") for w in at.warning)
    assert booked_on(db_engine, key) >= 1
    places_before = booked_on(db_engine, key)

    click(at, f"vp_yes_{booking_id}")

    assert [b.status for b in bookings_of(db_engine, actor.id)] == ["cancelled"]
    assert booked_on(db_engine, key) == places_before - 1
    assert [s.value for s in at.success] == [
        f"Запись отменена: {md(describe_booking(key))}. Место освободилось."
    ]
    assert f"vp_cancel_{booking_id}" not in {b.key for b in at.button}


def describe_booking(key: SessionKey) -> str:
    weekday = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][key.date.weekday()]
    return f"Стирка, {weekday} {key.date:%d.%m} в 10:00, Цветной"


def test_a_comment_is_added_to_a_booking(booked, db_engine):
    actor, booking_id, _ = booked
    at = open_tab(as_visitor(actor), "Мои записи")
    click(at, f"vp_comment_{booking_id}")
    at.text_input(key=f"vp_text_{booking_id}").input("Опоздаю на 10 минут")
    click(at, f"vp_save_{booking_id}")
    assert [b.comment for b in bookings_of(db_engine, actor.id)] == ["Опоздаю на 10 минут"]
    assert "💬 Опоздаю на 10 минут" in texts(at)


# --- banners ----------------------------------------------------------------------------


def test_the_banners_name_the_next_booking_and_a_recent_no_show_only(booked, db_engine):
    actor, _, key = booked
    with db_engine.connect() as conn:
        events = load_events(conn)
    washing = next(e for e in events if e.title == "Стирка и душ")
    shower = next(es.id for es in washing.services if es.service_name == "Душ")
    for days_ago in (5, 40):
        (missed,) = book(db_engine, actor.id, [SessionKey(shower, today() - timedelta(days=days_ago))], ADMIN, now())
        set_status(db_engine, [missed], "no_show", ADMIN, now())

    at = as_visitor(actor)

    tomorrow, recent = key.date, today() - timedelta(days=5)
    wd = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    assert [i.value for i in at.info] == [
        f"**Вы записаны:** Стирка, {wd[tomorrow.weekday()]} {tomorrow:%d}\\.{tomorrow:%m} в 10\\:00, Цветной."
    ]
    assert [w.value for w in at.warning] == [
        f"**Вы пропустили:** Душ, {wd[recent.weekday()]} {recent:%d}\\.{recent:%m} в 10\\:00, Цветной."
    ]


# --- photo ------------------------------------------------------------------------------


def image_bytes(fmt: str, size=(600, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format=fmt)
    return out.getvalue()


def test_a_photo_is_saved_as_soon_as_it_is_chosen_and_replaces_the_initials(newcomer, db_engine):
    at = as_visitor(newcomer)
    assert "**ТН**" in texts(at)
    at.file_uploader[0].set_value(("я.png", image_bytes("PNG"), "image/png")).run()
    with db_engine.connect() as conn:
        stored = conn.execute(sa.select(visitor_photos.c.image).where(visitor_photos.c.visitor_id == newcomer.id)).scalar()
    assert Image.open(io.BytesIO(stored)).size == (256, 256)
    assert at.image and "**ТН**" not in texts(at)
    # a fresh, empty picker: Streamlit's English line about the chosen file does not stay
    assert at.file_uploader[0].value is None


@pytest.mark.parametrize(
    "name, data, mime",
    [("anim.png", image_bytes("GIF"), "image/png"), ("photo.jpg", b"not an image at all", "image/jpeg")],
    ids=["gif named png", "text named jpg"],
)
def test_anything_but_a_jpeg_or_png_is_refused(newcomer, db_engine, name, data, mime):
    at = as_visitor(newcomer)
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert at.file_uploader[0].value is None
    assert [e.value for e in at.error] == ["Это не фото в формате JPEG или PNG."]
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(visitor_photos)).scalar() == 0
