"""Экспорт данных: bookings with their session and person, filtered, previewed, saved as Excel or printed.

One query joins a booking to everything a row shows. Rows are streamed from the database
cursor into the workbook, so 100,000 rows never sit in memory as Python objects; the print
form is the template core/templates/print_form.html.
Cancelled bookings stay out unless the filter asks for them: a list for work is a list of who comes.
The door's sign-in sheet of one session (core/templates/sign_in_sheet.html) is made here too.
An erased visitor (152-ФЗ) keeps the booking for statistics but shows no personal value.
Each export is recorded in the audit log with the filter sentence, never with personal data.
"""

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import jinja2
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit
from core.actors import Actor, booked_by, volunteer_code
from core import statuses
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.people import ERASED_NAME
from core.places import Place
from core.recurrence import WEEKDAY_NAMES
from core.schema import bookings, event_services, places, services, sessions, staff, visitors, volunteers
from core.sessions import BOOKING_DETAILS, SESSION_START, STAFF_MAKER, Session
from core.spreadsheet import XLSX_MIME, Column, write_xlsx
from core.validation import format_phone, format_ru_date

EXPORT_ROLES = ("admin", "coordinator")
TITLE = "Записи на мероприятия"
SHEET_TITLE = "Записи"
PREVIEW_ROWS = 50
# A print form is for paper: beyond this many rows the Excel file is the right tool.
PRINT_MAX_ROWS = 5000
STATUS_LABELS = statuses.ADMIN_LABEL
HTML_MIME = "text/html"


@dataclass(frozen=True)
class Field:
    code: str
    title: str


FIELDS = (
    Field("service", "Тип мероприятия"),
    Field("date", "Дата"),
    Field("time", "Время"),
    Field("place", "Место"),
    Field("name", "ФИО"),
    Field("card", "Номер карты"),
    Field("phone", "Телефон"),
    Field("status", "Статус"),
    Field("booked_by", "Кем записан"),
    Field("booked_at", "Дата записи"),
    Field("comment", "Комментарий"),
    Field("staff_comment", "Комментарий сотрудника"),
)
FIELD_TITLES = {f.code: f.title for f in FIELDS}
# free text: the only columns a printed line may wrap in (the rest stay on one line)
FREE_TEXT = ("comment", "staff_comment")


def clean_fields(codes: Iterable[str]) -> tuple[str, ...]:
    """The chosen fields in the fixed column order; at least one."""
    chosen = set(codes)
    unknown = chosen - FIELD_TITLES.keys()
    if unknown:
        raise ValidationError("fields_required", field="fields")
    ordered = tuple(f.code for f in FIELDS if f.code in chosen)
    if not ordered:
        raise ValidationError("fields_required", field="fields")
    return ordered


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return format_ru_date(start) if start == end else f"{format_ru_date(start)}–{format_ru_date(end)}"
    if start:
        return f"с {format_ru_date(start)}"
    return f"по {format_ru_date(end)}"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


@dataclass(frozen=True)
class ExportFilter:
    """Which bookings an export holds; each empty value means "all". Refuses a reversed period."""

    service_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    session_from: date | None = None
    session_to: date | None = None
    booked_from: date | None = None
    booked_to: date | None = None
    # with no status chosen, cancelled bookings are left out unless this is set
    include_cancelled: bool = False

    def __post_init__(self) -> None:
        if any(s not in STATUS_LABELS for s in self.statuses):
            raise ValidationError("status_invalid", field="statuses")
        if self.session_from and self.session_to and self.session_from > self.session_to:
            raise ValidationError("period_reversed", field="session_period")
        if self.booked_from and self.booked_to and self.booked_from > self.booked_to:
            raise ValidationError("period_reversed", field="booked_period")

    def conditions(self) -> list:
        """The WHERE clauses of the export query."""
        found = []
        if self.service_ids:
            found.append(event_services.c.service_id.in_(self.service_ids))
        if self.statuses:
            found.append(bookings.c.status.in_(self.statuses))
        elif not self.include_cancelled:
            found.append(bookings.c.status != statuses.CANCELLED)
        if self.session_from:
            found.append(sessions.c.date >= self.session_from)
        if self.session_to:
            found.append(sessions.c.date <= self.session_to)
        # booking times are moments: a period of days ends at the midnight after its last day
        if self.booked_from:
            found.append(bookings.c.created_at >= _day_start(self.booked_from))
        if self.booked_to:
            found.append(bookings.c.created_at < _day_start(self.booked_to + timedelta(days=1)))
        return found

    def describe(self, service_names: Mapping[int, str]) -> str:
        """"Стирка, Душ; статус: Не пришел; мероприятия 01.03.2026–31.03.2026"; "Все услуги; все статусы, кроме отменённых"."""
        if self.service_ids:
            names = sorted(service_names.get(i, f"услуга {i}") for i in self.service_ids)
            parts = [", ".join(names)]
        else:
            parts = ["Все услуги"]
        if self.statuses:
            labels = [label for code, label in STATUS_LABELS.items() if code in self.statuses]
            parts.append(f"статус: {', '.join(labels)}")
        elif self.include_cancelled:
            parts.append("все статусы, включая отменённые")
        else:
            parts.append("все статусы, кроме отменённых")
        if self.session_from or self.session_to:
            parts.append(f"мероприятия {_period(self.session_from, self.session_to)}")
        if self.booked_from or self.booked_to:
            parts.append(f"записи {_period(self.booked_from, self.booked_to)}")
        return "; ".join(parts)

    def audit_detail(self) -> dict:
        """What the audit log keeps about the filter: ids, codes and dates only."""
        return {
            "service_ids": list(self.service_ids),
            "statuses": list(self.statuses),
            "include_cancelled": self.include_cancelled,
            "session_period": [self.session_from, self.session_to],
            "booked_period": [self.booked_from, self.booked_to],
        }


