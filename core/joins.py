"""Joins and expressions every list of bookings shares (the desk, the visitor's history, the
export, the charts, the participants dialog, МКС), so they all read times, places and who
booked the same way."""

import sqlalchemy as sa

from core import statuses
from core.schema import bookings, event_services, events, places, services, sessions, staff, volunteers

# a session's own time and capacity, where an admin changed them, else its service's
SESSION_START = sa.func.coalesce(sessions.c.start_time, event_services.c.start_time)
SESSION_END = sa.func.coalesce(sessions.c.end_time, event_services.c.end_time)
SESSION_CAPACITY = sa.func.coalesce(sessions.c.capacity, event_services.c.capacity)

# a booking that counts against the capacities: active, and its place not given away at the door
HOLDS_PLACE = sa.and_(bookings.c.status.in_(statuses.ACTIVE), bookings.c.released_at.is_(None))



def with_session_details(joined_to_sessions):
    """A join that reaches `sessions`, continued to its service, catalog name, event and place."""
    return (
        joined_to_sessions.join(event_services, event_services.c.id == sessions.c.event_service_id)
        .join(services, services.c.id == event_services.c.service_id)
        .join(events, events.c.id == sessions.c.event_id)
        .join(places, places.c.id == events.c.place_id)
    )


# a booking with where and when it happens
BOOKING_DETAILS = with_session_details(bookings.join(sessions, sessions.c.id == bookings.c.session_id))

# who made a booking: outer-join staff and volunteers on these
STAFF_MAKER = sa.and_(bookings.c.created_by_kind == "staff", staff.c.id == bookings.c.created_by_id)
VOLUNTEER_MAKER = sa.and_(bookings.c.created_by_kind == "volunteer", volunteers.c.id == bookings.c.created_by_id)
