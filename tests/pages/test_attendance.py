"""Посещаемость: coordinators and admins see the key figures and every chart; others are refused.

The page runs on a copy of the demo database; expected figures come from core.analytics on the
same file (its exact arithmetic is tested on a known data set in tests/core/test_analytics.py).
The chart and download builders are checked on small hand-made frames.
"""

import json
import re
from datetime import date, timedelta
from io import BytesIO

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.analytics import KeyFigures, key_figures, records_begin
from core.attendance_filter import AnalyticsFilter, default_filter
from core.schema import bookings, places
from core.spreadsheet import write_xlsx
from ui import charts
from ui.clock import today
from ui.db import after_write

CHART_KEYS = ["weeks", "services", "places", "fill", "no_show", "visitors"]
NBSP = "\u00a0"  # between a number and its %: looks like a space, never breaks the line


def chart_specs(at) -> dict[str, dict]:
    return {c.proto.id.rsplit("-", 1)[1].removeprefix("at_chart_"): json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def core_figures(engine, **narrowed) -> KeyFigures:
    with engine.connect() as conn:
        default = default_filter(today(), records_begin(conn))
        return key_figures(conn, AnalyticsFilter(default.start, default.end, **narrowed), today())


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_see_the_six_key_figures_and_every_chart(app, db_engine, role):
    at = app("attendance", role)
    assert not at.exception
    assert list(chart_specs(at)) == CHART_KEYS
    expected = core_figures(db_engine)
    assert metric_values(at) == {
        "Мероприятий прошло": str(expected.sessions_held),
        "Записей": str(expected.bookings),
        "Пришли": str(expected.attended),
        "Доля неявок": charts.percent(expected.no_show_rate),
        "Заполненность": charts.percent(expected.fill_rate),
        "Посетителей": str(expected.visitors),
    }
    assert expected.bookings > 0


def test_charts_are_drawn_again_after_any_write_in_the_app(app, db_engine):
    at = app("attendance", "coordinator")
    assert chart_specs(at)
    with db_engine.begin() as conn:
        conn.execute(bookings.update().values(status="cancelled"))
    at.run()
    assert chart_specs(at), "read from the cache until the app itself writes"
    after_write()  # what every page calls after it wrote
    at.run()
    assert not at.get("plotly_chart")
    assert metric_values(at)["Записей"] == "0"


@pytest.mark.parametrize("role", ["volunteer", "visitor"])
def test_volunteers_and_visitors_are_refused(app, role):
    at = app("attendance", role)
    assert not at.exception
    assert [e.value for e in at.error] == ["Этот раздел вам недоступен."]
    assert not at.get("plotly_chart") and not at.metric


def test_every_chart_speaks_russian(app):
    specs = chart_specs(app("attendance", "coordinator"))
    assert [s["layout"]["title"]["text"] for s in specs.values()] == [
        "Записи по неделям", "Записи по услугам", "Записи по местам",
        "Заполненность по дням и часам", "Неявки по услугам", "Новые и вернувшиеся",
    ]
    assert [t["name"] for t in specs["weeks"]["data"]] == ["Присутствовал", "Не пришел", "Ожидается"]
    assert [t["marker"]["color"] for t in specs["weeks"]["data"]] == ["#2e9e44", "#d93025", "#f5c518"]
    assert specs["weeks"]["data"][0]["x"][-1] == f"{today() - timedelta(days=today().weekday()):%d.%m}"
    assert specs["weeks"]["layout"]["xaxis"]["title"]["text"] == "Неделя с"
    assert specs["fill"]["data"][0]["x"] == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    assert [t["name"] for t in specs["visitors"]["data"]] == ["Новые", "Вернувшиеся"]
    for spec in specs.values():
        assert spec["layout"]["legend"]["orientation"] == "h"
        for trace in spec["data"]:
            assert "%{" in trace["hovertemplate"] and "<extra></extra>" in trace["hovertemplate"]


def test_the_place_filter_narrows_the_figures_and_the_reset_brings_all_back(app, db_engine):
    at = app("attendance", "coordinator")
    at.selectbox(key="at_place").select("Ясная").run()
    with db_engine.connect() as conn:
        place_id = conn.execute(sa.select(places.c.id).where(places.c.name == "Ясная")).scalar_one()
    narrowed = core_figures(db_engine, place_id=place_id)
    assert metric_values(at)["Записей"] == str(narrowed.bookings)
    assert narrowed.bookings < core_figures(db_engine).bookings
    assert "место\\: Ясная" in at.markdown[0].value  # md() escapes the colon
    assert [y for trace in chart_specs(at)["places"]["data"] for y in trace["y"]] == ["Ясная"] * 3
    at.button(key="at_reset").click().run()
    assert at.selectbox(key="at_place").value == "Все места"
    assert metric_values(at)["Записей"] == str(core_figures(db_engine).bookings)


def test_the_default_period_starts_where_the_demo_records_begin_not_with_empty_weeks(app, db_engine):
    at = app("attendance", "coordinator")
    with db_engine.connect() as conn:
        begin = records_begin(conn)
    assert today() - timedelta(days=89) < begin < today(), "the demo's records begin inside the last 90 days"
    assert (at.date_input(key="at_start").value, at.date_input(key="at_end").value) == (begin, today())
    # the first bar is the week the first booked session was in
    assert chart_specs(at)["weeks"]["data"][0]["x"][0] == charts.week_label(begin - timedelta(days=begin.weekday()))
    at.date_input(key="at_start").set_value(date(2020, 1, 1)).run()
    at.button(key="at_reset").click().run()
    assert at.date_input(key="at_start").value == begin


def test_no_changes_are_shown_against_a_previous_period_before_the_records_begin(app, db_engine):
    at = app("attendance", "coordinator")
    with db_engine.connect() as conn:
        begin = records_begin(conn)
    assert [m.delta for m in at.metric] == [""] * 6  # what AppTest reads for no delta
    assert f"Без сравнения с предыдущим периодом: записи ведутся только с {begin:%d.%m.%Y}." in [c.value for c in at.caption]


def test_changes_are_shown_against_a_fully_recorded_previous_period(app):
    at = app("attendance", "coordinator")
    at.date_input(key="at_start").set_value(today() - timedelta(days=13)).run()
    previous = f"{today() - timedelta(days=27):%d.%m.%Y}–{today() - timedelta(days=14):%d.%m.%Y} (14 дней)"
    assert f"Стрелки — изменение к предыдущему периоду такой же длины: {previous}." in [c.value for c in at.caption]
    assert all(m.delta for m in at.metric)


def test_a_period_ending_before_it_starts_is_refused_under_the_end_date(app):
    at = app("attendance", "coordinator")
    at.date_input(key="at_end").set_value(today() - timedelta(days=100)).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Начало периода позже его конца."]
    assert not at.get("plotly_chart") and not at.metric


def test_a_period_without_bookings_says_so_instead_of_empty_charts(app):
    at = app("attendance", "coordinator")
    at.date_input(key="at_start").set_value(date(2020, 1, 1))
    at.date_input(key="at_end").set_value(date(2020, 3, 31)).run()
    assert not at.exception
    assert metric_values(at)["Записей"] == "0"
    assert "За выбранный период записей нет" in at.info[0].value
    assert not at.get("plotly_chart")


def test_a_future_period_has_no_held_sessions_so_fill_and_no_show_say_there_is_no_data(app):
    at = app("attendance", "coordinator")
    at.date_input(key="at_start").set_value(today() + timedelta(days=1))
    at.date_input(key="at_end").set_value(today() + timedelta(days=14)).run()
    assert not at.exception
    assert metric_values(at)["Мероприятий прошло"] == "0"
    assert list(chart_specs(at)) == ["weeks", "services", "places", "visitors"]
    assert [i.value for i in at.info] == ["Для этого графика в выбранном периоде нет данных."] * 2


def test_each_chart_and_the_key_figures_can_be_downloaded(app):
    at = app("attendance", "coordinator")
    keys = [b.key for b in at.get("download_button")]
    assert keys == ["at_dl_pokazateli", *(f"at_dl_{k}" for k in CHART_KEYS)]


# --- the builders behind the charts and downloads -----------------------------------------


def read_xlsx(data: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))