def check_actor(actor: Actor) -> None:
    """Only admins and coordinators may read bookings with personal data in bulk."""
    if actor.role not in EXPORT_ROLES:
        raise NotAllowed()


_VOLUNTEER_MAKER = sa.and_(bookings.c.created_by_kind == "volunteer", volunteers.c.id == bookings.c.created_by_id)
_JOINED = (
    BOOKING_DETAILS.join(visitors, visitors.c.id == bookings.c.visitor_id)
    .outerjoin(staff, STAFF_MAKER)
    .outerjoin(volunteers, _VOLUNTEER_MAKER)
)


def _query(flt: ExportFilter) -> sa.Select:
    return (
        sa.select(
            services.c.name.label("service"),
            sessions.c.date,
            SESSION_START.label("start_time"),
            places.c.name.label("place"),
            visitors.c.first_name,
            visitors.c.last_name,
            visitors.c.card_number,
            visitors.c.phone,
            visitors.c.erased_at,
            bookings.c.status,
            bookings.c.created_by_kind,
            bookings.c.created_by_id,
            staff.c.display_name.label("staff_name"),
            volunteers.c.first_name.label("volunteer_first"),
            volunteers.c.last_name.label("volunteer_last"),
            bookings.c.created_at,
            bookings.c.comment,
            bookings.c.staff_comment,
        )
        .select_from(_JOINED)
        .where(*flt.conditions())
        .order_by(sessions.c.date, SESSION_START, services.c.name, places.c.name, visitors.c.last_name, visitors.c.first_name, bookings.c.id)
    )


def _booker(r) -> str:
    """Who booked, by name: "Ксения Орлова (В-0001)" for a volunteer, the admin's name, or "сам"."""
    if r.created_by_kind == "volunteer" and r.volunteer_last is not None:
        return f"{r.volunteer_first} {r.volunteer_last} ({volunteer_code(r.created_by_id)})"
    return booked_by(r.created_by_kind, r.created_by_id, r.staff_name)


def _values(r) -> dict:
    """One booking as the export shows it: real dates and times, Russian words, nothing of an erased person."""
    erased = r.erased_at is not None
    return {
        "service": r.service,
        "date": r.date,
        "time": r.start_time,
        "place": r.place,
        "name": ERASED_NAME if erased else f"{r.last_name} {r.first_name}",
        "card": None if erased else r.card_number,
        "phone": None if erased or not r.phone else format_phone(r.phone),
        "status": STATUS_LABELS.get(r.status, r.status),
        "booked_by": _booker(r),
        "booked_at": r.created_at,
        # a booking comment may name the person: it goes with the rest of their data
        "comment": None if erased else r.comment,
        "staff_comment": None if erased else r.staff_comment,
    }


def count_rows(conn: Connection, flt: ExportFilter) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(_JOINED).where(*flt.conditions())).scalar_one()


def iter_rows(conn: Connection, flt: ExportFilter, fields: Sequence[str], limit: int | None = None) -> Iterator[tuple]:
    """The rows, in the chosen field order, one at a time from the cursor."""
    stmt = _query(flt)
    if limit is not None:
        stmt = stmt.limit(limit)
    result = conn.execute(stmt)
    for partition in result.partitions(2000):
        for r in partition:
            values = _values(r)
            yield tuple(values[code] for code in fields)


@dataclass(frozen=True)
class Preview:
    count: int
    columns: tuple[str, ...]
    rows: list[tuple]


