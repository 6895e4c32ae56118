"""Участники: the door's sign-in sheet of a session, downloaded from the dialog."""

import html
import re

import sqlalchemy as sa

from core.schema import bookings, sessions, visitors
from tests.pages.test_export import downloads  # noqa: F401  (the fixture: every file a download button hands out)
from tests.pages.test_sessions import open_panel, upcoming


def booked_names(engine, session) -> list[str]:
    """The session's active bookings, as Участники orders them: surname, then first name."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(visitors.c.last_name, visitors.c.first_name)
            .select_from(bookings.join(sessions, sessions.c.id == bookings.c.session_id).join(visitors, visitors.c.id == bookings.c.visitor_id))
            .where(sessions.c.event_service_id == session.event_service_id, sessions.c.date == session.date, bookings.c.status != "cancelled")
            .order_by(visitors.c.last_name, visitors.c.first_name)
        ).all()
    return [f"{last} {first}" for last, first in rows]


def test_the_participants_dialog_hands_out_the_sign_in_sheet_of_its_booked_people(db_engine, downloads):
    target = next(s for s in upcoming(db_engine) if s.booked >= 3)
    at = open_panel(target)
    assert [b.proto.label for b in at.get("download_button")] == ["Лист регистрации (A4)"]
    data, mime, name = next(d for d in downloads if (d[2] or "").startswith("лист-регистрации-"))
    assert mime == "text/html" and name.endswith(f"-{target.date:%d.%m.%Y}-{target.start_time:%H-%M}.html")
    page = data.decode("utf-8")
    names = [html.unescape(n) for n in re.findall(r'<td class="n">\d+</td><td>(.*?)</td>', page)]
    expected = booked_names(db_engine, target)
    assert names == expected + [""] * 10
    assert target.service_name in page and target.place_name in page
