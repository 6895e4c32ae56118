"""How values look on screen: Russian dates, statuses with colours, who made a booking."""

import json
import re
from datetime import date, datetime, time

from core.actors import booked_by  # noqa: F401  (pages import it from here)
from core import audit, statuses
from core.export import FIELDS as EXPORT_FIELDS
from core.recurrence import WEEKDAY_SHORT_NAMES
from core.validation import format_ru_date

WEEKDAYS_SHORT = WEEKDAY_SHORT_NAMES
# every select box's prompt (Streamlit's own is "Choose an option")
CHOOSE = "Выберите из списка"
# the first option of a filter's select box: no filter
ALL_SERVICES, ALL_PLACES = "Все услуги", "Все места"
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)



_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:&])")
# Streamlit's renderer rewrites some plain text after the markdown is parsed, when backslashes no
# longer count: web and mail addresses become links (remark-gfm finds them in the parsed text),
# ":streamlit:" and ":material/…:" become pictures, " -> " an arrow. An invisible word joiner
# (U+2060: not a space, not punctuation) inside each such spot leaves them as typed.
_REWRITTEN = re.compile(r"(?<=:)(?=[/a-z])|(?<=www)(?=\.)|(?<=@)|(?<=[-<>~])(?=[-<>=])", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def file_word(title: str) -> str:
    """A title as part of a file name: "Записи по местам" -> "записи-по-местам" (Cyrillic stays)."""
    return "-".join(re.findall(r"\w+", title.lower()))


def md(text: str | None) -> str:
    """User text made inert wherever Streamlit reads markdown (st.markdown, captions, alerts, the
    labels of buttons, radios, pills, checkboxes, expanders, help): shown as typed, no link, no image."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _REWRITTEN.sub(_WORD_JOINER, text or ""))


def ru_date(day: date | None) -> str:
    return format_ru_date(day)


def ru_time(moment: time | None) -> str:
    return moment.strftime("%H:%M") if moment else ""


def ru_datetime(moment: datetime | None) -> str:
    return f"{format_ru_date(moment.date())} {moment:%H:%M}" if moment else ""


def ru_day_short(day: date) -> str:
    """"ср 12.03" — for banners and compact lists."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day:%d.%m}"


def on_one_line(text: str) -> str:
    """`text` the browser will not break: its spaces and hyphens made non-breaking (a phone number, a date and time)."""
    return text.replace(" ", "\u00a0").replace("-", "\u2011")


def time_range(start: time, end: time) -> str:
    """"10:00–12:00", never broken after its dash (a word joiner holds the two times together)."""
    return f"{ru_time(start)}–{_WORD_JOINER}{ru_time(end)}"


def status_label(status: str, *, visitor: bool = False) -> str:
    labels = statuses.VISITOR_LABEL if visitor else statuses.ADMIN_LABEL
    return f"{statuses.ICON[status]} {labels[status]}"



AUDIT_ACTOR_KINDS = {"staff": "сотрудник", "volunteer": "волонтёр", "visitor": "посетитель", "anonymous": "неизвестный", "system": "система"}


def audit_actor(actor: str) -> str:
    """"staff:admin" -> "сотрудник admin"."""
    kind, _, label = actor.partition(":")
    return f"{AUDIT_ACTOR_KINDS.get(kind, kind)} {label}".strip()


def audit_detail(detail: str | None) -> str:
    """The audit row's JSON detail as Russian "ключ: значение" pairs."""
    if not detail:
        return ""
    try:
        values = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(values, dict):
        return str(values)
    return "; ".join(f"{audit.DETAIL_LABELS.get(k, k)}: {_detail_value(v)}" for k, v in values.items())


# the codes an audit detail keeps (statuses, export fields and formats), in an admin's words
_DETAIL_VALUE_LABELS = {
    **statuses.ADMIN_LABEL,
    **{field.code: field.title for field in EXPORT_FIELDS},
    "xlsx": "Excel",
    "print": "печать",
}


def _detail_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, list):
        return ", ".join(_detail_value(item) for item in value) or "—"
    if isinstance(value, str):
        return _DETAIL_VALUE_LABELS.get(value, value)
    return str(value)


def id_of(names: dict[int, str], name: str | None) -> int | None:
    """The id a filter's select box chose by its shown name; None for «Все …»."""
    return next((key for key, value in names.items() if value == name), None)
