"""Экспорт данных: the query, the filters and their sentence, the Excel file, the print form,
the door's sign-in sheet."""

import html
import io
import json
import re
import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from openpyxl.worksheet.errors import IgnoredErrors
from openpyxl.xml.functions import fromstring

from core import export
from core.errors import DomainError, NotAllowed, ValidationError
from core.events import load_events
from core.export import FIELDS, ExportFilter, export_file, preview
from core.paper import print_form, sign_in_sheet
from core.places import list_places, update_place
from core.schema import audit_log, bookings, visitors
from core.participants import participants_of
from core.sessions import get_session
from core import statuses
from tests.clock import DEFAULT_NOW
from tests.conftest import key_of
from ui.format import booked_by


@pytest.fixture
def now():
    """This module's scenario is written for its own Tuesday, 10.03.2026 09:00: it keeps that
    clock at every instant of the run (core takes `now` as an input; nothing reads the wall)."""
    return DEFAULT_NOW

ALL_FIELDS = [f.code for f in FIELDS]
INJECTIONS = [
    "=1+2",
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-1+2",
    "@SUM(1,1)",
    "\t=1+2",
    '=1+2";=1+2',
]
PLAIN = ["-5", "+7 (916) 123-45-67", "Фёдоров", "#N/A", "A & B <b>x</b> > 1", "  пробелы по краям  ", "😀",
         # XlsxWriter's constant_memory mode copies a "<r>…</r>" string into the XML unescaped
         '<r></r></is></c><c r="D3"><f>1+2</f></c><c><is><r></r>']


def xlsx_sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def xlsx_rows(data: bytes) -> list[tuple]:
    """The data rows (below the description line and the header), as openpyxl reads them back."""
    return [tuple(row) for row in xlsx_sheet(data).iter_rows(min_row=3, values_only=True)]


