"""Every page renders for the roles it belongs to and is refused to the others."""

import pytest


PAGE_ROLES = {
    "schedule": {"admin"},
    "sessions": {"admin"},
    "catalog": {"admin"},
    "attendance": {"admin", "coordinator"},
    "export": {"admin", "coordinator"},
    "volunteers": {"admin"},
    "desk": {"volunteer"},
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


def test_demo_admin_signs_in_with_the_login_form_and_lands_on_the_schedule(app):
    at = app()
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input("admin-demo")
    at.button[[b.label for b in at.button].index("Войти")].click().run()
    assert not at.exception
    assert at.session_state["actor"].role == "admin"
    assert any(t.value == "Расписание" for t in at.title)


def test_a_wrong_password_gets_one_generic_russian_message(app):
    at = app()
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input("wrong-password")
    at.button[[b.label for b in at.button].index("Войти")].click().run()
    assert [e.value for e in at.error] == ["Неверный логин или пароль."]
    assert "actor" not in at.session_state


def test_the_menu_shows_each_role_only_its_pages(app):
    at = app("attendance", "coordinator")
    links = [link.label for link in at.sidebar.get("page_link")]
    assert links == ["Посещаемость", "Экспорт данных"]


def test_logout_forgets_the_person(app):
    at = app("schedule", "admin")
    at.button(key="logout").click().run()
    assert "actor" not in at.session_state
