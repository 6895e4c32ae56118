"""Экспорт данных: who sees it, the live preview, and the files the download button hands out."""

import io
import json

import openpyxl
import pytest
import sqlalchemy as sa
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core.schema import audit_log, bookings
from tests.pages.conftest import table_as_read
from ui.format import md


@pytest.fixture
def downloads(monkeypatch):
    """Every file a download button registers: (bytes, mime, file name)."""
    seen = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        seen.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return seen


def count_in_db(engine, where: str = "TRUE") -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM bookings WHERE {where}")).scalar()


def found_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Найдено записей"))


NOT_CANCELLED = "status <> 'cancelled'"


def run(at):
    at.run()
    assert not at.exception
    return at


def test_the_coordinator_sees_the_preview_of_every_booking_but_the_cancelled(app, db_engine):
    at = app("export", "coordinator")
    assert not at.exception
    assert at.title[0].value == "Экспорт данных"
    assert found_line(at).startswith(f"Найдено записей: **{count_in_db(db_engine, NOT_CANCELLED)}**")
    assert "**Отбор:** " + md("Все услуги; все статусы, кроме отменённых") in [m.value for m in at.markdown]
    assert at.checkbox(key="ex_cancelled").value is False


def test_including_cancelled_brings_them_back_into_the_count_and_the_sentence(app, db_engine):
    at = app("export", "coordinator")
    at.checkbox(key="ex_cancelled").check()
    run(at)
    assert found_line(at).startswith(f"Найдено записей: **{count_in_db(db_engine)}**")
    assert "**Отбор:** " + md("Все услуги; все статусы, включая отменённые") in [m.value for m in at.markdown]


def test_a_chosen_status_list_decides_on_its_own_and_greys_out_the_cancelled_option(app):
    at = app("export", "coordinator")
    at.multiselect(key="ex_statuses").select("Отменено")
    run(at)
    assert at.checkbox(key="ex_cancelled").disabled
    assert set(table_as_read(at)["Статус"]) == {"Отменено"}
    frame = at.table[0].value
    assert list(frame.columns)[:5] == ["Тип мероприятия", "Дата", "Время", "Место", "ФИО"]
    assert len(frame) == 50


def test_the_admin_finds_the_export_as_a_tab_of_sessions(app, db_engine):
    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("export")
    run(at)
    assert found_line(at).startswith(f"Найдено записей: **{count_in_db(db_engine, NOT_CANCELLED)}**")


@pytest.mark.parametrize("role", ["volunteer", "visitor"])
def test_volunteers_and_visitors_are_refused(app, role):
    at = app("export", role)
    assert [e.value for e in at.error] == ["Этот раздел вам недоступен."]
    assert not at.table and not at.get("download_button")


def test_a_status_filter_changes_the_sentence_and_the_count(app, db_engine):
    at = app("export", "coordinator")
    at.multiselect(key="ex_statuses").select("Не пришел")
    run(at)
    assert "**Отбор:** " + md("Все услуги; статус: Не пришел") in [m.value for m in at.markdown]
    no_show = count_in_db(db_engine, "status = 'no_show'")
    assert found_line(at).startswith(f"Найдено записей: **{no_show}**")
    assert set(table_as_read(at)["Статус"]) == {"Не пришел"}


def test_a_service_filter_keeps_only_that_service(app):
    at = app("export", "coordinator")
    at.multiselect(key="ex_services").select("Душ")
    run(at)
    assert set(table_as_read(at)["Тип мероприятия"]) == {"Душ"}


def test_unticking_fields_removes_their_columns(app):
    at = app("export", "coordinator")
    for code in ("phone", "card", "comment", "staff_comment"):
        at.checkbox(key=f"ex_f_{code}").uncheck()
    run(at)
    assert "Телефон" not in at.table[0].value.columns
    assert list(at.table[0].value.columns) == ["Тип мероприятия", "Дата", "Время", "Место", "ФИО", "Статус", "Кем записан", "Дата записи"]


def test_no_field_chosen_is_refused_under_the_checkboxes(app):
    at = app("export", "coordinator")
    at.button(key="ex_no_fields").click()
    run(at)
    assert [e.value for e in at.error] == ["Выберите хотя бы одно поле."]
    assert not at.table


