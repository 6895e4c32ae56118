import re
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import MESSAGES, ValidationError
from core.validation import (
    FieldChecks,
    FieldErrors,
    clean_capacity,
    clean_count,
    clean_int,
    clean_interval,
    clean_login,
    clean_name,
    clean_not_past,
    clean_password,
    clean_phone,
    clean_pin,
    clean_place_name,
    clean_service_name,
    clean_service_capacity,
    clean_text,
    clean_time_range,
    clean_title,
    clean_until,
    clean_window_days,
    format_phone,
    format_ru_date,
    parse_ru_date,
    search_key,
)

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def assert_refused(call, code, field=None):
    """The call raises ValidationError with `code`, a Russian message and, if given, the field."""
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    assert error.code == code
    assert code in MESSAGES
    assert CYRILLIC.search(error.message), error.message
    assert "{" not in error.message, "every message parameter was supplied"
    if field is not None:
        assert error.field == field
    return error


# --- names -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Анна", "Анна"),
        ("Пётр", "Пётр"),
        ("Фёдоров", "Фёдоров"),
        ("ЁЖИКОВ", "ЁЖИКОВ"),
        ("Анна-Мария", "Анна-Мария"),
        ("О'Брайен", "О'Брайен"),
        ("д’Артаньян", "д'Артаньян"),
        ("Jean Luc", "Jean Luc"),
        ("  Анна  ", "Анна"),
        ("Анна   \t Мария", "Анна Мария"),
        ("ван дер Берг", "ван дер Берг"),
        ("Ли", "Ли"),
        ("Мар\u02bcяна", "Мар'яна"),
        ("Олексій", "Олексій"),
        ("Zoë", "Zoë"),
        ("Nguyễn", "Nguyễn"),
        ("Пе\u0308тр", "Пётр"),  # decomposed ё is stored composed
        ("\u00a0Анна\u00a0", "Анна"),
        ("а" * 60, "а" * 60),
    ],
)
def test_clean_name_accepts_and_tidies(typed, stored):
    assert clean_name(typed, "first_name") == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("А", "name_too_short"),
        ("A", "name_too_short"),
        ("-'", "name_too_short"),
        ("А-", "name_too_short"),
        ("A1", "name_bad_chars"),
        ("<script>", "name_bad_chars"),
        ("Анна 😀", "name_bad_chars"),
        ("Robert'); DROP TABLE--", "name_bad_chars"),
        ("Анна_Мария", "name_bad_chars"),
        ("Анна\x00", "name_bad_chars"),
        ("Ａнна", "name_bad_chars"),  # fullwidth Latin A
        ("Αλέξης", "name_bad_chars"),  # Greek is neither Cyrillic nor Latin
        ("а" * 61, "name_too_long"),
        ("а" * 10_000, "name_too_long"),
    ],
)
def test_clean_name_refuses(typed, code):
    assert_refused(lambda: clean_name(typed, "last_name"), code, field="last_name")


# Pasted text brings characters that show as nothing; kept, they make «Цветной» and
# «Цветной» + a zero-width space two different names that look the same.
INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad")


@pytest.mark.parametrize("invisible", INVISIBLE)
@pytest.mark.parametrize(
    ("clean", "typed", "expected"),
    [
        (lambda v: clean_name(v, "last_name"), "Пет{}рова", "Петрова"),
        (clean_place_name, "Цветной{}", "Цветной"),
        (clean_title, "{}Стирка по средам", "Стирка по средам"),
        (clean_service_name, "Ду{}ш", "Душ"),
    ],
    ids=["person", "place", "event title", "catalog service"],
)
def test_every_name_comes_in_without_invisible_characters(clean, typed, expected, invisible):
    assert clean(typed.format(invisible)) == expected


def test_every_name_comes_in_composed_nfc():
    decomposed = "Е\u0308лкин"  # Е + combining diaeresis, as some keyboards send «Ё»
    assert clean_name(decomposed, "last_name") == "Ёлкин" and clean_place_name(decomposed) == "Ёлкин"


def test_clean_name_keeps_capitalisation_as_typed():
    assert clean_name("мАРИЯ", "first_name") == "мАРИЯ"


