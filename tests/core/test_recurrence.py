import calendar
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.recurrence import (
    WEEKDAY_NAMES,
    WEEKDAY_SHORT_NAMES,
    Recurrence,
    _rrule,
    describe,
    last_date,
    month_end_note,
    next_occurrences,
    occurrences,
    occurs_on,
    plural,
    previous_occurrences,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def d(text: str) -> date:
    """A date written the way people here write it: "31.01.2027"."""
    day, month, year = map(int, text.split("."))
    return date(year, month, day)


def ds(*texts: str) -> list[date]:
    return [d(text) for text in texts]


# 2026-03-02 is a Monday, so March 2026 reads: Mon 2, Wed 4, Fri 6, Sat 7.


# --- exact lists ---------------------------------------------------------------------------


def test_one_off_event_occurs_only_on_its_first_date():
    assert occurrences(d("12.03.2026"), None, d("01.03.2026"), d("31.03.2026")) == ds("12.03.2026")


def test_one_off_event_outside_the_window_has_no_occurrences():
    assert occurrences(d("12.03.2026"), None, d("13.03.2026"), d("31.03.2026")) == []


def test_daily_event_occurs_every_day_inside_the_window():
    assert occurrences(d("12.03.2026"), Recurrence("daily"), d("10.03.2026"), d("15.03.2026")) == ds(
        "12.03.2026", "13.03.2026", "14.03.2026", "15.03.2026"
    )


def test_daily_event_with_interval_2_occurs_every_other_day():
    rule = Recurrence("daily", interval=2)
    assert occurrences(d("12.03.2026"), rule, d("13.03.2026"), d("20.03.2026")) == ds(
        "14.03.2026", "16.03.2026", "18.03.2026", "20.03.2026"
    )


def test_weekly_event_without_weekdays_repeats_on_the_first_dates_weekday():
    assert occurrences(d("04.03.2026"), Recurrence("weekly"), d("01.03.2026"), d("31.03.2026")) == ds(
        "04.03.2026", "11.03.2026", "18.03.2026", "25.03.2026"
    )


def test_weekly_event_on_wednesday_and_friday_every_2_weeks():
    rule = Recurrence("weekly", interval=2, weekdays=(WED, FRI))
    assert occurrences(d("04.03.2026"), rule, d("01.03.2026"), d("05.04.2026")) == ds(
        "04.03.2026", "06.03.2026", "18.03.2026", "20.03.2026", "01.04.2026", "03.04.2026"
    )


def test_monthly_event_on_15th_occurs_on_15th_of_every_month():
    assert occurrences(d("15.01.2026"), Recurrence("monthly"), d("01.01.2026"), d("31.05.2026")) == ds(
        "15.01.2026", "15.02.2026", "15.03.2026", "15.04.2026", "15.05.2026"
    )


def test_monthly_event_every_3_months_skips_the_months_between():
    rule = Recurrence("monthly", interval=3)
    assert occurrences(d("15.01.2026"), rule, d("01.01.2026"), d("31.12.2026")) == ds(
        "15.01.2026", "15.04.2026", "15.07.2026", "15.10.2026"
    )


def test_monthly_on_31st_falls_on_last_day_of_short_months():
    assert occurrences(d("31.01.2027"), Recurrence("monthly"), d("01.01.2027"), d("31.12.2027")) == ds(
        "31.01.2027", "28.02.2027", "31.03.2027", "30.04.2027", "31.05.2027", "30.06.2027",
        "31.07.2027", "31.08.2027", "30.09.2027", "31.10.2027", "30.11.2027", "31.12.2027",
    )  # fmt: skip


def test_monthly_on_31st_falls_on_29th_of_february_in_a_leap_year():
    assert occurrences(d("31.01.2028"), Recurrence("monthly"), d("01.01.2028"), d("30.04.2028")) == ds(
        "31.01.2028", "29.02.2028", "31.03.2028", "30.04.2028"
    )


def test_monthly_on_30th_falls_on_last_day_of_february_only():
    assert occurrences(d("30.01.2027"), Recurrence("monthly"), d("01.01.2027"), d("31.05.2027")) == ds(
        "30.01.2027", "28.02.2027", "30.03.2027", "30.04.2027", "30.05.2027"
    )
    assert occurrences(d("30.01.2028"), Recurrence("monthly"), d("01.02.2028"), d("31.03.2028")) == ds(
        "29.02.2028", "30.03.2028"
    )


def test_monthly_on_29th_moves_only_in_february_of_a_non_leap_year():
    assert occurrences(d("29.01.2027"), Recurrence("monthly"), d("01.01.2027"), d("30.04.2027")) == ds(
        "29.01.2027", "28.02.2027", "29.03.2027", "29.04.2027"
    )
    assert occurrences(d("29.01.2028"), Recurrence("monthly"), d("01.02.2028"), d("31.03.2028")) == ds(
        "29.02.2028", "29.03.2028"
    )


def test_monthly_on_31st_every_2_months_counts_months_from_the_first_date():
    rule = Recurrence("monthly", interval=2)
    assert occurrences(d("31.12.2026"), rule, d("01.12.2026"), d("31.08.2027")) == ds(
        "31.12.2026", "28.02.2027", "30.04.2027", "30.06.2027", "31.08.2027"
    )


@pytest.mark.parametrize(
    ("first_date", "rule", "expected"),
    [
        ("12.03.2026", Recurrence("daily", count=3), ("12.03.2026", "13.03.2026", "14.03.2026")),
        (
            "04.03.2026",
            Recurrence("weekly", weekdays=(WED, FRI), count=5),
            ("04.03.2026", "06.03.2026", "11.03.2026", "13.03.2026", "18.03.2026"),
        ),
        # The month-end trick picks one day per month, so every month still counts once.
        (
            "31.01.2027",
            Recurrence("monthly", count=4),
            ("31.01.2027", "28.02.2027", "31.03.2027", "30.04.2027"),
        ),
    ],
)
def test_series_with_count_ends_after_that_many_occurrences(first_date, rule, expected):
    assert occurrences(d(first_date), rule, date.min, date.max) == ds(*expected)


def test_series_with_until_includes_the_until_date():
    assert occurrences(
        d("12.03.2026"), Recurrence("daily", until=d("15.03.2026")), date.min, date.max
    ) == ds("12.03.2026", "13.03.2026", "14.03.2026", "15.03.2026")
    assert occurrences(
        d("04.03.2026"), Recurrence("weekly", until=d("18.03.2026")), date.min, date.max
    ) == ds("04.03.2026", "11.03.2026", "18.03.2026")


def test_weekly_series_starting_off_its_weekdays_starts_on_the_next_chosen_weekday():
    rule = Recurrence("weekly", weekdays=(WED, FRI))
    assert occurrences(d("02.03.2026"), rule, d("01.03.2026"), d("15.03.2026")) == ds(
        "04.03.2026", "06.03.2026", "11.03.2026", "13.03.2026"
    )


def test_biweekly_series_starting_after_its_weekdays_skips_to_the_week_after_next():
    # Weeks count from the one holding the first date (Sat 07.03), whose Wed and Fri
    # have passed; the next week in the series is the one of 16.03.
    rule = Recurrence("weekly", interval=2, weekdays=(WED, FRI))
    assert occurrences(d("07.03.2026"), rule, d("01.03.2026"), d("05.04.2026")) == ds(
        "18.03.2026", "20.03.2026", "01.04.2026", "03.04.2026"
    )


def test_biweekly_series_ignores_the_process_wide_first_weekday_setting():
    # rrule's default week start is calendar.firstweekday(); with Sunday-first weeks this
    # series would run 03.03, 14.03, 17.03, 28.03, 31.03. A first date no other test uses
    # makes the rrule get built while the setting is changed.
    rule = Recurrence("weekly", interval=2, weekdays=(WED, SUN))
    before = calendar.firstweekday()
    calendar.setfirstweekday(calendar.SUNDAY)
    try:
        found = occurrences(d("03.03.2027"), rule, d("01.03.2027"), d("31.03.2027"))
    finally:
        calendar.setfirstweekday(before)
    assert found == ds("03.03.2027", "07.03.2027", "17.03.2027", "21.03.2027", "31.03.2027")


def test_endless_series_answers_queries_far_in_the_future():
    rule = Recurrence("daily")
    assert next_occurrences(d("12.03.2026"), rule, d("30.12.2099"), 3) == ds(
        "30.12.2099", "31.12.2099", "01.01.2100"
    )


# --- next, previous, occurs_on, last_date ----------------------------------------------------


def test_next_occurrences_start_on_the_given_day_when_it_is_an_occurrence():
    rule = Recurrence("weekly", weekdays=(WED, FRI))
    assert next_occurrences(d("04.03.2026"), rule, d("06.03.2026"), 3) == ds(
        "06.03.2026", "11.03.2026", "13.03.2026"
    )


def test_next_occurrences_stop_where_the_series_ends():
    rule = Recurrence("daily", count=3)
    assert next_occurrences(d("12.03.2026"), rule, d("13.03.2026"), 10) == ds("13.03.2026", "14.03.2026")


def test_previous_occurrences_list_the_most_recent_first():
    rule = Recurrence("weekly", weekdays=(WED, FRI))
    assert previous_occurrences(d("04.03.2026"), rule, d("13.03.2026"), 3) == ds(
        "13.03.2026", "11.03.2026", "06.03.2026"
    )


def test_previous_occurrences_stop_at_the_first_date():
    rule = Recurrence("daily")
    assert previous_occurrences(d("12.03.2026"), rule, d("13.03.2026"), 5) == ds("13.03.2026", "12.03.2026")


@pytest.mark.parametrize(
    ("query", "on_or_after", "on_or_before", "limit", "expected"),
    [
        (next_occurrences, "12.03.2026", None, 1, ("12.03.2026",)),
        (next_occurrences, "13.03.2026", None, 1, ()),
        (next_occurrences, "01.03.2026", None, 0, ()),
        (previous_occurrences, None, "12.03.2026", 1, ("12.03.2026",)),
        (previous_occurrences, None, "11.03.2026", 1, ()),
    ],
)
def test_one_off_event_in_next_and_previous_occurrences(query, on_or_after, on_or_before, limit, expected):
    assert query(d("12.03.2026"), None, d(on_or_after or on_or_before), limit) == ds(*expected)


def test_a_limit_of_zero_gives_no_dates():
    rule = Recurrence("daily")
    assert next_occurrences(d("12.03.2026"), rule, d("12.03.2026"), 0) == []
    assert previous_occurrences(d("12.03.2026"), rule, d("20.03.2026"), 0) == []


@pytest.mark.parametrize(
    ("first_date", "rule", "day", "expected"),
    [
        ("12.03.2026", None, "12.03.2026", True),
        ("12.03.2026", None, "13.03.2026", False),
        ("12.03.2026", Recurrence("daily", interval=2), "14.03.2026", True),
        ("12.03.2026", Recurrence("daily", interval=2), "15.03.2026", False),
        ("12.03.2026", Recurrence("daily"), "11.03.2026", False),
        ("31.01.2027", Recurrence("monthly"), "28.02.2027", True),
        ("31.01.2027", Recurrence("monthly"), "27.02.2027", False),
        ("04.03.2026", Recurrence("weekly", until=d("18.03.2026")), "18.03.2026", True),
        ("04.03.2026", Recurrence("weekly", until=d("18.03.2026")), "25.03.2026", False),
    ],
)
def test_occurs_on_tells_whether_the_event_happens_that_day(first_date, rule, day, expected):
    assert occurs_on(d(first_date), rule, d(day)) is expected


@pytest.mark.parametrize(
    ("first_date", "rule", "expected"),
    [
        ("12.03.2026", None, "12.03.2026"),
        ("12.03.2026", Recurrence("daily"), None),
        ("12.03.2026", Recurrence("daily", count=10), "21.03.2026"),
        ("31.01.2027", Recurrence("monthly", count=2), "28.02.2027"),
        # until on a Tuesday: the last Wednesday before it ends the series.
        ("04.03.2026", Recurrence("weekly", until=d("24.03.2026")), "18.03.2026"),
        # Every chosen weekday comes after until: a bounded series with no dates.
        ("02.03.2026", Recurrence("weekly", weekdays=(FRI,), until=d("05.03.2026")), None),
    ],
)
def test_last_date_is_the_final_occurrence(first_date, rule, expected):
    assert last_date(d(first_date), rule) == (d(expected) if expected else None)


# --- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "человек"),
        (1, "человек"),
        (2, "человека"),
        (4, "человека"),
        (5, "человек"),
        (11, "человек"),
        (12, "человек"),
        (14, "человек"),
        (21, "человек"),
        (22, "человека"),
        (25, "человек"),
        (101, "человек"),
        (111, "человек"),
        (112, "человек"),
        (122, "человека"),
    ],
)
def test_plural_picks_the_russian_form_for_people(n, expected):
    assert plural(n, "человек", "человека", "человек") == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "раз"), (2, "раза"), (5, "раз"), (11, "раз"), (21, "раз"), (22, "раза"), (1001, "раз")],
)
def test_plural_picks_the_russian_form_for_times(n, expected):
    assert plural(n, "раз", "раза", "раз") == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "день"), (2, "дня"), (4, "дня"), (5, "дней"), (11, "дней"), (21, "день"), (-3, "дня")],
)
def test_plural_uses_one_few_and_many_forms(n, expected):
    assert plural(n, "день", "дня", "дней") == expected


