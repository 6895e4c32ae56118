"""«Добавить в календарь»: the .ics file of a booking, read back by the icalendar library."""

from datetime import date, datetime, time, timedelta, timezone

import icalendar
import pytest

from core.calendar_file import calendar_file_name, visits_calendar
from core.places import Place
from core.visits import Visit

NOW = datetime(2026, 3, 10, 9, 30)  # the app's local time (Moscow)


def visit(booking_id=7, day=date(2026, 3, 12), start=time(10), end=time(11), service="Стирка", comment=None,
          place=Place(1, "Цветной", "Цветной бульвар, 11, стр. 2", "Цветной бульвар", "Выход 1; налево, до арки\nВход со двора")):
    return Visit(
        booking_id=booking_id, event_id=1, event_title="Стирка и душ", recurring=True, event_service_id=1, date=day,
        start_time=start, end_time=end, service_name=service, place=place, status="expected", comment=comment,
        created_at=NOW, created_by_kind="visitor", created_by_id=1, staff_login=None, volunteer_name=None,
    )


def events_of(data: bytes) -> list:
    return icalendar.Calendar.from_ical(data).walk("VEVENT")


def test_a_booking_becomes_one_event_at_moscow_wall_clock_time():
    (event,) = events_of(visits_calendar([visit()], "Europe/Moscow", NOW))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert (start.replace(tzinfo=None), end.replace(tzinfo=None)) == (datetime(2026, 3, 12, 10), datetime(2026, 3, 12, 11))
    assert start.utcoffset() == timedelta(hours=3)  # 07:00 UTC: a phone in another zone shows the right hour
    assert event.decoded("dtstamp") == datetime(2026, 3, 10, 6, 30, tzinfo=timezone.utc)
    assert str(event["uid"]) == "booking-7@zapis-na-pomoshch"


def test_the_file_names_the_zone_and_describes_it():
    data = visits_calendar([visit()], "Europe/Moscow", NOW).decode()
    assert "DTSTART;TZID=Europe/Moscow:20260312T100000" in data
    assert "BEGIN:VTIMEZONE" in data and "TZID:Europe/Moscow" in data
    assert data.endswith("\r\n") and "\n" not in data.replace("\r\n", "")


def test_what_where_and_how_to_get_there_survive_escaping_and_folding():
    place = visit().place
    comment = " ".join(["Приду с сыном, 2 пакета; и коляска \\ большая."] * 3)
    (event,) = events_of(visits_calendar([visit(comment=comment)], "Europe/Moscow", NOW))
    assert str(event["summary"]) == "Стирка"
    assert str(event["location"]) == "Цветной, Цветной бульвар, 11, стр. 2, м. Цветной бульвар"
    assert str(event["description"]) == (
        f"Как пройти: {place.directions}\nВаш комментарий: {comment}\n"
        "Если не сможете прийти, отмените запись: место достанется другому человеку."
    )


def test_special_characters_are_escaped_in_the_raw_text_and_long_lines_fold_at_75_octets():
    raw = visits_calendar([visit(comment="a;b,c\\d " + "щ" * 80)], "Europe/Moscow", NOW)
    assert b"a\\;b\\,c\\\\d" in raw
    assert b"\\n" in raw  # the line break inside «как пройти»
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # no letter is split between two lines


def test_several_bookings_of_one_day_give_one_event_each():
    found = events_of(visits_calendar([visit(1), visit(2, start=time(12), end=time(13), service="Душ")], "Europe/Moscow", NOW))
    assert [(str(e["summary"]), e.decoded("dtstart").hour) for e in found] == [("Стирка", 10), ("Душ", 12)]


def test_a_place_without_a_description_still_gives_a_location_and_the_cancel_hint():
    (event,) = events_of(visits_calendar([visit(place=Place(2, "Ясная"))], "Europe/Moscow", NOW))
    assert str(event["location"]) == "Ясная"
    assert str(event["description"]) == "Если не сможете прийти, отмените запись: место достанется другому человеку."


@pytest.mark.parametrize("zone, offset", [("Europe/Moscow", 3), ("Asia/Yekaterinburg", 5)])
def test_the_app_zone_is_the_files_zone(zone, offset):
    (event,) = events_of(visits_calendar([visit()], zone, NOW))
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=offset)


def test_the_file_is_named_by_the_date_in_russian():
    assert calendar_file_name([visit()]) == "Запись 12.03.2026.ics"