@given(st.text())
def test_clean_name_either_refuses_or_returns_a_value_it_accepts_unchanged(text):
    try:
        cleaned = clean_name(text, "first_name")
    except ValidationError as error:
        assert error.code in MESSAGES
        return
    assert clean_name(cleaned, "first_name") == cleaned


@given(st.text(alphabet="аАёЁeЕ-' ’\t", max_size=70))
def test_clean_name_is_idempotent_on_name_like_text(text):
    try:
        cleaned = clean_name(text, "first_name")
    except ValidationError:
        return
    assert clean_name(cleaned, "first_name") == cleaned


# --- search key --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("  Фёдоров  ", "федоров"),
        ("ФЁДОРОВ", "федоров"),
        ("Анна   Мария", "анна мария"),
        ("Пе\u0308тр", "петр"),
        ("Ё\u0308лка", "елка"),  # a stray second diaeresis must not rebuild the ё
        ("Андрей", "андрей"),  # й stays one composed character
        ("Straße", "strasse"),
        ("", ""),
        (None, ""),
    ],
)
def test_search_key_ignores_case_yo_and_spacing(text, key):
    assert search_key(text) == key


def test_search_key_matches_names_typed_with_and_without_yo():
    assert search_key("Фёдоров Пётр") == search_key("федоров петр")


@given(st.text())
def test_search_key_is_idempotent_and_never_contains_yo(text):
    key = search_key(text)
    assert search_key(key) == key
    assert "ё" not in key


# --- phones ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "typed",
    [
        "+7 916 123-45-67",
        "89161234567",
        "8 (916) 123 45 67",
        "9161234567",
        "+79161234567",
        "7-916-123-45-67",
        "  +7 (916) 123-45-67  ",
    ],
)
def test_clean_phone_normalises_common_forms_to_e164(typed):
    assert clean_phone(typed) == "+79161234567"


def test_clean_phone_accepts_a_moscow_landline():
    assert clean_phone("8 (495) 123-45-67") == "+74951234567"


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_clean_phone_treats_blank_as_no_phone(typed):
    assert clean_phone(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "123",
        "+1 202 555 0100",
        "abc",
        "8916123456789",
        "+7 (916) 123-45-6",
        "+7 701 123 45 67",  # Kazakhstan shares +7
        "8-800-FLOWERS",
        "+7 916 123 45 67 доб. 5",
        "++79161234567",
        "+7  9 1 6  1 2 3  4 5  6 7",  # 21 characters: longer than anyone types a phone
        "<script>",
    ],
)
def test_clean_phone_refuses(typed):
    assert_refused(lambda: clean_phone(typed, field="phone"), "phone_invalid", field="phone")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+79161234567", "+7 (916) 123-45-67"),
        ("+74951234567", "+7 (495) 123-45-67"),
        (None, ""),
        ("", ""),
    ],
)
def test_format_phone_shows_the_russian_layout(e164, shown):
    assert format_phone(e164) == shown


def test_format_phone_leaves_an_unexpected_value_readable():
    assert format_phone("+12025550100") == "+12025550100"


def test_format_phone_round_trips_through_clean_phone():
    assert clean_phone(format_phone("+79161234567")) == "+79161234567"


