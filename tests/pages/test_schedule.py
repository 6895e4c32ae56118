"""Расписание: create, edit, archive, activate, delete, filters — what the admin sees and what is stored."""

from datetime import time, timedelta

import sqlalchemy as sa

from core.event_changes import EventSpec, ServiceSpec, create_event, update_event
from core.events import get_event
from core.schema import bookings, event_services, events, places, sessions
from tests.core.test_events import kept, spec_of
from tests.pages.conftest import ACTORS
from ui.db import SHARED_VERSION_TTL, database_version
from ui.clock import now, today


def titles_listed(at) -> list[str]:
    return [m.value.strip("*").split("**")[0] for m in at.markdown if m.value.startswith("**")]


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def pick(at, key, label):
    at.selectbox(key=key).select(label).run()
    assert not at.exception
    return at


def event_id(engine, title) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(events.c.id).where(events.c.title == title)).scalar_one()


def start_form(at, title, capacity=20):
    click(at, "ev_create")
    at.text_input(key="ev_title").input(title)
    at.number_input(key="ev_capacity").set_value(capacity)
    return at


def add_service(at, name, capacity=None):
    pick(at, "ev_add_service", name)
    click(at, "ev_add_service_button")
    if capacity is not None:
        uid = at.session_state["ev_form"]["rows"][-1]["uid"]
        at.number_input(key=f"ev_row_{uid}_cap").set_value(capacity)
    return at


def test_admin_creates_a_one_off_event_with_two_services(app, db_engine):
    at = start_form(app("schedule", "admin"), "Зимняя раздача")
    add_service(at, "Стирка")
    add_service(at, "Душ")
    click(at, "ev_save")
    assert any("создано" in s.value for s in at.success)
    assert "Зимняя раздача" in titles_listed(at)
    with db_engine.connect() as conn:
        new_id = conn.execute(sa.select(events.c.id, events.c.freq).where(events.c.title == "Зимняя раздача")).one()
        assert new_id.freq is None
        assert conn.execute(sa.select(sa.func.count()).where(event_services.c.event_id == new_id.id)).scalar() == 2


def test_admin_creates_a_weekly_event_on_two_days_and_sees_its_rule_in_words(app, db_engine):
    at = start_form(app("schedule", "admin"), "Вечерний душ")
    at.radio(key="ev_kind").set_value("recurring").run()
    at.selectbox(key="ev_freq").set_value("weekly").run()
    at.multiselect(key="ev_weekdays").set_value([2, 4]).run()
    add_service(at, "Душ")
    click(at, "ev_save")
    assert not at.error
    texts = " ".join(c.value for c in at.caption)
    assert "каждую неделю по ср и пт" in texts


def test_a_service_capacity_above_the_event_capacity_is_refused_next_to_the_field(app, db_engine):
    at = start_form(app("schedule", "admin"), "Слишком много", capacity=5)
    add_service(at, "Стирка", capacity=8)
    with db_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar()
    click(at, "ev_save")
    assert [e.value for e in at.error] == ["Вместимость услуги не может быть больше вместимости события (5)."]
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == before


def test_an_event_without_services_is_refused(app):
    at = start_form(app("schedule", "admin"), "Без услуг")
    click(at, "ev_save")
    assert [e.value for e in at.error] == ["Добавьте хотя бы одну услугу."]


def test_a_new_place_is_created_from_the_form_and_a_duplicate_is_refused(app, db_engine):
    at = start_form(app("schedule", "admin"), "На новом месте")
    at.selectbox(key="ev_place").set_value(-1).run()
    at.text_input(key="ev_new_place").input("  цветной ").run()
    add_service(at, "Стирка")
    click(at, "ev_save")
    assert [e.value for e in at.error] == ["Такое место уже есть: «Цветной»."]
    at.text_input(key="ev_new_place").input("Марьино").run()
    click(at, "ev_save")
    assert not at.error
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(places.c.name).where(places.c.name == "Марьино")).scalar() == "Марьино"


