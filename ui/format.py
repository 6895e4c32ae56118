"""How values look on screen: Russian dates, statuses with colours, who made a booking."""

import re
from datetime import date, datetime, time

from core.actors import volunteer_code
from core.validation import format_ru_date

WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)

ADMIN_STATUS = {
    "expected": "Ожидается",
    "attended": "Присутствовал",
    "no_show": "Не пришел",
    "cancelled": "Отменено",
}
VISITOR_STATUS = {
    "expected": "Запланировано",
    "attended": "Выполнено",
    "no_show": "Не явился",
    "cancelled": "Отменено",
}
STATUS_COLOUR = {"expected": "#f5c518", "attended": "#2e9e44", "no_show": "#d93025", "cancelled": "#9aa0a6"}
STATUS_ICON = {"expected": "🟡", "attended": "🟢", "no_show": "🔴", "cancelled": "⚪"}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:])")


def md(text: str | None) -> str:
    """User text made inert inside st.markdown: every markdown and HTML character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")


def ru_date(day: date | None) -> str:
    return format_ru_date(day)


def ru_time(moment: time | None) -> str:
    return moment.strftime("%H:%M") if moment else ""


def ru_datetime(moment: datetime | None) -> str:
    return f"{format_ru_date(moment.date())} {moment:%H:%M}" if moment else ""


def ru_day_short(day: date) -> str:
    """"ср 12.03" — for banners and compact lists."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day:%d.%m}"


def ru_day_long(day: date) -> str:
    """"среда, 12 марта 2026"."""
    names = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
    return f"{names[day.weekday()]}, {day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year}"


def time_range(start: time, end: time) -> str:
    return f"{ru_time(start)}–{ru_time(end)}"


def status_label(status: str, *, visitor: bool = False) -> str:
    labels = VISITOR_STATUS if visitor else ADMIN_STATUS
    return f"{STATUS_ICON[status]} {labels[status]}"


def booked_by(kind: str, maker_id: int | None, staff_login: str | None = None) -> str:
    """Who made a booking: "сам", a volunteer's В-0007, or an admin's login."""
    if kind == "visitor":
        return "сам"
    if kind == "volunteer" and maker_id is not None:
        return volunteer_code(maker_id)
    return staff_login or "администратор"


def fill(booked: int, capacity: int) -> str:
    return f"{booked}/{capacity}"
