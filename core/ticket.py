"""Талон: the slip a volunteer prints at the desk after a booking, for a person who has no phone.

Who (first name and the surname's initial, the card number), what, when, where (address, metro,
«как пройти») and how to cancel, one HTML page from core/templates/ticket.html with every value
escaped. 72 mm of content: it fits an 80 mm receipt roll as well as an A6 sheet.
"""

from dataclasses import dataclass
from datetime import datetime

from core.actors import short_name
from core.downloads import HTML_MIME, ExportFile
from core.paper import TEMPLATES
from core.recurrence import WEEKDAY_NAMES
from core.validation import format_ru_date
from core.visits import Visit

HOW_TO_CANCEL = (
    "Не сможете прийти? Отмените запись, чтобы место досталось другому: на странице посетителя "
    "(«Мои записи» → «Отменить запись», вход по номеру карты и PIN) или у волонтёра на стойке."
)


@dataclass(frozen=True)
class _Line:
    service: str
    day: str
    weekday: str
    time: str
    place: str
    where: str
    directions: str


def _line(visit: Visit) -> _Line:
    return _Line(
        service=visit.service_name,
        day=format_ru_date(visit.date),
        weekday=WEEKDAY_NAMES[visit.date.weekday()],
        time=f"{visit.start_time:%H:%M}–{visit.end_time:%H:%M}",
        place=visit.place.name,
        where=visit.place.where,
        directions=visit.place.directions or "",
    )


def ticket(first_name: str, last_name: str, card_number: str, visits: list[Visit], printed_at: datetime) -> ExportFile:
    """The talon of one person's bookings made together (core.visits.visits_of by booking ids)."""
    ordered = sorted(visits, key=lambda v: (v.date, v.start_time, v.service_name))
    page = TEMPLATES.get_template("ticket.html").render(
        name=short_name(first_name, last_name),
        card=card_number,
        lines=[_line(v) for v in ordered],
        how_to_cancel=HOW_TO_CANCEL,
        printed_on=f"{format_ru_date(printed_at.date())} {printed_at:%H:%M}",
    )
    # named by the date only: no name or card number leaves in the file's name
    day = format_ru_date(ordered[0].date) if ordered else format_ru_date(printed_at.date())
    return ExportFile(f"талон-{day}.html", HTML_MIME, page.encode("utf-8"), len(ordered))