def ignored_errors(data: bytes) -> list[tuple[str, bool]]:
    """(cell range, number stored as text) for each of the sheet's ignoredError rules; openpyxl
    reads these only through its IgnoredErrors class, not when it loads a workbook."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = fromstring(archive.read("xl/worksheets/sheet1.xml"))
    found = root.find("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}ignoredErrors")
    if found is None:
        return []
    return [(str(rule.sqref), bool(rule.numberStoredAsText)) for rule in IgnoredErrors.from_tree(found).ignoredError]


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


@pytest.fixture
def scene(engine, make_event, make_service, make_visitor, add_booking, make_volunteer, now):
    """Two services on two days, four people, every status, three kinds of booker."""
    laundry, shower = make_service("Стирка"), make_service("Душ")
    day1, day2 = date(2026, 3, 12), date(2026, 3, 20)
    first = make_event(capacity=10, services=[{"service_id": laundry}, {"service_id": shower, "start": time(12)}], first_date=day1)
    second = make_event(capacity=10, services=[{"service_id": laundry, "start": time(9, 30)}], first_date=day2)
    anna = make_visitor("Анна", "Петрова", phone="+79161234567")
    boris = make_visitor("Борис", "Иванов", phone=None)
    vera = make_visitor("Вера", "Смирнова")
    gleb = make_visitor("Глеб", "Орлов")
    volunteer = make_volunteer()
    ids = {
        "anna_laundry": add_booking(key_of(first, day1, 0), anna, "attended", "visitor", None),
        "boris_laundry": add_booking(key_of(first, day1, 0), boris, "no_show", "volunteer", volunteer),
        "vera_shower": add_booking(key_of(first, day1, 1), vera, "expected", "staff", 1),
        "gleb_late": add_booking(key_of(second, day2, 0), gleb, "cancelled", "staff", 1),
    }
    # booked on different days, for the booking-period filter
    with engine.begin() as conn:
        for name, created in [("anna_laundry", now - timedelta(days=10)), ("boris_laundry", now - timedelta(days=3)),
                              ("vera_shower", now - timedelta(days=1)), ("gleb_late", now)]:
            conn.execute(bookings.update().where(bookings.c.id == ids[name]).values(created_at=created))
        conn.execute(bookings.update().where(bookings.c.id == ids["anna_laundry"]).values(comment="Опоздаю"))
    return {"laundry": laundry, "shower": shower, "volunteer": volunteer, "day1": day1, "day2": day2}


def names(engine, admin, flt: ExportFilter) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in preview(conn, admin, flt, ["name"]).rows]


# --- the rows ---------------------------------------------------------------------------


def test_a_row_holds_real_dates_and_times_russian_status_and_who_booked(engine, admin, scene, now):
    with engine.connect() as conn:
        shown = preview(conn, admin, ExportFilter(), ALL_FIELDS)
    assert shown.count == 3
    assert shown.columns == ("Тип мероприятия", "Дата", "Время", "Место", "ФИО", "Номер карты", "Телефон",
                             "Статус", "Кем записан", "Дата записи", "Комментарий", "Комментарий сотрудника")
    anna = next(r for r in shown.rows if r[4] == "Петрова Анна")
    assert anna[:3] == ("Стирка", scene["day1"], time(10))
    assert anna[6:] == ("+7 (916) 123-45-67", "Присутствовал", "сам", now - timedelta(days=10), "Опоздаю", None)


def test_rows_come_in_order_of_date_time_and_then_surname(engine, admin, scene):
    assert names(engine, admin, ExportFilter(include_cancelled=True)) == ["Иванов Борис", "Петрова Анна", "Смирнова Вера", "Орлов Глеб"]


def test_who_booked_is_named_a_volunteer_by_name_and_code_staff_by_name_not_login(engine, admin, scene):
    with engine.connect() as conn:
        rows = preview(conn, admin, ExportFilter(include_cancelled=True), ["name", "booked_by"]).rows
    assert dict(rows) == {"Иванов Борис": "Ксения Орлова (В-0001)", "Петрова Анна": "сам", "Смирнова Вера": "Администратор",
                          "Орлов Глеб": "Администратор"}
    # a visitor's own booking and an admin's read as in the participants dialog
    for kind, maker, name in [("visitor", None, None), ("staff", 1, "Администратор"), ("staff", 1, None)]:
        assert export.booked_by(kind, maker, name) == booked_by(kind, maker, name)


def test_statuses_use_the_admin_vocabulary_of_the_app_and_name_the_waiting_list():
    assert export.STATUS_LABELS == statuses.ADMIN_LABEL | {"waiting": "В листе ожидания"}


def test_the_waiting_list_is_exported_only_when_chosen_beside_the_bookings(engine, admin, now, make_event, make_visitor, visitor_actor):
    from core import waitlist
    from core.booking import book

    event = make_event(capacity=10, services=[dict(capacity=1)])
    holder, waiting = make_visitor(first_name="Занял", last_name="Первый"), make_visitor(first_name="Ждёт", last_name="Второй")
    book(engine, holder, [key_of(event)], admin, now)
    waitlist.join(engine, waiting, key_of(event), visitor_actor(waiting), now, comment="позвоните мне")
    fields = ["name", "status", "booked_by", "comment"]
    with engine.connect() as conn:
        plain = preview(conn, admin, ExportFilter(), fields)
        both = preview(conn, admin, ExportFilter(statuses=("expected", "waiting")), fields)
        line = preview(conn, admin, ExportFilter(statuses=("waiting",)), fields)

    assert [row[0] for row in plain.rows] == ["Первый Занял"]
    assert (both.count, both.rows) == (2, [("Второй Ждёт", "В листе ожидания", "сам", "позвоните мне"),
                                           ("Первый Занял", "Ожидается", "Администратор", None)])
    assert line.rows == [("Второй Ждёт", "В листе ожидания", "сам", "позвоните мне")]


def test_an_erased_visitor_shows_no_personal_value(engine, admin, scene, now):
    with engine.begin() as conn:
        conn.execute(visitors.update().where(visitors.c.last_name == "Петрова").values(erased_at=now))
    with engine.connect() as conn:
        rows = preview(conn, admin, ExportFilter(statuses=("attended",)), ALL_FIELDS).rows
    assert len(rows) == 1
    service, day, start, place, name, card, phone, status, by, booked_at, comment, staff_comment = rows[0]
    assert (name, card, phone, comment, staff_comment) == ("Данные удалены", None, None, None, None)
    assert (service, status) == ("Стирка", "Присутствовал")


# --- fields and filters -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, columns",
    [
        (["name", "status"], ["ФИО", "Статус"]),
        (["status", "service", "date"], ["Тип мероприятия", "Дата", "Статус"]),
        (["comment"], ["Комментарий"]),
    ],
)
def test_the_chosen_fields_are_the_columns_in_a_fixed_order(engine, admin, scene, now, fields, columns):
    made = export_file("xlsx", engine, admin, ExportFilter(), fields, now, service_names={})
    sheet = xlsx_sheet(made.data)
    assert [c.value for c in sheet[2]] == columns
    assert all(len(row) == len(columns) for row in xlsx_rows(made.data))


def test_no_field_chosen_is_refused(engine, admin, scene, now):
    with pytest.raises(ValidationError) as refused:
        export_file("xlsx", engine, admin, ExportFilter(), [], now, service_names={})
    assert (refused.value.code, refused.value.field) == ("fields_required", "fields")


@pytest.mark.parametrize(
    "make_filter, expected",
    [
        # the cancelled booking (Орлов Глеб) stays out unless it is asked for
        (lambda s: ExportFilter(), ["Иванов Борис", "Петрова Анна", "Смирнова Вера"]),
        (lambda s: ExportFilter(include_cancelled=True), ["Иванов Борис", "Петрова Анна", "Смирнова Вера", "Орлов Глеб"]),
        (lambda s: ExportFilter(statuses=("cancelled",)), ["Орлов Глеб"]),
        (lambda s: ExportFilter(service_ids=(s["shower"],)), ["Смирнова Вера"]),
        (lambda s: ExportFilter(service_ids=(s["shower"], s["laundry"]), include_cancelled=True),
         ["Иванов Борис", "Петрова Анна", "Смирнова Вера", "Орлов Глеб"]),
        (lambda s: ExportFilter(statuses=("no_show",)), ["Иванов Борис"]),
        (lambda s: ExportFilter(statuses=("attended", "cancelled")), ["Петрова Анна", "Орлов Глеб"]),
        (lambda s: ExportFilter(session_from=s["day2"]), []),
        (lambda s: ExportFilter(session_from=s["day2"], include_cancelled=True), ["Орлов Глеб"]),
        (lambda s: ExportFilter(session_to=s["day1"]), ["Иванов Борис", "Петрова Анна", "Смирнова Вера"]),
        (lambda s: ExportFilter(session_from=s["day1"], session_to=s["day1"]), ["Иванов Борис", "Петрова Анна", "Смирнова Вера"]),
        # booked 10, 3, 1 and 0 days before 10.03.2026: the last day of a period counts whole
        (lambda s: ExportFilter(booked_from=date(2026, 3, 7), booked_to=date(2026, 3, 9)), ["Иванов Борис", "Смирнова Вера"]),
        (lambda s: ExportFilter(booked_to=date(2026, 2, 28)), ["Петрова Анна"]),
        (lambda s: ExportFilter(booked_from=date(2026, 3, 10), include_cancelled=True), ["Орлов Глеб"]),
        (lambda s: ExportFilter(service_ids=(s["laundry"],), statuses=("attended", "no_show"), session_to=s["day1"]),
         ["Иванов Борис", "Петрова Анна"]),
    ],
)
def test_each_filter_keeps_only_matching_bookings(engine, admin, scene, make_filter, expected):
    assert names(engine, admin, make_filter(scene)) == expected


@pytest.mark.parametrize(
    "flt, sentence",
    [
        (ExportFilter(), "Все услуги; все статусы, кроме отменённых"),
        (ExportFilter(include_cancelled=True), "Все услуги; все статусы, включая отменённые"),
        (ExportFilter(service_ids=(2, 1), statuses=("no_show",), session_from=date(2026, 3, 1), session_to=date(2026, 3, 31)),
         "Душ, Стирка; статус: Не пришел; мероприятия 01.03.2026–31.03.2026"),
        (ExportFilter(statuses=("cancelled", "attended")), "Все услуги; статус: Присутствовал, Отменено"),
        (ExportFilter(session_from=date(2026, 3, 1)), "Все услуги; все статусы, кроме отменённых; мероприятия с 01.03.2026"),
        (ExportFilter(booked_to=date(2026, 3, 5)), "Все услуги; все статусы, кроме отменённых; записи по 05.03.2026"),
        (ExportFilter(booked_from=date(2026, 3, 5), booked_to=date(2026, 3, 5)),
         "Все услуги; все статусы, кроме отменённых; записи 05.03.2026"),
    ],
)
def test_a_filter_describes_itself_in_one_sentence(flt, sentence):
    assert flt.describe({1: "Стирка", 2: "Душ"}) == sentence


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(session_from=date(2026, 3, 2), session_to=date(2026, 3, 1)), "session_period"),
        (dict(booked_from=date(2026, 3, 2), booked_to=date(2026, 3, 1)), "booked_period"),
        (dict(statuses=("lost",)), "statuses"),
    ],
)
def test_a_reversed_period_or_unknown_status_is_refused_at_its_field(kwargs, field):
    with pytest.raises(ValidationError) as refused:
        ExportFilter(**kwargs)
    assert refused.value.field == field


# --- the Excel file ---------------------------------------------------------------------


def test_the_excel_file_holds_what_the_preview_shows(engine, admin, scene, now):
    flt = ExportFilter(service_ids=(scene["laundry"],))
    with engine.connect() as conn:
        shown = preview(conn, admin, flt, ALL_FIELDS)
    made = export_file("xlsx", engine, admin, flt, ALL_FIELDS, now, service_names={scene["laundry"]: "Стирка"})
    assert made.rows == shown.count == 2
    assert made.file_name == "записи-10.03.2026.xlsx"
    # openpyxl reads dates back as datetimes at midnight and times as times
    back = [
        tuple(v.date() if i == 1 and isinstance(v, datetime) else v for i, v in enumerate(row))
        for row in xlsx_rows(made.data)
    ]
    assert back == shown.rows


def test_the_excel_file_has_the_sentence_a_frozen_styled_header_and_a_filter(engine, admin, scene, now):
    made = export_file("xlsx", engine, admin, ExportFilter(statuses=("no_show",)), ALL_FIELDS, now, service_names={})
    sheet = xlsx_sheet(made.data)
    assert sheet["A1"].value == "Записи на мероприятия: Все услуги; статус: Не пришел. Выгружено 10.03.2026 09:00, строк: 1."
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:L3"
    assert all(cell.font.b for cell in sheet[2])
    formats = {cell.column_letter: cell.number_format for cell in sheet[3]}
    assert (formats["B"], formats["C"], formats["J"]) == ("DD.MM.YYYY", "HH:MM", "DD.MM.YYYY HH:MM")
    assert sheet.column_dimensions["E"].width >= len("Иванов Борис")


def test_card_numbers_are_text_without_excels_number_stored_as_text_warning(engine, admin, scene, now):
    made = export_file("xlsx", engine, admin, ExportFilter(), ["name", "card", "phone"], now, service_names={})
    cards = [row[1] for row in xlsx_rows(made.data)]
    assert all(isinstance(card, str) and card.isdigit() for card in cards)
    # the card column (B) from the first data row to the last; nothing else is silenced
    assert ignored_errors(made.data) == [("B3:B5", True)]


def test_a_file_without_card_numbers_silences_no_warning(engine, admin, scene, now):
    made = export_file("xlsx", engine, admin, ExportFilter(), ["name", "phone"], now, service_names={})
    assert ignored_errors(made.data) == []


def test_the_excel_file_prints_on_a4_landscape_one_page_wide_with_the_header_on_every_page(engine, admin, scene, now):
    sheet = xlsx_sheet(export_file("xlsx", engine, admin, ExportFilter(), ALL_FIELDS, now, service_names={}).data)
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize) == ("landscape", 9)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is the file format's default, which XlsxWriter leaves unwritten), as many tall as needed
    assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.print_options.gridLines
    assert "Страница &P из &N" in sheet.oddFooter.right.text


@pytest.mark.parametrize("payload", INJECTIONS + PLAIN)
def test_user_text_never_becomes_a_formula(engine, admin, make_event, make_visitor, add_booking, now, payload):
    event = make_event()
    # the phone column holds 16 characters (PostgreSQL enforces it); longer payloads go elsewhere only
    phone = payload if len(payload) <= 16 else None
    person = make_visitor(first_name=payload, last_name=payload, phone=phone)
    booking = add_booking(key_of(event), person)
    with engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking).values(comment=payload))
    made = export_file("xlsx", engine, admin, ExportFilter(), ["name", "phone", "comment"], now, service_names={})
    assert "<f>" not in sheet_xml(made.data) and "<f " not in sheet_xml(made.data)
    row = xlsx_sheet(made.data)[3]
    assert [c.value for c in row] == [f"{payload} {payload}", phone, payload]
    assert all(c.data_type == "s" for c in row if c.value is not None)
    assert row[2].quotePrefix == (payload in INJECTIONS or payload[0] in "+-")


def test_a_stray_control_character_does_not_break_the_file(engine, admin, make_event, make_visitor, add_booking, now):
    event = make_event()
    booking = add_booking(key_of(event), make_visitor())
    with engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking).values(comment="до\x0bпосле"))
    made = export_file("xlsx", engine, admin, ExportFilter(), ["comment"], now, service_names={})
    assert xlsx_rows(made.data) == [("допосле",)]


def test_progress_is_reported_up_to_the_last_row(engine, admin, scene, now):
    seen = []
    export_file("xlsx", engine, admin, ExportFilter(), ["name"], now, service_names={}, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3)


# --- the print form ---------------------------------------------------------------------


def test_the_print_form_escapes_every_user_text():
    page = print_form("Записи <i>", "<b>услуга</b>", ["ФИО", "Комментарий"], [("<script>alert(1)</script>", 'a" onmouseover="x')], datetime(2026, 3, 10, 9))
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page and '" onmouseover="' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;услуга&lt;/b&gt;" in page
    # the page reads exactly what was typed, whichever entity stands for the quote
    assert [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", page)] == ["<script>alert(1)</script>", 'a" onmouseover="x']


def test_the_print_form_is_an_a4_page_with_title_date_filters_table_signature_and_page_numbers(engine, admin, scene, now):
    made = export_file("print", engine, admin, ExportFilter(statuses=("attended",)), ["date", "time", "name", "status"], now, service_names={})
    page = made.data.decode("utf-8")
    assert made.file_name == "записи-10.03.2026.html" and made.mime == "text/html"
    assert "size: A4 portrait" in page and "counter(page)" in page
    assert "<h1>Записи на мероприятия</h1>" in page
    assert "Дата: 10.03.2026 09:00 · записей: 1" in page
    assert "Фильтры: Все услуги; статус: Присутствовал" in page
    assert "<th>Дата</th><th>Время</th><th>ФИО</th><th>Статус</th>" in page
    assert "<td>12.03.2026</td><td>10:00</td><td>Петрова Анна</td><td>Присутствовал</td>" in page
    assert "Ответственный (подпись / ФИО)" in page


def test_a_printed_booking_keeps_to_one_line_only_its_comments_may_wrap(engine, admin, scene, now):
    page = export_file("print", engine, admin, ExportFilter(), ALL_FIELDS, now, service_names={}).data.decode("utf-8")
    assert "white-space: nowrap" in page and "thead { display: table-header-group; }" in page
    anna = next(line for line in page.splitlines() if "Петрова Анна" in line)
    assert re.findall(r'<td class="w">(.*?)</td>', anna) == ["Опоздаю", ""]
    assert anna.count("<td>") == len(ALL_FIELDS) - 2


def test_a_wide_print_form_turns_to_landscape(engine, admin, scene, now):
    made = export_file("print", engine, admin, ExportFilter(), ALL_FIELDS, now, service_names={})
    assert "size: A4 landscape" in made.data.decode("utf-8")


def test_a_print_form_too_long_for_paper_is_refused(engine, admin, scene, now, monkeypatch):
    monkeypatch.setattr(export, "PRINT_MAX_ROWS", 2)
    with pytest.raises(DomainError) as refused:
        export_file("print", engine, admin, ExportFilter(), ["name"], now, service_names={})
    assert refused.value.message == "В печатную форму помещается не больше 2 строк, а выбрано 3. Уточните фильтры или выгрузите Excel."


# --- who may export, and the audit log --------------------------------------------------


@pytest.mark.parametrize("who", ["volunteer", "visitor"])
def test_volunteers_and_visitors_may_not_export(engine, scene, now, volunteer_actor, visitor_actor, make_visitor, who):
    actor = volunteer_actor if who == "volunteer" else visitor_actor(make_visitor())
    with pytest.raises(NotAllowed):
        export_file("xlsx", engine, actor, ExportFilter(), ["name"], now, service_names={})
    with pytest.raises(NotAllowed):
        export_file("print", engine, actor, ExportFilter(), ["name"], now, service_names={})
    with engine.connect() as conn, pytest.raises(NotAllowed):
        preview(conn, actor, ExportFilter(), ["name"])


def test_each_export_is_audited_with_filters_and_count_but_no_personal_value(engine, admin, coordinator, scene, now):
    flt = ExportFilter(service_ids=(scene["laundry"],), session_from=date(2026, 3, 1))
    export_file("xlsx", engine, coordinator, flt, ALL_FIELDS, now, service_names={scene["laundry"]: "Стирка"})
    export_file("print", engine, admin, ExportFilter(statuses=("no_show",)), ["name"], now, service_names={})
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.action == "export").order_by(audit_log.c.id)).all()
    assert [(r.actor, r.role, r.entity) for r in rows] == [("staff:coordinator", "coordinator", "bookings"), ("staff:admin", "admin", "bookings")]
    first, second = (json.loads(r.detail) for r in rows)
    assert (first["format"], first["rows"], first["filters"]) == ("xlsx", 2, "Стирка; все статусы, кроме отменённых; мероприятия с 01.03.2026")
    assert first["include_cancelled"] is False
    assert first["service_ids"] == [scene["laundry"]] and first["session_period"] == ["2026-03-01", None]
    assert (second["format"], second["rows"], second["statuses"]) == ("print", 1, ["no_show"])
    for row in rows:
        assert not any(word in row.detail for word in ("Петрова", "Иванов", "+7", "Опоздаю"))


# --- the door's sign-in sheet ----------------------------------------------------------


def sheet_lines(page: str) -> list[tuple[str, str, str]]:
    """(number, name, card) of each line of the sheet's table."""
    return re.findall(r'<tr(?: class="walk-in")?><td class="n">(\d+)</td><td>(.*?)</td><td class="card">(.*?)</td>', page)