# --- whole numbers -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "number"),
    [(1, 1), (1000, 1000), ("12", 12), (" 12 ", 12), ("1 000", 1000), ("007", 7)],
)
def test_clean_capacity_accepts(typed, number):
    assert clean_capacity(typed) == number


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (0, "capacity_range"),
        (-1, "capacity_range"),
        ("-1", "capacity_range"),
        (1001, "capacity_range"),
        ("9" * 5000, "capacity_range"),
        ("1.5", "not_a_number"),
        (1.5, "not_a_number"),
        (12.0, "not_a_number"),
        ("abc", "not_a_number"),
        ("١٢", "not_a_number"),  # Arabic-Indic digits are not what the form asks for
        (True, "not_a_number"),
        (False, "not_a_number"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_clean_capacity_refuses(typed, code):
    assert_refused(lambda: clean_capacity(typed), code, field="capacity")


def test_capacity_refusal_names_the_allowed_range():
    error = assert_refused(lambda: clean_capacity(1001), "capacity_range")
    assert error.message == "Вместимость — от 1 до 1000."


def test_clean_int_uses_the_callers_code_and_bounds():
    error = assert_refused(lambda: clean_int("11", "seats", 1, 10, "capacity_range"), "capacity_range", "seats")
    assert error.message == "Вместимость — от 1 до 10."


def test_service_capacity_may_equal_the_event_capacity():
    assert clean_service_capacity("20", event_capacity=20) == 20


def test_service_capacity_above_the_events_is_refused():
    error = assert_refused(
        lambda: clean_service_capacity(21, event_capacity=20),
        "service_capacity_above_event",
        field="service_capacity",
    )
    assert "20" in error.message


def test_service_capacity_still_obeys_the_general_range():
    assert_refused(lambda: clean_service_capacity(0, event_capacity=20), "capacity_range", "service_capacity")


@pytest.mark.parametrize(("typed", "days"), [(0, 0), (365, 365), ("14", 14)])
def test_clean_window_days_accepts(typed, days):
    assert clean_window_days(typed) == days


@pytest.mark.parametrize("typed", [-1, 366])
def test_clean_window_days_refuses_outside_a_year(typed):
    assert_refused(lambda: clean_window_days(typed), "window_range", field="window_days")


@pytest.mark.parametrize(
    ("call", "bad", "good", "code", "field"),
    [
        (clean_interval, [0, 100], [1, 99], "interval_range", "interval"),
        (clean_count, [0, 1001], [1, 1000], "count_range", "count"),
    ],
)
def test_recurrence_numbers_keep_to_their_ranges(call, bad, good, code, field):
    for value in good:
        assert call(value) == value
    for value in bad:
        assert_refused(lambda: call(value), code, field=field)


# --- dates and times ---------------------------------------------------------------

FIRST = date(2026, 3, 5)


def test_until_may_be_empty_or_the_first_date_or_later():
    assert clean_until(FIRST, None) is None
    assert clean_until(FIRST, FIRST) == FIRST
    assert clean_until(FIRST, date(2026, 6, 1)) == date(2026, 6, 1)


def test_until_before_the_first_date_is_refused():
    assert_refused(lambda: clean_until(FIRST, date(2026, 3, 4)), "until_before_first", field="until")


def test_today_is_not_in_the_past_but_yesterday_is():
    assert clean_not_past(FIRST, today=FIRST) == FIRST
    assert_refused(lambda: clean_not_past(date(2026, 3, 4), today=FIRST), "date_in_past", field="date")


def test_time_range_needs_the_end_after_the_start():
    assert clean_time_range(time(10, 0), time(11, 30)) == (time(10, 0), time(11, 30))
    assert_refused(lambda: clean_time_range(time(10, 0), time(10, 0)), "time_order", field="end_time")
    assert_refused(lambda: clean_time_range(time(11, 0), time(10, 0)), "time_order", field="end_time")


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("05.03.2026", date(2026, 3, 5)),
        ("5.3.2026", date(2026, 3, 5)),
        (" 29.02.2028 ", date(2028, 2, 29)),
        ("31.12.2026", date(2026, 12, 31)),
    ],
)
def test_parse_ru_date_reads_day_month_year(typed, parsed):
    assert parse_ru_date(typed) == parsed


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("2026-03-05", "date_invalid"),
        ("05/03/2026", "date_invalid"),
        ("31.02.2026", "date_invalid"),
        ("29.02.2026", "date_invalid"),
        ("00.01.2026", "date_invalid"),
        ("05.13.2026", "date_invalid"),
        ("05.03.26", "date_invalid"),
        ("5 марта 2026", "date_invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_parse_ru_date_refuses(typed, code):
    assert_refused(lambda: parse_ru_date(typed, field="first_date"), code, field="first_date")


def test_format_ru_date_pads_day_and_month():
    assert format_ru_date(date(2026, 3, 5)) == "05.03.2026"
    assert format_ru_date(None) == ""


@given(st.dates())
def test_format_ru_date_round_trips_through_parse_ru_date(day):
    assert parse_ru_date(format_ru_date(day)) == day


# --- titles, places and free text --------------------------------------------------

def test_clean_title_tidies_spacing_and_controls():
    assert clean_title("  Мастер-класс\n по\x00  лепке ") == "Мастер-класс по лепке"


def test_clean_title_allows_120_characters_and_refuses_121():
    assert clean_title("я" * 120) == "я" * 120
    assert_refused(lambda: clean_title("я" * 121), "title_too_long", field="title")
    assert_refused(lambda: clean_title(" \n "), "required", field="title")


def test_clean_place_name_allows_60_characters_and_refuses_61():
    assert clean_place_name(" Зал  №1 ") == "Зал №1"
    error = assert_refused(lambda: clean_place_name("я" * 61), "text_too_long", field="place")
    assert "60" in error.message
    assert_refused(lambda: clean_place_name(None), "required", field="place")


@pytest.mark.parametrize("typed", [None, "", "  \n\t "])
def test_clean_text_treats_blank_as_no_text(typed):
    assert clean_text(typed) is None


def test_clean_text_keeps_lines_and_tabs_but_drops_other_controls():
    assert clean_text("  Первая строка\r\n\tвторая\x07\x1b  ") == "Первая строка\n\tвторая"


def test_clean_text_refuses_more_than_the_maximum():
    assert clean_text("я" * 500) == "я" * 500
    error = assert_refused(lambda: clean_text("я" * 501), "text_too_long", field="comment")
    assert "500" in error.message
    assert_refused(lambda: clean_text("abcd", field="note", maximum=3), "text_too_long", field="note")


# --- accounts ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("typed", "stored"),
    [("anna", "anna"), ("  Anna.P_1-x ", "anna.p_1-x"), ("abc", "abc"), ("a" * 32, "a" * 32)],
)
def test_clean_login_accepts_and_lowercases(typed, stored):
    assert clean_login(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ab", "login_invalid"),
        ("a" * 33, "login_invalid"),
        ("анна", "login_invalid"),
        ("anna p", "login_invalid"),
        ("anna@mail.ru", "login_invalid"),
        ("an\nna", "login_invalid"),
        ("\u212aate", "login_invalid"),  # Kelvin sign lowercases to an ASCII "k"
        ("", "required"),
        (None, "required"),
    ],
)
def test_clean_login_refuses(typed, code):
    assert_refused(lambda: clean_login(typed), code, field="login")