UNTIL = d("31.12.2026")


@pytest.mark.parametrize(
    ("first_date", "rule", "expected"),
    [
        ("12.03.2026", None, "разово 12.03.2026"),
        ("12.03.2026", Recurrence("daily"), "ежедневно"),
        ("12.03.2026", Recurrence("daily", until=UNTIL), "ежедневно до 31.12.2026"),
        ("12.03.2026", Recurrence("daily", interval=3), "каждые 3 дня"),
        ("12.03.2026", Recurrence("daily", interval=5), "каждые 5 дней"),
        ("12.03.2026", Recurrence("daily", interval=11), "каждые 11 дней"),
        ("12.03.2026", Recurrence("daily", interval=21), "каждый 21 день"),
        ("12.03.2026", Recurrence("daily", interval=22), "каждые 22 дня"),
        ("12.03.2026", Recurrence("daily", count=10), "ежедневно, 10 раз"),
        ("12.03.2026", Recurrence("daily", count=1), "ежедневно, 1 раз"),
        ("12.03.2026", Recurrence("daily", count=2), "ежедневно, 2 раза"),
        ("12.03.2026", Recurrence("daily", count=21), "ежедневно, 21 раз"),
        ("12.03.2026", Recurrence("daily", count=22), "ежедневно, 22 раза"),
        ("04.03.2026", Recurrence("weekly"), "каждую среду"),
        ("02.03.2026", Recurrence("weekly", weekdays=(MON,)), "каждый понедельник"),
        ("02.03.2026", Recurrence("weekly", weekdays=(TUE,)), "каждый вторник"),
        ("02.03.2026", Recurrence("weekly", weekdays=(WED,)), "каждую среду"),
        ("02.03.2026", Recurrence("weekly", weekdays=(THU,)), "каждый четверг"),
        ("02.03.2026", Recurrence("weekly", weekdays=(FRI,)), "каждую пятницу"),
        ("02.03.2026", Recurrence("weekly", weekdays=(SAT,)), "каждую субботу"),
        ("02.03.2026", Recurrence("weekly", weekdays=(SUN,)), "каждое воскресенье"),
        ("04.03.2026", Recurrence("weekly", weekdays=(WED, FRI)), "каждую неделю по ср и пт"),
        ("04.03.2026", Recurrence("weekly", weekdays=(MON, WED, FRI)), "каждую неделю по пн, ср и пт"),
        ("04.03.2026", Recurrence("weekly", interval=2, weekdays=(WED, FRI)), "каждые 2 недели по ср и пт"),
        (
            "04.03.2026",
            Recurrence("weekly", interval=2, weekdays=(WED, FRI), until=UNTIL),
            "каждые 2 недели по ср и пт до 31.12.2026",
        ),
        (
            "04.03.2026",
            Recurrence("weekly", weekdays=(WED, FRI), count=10),
            "каждую неделю по ср и пт, 10 раз",
        ),
        ("04.03.2026", Recurrence("weekly", interval=2), "каждые 2 недели по ср"),
        ("04.03.2026", Recurrence("weekly", interval=5), "каждые 5 недель по ср"),
        ("04.03.2026", Recurrence("weekly", interval=21), "каждую 21 неделю по ср"),
        ("04.03.2026", Recurrence("weekly", until=UNTIL), "каждую среду до 31.12.2026"),
        ("15.01.2026", Recurrence("monthly"), "ежемесячно, 15-го числа"),
        ("15.01.2026", Recurrence("monthly", interval=3), "каждые 3 месяца, 15-го числа"),
        ("15.01.2026", Recurrence("monthly", interval=5), "каждые 5 месяцев, 15-го числа"),
        ("15.01.2026", Recurrence("monthly", interval=21), "каждый 21 месяц, 15-го числа"),
        ("15.01.2026", Recurrence("monthly", count=22), "ежемесячно, 15-го числа, 22 раза"),
        ("28.01.2026", Recurrence("monthly"), "ежемесячно, 28-го числа"),
        ("31.01.2026", Recurrence("monthly"), "ежемесячно, 31-го числа (или в последний день месяца)"),
        ("29.01.2026", Recurrence("monthly"), "ежемесячно, 29-го числа (или в последний день месяца)"),
        (
            "31.01.2026",
            Recurrence("monthly", until=UNTIL),
            "ежемесячно, 31-го числа (или в последний день месяца) до 31.12.2026",
        ),
    ],
)
def test_describe_puts_the_rule_into_russian_words(first_date, rule, expected):
    assert describe(d(first_date), rule) == expected