def preview(conn: Connection, actor: Actor, flt: ExportFilter, fields: Sequence[str], limit: int = PREVIEW_ROWS) -> Preview:
    """The row count and the first rows, exactly as the files will hold them."""
    check_actor(actor)
    fields = clean_fields(fields)
    return Preview(count_rows(conn, flt), tuple(FIELD_TITLES[c] for c in fields), list(iter_rows(conn, flt, fields, limit)))


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    mime: str
    data: bytes
    rows: int


class _Counted:
    """Rows passed through, counted: the audit records what was written, not an earlier count."""

    def __init__(self, rows: Iterable[tuple]):
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self):
        for row in self._rows:
            self.count += 1
            yield row


def _description(sentence: str, now: datetime, count: int) -> str:
    return f"{TITLE}: {sentence}. Выгружено {format_ru_date(now.date())} {now:%H:%M}, строк: {count}."


def _record(engine: Engine, actor: Actor, now: datetime, flt: ExportFilter, sentence: str, fields, fmt: str, count: int) -> None:
    def work(conn: Connection) -> None:
        audit.record(
            conn, actor, now, "export", "bookings", None,
            format=fmt, rows=count, filters=sentence[:400], fields=list(fields), **flt.audit_detail(),
        )

    run_in_transaction(engine, work)


def export_xlsx(
    engine: Engine,
    actor: Actor,
    flt: ExportFilter,
    fields: Sequence[str],
    now: datetime,
    *,
    service_names: Mapping[int, str],
    on_progress: Callable[[int, int], None] | None = None,
) -> ExportFile:
    """The Excel file of the filtered bookings; `on_progress(written, total)` while it grows."""
    check_actor(actor)
    fields = clean_fields(fields)
    sentence = flt.describe(service_names)
    with engine.connect() as conn:
        # the count comes first: the description line and the progress bar need it up front
        total = count_rows(conn, flt)
        rows = _Counted(iter_rows(conn, flt, fields))
        data = write_xlsx(
            SHEET_TITLE,
            _description(sentence, now, total),
            [Column(FIELD_TITLES[c], digits_as_text=c == "card") for c in fields],
            rows,
            on_progress=(lambda written: on_progress(written, max(total, written))) if on_progress else None,
        )
    _record(engine, actor, now, flt, sentence, fields, "xlsx", rows.count)
    return ExportFile(f"записи-{format_ru_date(now.date())}.xlsx", XLSX_MIME, data, rows.count)


def export_print(
    engine: Engine,
    actor: Actor,
    flt: ExportFilter,
    fields: Sequence[str],
    now: datetime,
    *,
    service_names: Mapping[int, str],
) -> ExportFile:
    """The print form (an HTML page for the browser's print dialog) of the filtered bookings."""
    check_actor(actor)
    fields = clean_fields(fields)
    sentence = flt.describe(service_names)
    with engine.connect() as conn:
        total = count_rows(conn, flt)
        if total > PRINT_MAX_ROWS:
            raise DomainError("print_too_many", maximum=f"{PRINT_MAX_ROWS:,}".replace(",", " "), count=total)
        rows = _Counted(iter_rows(conn, flt, fields))
        wrap = {i for i, c in enumerate(fields) if c in FREE_TEXT}
        page = print_form(sentence, [FIELD_TITLES[c] for c in fields], rows, now, wrap=wrap)
    _record(engine, actor, now, flt, sentence, fields, "print", rows.count)
    return ExportFile(f"записи-{format_ru_date(now.date())}.html", HTML_MIME, page.encode("utf-8"), rows.count)


# --- the print form -----------------------------------------------------------------------


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


# every value in a template is escaped: user text can never become markup
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def print_form(
    description: str, columns: Sequence[str], rows: Iterable[Sequence], printed_at: datetime, *, wrap: Collection[int] = ()
) -> str:
    """An A4 page: title, date, the filter sentence, the table, a signature line. All text escaped.

    One printed line per booking, in a small font: only the columns numbered in `wrap` (free
    text) may take a second line. Wide tables (more than six columns) print in landscape; the
    page numbers come from CSS paged media, and the header row repeats on every printed page.
    """
    landscape = len(columns) > 6
    return _TEMPLATES.get_template("print_form.html").render(
        title=TITLE,
        printed_on=format_ru_date(printed_at.date()),
        printed_time=f"{printed_at:%H:%M}",
        description=description,
        orientation="landscape" if landscape else "portrait",
        max_width="281mm" if landscape else "194mm",
        columns=list(columns),
        wrap=set(wrap),
        rows=[[display(value) for value in row] for row in rows],
    )


# --- the door's sign-in sheet ---------------------------------------------------------------

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

    `participants` are the rows of core.sessions.participants_of; cancelled ones are left out.
    """
    lines = [_sheet_line(r) for r in participants if r.status in statuses.ACTIVE]
    page = _TEMPLATES.get_template("sign_in_sheet.html").render(
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
