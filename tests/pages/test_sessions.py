"""Мероприятия: lists, filters, edit and delete one date, the participants panel, the calendar."""

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.events import load_events
from core.schema import bookings, occurrences, sessions, visitors
from core.sessions import SessionFilter, list_sessions, sessions_between
from tests.pages.conftest import ACTORS
from ui.clock import now
from ui.clock import today


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def row_titles(at) -> list[str]:
    return [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**") and "  \n" in m.value]


def upcoming(engine, **filters):
    with engine.connect() as conn:
        return list_sessions(conn, load_events(conn), SessionFilter(**filters), today(), upcoming=True, limit=500)[0]


def past(engine, **filters):
    with engine.connect() as conn:
        return list_sessions(conn, load_events(conn), SessionFilter(**filters), today(), upcoming=False, limit=500)[0]


def key_of(session) -> str:
    return f"{session.event_service_id}_{session.date:%Y%m%d}"


def test_upcoming_lists_the_nearest_sessions_first_with_place_and_participants(app, db_engine):
    at = app("sessions", "admin")
    expected = upcoming(db_engine)[:20]
    assert row_titles(at) == [s.service_name for s in expected]
    texts = [m.value for m in at.markdown]
    assert f"📍\u00a0{expected[0].place_name}" in texts
    assert any(t.startswith(f"👥 {expected[0].booked}/{expected[0].capacity}") for t in texts)


def test_past_lists_the_most_recent_first_and_pages_go_on(app):
    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("past").run()
    dates = [m.value.split(",")[0] for m in at.markdown if m.value[:2].isdigit() and "," in m.value]
    yesterday = (today() - timedelta(days=1)).strftime("%d.%m.%Y")
    assert dates[0] == yesterday
    click(at, "ss_page_past_next")
    assert any(c.value == "Страница 2" for c in at.caption)


@pytest.mark.parametrize(
    "key, label, kept",
    [
        ("sf_service", "Психолог", lambda s: s.service_name == "Психолог"),
        ("sf_place", "Ясная", lambda s: s.place_name == "Ясная"),
    ],
)
def test_service_and_place_filters_keep_only_matching_sessions(app, db_engine, key, label, kept):
    at = app("sessions", "admin")
    at.selectbox(key=key).select(label).run()
    titles = row_titles(at)
    expected = [s.service_name for s in upcoming(db_engine) if kept(s)][:20]
    assert titles == expected and titles


def test_the_participant_filter_keeps_only_that_persons_sessions(app, db_engine):
    at = app("sessions", "admin")
    at.text_input(key="sf_person_q").input("100001").run()
    assert at.selectbox(key="sf_person").value.startswith("Толстихин Виктор")
    with db_engine.connect() as conn:
        person = conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == "100001")).scalar()
    expected = [s.service_name for s in upcoming(db_engine, visitor_id=person)]
    assert row_titles(at) == expected[:20]
    assert len(row_titles(at)) < 20


def test_a_participant_search_that_finds_nobody_empties_the_list(app):
    at = app("sessions", "admin")
    at.text_input(key="sf_person_q").input("Несуществующий Человек").run()
    assert any("Нет мероприятий" in i.value for i in at.info)


def test_editing_a_session_changes_only_that_date(app, db_engine):
    first, second = [s for s in upcoming(db_engine) if s.service_name == "Стирка"][:2]
    at = app("sessions", "admin")
    click(at, f"ss_edit_{key_of(first)}")
    at.time_input(key=f"se_start_{key_of(first)}").set_value(time(11, 0))
    at.time_input(key=f"se_end_{key_of(first)}").set_value(time(13, 0))
    at.number_input(key=f"se_cap_{key_of(first)}").set_value(6)
    click(at, f"se_save_{key_of(first)}")
    assert any("изменено" in s.value for s in at.success)
    after = {key_of(s): s for s in upcoming(db_engine)}
    assert (after[key_of(first)].start_time, after[key_of(first)].capacity) == (time(11, 0), 6)
    assert (after[key_of(second)].start_time, after[key_of(second)].capacity) == (second.start_time, second.capacity)