def test_the_download_button_hands_out_the_excel_file_and_the_export_is_audited(app, db_engine, downloads):
    at = app("export", "coordinator")
    at.multiselect(key="ex_statuses").select("Присутствовал")
    at.button(key="ex_make").click()
    run(at)
    data, mime, name = downloads[-1]
    assert name.startswith("записи-") and name.endswith(".xlsx") and mime.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    attended = count_in_db(db_engine, "status = 'attended'")
    assert sheet.max_row == 2 + attended
    assert {row[7] for row in sheet.iter_rows(min_row=3, values_only=True)} == {"Присутствовал"}
    with db_engine.connect() as conn:
        audit = conn.execute(sa.select(audit_log).where(audit_log.c.action == "export")).one()
    assert (audit.actor, json.loads(audit.detail)["rows"]) == ("staff:coordinator", attended)


def test_the_print_form_downloads_as_an_html_page(app, downloads):
    at = app("export", "coordinator")
    at.multiselect(key="ex_statuses").select("Не пришел")
    at.segmented_control(key="ex_format").set_value("print")
    at.button(key="ex_make").click()
    run(at)
    data, mime, name = downloads[-1]
    assert name.endswith(".html") and mime == "text/html"
    assert "Фильтры: Все услуги; статус: Не пришел" in data.decode("utf-8")


def test_a_format_the_browser_sent_back_empty_is_excel_again_and_makes_an_excel_file(app, downloads):
    at = app("export", "coordinator")
    at.segmented_control(key="ex_format").set_value(None)  # what a browser under load once sent
    run(at)
    assert at.segmented_control(key="ex_format").value == "xlsx"
    at.button(key="ex_make").click()
    run(at)
    data, mime, name = downloads[-1]
    assert name.endswith(".xlsx") and mime.endswith("spreadsheetml.sheet")
    assert openpyxl.load_workbook(io.BytesIO(data)).active.max_row > 2
    assert at.get("download_button")[0].proto.label.startswith("Скачать Excel")


def test_a_file_made_for_other_filters_is_not_offered(app, downloads):
    at = app("export", "coordinator")
    at.button(key="ex_make").click()
    run(at)
    assert at.get("download_button")
    at.multiselect(key="ex_statuses").select("Отменено")
    run(at)
    assert not at.get("download_button")


def test_filters_survive_a_visit_to_another_tab(app):
    at = app("sessions", "admin")
    at.segmented_control(key="ss_tab").set_value("export")
    run(at)
    at.multiselect(key="ex_statuses").select("Отменено")
    at.checkbox(key="ex_f_phone").uncheck()
    run(at)
    at.segmented_control(key="ss_tab").set_value("upcoming")
    run(at)
    at.segmented_control(key="ss_tab").set_value("export")
    run(at)
    assert at.multiselect(key="ex_statuses").value == ["Отменено"]
    assert "Телефон" not in at.table[0].value.columns


def test_an_empty_selection_says_so_and_offers_no_file(app, db_engine):
    with db_engine.begin() as conn:
        conn.execute(bookings.delete().where(bookings.c.status == "cancelled"))
    at = app("export", "coordinator")
    at.multiselect(key="ex_statuses").select("Отменено")
    run(at)
    assert [i.value for i in at.info] == ["Нет записей по выбранным фильтрам."]
    assert at.button(key="ex_make").disabled


def test_a_period_is_two_dates_and_back_to_front_is_refused_next_to_its_second_date(app, db_engine):
    at = app("export", "coordinator")
    with db_engine.connect() as conn:
        day = conn.execute(sa.text("SELECT min(date) FROM sessions")).scalar()
    at.date_input(key="ex_session_from").set_value(day)
    at.date_input(key="ex_session_to").set_value(day)
    run(at)
    assert "мероприятия " + md(f"{day:%d.%m.%Y}") in next(m.value for m in at.markdown if m.value.startswith("**Отбор:**"))
    at.date_input(key="ex_booked_from").set_value(day)
    at.date_input(key="ex_booked_to").set_value(day.replace(year=day.year - 1))
    run(at)
    assert [e.value for e in at.error] == ["Начало периода позже его конца."]
    assert not any(m.value.startswith("Найдено записей") for m in at.markdown)


def test_in_the_preview_a_phone_number_never_wraps_and_a_comment_may(app):
    frame = app("export", "coordinator").table[0].value
    phones = [phone for phone in frame["Телефон"] if phone]
    assert phones and not any(" " in phone or "-" in phone for phone in phones)  # no place to break
    assert any(" " in comment for comment in frame["Комментарий"])