@pytest.fixture
def door(engine, admin, make_event, make_place, make_visitor, add_booking, now):
    """Tomorrow's 10:00 laundry at a described place: four people booked, one of them cancelled."""
    place_id = make_place("Цветной")
    update_place(engine, place_id, "Цветной бульвар, 5", "Цветной бульвар", None, admin, now)
    event = make_event(place_id=place_id, title="Стирка")
    people = {
        name: make_visitor(first, last)
        for name, first, last in [("anna", "Анна", "Петрова"), ("boris", "Борис", "Иванов"), ("vera", "<b>Вера</b>", "Смирнова"),
                                  ("gleb", "Глеб", "Орлов")]
    }
    for name, status in [("anna", "expected"), ("boris", "cancelled"), ("vera", "attended"), ("gleb", "no_show")]:
        add_booking(key_of(event), people[name], status)
    with engine.connect() as conn:
        session = get_session(conn, load_events(conn), event.services[0].id, event.first_date, now.date())
        place = next(p for p in list_places(conn) if p.id == place_id)
        cards = dict(conn.execute(sa.select(visitors.c.id, visitors.c.card_number)).all())
        return session, place, participants_of(conn, session.session_id), {name: cards[i] for name, i in people.items()}


def test_the_sign_in_sheet_lists_the_booked_in_the_order_of_participants_then_ten_empty_lines(door, now):
    session, place, rows, cards = door
    made = sign_in_sheet(session, place, rows, now)
    page = made.data.decode("utf-8")
    assert sheet_lines(page) == [
        ("1", "Орлов Глеб", cards["gleb"]),
        ("2", "Петрова Анна", cards["anna"]),
        ("3", "Смирнова &lt;b&gt;Вера&lt;/b&gt;", cards["vera"]),
        *[(str(n), "", "") for n in range(4, 14)],
    ]
    assert "Иванов" not in page
    assert made.rows == 3 and made.mime == "text/html"
    assert page.count('<span class="box"></span>') == 3


def test_the_sign_in_sheet_says_what_when_and_where_with_the_address_on_a4(door, now):
    session, place, rows, _ = door
    made = sign_in_sheet(session, place, rows, now)
    page = made.data.decode("utf-8")
    day = session.date.strftime("%d.%m.%Y")
    assert "size: A4 portrait" in page and "thead { display: table-header-group; }" in page
    assert "<h1>Лист регистрации</h1>" in page
    assert f'<p class="when">{day}, ' in page and "10:00–11:00" in page
    assert '<p class="where">Цветной · Цветной бульвар, 5 · м. Цветной бульвар</p>' in page
    assert "<th>ФИО</th>" in page and ">Пришёл</th>" in page and ">Подпись</th>" in page
    assert made.file_name == f"лист-регистрации-{session.service_name.lower().replace(' ', '-')}-{day}-10-00.html"


def test_a_sign_in_sheet_for_a_session_nobody_booked_is_ten_empty_lines(door, now):
    session, place, _, _ = door
    page = sign_in_sheet(session, None, [], now).data.decode("utf-8")
    assert sheet_lines(page) == [(str(n), "", "") for n in range(1, 11)]
    assert '<p class="where">Цветной</p>' in page
