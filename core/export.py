"""Экспорт данных: bookings with their session and person, filtered, previewed, saved as Excel or printed.

One query joins a booking to everything a row shows. Rows are streamed from the database
cursor into the workbook, so 100,000 rows never sit in memory as Python objects; the print
form is core.paper's.
Cancelled bookings stay out unless the filter asks for them: a list for work is a list of who comes.
An erased visitor (152-ФЗ) keeps the booking for statistics but shows no personal value.
Each export is recorded in the audit log with the filter sentence, never with personal data.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import audit, statuses
from core.actors import ERASED_NAME, Actor, booked_by, volunteer_code
from core.db import run_in_transaction
from core.errors import DomainError, NotAllowed, ValidationError
from core.downloads import HTML_MIME, ExportFile
from core.paper import print_form
from core.schema import bookings, event_services, places, services, sessions, staff, visitors, volunteers, waitlist
from core.joins import BOOKING_DETAILS, SESSION_START, STAFF_MAKER, VOLUNTEER_MAKER, with_session_details
from core.spreadsheet import XLSX_MIME, Column, write_xlsx
from core.validation import format_phone, format_ru_date

EXPORT_ROLES = ("admin", "coordinator")
TITLE = "Записи на мероприятия"
SHEET_TITLE = "Записи"
PREVIEW_ROWS = 50
# A print form is for paper: beyond this many rows the Excel file is the right tool.
PRINT_MAX_ROWS = 5000
# the booking statuses, and the people in a session's waiting list (core.waitlist), who are
# exported only when chosen: a list for work is a list of who comes
WAITING = "waiting"
STATUS_LABELS = statuses.ADMIN_LABEL | {WAITING: "В листе ожидания"}


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

    def conditions(self, status, created_at) -> list:
        """The WHERE clauses of the export query, on a booking's (or a waiting list entry's)
        status and creation columns."""
        found = []
        if self.service_ids:
            found.append(event_services.c.service_id.in_(self.service_ids))
        booking_statuses = [s for s in self.statuses if s != WAITING]
        if booking_statuses:
            found.append(status.in_(booking_statuses))
        elif not self.include_cancelled:
            found.append(status != statuses.CANCELLED)
        if self.session_from:
            found.append(sessions.c.date >= self.session_from)
        if self.session_to:
            found.append(sessions.c.date <= self.session_to)
        # booking times are moments: a period of days ends at the midnight after its last day
        if self.booked_from:
            found.append(created_at >= _day_start(self.booked_from))
        if self.booked_to:
            found.append(created_at < _day_start(self.booked_to + timedelta(days=1)))
        return found

    @property
    def with_bookings(self) -> bool:
        return not self.statuses or any(s != WAITING for s in self.statuses)

    @property
    def with_waiting(self) -> bool:
        return WAITING in self.statuses

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


_JOINED = (
    BOOKING_DETAILS.join(visitors, visitors.c.id == bookings.c.visitor_id)
    .outerjoin(staff, STAFF_MAKER)
    .outerjoin(volunteers, VOLUNTEER_MAKER)
)
# a waiting list entry with its session, person and whoever put them in line
_WAITING_JOINED = (
    with_session_details(waitlist.join(sessions, sessions.c.id == waitlist.c.session_id))
    .join(visitors, visitors.c.id == waitlist.c.visitor_id)
    .outerjoin(staff, sa.and_(waitlist.c.created_by_kind == "staff", staff.c.id == waitlist.c.created_by_id))
    .outerjoin(volunteers, sa.and_(waitlist.c.created_by_kind == "volunteer", volunteers.c.id == waitlist.c.created_by_id))
)


def _selects(flt: ExportFilter) -> list[sa.Select]:
    """The bookings and (when chosen) the waiting people the filter keeps, in the same columns."""
    common = (
        services.c.name.label("service"), sessions.c.date, SESSION_START.label("start_time"), places.c.name.label("place"),
        visitors.c.first_name, visitors.c.last_name, visitors.c.card_number, visitors.c.phone, visitors.c.erased_at,
    )
    makers = (
        staff.c.display_name.label("staff_name"), volunteers.c.first_name.label("volunteer_first"),
        volunteers.c.last_name.label("volunteer_last"),
    )
    found = []
    if flt.with_bookings:
        found.append(
            sa.select(
                *common, bookings.c.status, bookings.c.created_by_kind, bookings.c.created_by_id, *makers,
                bookings.c.created_at, bookings.c.comment, bookings.c.staff_comment, bookings.c.id.label("row_id"),
            )
            .select_from(_JOINED)
            .where(*flt.conditions(bookings.c.status, bookings.c.created_at))
        )
    if flt.with_waiting:
        waiting_filter = replace(flt, statuses=(), include_cancelled=True)
        found.append(
            sa.select(
                *common, sa.literal(WAITING).label("status"), waitlist.c.created_by_kind, waitlist.c.created_by_id, *makers,
                waitlist.c.created_at, waitlist.c.comment, sa.null().label("staff_comment"), waitlist.c.id.label("row_id"),
            )
            .select_from(_WAITING_JOINED)
            .where(waitlist.c.state == "waiting", *waiting_filter.conditions(waitlist.c.state, waitlist.c.created_at))
        )
    return found


def _source(flt: ExportFilter) -> sa.Subquery:
    selects = _selects(flt)
    return (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery()


def _query(flt: ExportFilter) -> sa.Select:
    rows = _source(flt)
    return sa.select(rows).order_by(
        rows.c.date, rows.c.start_time, rows.c.service, rows.c.place, rows.c.last_name, rows.c.first_name, rows.c.row_id
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
    return conn.execute(sa.select(sa.func.count()).select_from(_source(flt))).scalar_one()


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


def export_file(
    fmt: str,
    engine: Engine,
    actor: Actor,
    flt: ExportFilter,
    fields: Sequence[str],
    now: datetime,
    *,
    service_names: Mapping[int, str],
    on_progress: Callable[[int, int], None] | None = None,
) -> ExportFile:
    """The filtered bookings as an Excel file (`fmt` "xlsx"; `on_progress(written, total)` while
    it grows) or as a print form (`fmt` "print": an HTML page for the browser's print dialog)."""
    check_actor(actor)
    fields = clean_fields(fields)
    sentence = flt.describe(service_names)
    with engine.connect() as conn:
        # the count comes first: the description line, the progress bar and the paper limit need it
        total = count_rows(conn, flt)
        if fmt == "print" and total > PRINT_MAX_ROWS:
            raise DomainError("print_too_many", maximum=f"{PRINT_MAX_ROWS:,}".replace(",", " "), count=total)
        rows = _Counted(iter_rows(conn, flt, fields))
        titles = [FIELD_TITLES[c] for c in fields]
        if fmt == "xlsx":
            data = write_xlsx(
                SHEET_TITLE,
                _description(sentence, now, total),
                [Column(title, digits_as_text=c == "card") for title, c in zip(titles, fields, strict=True)],
                rows,
                on_progress=(lambda written: on_progress(written, max(total, written))) if on_progress else None,
            )
            made = ExportFile(f"записи-{format_ru_date(now.date())}.xlsx", XLSX_MIME, data, 0)
        else:
            wrap = {i for i, c in enumerate(fields) if c in FREE_TEXT}
            page = print_form(TITLE, sentence, titles, rows, now, wrap=wrap)
            made = ExportFile(f"записи-{format_ru_date(now.date())}.html", HTML_MIME, page.encode("utf-8"), 0)
    _record(engine, actor, now, flt, sentence, fields, fmt, rows.count)
    return replace(made, rows=rows.count)