@pytest.mark.parametrize(
    "capacity, message",
    [
        (0, "Вместимость — от 1 до 1000."),
        (16, "Вместимость услуги не может быть больше вместимости события (15)."),
    ],
)
def test_session_capacity_outside_its_bounds_is_refused(app, db_engine, capacity, message):
    target = next(s for s in upcoming(db_engine) if s.service_name == "Стирка")
    at = app("sessions", "admin")
    click(at, f"ss_edit_{key_of(target)}")
    at.number_input(key=f"se_cap_{key_of(target)}").set_value(capacity)
    click(at, f"se_save_{key_of(target)}")
    assert [e.value for e in at.error] == [message]


def test_session_capacity_below_the_people_booked_is_refused(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.booked >= 2)
    at = app("sessions", "admin")
    click(at, f"ss_edit_{key_of(target)}")
    at.number_input(key=f"se_cap_{key_of(target)}").set_value(target.booked - 1)
    click(at, f"se_save_{key_of(target)}")
    assert [e.value for e in at.error] == [f"Вместимость меньше числа записанных: записано {target.booked}."]


def test_deleting_a_booked_session_is_refused(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.booked)
    at = app("sessions", "admin")
    click(at, f"ss_delete_{key_of(target)}")
    assert any("удалить его нельзя" in e.value for e in at.error)
    assert key_of(target) in {key_of(s) for s in upcoming(db_engine)}


def test_deleting_an_empty_session_removes_that_date_only(app, db_engine):
    target = next(s for s in upcoming(db_engine) if not s.booked and s.date > today())
    at = app("sessions", "admin")
    click(at, f"ss_delete_{key_of(target)}")
    click(at, f"sd_yes_{key_of(target)}")
    remaining = {key_of(s) for s in upcoming(db_engine)}
    assert key_of(target) not in remaining
    assert any(s.event_service_id == target.event_service_id and s.date > target.date for s in upcoming(db_engine))


def test_the_calendar_shows_a_day_with_eight_or_more_sessions(app, db_engine):
    big_day = today() + timedelta(days=5)  # the demo's «Большой день помощи»: 8 services
    with db_engine.connect() as conn:
        expected = len(sessions_between(conn, load_events(conn), SessionFilter(), big_day, big_day, today()))
    assert expected >= 8
    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("calendar").run()
    at.session_state["cal_anchor"] = big_day
    at.run()
    heading = next(m.value for m in at.markdown if big_day.strftime("%d.%m") in m.value)
    assert f"{expected} мероприяти" in heading
    at.segmented_control(key="cal_view").set_value("month").run()
    assert not at.exception


# --- the participants panel, run directly (AppTest cannot click inside st.dialog) -------


def panel_script(event_service_id: int, day_text: str, actor) -> None:
    # AppTest runs this function's body as a script: its imports must live inside it
    from datetime import date

    import streamlit as st

    from core import sign_ins
    from ui import participants
    from ui.clock import now
    from ui.db import get_engine

    if "sign_in_id" not in st.session_state:
        st.session_state["sign_in_id"], _ = sign_ins.start(get_engine(), actor, now())
        st.session_state["actor"] = actor
    participants.render(event_service_id, date.fromisoformat(day_text))


def open_panel(session) -> AppTest:
    at = AppTest.from_function(panel_script, args=(session.event_service_id, session.date.isoformat(), ACTORS["admin"]), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def active_statuses(engine, session) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(bookings.c.id, bookings.c.status)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(sessions.c.event_service_id == session.event_service_id, sessions.c.date == session.date)
        ).all()
    return dict(rows)


def test_the_panel_header_shows_session_and_event_counts(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.booked >= 3)
    at = open_panel(target)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Записано на услугу": f"{target.booked} / {target.capacity}",
        "Участников события в этот день": f"{target.participants} / {target.event_capacity}",
    }


def test_bulk_status_marks_three_selected_people_in_one_go(app, db_engine):
    target = next(s for s in past(db_engine) if s.booked >= 3)
    at = open_panel(target)
    chosen = [b for b, status in active_statuses(db_engine, target).items() if status != "cancelled"][:3]
    for booking_id in chosen:
        at.checkbox(key=f"pp_sel_{booking_id}").check()
    at.selectbox(key="pp_status").set_value("attended")
    at.text_input(key="pp_comment").input("пришли вместе")
    click(at, "pp_apply")
    assert any("Присутствовал" in s.value and ": 3" in s.value for s in at.success)
    statuses = active_statuses(db_engine, target)
    assert [statuses[b] for b in chosen] == ["attended"] * 3