@pytest.mark.parametrize(
    ("first_date", "rule", "expected"),
    [
        ("31.01.2026", Recurrence("monthly"), "В месяцах, где нет 31-го числа, событие пройдёт в последний день месяца."),
        ("30.01.2026", Recurrence("monthly", interval=2), "В месяцах, где нет 30-го числа, событие пройдёт в последний день месяца."),
        ("29.01.2026", Recurrence("monthly"), "В месяцах, где нет 29-го числа, событие пройдёт в последний день месяца."),
        ("28.01.2026", Recurrence("monthly"), None),
        ("31.01.2026", Recurrence("daily"), None),
        ("31.01.2026", None, None),
    ],
)  # fmt: skip
def test_month_end_note_explains_only_monthly_days_after_28th(first_date, rule, expected):
    assert month_end_note(d(first_date), rule) == expected


def test_weekday_names_run_monday_to_sunday():
    assert WEEKDAY_NAMES[0] == "понедельник" and WEEKDAY_NAMES[6] == "воскресенье"
    assert WEEKDAY_SHORT_NAMES == ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


# --- the rule itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"freq": "yearly"},
        {"freq": "daily", "interval": 0},
        {"freq": "daily", "count": 3, "until": d("31.12.2026")},
        {"freq": "daily", "count": 0},
        {"freq": "daily", "weekdays": (MON,)},
        {"freq": "weekly", "weekdays": (7,)},
    ],
)
def test_impossible_rule_is_refused(kwargs):
    with pytest.raises(ValueError):
        Recurrence(**kwargs)


