"""«Добавить в календарь»: a visitor's bookings as an iCalendar file (RFC 5545).

Written through the icalendar library, which escapes text (`,` `;` `\\` and line breaks), folds
long lines at 75 octets without splitting a letter, and describes the time zone (VTIMEZONE)
from the tz database. Times are the sessions' wall-clock times in the app's zone
(Europe/Moscow unless APP_TIMEZONE says otherwise), so a phone in another zone shows the right
hour; DTSTAMP is in UTC, as the standard asks.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import icalendar

from core.visits import Visit

PRODUCT_ID = "-//Запись на помощь//RU"
CANCEL_HINT = "Если не сможете прийти, отмените запись: место достанется другому человеку."


def _location(visit: Visit) -> str:
    """"Цветной, Цветной бульвар, 11, м. Цветной бульвар": the place as a map app can find it."""
    place = visit.place
    return ", ".join(part for part in (place.name, place.address, place.metro_label) if part)


def _description(visit: Visit) -> str:
    lines = []
    if visit.place.directions:
        lines.append(f"Как пройти: {visit.place.directions}")
    if visit.comment:
        lines.append(f"Ваш комментарий: {visit.comment}")
    lines.append(CANCEL_HINT)
    return "\n".join(lines)


@cache
def _time_zone(timezone: str) -> icalendar.Timezone:
    """The zone's VTIMEZONE. Working it out from the tz database took longer than the rest of a
    booking's confirmation; it is the same for every file while the app runs."""
    return icalendar.Timezone.from_tzid(timezone)


def visits_calendar(visits: Sequence[Visit], timezone: str, now: datetime) -> bytes:
    """One VEVENT per booking; `now` is the app's local time (it becomes DTSTAMP in UTC).

    The UID is the booking's, so importing the file again updates the entry instead of adding
    a second one.
    """
    zone = ZoneInfo(timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_time_zone(timezone))
    stamp = now.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    for visit in visits:
        event = icalendar.Event()
        event.add("uid", f"booking-{visit.booking_id}@zapis-na-pomoshch")
        event.add("dtstamp", stamp)
        event.add("dtstart", visit.starts_at.replace(tzinfo=zone))
        event.add("dtend", visit.ends_at.replace(tzinfo=zone))
        event.add("summary", visit.service_name)
        event.add("location", _location(visit))
        event.add("description", _description(visit))
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_file_name(visits: Sequence[Visit]) -> str:
    """"Запись 12.03.2026.ics" (the first booking's date)."""
    return f"Запись {visits[0].date:%d.%m.%Y}.ics"