def test_a_future_session_offers_only_expected_and_says_when_marks_open(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.booked >= 1 and s.date > today())
    at = open_panel(target)
    assert at.selectbox(key="pp_status").options == ["Ожидается"]
    assert any("можно с дня мероприятия" in c.value for c in at.caption)


def test_a_status_comment_is_kept_beside_the_visitors_own_comment(app, db_engine):
    target = next(s for s in past(db_engine) if s.booked >= 1)
    booking_id = next(b for b, status in active_statuses(db_engine, target).items() if status != "cancelled")
    with db_engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(comment="Опоздаю на 10 минут"))
    at = open_panel(target)
    at.checkbox(key=f"pp_sel_{booking_id}").check()
    at.selectbox(key="pp_status").set_value("no_show")
    at.text_input(key="pp_comment").input("звонили, не ответил")
    click(at, "pp_apply")
    # the person's block: the name, then small grey lines, both comments among them
    (block,) = at.get_by_key(f"pp_row_{booking_id}").markdown
    lines = block.value.split("  \n")
    assert ":small[:gray[💬 Опоздаю на 10 минут]]" in lines
    assert ":small[:gray[📝 Комментарий сотрудника: звонили, не ответил]]" in lines
    with db_engine.connect() as conn:
        stored = conn.execute(sa.select(bookings.c.comment, bookings.c.staff_comment).where(bookings.c.id == booking_id)).one()
    assert tuple(stored) == ("Опоздаю на 10 минут", "звонили, не ответил")


def test_select_all_selects_every_active_booking(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.booked >= 3)
    at = open_panel(target)
    at.checkbox(key="pp_all").check().run()
    active = [b for b, status in active_statuses(db_engine, target).items() if status != "cancelled"]
    assert all(at.checkbox(key=f"pp_sel_{b}").value for b in active)


def find_and_add(at, query: str, visitor_id: int):
    at.text_input(key="pp_add_query").input(query).run()
    at.radio(key="pp_add_choice").set_value(visitor_id)
    click(at, "pp_add")
    return at


def someone_not_booked(engine, session) -> tuple[int, str]:
    with engine.connect() as conn:
        booked = set(conn.execute(
            sa.select(bookings.c.visitor_id)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id))
            .where(sessions.c.event_id == session.event_id, sessions.c.date == session.date)
        ).scalars())
        row = conn.execute(sa.select(visitors.c.id, visitors.c.card_number).where(visitors.c.id.not_in(booked)).limit(1)).one()
    return row.id, row.card_number


