"""Booking statuses (SPEC §3.5): the codes, their words for staff and for visitors, their colours
and icons, and which change each role may make. Every screen, the export, the charts and the
booking rules read them here, so "what may be cancelled" has one answer.
"""

from datetime import date

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

# who may mark attendance
MARKING_ROLES = ("admin",)
# who may cancel a booking (visitors and volunteers only their own, see core.booking)
CANCELLING_ROLES = ("admin", "volunteer", "visitor")


def can_cancel(role: str, status: str) -> bool:
    """Only a booking still «Ожидается» can be cancelled, by anyone: a mark is history, and an
    admin who must undo one first sets it back to «Ожидается» (which the audit log keeps)."""
    return role in CANCELLING_ROLES and status == EXPECTED


def can_mark(role: str, status: str, new_status: str, session_day: date, today: date) -> bool:
    """Staff mark active bookings; «Присутствовал» and «Не пришел» only from the session's day on."""
    if role not in MARKING_ROLES or status not in ACTIVE or new_status not in MARKS:
        return False
    return new_status not in OUTCOMES or session_day <= today
