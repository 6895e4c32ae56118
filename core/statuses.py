"""Booking statuses (SPEC §3.5): the codes, their words for staff and for visitors, their colours
and icons, and which change each role may make. Every screen, the export, the charts and the
booking rules read them here, so "what may be cancelled" has one answer.
"""

from datetime import date, datetime, timedelta

EXPECTED = "expected"
ATTENDED = "attended"
NO_SHOW = "no_show"
CANCELLED = "cancelled"

ALL = (EXPECTED, ATTENDED, NO_SHOW, CANCELLED)
# a booking in one of these holds its place
ACTIVE = (EXPECTED, ATTENDED, NO_SHOW)
# what staff can set in Участники, in the order offered
MARKS = (ATTENDED, NO_SHOW, EXPECTED)
# a mark that says what happened, so it is history: only from the session's day on
OUTCOMES = (ATTENDED, NO_SHOW)

ADMIN_LABEL = {EXPECTED: "Ожидается", ATTENDED: "Присутствовал", NO_SHOW: "Не пришел", CANCELLED: "Отменено"}
VISITOR_LABEL = {EXPECTED: "Запланировано", ATTENDED: "Выполнено", NO_SHOW: "Не явился", CANCELLED: "Отменено"}
COLOUR = {EXPECTED: "#f5c518", ATTENDED: "#2e9e44", NO_SHOW: "#d93025", CANCELLED: "#9aa0a6"}
ICON = {EXPECTED: "🟡", ATTENDED: "🟢", NO_SHOW: "🔴", CANCELLED: "⚪"}
# Streamlit badge colours
BADGE = {EXPECTED: "yellow", ATTENDED: "green", NO_SHOW: "red", CANCELLED: "gray"}

# who may mark attendance: admins any booking; volunteers at the door, see mark_refusal
MARKING_ROLES = ("admin", "volunteer")
# how long a volunteer may take back their own mark at the door (a mistaken tap)
UNDO_WINDOW = timedelta(seconds=60)
# who may cancel a booking (visitors and volunteers only their own, see core.booking)
CANCELLING_ROLES = ("admin", "volunteer", "visitor")


def can_cancel(role: str, status: str) -> bool:
    """Only a booking still «Ожидается» can be cancelled, by anyone: a mark is history, and an
    admin who must undo one first sets it back to «Ожидается» (which the audit log keeps)."""
    return role in CANCELLING_ROLES and status == EXPECTED


def mark_refusal(
    role: str,
    status: str,
    new_status: str,
    session_day: date,
    today: date,
    *,
    now: datetime | None = None,
    marked_at: datetime | None = None,
    marked_by_me: bool = False,
) -> str | None:
    """Why this mark may not be made (an error code of core.errors), or None when it may.

    Staff mark active bookings; «Присутствовал» and «Не пришел» only from the session's day on.
    An admin may set any mark at any time after that. A volunteer marks at the door: a booking
    still «Ожидается», on today's session only; and takes back only their own mark, within
    UNDO_WINDOW of making it (`now` - `marked_at`). Correcting anything else is an admin's
    job, which the audit log keeps.
    """
    if role not in MARKING_ROLES:
        return "not_allowed"
    if status not in ACTIVE or new_status not in MARKS:
        return "status_invalid"
    if new_status in OUTCOMES and session_day > today:
        return "mark_before_session_day"
    if role == "admin":
        return None
    if new_status in OUTCOMES:
        if session_day != today:
            return "mark_today_only"
        return None if status == EXPECTED else "mark_already_made"
    if status == EXPECTED:
        return "mark_nothing_to_undo"
    if not marked_by_me:
        return "undo_not_own"
    if now is None or marked_at is None or now - marked_at > UNDO_WINDOW:
        return "undo_too_late"
    return None


def can_mark(role: str, status: str, new_status: str, session_day: date, today: date, **mark) -> bool:
    """Whether `mark_refusal` lets this mark through (same arguments)."""
    return mark_refusal(role, status, new_status, session_day, today, **mark) is None


def undo_seconds_left(marked_at: datetime | None, now: datetime) -> int:
    """Whole seconds left to take back a mark made at `marked_at` (0 once the window has passed)."""
    if marked_at is None:
        return 0
    left = (marked_at + UNDO_WINDOW - now).total_seconds()
    return max(0, min(int(UNDO_WINDOW.total_seconds()), int(left)))