def test_admin_adds_a_participant_found_by_card_number(app, db_engine):
    target = next(s for s in upcoming(db_engine) if not s.is_full)
    person, card = someone_not_booked(db_engine, target)
    at = find_and_add(open_panel(target), card, person)
    assert any("добавлен" in s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["Записано на услугу"] == f"{target.booked + 1} / {target.capacity}"


def test_adding_the_same_person_twice_is_refused(app, db_engine):
    target = next(s for s in upcoming(db_engine) if not s.is_full)
    person, card = someone_not_booked(db_engine, target)
    at = find_and_add(open_panel(target), card, person)
    at = find_and_add(at, card, person)
    assert [w.value for w in at.warning] == ["Этот человек уже записан на эту услугу."]


def test_adding_to_a_full_session_is_refused_with_a_warning(app, db_engine):
    from core.session_changes import edit_session
    from ui.clock import now

    target = next(s for s in upcoming(db_engine) if s.booked >= 2 and s.date > today())
    edit_session(db_engine, target, target.start_time, target.end_time, target.booked, ACTORS["admin"], now())
    person, card = someone_not_booked(db_engine, target)
    before = active_statuses(db_engine, target)
    at = find_and_add(open_panel(target), card, person)
    assert [w.value for w in at.warning] == ["Мест на эту услугу больше нет."]
    assert active_statuses(db_engine, target) == before


def test_adding_to_a_full_event_day_is_refused_with_a_warning(app, db_engine):
    target = next(s for s in upcoming(db_engine) if s.participants >= 1 and not s.is_full and s.date > today())
    with db_engine.begin() as conn:
        conn.execute(
            occurrences.update()
            .where(occurrences.c.event_id == target.event_id, occurrences.c.date == target.date)
            .values(capacity=target.participants)
        )
    person, card = someone_not_booked(db_engine, target)
    at = find_and_add(open_panel(target), card, person)
    assert [w.value for w in at.warning] == ["На это событие уже записано максимальное число участников."]


def test_admin_may_add_a_participant_outside_the_booking_window(app, db_engine):
    far = today() + timedelta(days=40)
    with db_engine.connect() as conn:
        events = load_events(conn)
        target = next(
            s for s in list_sessions(conn, events, SessionFilter(), far, upcoming=True, limit=50)[0]
            if (s.date - today()).days > s.window_days
        )
    person, card = someone_not_booked(db_engine, target)
    at = find_and_add(open_panel(target), card, person)
    assert any("добавлен" in s.value for s in at.success)


def test_a_visitor_named_with_html_shows_as_text_in_the_participants_dialog(app, db_engine):
    payload = "<img src=x onerror=alert(1)>"
    target = next(s for s in upcoming(db_engine) if not s.is_full and s.date > today())
    person, _ = someone_not_booked(db_engine, target)
    with db_engine.begin() as conn:
        conn.execute(visitors.update().where(visitors.c.id == person).values(last_name=payload, comment=payload))
    from core.booking import SessionKey, book

    book(db_engine, person, [SessionKey(target.event_service_id, target.date)], ACTORS["admin"], now(), comment=payload)
    panel = open_panel(target)
    shown = [m.value for m in panel.markdown] + [c.value for c in panel.caption]
    assert any("\\<img src=x onerror=alert\\(1\\)\\>" in value for value in shown)
    assert not any("<img" in value.replace("\\<img", "") for value in shown)


# --- a person on two services of one day, an event brought back, stable colours -----------


def card_holder(engine, card: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == card)).scalar_one()


def buttons_with_key(at, key: str) -> int:
    return sum(1 for b in at.button if b.key == key)


def test_a_person_on_two_services_of_one_event_day_sees_each_session_once(app, db_engine):
    from core.booking import SessionKey, book
    from core.recurrence import plural
    from core.sessions import booked_session_keys

    person = card_holder(db_engine, "100001")
    big_day = today() + timedelta(days=5)
    with db_engine.connect() as conn:
        mine = booked_session_keys(conn, person)
    two = [
        s for s in upcoming(db_engine)
        if s.date == big_day and s.event_title == "Большой день помощи" and not s.is_full
        and (s.event_service_id, s.date) not in mine
    ][:2]
    book(db_engine, person, [SessionKey(s.event_service_id, s.date) for s in two], ACTORS["admin"], now())
    with db_engine.connect() as conn:
        ahead = booked_session_keys(conn, person, start=today())
    week_start = big_day - timedelta(days=big_day.weekday())
    in_week = [k for k in ahead if week_start <= k[1] <= week_start + timedelta(days=6)]
    on_big_day = sum(1 for k in ahead if k[1] == big_day)

    at = app("sessions", "admin")
    at.text_input(key="sf_person_q").input("100001").run()
    assert not at.exception
    assert len(row_titles(at)) == min(20, len(ahead))
    assert [buttons_with_key(at, f"ss_people_{key_of(s)}") for s in two] == [1, 1]

    at.segmented_control(key="ss_tab").set_value("calendar").run()
    at.session_state["cal_anchor"] = big_day
    at.run()
    assert not at.exception
    heading = next(m.value for m in at.markdown if big_day.strftime("%d.%m") in m.value)
    assert heading.endswith(f" · {on_big_day} {plural(on_big_day, 'мероприятие', 'мероприятия', 'мероприятий')}")
    assert f"Мероприятий в периоде: {len(in_week)}." in [c.value.split(" Период")[0] for c in at.caption]
    assert [buttons_with_key(at, f"cal_{key_of(s)}") for s in two] == [1, 1]


