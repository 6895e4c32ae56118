"""Расписание → the event form: weekly days that follow the first date, and the preview's warning."""

import re
from datetime import timedelta

import sqlalchemy as sa

from core.events import load_events
from core.recurrence import WEEKDAY_NAMES
from core.schema import events
from tests.pages.test_schedule import add_service, click, start_form
from ui.clock import today
from ui.format import ru_day_short


def make_weekly(at):
    at.radio(key="ev_kind").set_value("recurring").run()
    at.selectbox(key="ev_freq").set_value("weekly").run()
    return at


def set_first_date(at, day):
    at.date_input(key="ev_first_date").set_value(day).run()
    assert not at.exception
    return at


def weekday_warnings(at) -> list[str]:
    return [w.value for w in at.warning if "не входит в выбранные дни недели" in w.value]


def test_weekly_days_default_to_the_first_dates_weekday_and_follow_it(app, db_engine):
    # two days from today: never today's weekday, whatever instant the suite runs at
    first = today() + timedelta(days=2)
    at = start_form(app("schedule", "admin"), "Четверговая стирка")
    set_first_date(at, first)
    make_weekly(at)
    assert at.multiselect(key="ev_weekdays").value == [first.weekday()]

    later = first + timedelta(days=1)
    set_first_date(at, later)
    assert at.multiselect(key="ev_weekdays").value == [later.weekday()]
    assert not weekday_warnings(at)
    assert f"Ближайшие даты: {ru_day_short(later)}.{later.year}," in " ".join(c.value for c in at.caption)

    add_service(at, "Стирка")
    click(at, "ev_save")
    assert not at.error
    with db_engine.connect() as conn:
        new_id = conn.execute(sa.select(events.c.id).where(events.c.title == "Четверговая стирка")).scalar_one()
        event = load_events(conn, [new_id])[0]
    assert event.rule.weekdays == (later.weekday(),)
    assert event.occurs_on(later)


def test_days_picked_by_hand_stay_and_the_preview_warns_when_they_miss_the_first_date(app):
    first = today() + timedelta(days=2)
    at = make_weekly(set_first_date(start_form(app("schedule", "admin"), "Выбрано вручную"), first))
    other = (first.weekday() + 1) % 7
    at.multiselect(key="ev_weekdays").set_value([other]).run()
    name = WEEKDAY_NAMES[first.weekday()]
    assert weekday_warnings(at) and name in weekday_warnings(at)[0]
    assert weekday_warnings(at)[0].startswith(f"Первая дата — {name}")

    later = first + timedelta(days=7)
    set_first_date(at, later)
    assert at.multiselect(key="ev_weekdays").value == [other]  # the admin's choice is kept
    assert weekday_warnings(at)

    at.multiselect(key="ev_weekdays").set_value([other, later.weekday()]).run()
    assert not weekday_warnings(at)

    at.radio(key="ev_kind").set_value("one_off").run()  # the days' field is hidden for a run
    at.radio(key="ev_kind").set_value("recurring").run()
    assert at.multiselect(key="ev_weekdays").value == [other, later.weekday()]


def test_editing_a_weekly_event_keeps_its_days_when_the_first_date_moves(app, db_engine):
    with db_engine.connect() as conn:
        event = next(e for e in load_events(conn) if e.rule and e.rule.freq == "weekly" and e.rule.weekdays)
    at = app("schedule", "admin")
    click(at, f"ev_edit_{event.id}")
    assert at.multiselect(key="ev_weekdays").value == list(event.rule.weekdays)
    set_first_date(at, event.first_date + timedelta(days=1))
    assert at.multiselect(key="ev_weekdays").value == list(event.rule.weekdays)


def test_a_new_service_row_holds_no_more_places_than_the_event_so_the_first_save_is_accepted(app, db_engine):
    # the catalog gives «Выдача одежды» 25 places and «Психолог» 6; the event holds 20
    at = start_form(app("schedule", "admin"), "Одежда и разговор", capacity=20)
    add_service(at, "Выдача одежды")
    add_service(at, "Психолог")
    rows = at.session_state["ev_form"]["rows"]
    assert [at.number_input(key=f"ev_row_{row['uid']}_cap").value for row in rows] == [20, 6]
    click(at, "ev_save")
    assert not at.error
    assert any("создано" in s.value for s in at.success)
    with db_engine.connect() as conn:
        new_id = conn.execute(sa.select(events.c.id).where(events.c.title == "Одежда и разговор")).scalar_one()
        event = load_events(conn, [new_id])[0]
    assert sorted(es.capacity for es in event.services) == [6, 20]


def test_every_label_of_a_recurring_schedule_is_in_russian(app):
    at = make_weekly(start_form(app("schedule", "admin"), "Стирка по вторникам"))
    at.radio(key="ev_end").set_value("count").run()
    labels = [w.label for kind in ("number_input", "selectbox", "radio", "multiselect", "date_input") for w in getattr(at, kind)]
    options = [o for radio in at.radio for o in radio.options]
    assert "Каждые … нед." in labels and "После числа повторений" in options
    latin = [text for text in labels + options if re.search("[A-Za-z]", text)]
    assert latin == []
