"""Paper: the printed list of bookings and the door's sign-in sheet of one session, HTML pages
for the browser's print dialog made from core/templates with every value escaped."""

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import jinja2

from core import statuses
from core.actors import ERASED_NAME
from core.downloads import HTML_MIME, ExportFile
from core.places import Place
from core.recurrence import WEEKDAY_NAMES
from core.sessions import Session
from core.validation import format_ru_date


def display(value) -> str:
    """A value as a person reads it: ДД.ММ.ГГГГ, ЧЧ:ММ, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{format_ru_date(value.date())} {value:%H:%M}"
    if isinstance(value, date):
        return format_ru_date(value)
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


# every value in a template is escaped: user text can never become markup (the talon, core.ticket, too)
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def print_form(
    title: str,
    description: str, columns: Sequence[str], rows: Iterable[Sequence], printed_at: datetime, *, wrap: Collection[int] = ()
) -> str:
    """An A4 page: the title, date, the filter sentence, the table, a signature line. All text escaped.

    One printed line per booking, in a small font: only the columns numbered in `wrap` (free
    text) may take a second line. Wide tables (more than six columns) print in landscape; the
    page numbers come from CSS paged media, and the header row repeats on every printed page.
    """
    landscape = len(columns) > 6
    return TEMPLATES.get_template("print_form.html").render(
        title=title,
        printed_on=format_ru_date(printed_at.date()),
        printed_time=f"{printed_at:%H:%M}",
        description=description,
        orientation="landscape" if landscape else "portrait",
        max_width="281mm" if landscape else "194mm",
        columns=list(columns),
        wrap=set(wrap),
        rows=[[display(value) for value in row] for row in rows],
    )


SIGN_IN_TITLE = "Лист регистрации"
WALK_IN_ROWS = 10


@dataclass(frozen=True)
class _SheetLine:
    name: str
    card: str


def _sheet_line(row) -> _SheetLine:
    name = f"{row.last_name} {row.first_name}".strip()
    # an erased visitor (152-ФЗ) keeps the place on the list, not the identity
    return _SheetLine(name, row.card_number or "") if name else _SheetLine(ERASED_NAME, "")


def sign_in_sheet(session: Session, place: Place | None, participants: Iterable, printed_at: datetime) -> ExportFile:
    """The door's A4 sheet of one session: when and where, one line per active booking in the
    order of Участники (a tick box, a signature), then WALK_IN_ROWS empty lines for walk-ins.

    `participants` are the rows of core.participants.participants_of; cancelled ones are left out.
    """
    lines = [_sheet_line(r) for r in participants if r.status in statuses.ACTIVE]
    page = TEMPLATES.get_template("sign_in_sheet.html").render(
        title=SIGN_IN_TITLE,
        service=session.service_name,
        event=session.event_title if session.event_title != session.service_name else "",
        day=format_ru_date(session.date),
        weekday=WEEKDAY_NAMES[session.date.weekday()],
        time=f"{session.start_time:%H:%M}–{session.end_time:%H:%M}",
        place=session.place_name,
        where=place.where if place else "",
        capacity=session.capacity,
        printed_on=f"{format_ru_date(printed_at.date())} {printed_at:%H:%M}",
        lines=lines,
        walk_ins=range(len(lines) + 1, len(lines) + 1 + WALK_IN_ROWS),
    )
    # the file is named by the service and the date only: no person's name leaves in it
    service = re.sub(r"[^\w]+", "-", session.service_name.lower()).strip("-")
    file_name = f"лист-регистрации-{service}-{format_ru_date(session.date)}-{session.start_time:%H-%M}.html"
    return ExportFile(file_name, HTML_MIME, page.encode("utf-8"), len(lines))