def test_a_one_off_event_brought_back_on_a_new_date_keeps_its_past_session_and_people(app, db_engine):
    from core.event_changes import activate_event

    with db_engine.connect() as conn:
        event = next(e for e in load_events(conn) if e.title == "Парикмахерская акция")
        old = event.first_date
        session_key = f"{event.services[0].id}_{old:%Y%m%d}"
        card = conn.execute(
            sa.select(visitors.c.card_number)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(visitors, visitors.c.id == bookings.c.visitor_id))
            .where(sessions.c.event_id == event.id, bookings.c.status == "attended")
            .limit(1)
        ).scalar_one()
    activate_event(db_engine, event.id, ACTORS["admin"], now(), new_date=today() + timedelta(days=7))

    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("past").run()
    at.selectbox(key="sf_service").select("Парикмахер").run()
    assert buttons_with_key(at, f"ss_people_{session_key}") == 1
    at.text_input(key="sf_person_q").input(card).run()
    assert buttons_with_key(at, f"ss_people_{session_key}") == 1

    at.segmented_control(key="ss_tab").set_value("calendar").run()
    at.session_state["cal_anchor"] = old
    at.run()
    assert buttons_with_key(at, f"cal_{session_key}") == 1


def colours_in_week(at, monday) -> dict[str, str]:
    """The calendar legend of the week starting `monday`: place name -> its marker."""
    at.session_state["cal_anchor"] = monday
    at.run()
    assert not at.exception
    legend = next(c.value for c in at.caption if c.value.startswith("Цвета: "))
    return dict(reversed(item.split(" ", 1)) for item in legend.removeprefix("Цвета: ").split(" · "))


def test_a_place_keeps_its_calendar_colour_from_week_to_week(app, db_engine):
    from core.event_changes import EventSpec, ServiceSpec, create_event
    from core.schema import services

    with db_engine.connect() as conn:
        service_id = conn.execute(sa.select(services.c.id).limit(1)).scalar_one()
    first_week = today() + timedelta(days=14 - today().weekday())
    second_week = first_week + timedelta(days=7)

    def one_off(title: str, day, start: time, **place) -> int:
        service = ServiceSpec(service_id, start, time(start.hour + 1), 5, 7)
        return create_event(db_engine, EventSpec(title, day, 5, services=[service], **place), ACTORS["admin"], now())

    # a new place's early session comes first in the second week only
    sokolniki = one_off("Сокольники", first_week, time(7, 30), new_place_name="Сокольники")
    with db_engine.connect() as conn:
        place_id = next(e.place_id for e in load_events(conn) if e.id == sokolniki)
    one_off("Сокольники снова", second_week, time(7, 30), place_id=place_id)
    one_off("Марьино", second_week, time(7, 0), new_place_name="Марьино")

    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("calendar").run()
    first, second = colours_in_week(at, first_week), colours_in_week(at, second_week)

    assert "Марьино" in second and "Марьино" not in first
    assert first["Сокольники"] == second["Сокольники"]
    assert all(first[place] == second[place] for place in first.keys() & second.keys())


def test_an_admin_adds_past_the_limit_per_person_only_with_a_reason(app, db_engine):
    from core.audit import search
    from core.booking import SessionKey, book
    from core.schema import event_services, services

    found = upcoming(db_engine)
    first, second = next(
        (a, b) for a in found for b in found
        if a.service_id == b.service_id and a.date != b.date and not a.is_full and not b.is_full
    )
    with db_engine.begin() as conn:
        conn.execute(services.update().where(services.c.id == first.service_id).values(limit_days=365))
        busy = set(conn.execute(
            sa.select(bookings.c.visitor_id)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(event_services, event_services.c.id == sessions.c.event_service_id))
            .where(event_services.c.service_id == first.service_id)
        ).scalars())
        person, card = conn.execute(sa.select(visitors.c.id, visitors.c.card_number).where(visitors.c.id.not_in(busy)).limit(1)).one()
    book(db_engine, person, [SessionKey(first.event_service_id, first.date)], ACTORS["admin"], now())

    at = find_and_add(open_panel(second), card, person)
    [warning] = at.warning
    assert warning.value.startswith("Эту услугу можно получать не чаще раза в 365 дней: следующая запись возможна с ")
    click(at, "pp_override")
    assert [w.value for w in at.warning] == ["Укажите причину."]
    at.text_input(key="pp_override_reason").input("Одежду украли").run()
    click(at, "pp_override")
    assert any("добавлен" in s.value for s in at.success)
    with db_engine.connect() as conn:
        assert "Одежду украли" in search(conn, action="book")[0].detail