def test_editing_an_event_keeps_its_id_and_saves_the_new_title(app, db_engine):
    at = app("schedule", "admin")
    target = event_id(db_engine, "Стирка и душ")
    click(at, f"ev_edit_{target}")
    assert at.text_input(key="ev_title").value == "Стирка и душ"
    at.text_input(key="ev_title").input("Стирка, душ и чай")
    click(at, "ev_save")
    assert "Стирка, душ и чай" in titles_listed(at)
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(events.c.title).where(events.c.id == target)).scalar() == "Стирка, душ и чай"


def test_archiving_states_the_people_affected_and_cancels_their_future_bookings(app, db_engine):
    at = app("schedule", "admin")
    target = event_id(db_engine, "Большой день помощи")
    with db_engine.connect() as conn:
        expected_people = conn.execute(
            sa.select(sa.func.count(sa.distinct(bookings.c.visitor_id)))
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(sessions.c.event_id == target, sessions.c.date >= today(), bookings.c.status == "expected")
        ).scalar()
    assert expected_people > 0
    click(at, f"ev_archive_{target}")
    warning = " ".join(w.value for w in at.warning)
    assert "Их записи будут отменены" in warning and f"записаны {expected_people} " in warning
    click(at, f"ev_yes_archive_{target}")
    assert "Большой день помощи" not in titles_listed(at)
    with db_engine.connect() as conn:
        active = conn.execute(
            sa.select(sa.func.count())
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(sessions.c.event_id == target, bookings.c.status != "cancelled")
        ).scalar()
    assert active == 0
    at.radio(key="ev_tab").set_value("archived").run()
    assert "Большой день помощи" in titles_listed(at)


def test_activating_a_one_off_event_needs_a_date_from_today_on(app, db_engine):
    at = app("schedule", "admin")
    at.radio(key="ev_tab").set_value("archived").run()
    target = event_id(db_engine, "Парикмахерская акция")
    click(at, f"ev_activate_{target}")
    at.date_input(key=f"ev_new_date_{target}").set_value(today() - timedelta(days=1)).run()
    click(at, f"ev_yes_activate_{target}")
    assert [e.value for e in at.error] == ["Дата не может быть раньше сегодняшней."]
    at.date_input(key=f"ev_new_date_{target}").set_value(today() + timedelta(days=3)).run()
    click(at, f"ev_yes_activate_{target}")
    at.radio(key="ev_tab").set_value("active").run()
    assert "Парикмахерская акция" in titles_listed(at)


def test_activating_an_archived_recurring_event_returns_it_to_active(app, db_engine):
    at = app("schedule", "admin")
    at.radio(key="ev_tab").set_value("archived").run()
    click(at, f"ev_activate_{event_id(db_engine, 'Летний душ')}")
    at.radio(key="ev_tab").set_value("active").run()
    assert "Летний душ" in titles_listed(at)


def test_deleting_an_event_with_history_is_refused_with_an_offer_to_archive(app, db_engine):
    at = app("schedule", "admin")
    target = event_id(db_engine, "Стирка и душ")
    click(at, f"ev_delete_{target}")
    assert any("удалить его нельзя" in e.value for e in at.error)
    assert at.button(key=f"ev_to_archive_{target}")
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(events.c.deleted_at).where(events.c.id == target)).scalar() is None


def test_deleting_an_event_without_history_removes_it_after_confirmation(app, db_engine):
    at = start_form(app("schedule", "admin"), "Ошибочное событие")
    add_service(at, "Душ")
    click(at, "ev_save")
    target = event_id(db_engine, "Ошибочное событие")
    click(at, f"ev_delete_{target}")
    assert any("нельзя отменить" in w.value for w in at.warning)
    click(at, f"ev_yes_delete_{target}")
    assert "Ошибочное событие" not in titles_listed(at)