def test_the_weekly_download_holds_the_numbers_of_the_chart():
    frame = pd.DataFrame(
        {"period": [date(2026, 11, 2), date(2026, 11, 9)], "attended": [5, 0], "no_show": [2, 0], "expected": [0, 3]}
    )
    chart = charts.over_time_chart(frame, "week")
    assert chart.figure.data[0].x == ("02.11", "09.11")
    rows = read_xlsx(write_xlsx(chart.title, "Записи по неделям. Период …", chart.columns, chart.rows))
    assert rows[1] == ("Неделя с", "Присутствовал", "Не пришел", "Ожидается", "Всего")
    assert rows[2:] == [
        (pd.Timestamp(2026, 11, 2).to_pydatetime(), 5, 2, 0, 7),
        (pd.Timestamp(2026, 11, 9).to_pydatetime(), 0, 0, 3, 3),
    ]


def test_names_from_the_database_are_inert_in_charts_and_in_spreadsheets():
    frame = pd.DataFrame(
        [{"name": '=HYPERLINK("x") <b>Двор</b>', "attended": 1, "no_show": 1, "expected": 0, "bookings": 2, "no_show_rate": 0.5}]
    )
    chart = charts.breakdown_chart(frame, "places", "Записи по местам", "Место")
    assert "<b>" not in chart.figure.data[0].y[0] and "&lt;b&gt;" in chart.figure.data[0].y[0]
    sheet = load_workbook(BytesIO(write_xlsx(chart.title, "", chart.columns, chart.rows))).active
    assert sheet["A3"].value == '=HYPERLINK("x") <b>Двор</b>'
    assert sheet["A3"].data_type == "s"


