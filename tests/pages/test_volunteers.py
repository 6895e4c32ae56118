"""Volunteers: self-registration, approval, deactivation, and who-booked attribution."""

import pytest
import sqlalchemy as sa

from core.errors import DomainError
from core.accounts import authenticate
from core.schema import volunteers
from core.validation import format_phone
from ui.clock import now
from ui.format import md


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def fill_signup(at, first="Мария", last="Волкова", phone="8 916 111-22-33", login="maria.v", password="очень-длинный-пароль"):
    for key, value in (("vs_first", first), ("vs_last", last), ("vs_phone", phone), ("vs_login", login), ("vs_password", password)):
        at.text_input(key=key).input(value)
    return click(at, "vs_submit")


def volunteer_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(volunteers)).scalar()


def test_a_volunteer_registers_and_waits_for_approval(app, db_engine):
    at = fill_signup(app("volunteer_signup"))
    assert any("Заявка отправлена" in s.value for s in at.success)
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(volunteers).where(volunteers.c.login == "maria.v")).one()
    assert (row.status, row.phone) == ("pending", "+79161112233")
    with pytest.raises(DomainError) as refusal:
        authenticate(db_engine, "maria.v", "очень-длинный-пароль", now())
    assert refusal.value.code == "account_pending"


def test_a_new_request_shows_on_the_admins_open_list_at_its_next_click(app):
    admin = app("volunteers", "admin")
    assert not any("Волкова Мария" in m.value for m in admin.markdown)
    fill_signup(app("volunteer_signup"))
    admin.run()  # the admin's next click: the list is kept for reruns, but not past a write
    assert any("Волкова Мария" in m.value for m in admin.markdown)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("first", "А", "Не меньше 2 букв."),
        ("last", "Smith1", "Только буквы, дефис, апостроф и пробел."),
        ("phone", "12345", "Неверный номер. Пример: +7 (916) 123-45-67."),
        ("login", "я", "Логин — от 3 до 32 латинских букв, цифр, точек, дефисов или подчёркиваний."),
        ("password", "короткий", "Пароль — не меньше 10 символов."),
        ("login", "volunteer", "Этот логин уже занят."),
    ],
)
def test_bad_registration_input_is_refused_next_to_its_field_and_saves_nothing(app, db_engine, field, value, message):
    before = volunteer_count(db_engine)
    at = fill_signup(app("volunteer_signup"), **{field: value})
    assert [e.value for e in at.error] == [message]
    assert volunteer_count(db_engine) == before


def test_admin_approves_a_pending_volunteer_who_can_then_sign_in(app, db_engine):
    fill_signup(app("volunteer_signup"))
    at = app("volunteers", "admin")
    with db_engine.connect() as conn:
        volunteer_id = conn.execute(sa.select(volunteers.c.id).where(volunteers.c.login == "maria.v")).scalar()
    assert any("Ждут подтверждения: 2" in c.value for c in at.caption)
    click(at, f"vl_on_{volunteer_id}")
    assert any("подтверждён" in s.value for s in at.success)
    actor = authenticate(db_engine, "maria.v", "очень-длинный-пароль", now())
    assert actor.label == f"В-{volunteer_id:04d}"


def test_a_deactivated_volunteer_cannot_sign_in_and_keeps_their_bookings(app, db_engine):
    at = app("volunteers", "admin")
    click(at, "vl_off_1")
    click(at, "vl_yes_off_1")
    assert any("отключён" in s.value for s in at.success)
    with pytest.raises(DomainError) as refusal:
        authenticate(db_engine, "volunteer", "volunteer-demo", now())
    assert refusal.value.code == "login_failed"
    texts = " ".join(m.value for m in at.markdown)
    assert "В-0001" in texts


def test_disabling_a_volunteer_first_asks_and_no_keeps_them_active(app, db_engine):
    at = app("volunteers", "admin")
    click(at, "vl_off_1")
    assert any(w.value.startswith("Отключить волонтёра Орлова Ксения?") for w in at.warning)
    assert authenticate(db_engine, "volunteer", "volunteer-demo", now()).label == "В-0001"
    click(at, "vl_no_off_1")
    assert not [w for w in at.warning if w.value.startswith("Отключить волонтёра")]
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(volunteers.c.status).where(volunteers.c.id == 1)).scalar() == "active"


def test_the_list_shows_id_name_status_and_bookings_made(app):
    at = app("volunteers", "admin")
    texts = [m.value for m in at.markdown]
    assert "**В-0001**" in texts
    assert any("Орлова Ксения" in t for t in texts)


def test_ids_and_phone_numbers_are_shown_as_typed_so_a_copied_one_still_matches(app):
    # kept on one line by CSS (white-space), not by look-alike characters: «В‑0001» with a
    # non-breaking hyphen, copied into a search or a spreadsheet, is not «В-0001»
    at = app("volunteers", "admin")
    texts = [m.value for m in at.markdown]
    assert "**В-0001**" in texts
    assert md(format_phone("+79165550000")) in texts
    assert not any("\u2011" in t or "\u00a0" in t for t in texts)


def test_an_admin_gives_a_volunteer_a_new_password_shown_once_and_only_it_works(app, db_engine):
    at = app("volunteers", "admin")
    click(at, "vl_password_1")
    password = next(m.value for m in at.metric if m.label.startswith("Временный пароль"))
    assert any("Прежний больше не действует" in s.value for s in at.success)
    assert authenticate(db_engine, "volunteer", password, now()).label == "В-0001"
    with pytest.raises(DomainError):
        authenticate(db_engine, "volunteer", "volunteer-demo", now())
    at.run()
    assert not [m for m in at.metric if m.label.startswith("Временный пароль")]


def add_crew(engine, count: int) -> None:
    """`count` active volunteers «Бригадова Анна 01»…, straight into the table (no sign-up limits)."""
    with engine.begin() as conn:
        conn.execute(volunteers.insert(), [
            dict(first_name=f"Анна {n:02d}", last_name="Бригадова", phone=None, login=f"crew{n:02d}", password_hash="-",
                 status="active", created_at=now(), approved_at=now())
            for n in range(1, count + 1)
        ])


def shown_codes(at) -> list[str]:
    return [m.value.strip("*") for m in at.markdown if m.value.startswith("**В-")]


def test_a_long_list_comes_twenty_at_a_time_with_every_volunteer_reachable(app, db_engine):
    add_crew(db_engine, 30)
    with db_engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(volunteers)).scalar()
    at = app("volunteers", "admin")
    first_page = shown_codes(at)
    assert len(first_page) == 20
    assert any(c.value == f"Страница 1 из {-(-total // 20)}" for c in at.caption)
    click(at, "vl_page_next")
    second_page = shown_codes(at)
    assert len(first_page) + len(second_page) == total
    assert not set(first_page) & set(second_page)


def test_a_search_narrows_the_list_and_starts_from_its_first_page(app, db_engine):
    add_crew(db_engine, 30)
    at = app("volunteers", "admin")
    click(at, "vl_page_next")
    at.text_input(key="vl_search").input("Бригадова crew07").run()
    assert [b.key for b in at.button if b.key.startswith("vl_off_")] == [f"vl_off_{volunteer_id_of(db_engine, 'crew07')}"]
    assert not any(c.value.startswith("Страница") for c in at.caption)
    at.text_input(key="vl_search").input("Петров").run()
    assert [i.value for i in at.info] == ["Никого не нашли. Проверьте написание или сократите запрос."]
    assert not shown_codes(at)


def volunteer_id_of(engine, login: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(volunteers.c.id).where(volunteers.c.login == login)).scalar()
