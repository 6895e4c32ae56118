"""Who is booked: a session's participants (the Участники dialog, the sign-in sheet) and the
bookings a volunteer made (the desk)."""

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.joins import BOOKING_DETAILS, SESSION_START, STAFF_MAKER
from core.schema import bookings, places, services, sessions, staff, visitors


# Built once: the dialog opens often, and building the statement was a large part of its time.
_PARTICIPANTS = (
    sa.select(
        bookings.c.id,
        bookings.c.status,
        bookings.c.comment,
        bookings.c.staff_comment,
        bookings.c.created_at,
        bookings.c.created_by_kind,
        bookings.c.created_by_id,
        visitors.c.id.label("visitor_id"),
        visitors.c.card_number,
        visitors.c.first_name,
        visitors.c.last_name,
        visitors.c.phone,
        staff.c.display_name.label("staff_name"),
    )
    .select_from(bookings.join(visitors, visitors.c.id == bookings.c.visitor_id).outerjoin(staff, STAFF_MAKER))
    .where(bookings.c.session_id == sa.bindparam("session_id"))
    .order_by(visitors.c.last_name, visitors.c.first_name)
)


def participants_of(conn: Connection, session_id: int) -> list[sa.Row]:
    """Bookings of one session with the person and who booked them, for the participants dialog."""
    return conn.execute(_PARTICIPANTS, {"session_id": session_id}).all()


@dataclass(frozen=True)
class MadeBooking:
    """A booking as the volunteer who made it sees it at the desk."""

    booking_id: int
    date: date
    start_time: time
    service_name: str
    place_name: str
    visitor_name: str
    card_number: str
    status: str


def bookings_made_by(conn: Connection, volunteer_id: int, on_or_after: date) -> list[MadeBooking]:
    """Bookings this volunteer made for today and later, nearest first."""
    rows = conn.execute(
        sa.select(
            bookings.c.id,
            bookings.c.status,
            sessions.c.date,
            SESSION_START.label("start_time"),
            services.c.name.label("service_name"),
            places.c.name.label("place_name"),
            visitors.c.first_name,
            visitors.c.last_name,
            visitors.c.card_number,
        )
        .select_from(BOOKING_DETAILS.join(visitors, visitors.c.id == bookings.c.visitor_id))
        .where(
            bookings.c.created_by_kind == "volunteer",
            bookings.c.created_by_id == volunteer_id,
            sessions.c.date >= on_or_after,
        )
        .order_by(sessions.c.date, "start_time", services.c.name)
    ).all()
    return [
        MadeBooking(r.id, r.date, r.start_time, r.service_name, r.place_name, f"{r.last_name} {r.first_name}", r.card_number, r.status)
        for r in rows
    ]