def test_each_filter_narrows_the_list_and_reset_brings_everything_back(app, db_engine):
    at = app("schedule", "admin")
    everything = titles_listed(at)
    at.text_input(key="ef_text").input("гиляр").run()
    assert set(titles_listed(at)) == {"Приём врача и психолога", "Продуктовые наборы"}
    click(at, "ef_reset")
    at.selectbox(key="ef_kind").set_value("one_off").run()
    assert titles_listed(at) == ["Большой день помощи"]
    click(at, "ef_reset")
    pick(at, "ef_service", "Психолог")
    assert set(titles_listed(at)) == {"Приём врача и психолога", "Большой день помощи"}
    click(at, "ef_reset")
    pick(at, "ef_place", "Ясная")
    assert set(titles_listed(at)) == {"Юридическая помощь", "Большой день помощи"}
    click(at, "ef_reset")
    day = today() + timedelta(days=5)
    at.date_input(key="ef_from").set_value(day).run()
    at.date_input(key="ef_to").set_value(day).run()
    assert "Большой день помощи" in titles_listed(at) and "Продуктовые наборы" not in titles_listed(at)
    click(at, "ef_reset")
    assert titles_listed(at) == everything
    assert at.date_input(key="ef_from").value is None and at.date_input(key="ef_to").value is None


def test_dates_back_to_front_are_refused_under_the_second_field_and_filter_nothing(app):
    at = app("schedule", "admin")
    everything = titles_listed(at)
    at.date_input(key="ef_from").set_value(today() + timedelta(days=5)).run()
    at.date_input(key="ef_to").set_value(today() + timedelta(days=4)).run()
    assert [e.value for e in at.error] == ["Начало периода позже его конца."]
    assert titles_listed(at) == everything


def test_filters_survive_switching_tabs(app):
    at = app("schedule", "admin")
    pick(at, "ef_place", "Ясная")
    at.radio(key="ev_tab").set_value("archived").run()
    assert titles_listed(at) == ["Летний душ"]
    at.radio(key="ev_tab").set_value("active").run()
    assert at.selectbox(key="ef_place").value == "Ясная"
    assert set(titles_listed(at)) == {"Юридическая помощь", "Большой день помощи"}


def test_tabs_show_their_counts(app):
    at = app("schedule", "admin")
    assert at.radio(key="ev_tab").options == ["Активные (6)", "Архивные (2)"]


def test_a_long_list_comes_twenty_events_a_page(app, db_engine):
    day = today() + timedelta(days=3)
    for n in range(20):
        service = ServiceSpec(service_id=1, start_time=time(10), end_time=time(11), capacity=5, window_days=7)
        create_event(db_engine, EventSpec(title=f"Лишнее {n:02}", first_date=day, capacity=5, place_id=1, new_place_name=None,
                                          freq=None, interval=1, weekdays=(), end_kind="never", count=None, until=None,
                                          services=[service]), ACTORS["admin"], now())
    at = app("schedule", "admin")
    first_page = titles_listed(at)
    assert len(first_page) == 20
    assert any(c.value == "Страница 1 из 2" for c in at.caption)
    assert at.button(key="ev_page_active_prev").disabled
    click(at, "ev_page_active_next")
    second_page = titles_listed(at)
    assert second_page and not set(second_page) & set(first_page)
    assert at.radio(key="ev_tab").options[0] == f"Активные ({len(first_page) + len(second_page)})"
    assert at.button(key="ev_page_active_next").disabled
    # a filter starts again from the first page
    at.text_input(key="ef_text").input("Лишнее").run()
    assert titles_listed(at) == [f"Лишнее {n:02}" for n in range(20)]
    assert not any(c.value.startswith("Страница") for c in at.caption)


def test_a_change_made_through_another_instance_shows_here_within_seconds(app, db_engine):
    at = app("schedule", "admin")
    assert "Большой день помощи" in titles_listed(at)
    target = event_id(db_engine, "Большой день помощи")
    with db_engine.connect() as conn:
        event = get_event(conn, target)
    spec = spec_of(event, title="День помощи на Ясной")
    # another app instance on the same database: its write moves nothing in this process
    update_event(db_engine, target, spec, ACTORS["admin"], now(), kept_service_ids=kept(event))
    assert "Большой день помощи" in titles_listed(at.run())  # this instance's copy, for now
    database_version.clear()  # what SHARED_VERSION_TTL (5 s) of waiting does
    assert SHARED_VERSION_TTL <= 30
    listed = titles_listed(at.run())
    assert "День помощи на Ясной" in listed and "Большой день помощи" not in listed