def test_the_fill_grid_has_seven_weekdays_and_the_busy_hours():
    frame = pd.DataFrame(
        {"weekday": [2, 4], "hour": [10, 12], "sessions": [2, 1], "booked": [3, 1], "capacity": [4, 2], "fill_rate": [0.75, 0.5]}
    )
    heatmap = charts.fill_chart(frame).figure.data[0]
    assert heatmap.x == ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
    assert heatmap.y == ("10:00", "12:00")
    assert [[t.replace(NBSP, " ") for t in row] for row in heatmap.text] == [["", "75 %", "", "", "", "", ""], ["", "", "", "50 %", "", "", ""]]


@pytest.mark.parametrize(
    "first, label, name",
    [
        (date(2026, 1, 1), "янв. 2026", "январь 2026"),
        (date(2026, 5, 1), "май 2026", "май 2026"),
        (date(2026, 11, 1), "нояб. 2026", "ноябрь 2026"),
    ],
)
def test_months_are_named_in_russian(first, label, name):
    assert (charts.month_label(first), charts.month_name(first)) == (label, name)


@pytest.mark.parametrize(
    "value, previous, is_rate, shown, delta",
    [
        (1234, 1000, False, "1 234", "+234"),
        (5, 8, False, "5", "-3"),
        (0.25, 0.2, True, "25 %", "+5,0 п. п."),
        (0.2, None, True, "20 %", None),
        (None, None, True, "—", None),
    ],
)
def test_key_figures_show_russian_numbers_and_the_change(value, previous, is_rate, shown, delta):
    figure = charts.KeyFigure("x", "", value, previous, is_rate)
    assert (figure.shown.replace(NBSP, " "), figure.delta) == (shown, delta)


def test_the_key_figures_download_has_a_previous_column_only_when_compared():
    figures = [charts.KeyFigure("Записей", "", 12, None), charts.KeyFigure("Доля неявок", "", 0.25, None, True)]
    columns, rows = charts.key_figures_table(figures, "01.03.2026–10.03.2026 (10 дней)", None)
    assert [c.title for c in columns] == ["Показатель", "Период 01.03.2026–10.03.2026 (10 дней)"]
    assert rows == [("Записей", 12), ("Доля неявок, %", 25.0)]
    compared = [charts.KeyFigure("Записей", "", 12, 10)]
    columns, rows = charts.key_figures_table(compared, "01.03.2026–10.03.2026 (10 дней)", "19.02.2026–28.02.2026 (10 дней)")
    assert len(columns) == 3 and rows == [("Записей", 12, 10)]


def test_every_percentage_on_the_page_reads_43_space_percent(app):
    at = app("attendance", "coordinator")
    shown = [m.value for m in at.metric if m.label in ("Доля неявок", "Заполненность")]
    specs = chart_specs(at)
    cells = [t for row in specs["fill"]["data"][0]["text"] for t in row if t]
    bars = specs["no_show"]["data"][0]["text"]
    assert shown and cells and bars
    for text in shown + cells + bars:
        assert re.fullmatch(r"\d+\u00a0%", text), text
    assert specs["no_show"]["layout"]["xaxis"]["ticksuffix"] == NBSP + "%"
    assert "tickformat" not in specs["no_show"]["layout"]["xaxis"]  # plotly's ".0%" writes "40%"


def test_a_service_with_no_no_shows_gets_its_0_percent_beside_the_empty_bar():
    frame = pd.DataFrame(
        [{"name": n, "attended": a, "no_show": s, "expected": 0, "bookings": a + s, "no_show_rate": s / (a + s)}
         for n, a, s in (("Душ", 1, 1), ("Стирка", 4, 0))]
    )
    bar = charts.no_show_chart(frame).figure.data[0]
    assert list(bar.x) == [50, 0]
    assert [t.replace(NBSP, " ") for t in bar.text] == ["50 %", "0 %"]
    assert list(bar.textposition) == ["auto", "outside"]  # plotly draws no text on a bar of width 0


def test_an_empty_week_or_month_is_marked_0_not_left_a_blank_slot():
    weeks = pd.DataFrame(
        {"period": [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)],
         "attended": [5, 0, 1], "no_show": [2, 0, 0], "expected": [0, 0, 0]}
    )
    marks = charts.over_time_chart(weeks, "week").figure.data[-1]
    assert (marks.type, marks.mode, marks.x, marks.text) == ("scatter", "text", ("09.11",), ("0",))
    assert marks.customdata == ("неделя с 09.11.2026",)
    months = pd.DataFrame({"month": [date(2026, 1, 1), date(2026, 2, 1)], "visitors": [0, 3], "new": [0, 1], "returning": [0, 2]})
    marks = charts.visitors_chart(months).figure.data[-1]
    assert (marks.x, marks.text) == (("янв. 2026",), ("0",))
    full = pd.DataFrame({"period": [date(2026, 11, 2)], "attended": [1], "no_show": [0], "expected": [0]})
    assert [t.type for t in charts.over_time_chart(full, "week").figure.data] == ["bar"] * 3