def test_weekdays_in_any_order_make_the_same_rule():
    assert Recurrence("weekly", weekdays=(FRI, WED, FRI)) == Recurrence("weekly", weekdays=(WED, FRI))
    assert Recurrence("weekly", weekdays=[FRI, WED]).weekdays == (WED, FRI)


def test_negative_limit_is_refused():
    with pytest.raises(ValueError):
        next_occurrences(d("12.03.2026"), Recurrence("daily"), d("12.03.2026"), -1)


# --- properties ----------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)

first_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@st.composite
def series(draw, freqs=("daily", "weekly", "monthly"), ending=("never", "count", "until")):
    """A first date and a rule that could come out of the event form."""
    first_date = draw(first_dates)
    freq = draw(st.sampled_from(freqs))
    interval = draw(st.integers(1, 6) | st.integers(1, 99))
    weekdays = ()
    if freq == "weekly":
        weekdays = tuple(draw(st.sets(st.integers(0, 6), max_size=4)))
    count = until = None
    kind = draw(st.sampled_from(ending))
    if kind == "count":
        count = draw(st.integers(1, 60))
    elif kind == "until":
        until = first_date + timedelta(days=draw(st.integers(0, 1500)))
    return first_date, Recurrence(freq, interval, weekdays, count, until)


def windows(first_date):
    starts = st.integers(-100, 1500).map(lambda days: first_date + timedelta(days=days))
    return starts.flatmap(
        lambda start: st.tuples(st.just(start), st.integers(0, 400).map(lambda days: start + timedelta(days=days)))
    )


