"""Every page renders for the roles it belongs to and is refused to the others."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import streamlit as st

from core.schema import bookings, events, sign_ins, visitors, volunteers
from core.participants import bookings_made_by
from tests.pages.conftest import ACTORS
from ui.clock import now, today
from ui.navigation import PAGES


PAGE_ROLES = {
    "schedule": {"admin"},
    "sessions": {"admin"},
    "catalog": {"admin"},
    "places": {"admin"},
    "attendance": {"admin", "coordinator"},
    "export": {"admin", "coordinator"},
    "volunteers": {"admin"},
    "desk": {"volunteer"},
    "door": {"admin", "volunteer"},
    "service": {"admin"},
}
PUBLIC_PAGES = ["home", "visitor", "volunteer_signup"]
ROLES = ["admin", "coordinator", "volunteer", "visitor"]


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_each_page_renders_for_its_roles_and_refuses_the_others(app, page, role):
    at = app(page, role)
    assert not at.exception
    refused = any("недоступен" in e.value for e in at.error)
    assert refused == (role not in PAGE_ROLES[page])


@pytest.mark.parametrize(("page", "role", "own_start"), [
    ("schedule", "volunteer", "desk"),
    ("desk", "admin", "schedule"),
    ("volunteers", "coordinator", "attendance"),
    ("attendance", "visitor", "visitor"),
])
def test_a_page_outside_ones_role_says_so_and_links_to_ones_own_start_page(app, page, role, own_start):
    at = app(page, role)
    assert [e.value for e in at.error] == ["Этот раздел вам недоступен."]
    links = [(link.label, link.proto.page) for link in at.main.get("page_link")]
    assert links == [("На свою начальную страницу", PAGES[own_start][3])]


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_a_signed_out_visit_to_a_staff_page_shows_the_login_and_no_data(app, page):
    at = app(page)
    assert not at.exception
    assert [b.label for b in at.button if b.label == "Войти"]
    assert not at.title or all(t.value != "Расписание" for t in at.title)
    texts = " ".join(m.value for m in at.markdown)
    assert "Стирка и душ" not in texts


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_render_without_signing_in(app, page):
    at = app(page)
    assert not at.exception


def test_the_start_page_puts_visitors_first_with_two_large_doors(app):
    at = app()
    assert [(b.key, b.label) for b in at.button] == [("home_visitor", "Я посетитель"), ("home_staff", "Я сотрудник или волонтёр")]
    assert at.button(key="home_visitor").proto.type == "primary"
    assert not at.text_input  # the staff form waits behind its door


def test_i_am_a_visitor_opens_the_visitor_page(app):
    at = app()
    at.button(key="home_visitor").click().run()
    assert not at.exception
    assert at.text_input(key="vp_card") and at.text_input(key="vp_pin")


def staff_door(at):
    at.button(key="home_staff").click().run()
    assert not at.exception
    return at


def test_demo_admin_signs_in_with_the_login_form_and_lands_on_the_schedule(app):
    at = staff_door(app())
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input("admin-demo")
    at.button[[b.label for b in at.button].index("Войти")].click().run()
    assert not at.exception
    assert at.session_state["actor"].role == "admin"
    at.run()  # the page the browser loads once it has its cookie
    assert any(t.value == "Расписание" for t in at.title)


def test_a_wrong_password_gets_one_generic_russian_message(app):
    at = staff_door(app())
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input("wrong-password")
    at.button[[b.label for b in at.button].index("Войти")].click().run()
    assert [e.value for e in at.error] == ["Неверный логин или пароль."]
    assert "actor" not in at.session_state


def spy_on_menu(monkeypatch) -> list[list[str]]:
    """The titles each run of app.py shows in Streamlit's menu (AppTest does not draw it)."""
    menus = []
    navigation = st.navigation

    def spy(pages, **options):
        listed = [page for section in pages.values() for page in section] if isinstance(pages, dict) else pages
        menus.append([page.title for page in listed if page.visibility == "visible"])
        return navigation(pages, **options)

    monkeypatch.setattr(st, "navigation", spy)
    return menus


@pytest.mark.parametrize(("role", "menu"), [
    (None, ["Главная", "Запись для посетителей", "Стать волонтёром"]),
    ("admin", ["Расписание", "Мероприятия", "Отметка у входа", "Справочник услуг", "Места", "Посещаемость", "Волонтёры",
               "Служебное"]),
    ("coordinator", ["Посещаемость", "Экспорт данных"]),
    ("volunteer", ["Стойка волонтёра", "Отметка у входа"]),
    ("visitor", ["Запись для посетителей"]),
])
def test_the_menu_shows_each_role_only_its_pages(app, monkeypatch, role, menu):
    menus = spy_on_menu(monkeypatch)
    at = app("attendance", role)
    assert not at.exception
    assert menus and menus[-1] == menu


def test_logout_forgets_the_person(app):
    at = app("schedule", "admin")
    at.button(key="logout").click().run()
    assert "actor" not in at.session_state


# --- a click after the sign-in ended writes nothing ---------------------------------------


def test_an_idle_admins_first_click_writes_nothing_and_shows_the_sign_in(app, db_engine):
    at = app("schedule", "admin")
    with db_engine.connect() as conn:
        target = conn.execute(sa.select(events.c.id).where(events.c.title == "Большой день помощи")).scalar_one()
    at.button(key=f"ev_archive_{target}").click().run()
    with db_engine.begin() as conn:  # 31 minutes pass before the confirming click
        conn.execute(sign_ins.update().values(last_seen_at=now() - timedelta(minutes=31)))
    at.button(key=f"ev_yes_archive_{target}").click().run()
    assert not at.exception
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(events.c.archived_at).where(events.c.id == target)).scalar() is None
    assert at.text_input(key="login_name")


def test_a_disabled_volunteers_click_at_the_desk_writes_nothing(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("mine").run()
    with db_engine.connect() as conn:
        target = next(b for b in bookings_made_by(conn, ACTORS["volunteer"].id, today()) if b.status == "expected")
    at.button(key=f"dk_cancel_{target.booking_id}").click().run()
    with db_engine.begin() as conn:  # an admin disables the volunteer before the confirming click
        conn.execute(volunteers.update().where(volunteers.c.id == ACTORS["volunteer"].id).values(status="deactivated"))
    at.button(key=f"dk_yes_cancel_{target.booking_id}").click().run()
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(bookings.c.status).where(bookings.c.id == target.booking_id)).scalar() == "expected"
    assert at.text_input(key="login_name")


def test_a_volunteer_signed_out_elsewhere_registers_nobody_at_the_desk(app, db_engine):
    at = app("desk", "volunteer")
    at.segmented_control(key="dk_tab").set_value("new").run()
    at.text_input(key="dk_first").input("Олег")
    at.text_input(key="dk_last").input("Сидоров")
    at.checkbox(key="dk_consent").check()
    with db_engine.begin() as conn:  # the volunteer signed out on another device
        conn.execute(sign_ins.update().values(ended_at=now()))
    at.button(key="dk_register").click().run()
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(visitors.c.last_name == "Сидоров", visitors.c.first_name == "Олег")).scalar() == 0
    assert at.text_input(key="login_name")