def test_clean_password_returns_the_password_exactly_as_typed():
    assert clean_password(" correct horse ") == " correct horse "
    assert clean_password("x" * 10) == "x" * 10
    assert clean_password("x" * 128) == "x" * 128


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("short", "password_too_short"),
        ("x" * 9, "password_too_short"),
        ("x" * 129, "text_too_long"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_clean_password_refuses(typed, code):
    assert_refused(lambda: clean_password(typed), code, field="password")


@pytest.mark.parametrize(("typed", "stored"), [("0042", "0042"), (" 1234 ", "1234")])
def test_clean_pin_accepts_four_digits_and_keeps_leading_zeros(typed, stored):
    assert clean_pin(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123", "pin_invalid"),
        ("12345", "pin_invalid"),
        ("12a4", "pin_invalid"),
        ("12 34", "pin_invalid"),
        ("١٢٣٤", "pin_invalid"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_clean_pin_refuses(typed, code):
    assert_refused(lambda: clean_pin(typed), code, field="pin")


# --- a whole form at once ---------------------------------------------------------------


def test_field_checks_keep_the_tidy_values_and_refuse_every_bad_field_together():
    checks = FieldChecks()
    first = checks.clean(clean_name, "  Анна ", "first_name")
    last = checks.clean(clean_name, "П", "last_name")
    phone = checks.clean(clean_phone, "12345")
    checks.refuse("consent_required", "consent")

    assert (first, last, phone) == ("Анна", None, None)
    with pytest.raises(FieldErrors) as caught:
        checks.done()
    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("name_too_short", "last_name"), ("phone_invalid", "phone"), ("consent_required", "consent"),
    ]
    # to code that expects one refusal it reads as the first
    assert (caught.value.code, caught.value.field, caught.value.message) == ("name_too_short", "last_name", "Не меньше 2 букв.")


def test_field_checks_raise_a_single_refusal_as_itself_and_nothing_when_all_is_well():
    checks = FieldChecks()
    checks.clean(clean_pin, "12")
    with pytest.raises(ValidationError) as caught:
        checks.done()
    assert type(caught.value) is ValidationError and caught.value.code == "pin_invalid"

    clean = FieldChecks()
    assert clean.clean(clean_pin, "0042") == "0042"
    clean.done()