@PROPERTY_SETTINGS
@given(st.data())
def test_occurrences_are_sorted_unique_inside_the_window_and_never_before_first_date(data):
    first_date, rule = data.draw(series() | first_dates.map(lambda day: (day, None)))
    start, end = data.draw(windows(first_date))
    found = occurrences(first_date, rule, start, end)
    assert found == sorted(set(found))
    assert all(start <= day <= end and day >= first_date for day in found)


@PROPERTY_SETTINGS
@given(series(ending=("count",)))
def test_series_with_count_has_exactly_count_occurrences(first_and_rule):
    first_date, rule = first_and_rule
    found = occurrences(first_date, rule, date.min, date.max)
    assert len(found) == rule.count
    assert last_date(first_date, rule) == found[-1]


@PROPERTY_SETTINGS
@given(series(ending=("until",)))
def test_series_with_until_has_nothing_after_until(first_and_rule):
    first_date, rule = first_and_rule
    found = occurrences(first_date, rule, date.min, date.max)
    assert all(day <= rule.until for day in found)
    assert last_date(first_date, rule) == (found[-1] if found else None)


@PROPERTY_SETTINGS
@given(st.data())
def test_weekly_occurrences_fall_on_chosen_weekdays(data):
    first_date, rule = data.draw(series(freqs=("weekly",)))
    start, end = data.draw(windows(first_date))
    chosen = set(rule.weekdays or (first_date.weekday(),))
    found = occurrences(first_date, rule, start, end)
    assert {day.weekday() for day in found} <= chosen
    # Weeks between occurrences are a multiple of the interval, counted Monday to Sunday.
    first_monday = first_date - timedelta(days=first_date.weekday())
    assert all(((day - first_monday).days // 7) % rule.interval == 0 for day in found)


@PROPERTY_SETTINGS
@given(st.data())
def test_daily_occurrences_are_interval_days_apart_from_first_date(data):
    first_date, rule = data.draw(series(freqs=("daily",)))
    start, end = data.draw(windows(first_date))
    assert all((day - first_date).days % rule.interval == 0 for day in occurrences(first_date, rule, start, end))


@PROPERTY_SETTINGS
@given(st.data())
def test_monthly_occurrence_is_on_chosen_day_or_last_day_of_a_shorter_month(data):
    first_date, rule = data.draw(series(freqs=("monthly",)))
    start, end = data.draw(windows(first_date))
    found = occurrences(first_date, rule, start, end)
    for day in found:
        last_of_month = calendar.monthrange(day.year, day.month)[1]
        assert day.day == min(first_date.day, last_of_month)
        months_since_first = (day.year - first_date.year) * 12 + day.month - first_date.month
        assert months_since_first % rule.interval == 0


@PROPERTY_SETTINGS
@given(st.data())
def test_monthly_series_never_skips_a_month_of_its_interval(data):
    first_date, rule = data.draw(series(freqs=("monthly",), ending=("never",)))
    found = next_occurrences(first_date, rule, first_date, 24)
    months = [(day.year - first_date.year) * 12 + day.month - first_date.month for day in found]
    assert months == [n * rule.interval for n in range(24)]


@PROPERTY_SETTINGS
@given(st.data())
def test_occurs_on_agrees_with_occurrences(data):
    first_date, rule = data.draw(series() | first_dates.map(lambda day: (day, None)))
    start = first_date + timedelta(days=data.draw(st.integers(-10, 800)))
    end = start + timedelta(days=40)
    found = set(occurrences(first_date, rule, start, end))
    days = (start + timedelta(days=n) for n in range(41))
    assert {day for day in days if occurs_on(first_date, rule, day)} == found


@PROPERTY_SETTINGS
@given(st.data())
def test_next_occurrences_agree_with_occurrences(data):
    first_date, rule = data.draw(series() | first_dates.map(lambda day: (day, None)))
    start = first_date + timedelta(days=data.draw(st.integers(-100, 1500)))
    limit = data.draw(st.integers(1, 12))
    found = next_occurrences(first_date, rule, start, limit)
    if len(found) == limit:
        assert occurrences(first_date, rule, start, found[-1]) == found
    else:
        # Fewer than asked only when the series has ended.
        assert rule is None or rule.count is not None or rule.until is not None
        assert occurrences(first_date, rule, start, date.max) == found


@PROPERTY_SETTINGS
@given(st.data())
def test_previous_occurrences_agree_with_occurrences(data):
    first_date, rule = data.draw(series() | first_dates.map(lambda day: (day, None)))
    end = first_date + timedelta(days=data.draw(st.integers(-100, 1500)))
    limit = data.draw(st.integers(0, 12))
    expected = occurrences(first_date, rule, date.min, end)[::-1][:limit]
    assert previous_occurrences(first_date, rule, end, limit) == expected


def _walked_from_first_date(first_date, rule, start, end) -> list[date]:
    """The reference: rrule walked from the first date, as dateutil does with no shortcut."""
    plain = _rrule(first_date, rule)
    return [moment.date() for moment in plain.between(datetime.combine(start, time()), datetime.combine(end, time()), inc=True)]


@PROPERTY_SETTINGS
@given(st.data())
def test_starting_from_a_later_period_gives_exactly_the_dates_of_the_whole_walk(data):
    first_date, rule = data.draw(series())
    start = first_date + timedelta(days=data.draw(st.integers(-100, 4000)))
    end = start + timedelta(days=data.draw(st.integers(0, 800)))
    expected = _walked_from_first_date(first_date, rule, start, end)
    assert occurrences(first_date, rule, start, end) == expected
    assert next_occurrences(first_date, rule, start, len(expected)) == expected
    assert previous_occurrences(first_date, rule, end, len(expected)) == expected[::-1]
    assert [day for n in range((end - start).days + 1) if occurs_on(first_date, rule, day := start + timedelta(days=n))] == expected
