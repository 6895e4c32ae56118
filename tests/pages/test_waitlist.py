"""The waiting list on screen: a visitor joins where a service is full and sees their place,
a freed place shows up as «Вы записаны из листа ожидания», and an admin reorders the line in
Участники."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import waitlist
from core.booking import SessionKey
from core.booking_changes import cancel
from core.events import load_events
from core.schema import waitlist as waitlist_table
from core.sessions import get_session
from tests.pages.test_sessions import open_panel
from tests.pages.test_visitor import ADMIN, as_visitor, click, fill_up, newcomer, open_tab, service_id, texts  # noqa: F401
from ui.clock import now, today


@pytest.fixture
def full_washing(db_engine) -> SessionKey:
    """Tomorrow's Стирка with every place taken."""
    with db_engine.connect() as conn:
        washing = next(e for e in load_events(conn) if e.title == "Стирка и душ")
    key = SessionKey(next(es.id for es in washing.services if es.service_name == "Стирка"), today() + timedelta(days=1))
    fill_up(db_engine, key)
    return key


def line_of(engine, key: SessionKey) -> list[int]:
    with engine.connect() as conn:
        session = get_session(conn, load_events(conn), key.event_service_id, key.date, today())
        return [entry.visitor_id for entry in waitlist.line_of(conn, session.session_id)]


def test_a_visitor_joins_the_line_of_a_full_date_and_is_told_their_place(newcomer, db_engine, full_washing):
    washing = service_id(db_engine, "Стирка")
    at = as_visitor(newcomer)
    click(at, f"vb_{washing}_wl_ask")
    at.radio(key=f"vb_{washing}_wl_slot").set_value(f"{full_washing.event_service_id}:{full_washing.date.isoformat()}").run()
    click(at, f"vb_{washing}_wl_join")

    assert any(s.value.startswith("Вы в листе ожидания: Стирка") and "вы следующий в очереди" in s.value for s in at.success)
    assert line_of(db_engine, full_washing) == [newcomer.id]


def test_my_bookings_show_the_place_in_line_and_a_place_that_came_from_it(newcomer, db_engine, full_washing):
    waitlist.join(db_engine, newcomer.id, full_washing, newcomer, now())
    at = open_tab(as_visitor(newcomer), "Мои записи")
    assert "Лист ожидания:** Стирка" in texts(at) and "Вы следующий в очереди." in texts(at)

    with db_engine.connect() as conn:
        holder = conn.execute(
            sa.text("SELECT b.id FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE s.event_service_id = :es "
                    "AND s.date = :day AND b.status = 'expected' ORDER BY b.id LIMIT 1"),
            {"es": full_washing.event_service_id, "day": full_washing.date},
        ).scalar_one()
    cancel(db_engine, holder, ADMIN, now())
    at = open_tab(as_visitor(newcomer), "Мои записи")

    assert any(s.value.startswith("Вы записаны из листа ожидания: Стирка") for s in at.success)
    assert "Лист ожидания:**" not in texts(at)


def test_a_visitor_leaves_the_line_from_my_bookings(newcomer, db_engine, full_washing):
    waitlist.join(db_engine, newcomer.id, full_washing, newcomer, now())
    at = open_tab(as_visitor(newcomer), "Мои записи")
    leave = next(b for b in at.button if (b.key or "").startswith("vp_wl_leave_"))
    click(at, leave.key)
    assert "Вы вышли из листа ожидания." in [s.value for s in at.success]
    assert line_of(db_engine, full_washing) == []


def test_an_admin_sees_the_line_in_participants_and_moves_a_person_up(app, db_engine, full_washing):
    from core.visitors import register_visitor

    people = [register_visitor(db_engine, "Ждущий", name, None, None, True, None, now()).visitor_id for name in ("Первый", "Второй")]
    for person in people:
        waitlist.join(db_engine, person, full_washing, ADMIN, now())
    with db_engine.connect() as conn:
        session = get_session(conn, load_events(conn), full_washing.event_service_id, full_washing.date, today())
        second = waitlist.line_of(conn, session.session_id)[1].id
    at = open_panel(session)
    assert any(m.value == "**Лист ожидания (2)**" for m in at.markdown)
    assert any("**1.** Первый Ждущий" in m.value for m in at.markdown)

    click(at, f"pp_wl_up_{second}")

    assert line_of(db_engine, full_washing) == people[::-1]
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(waitlist_table)).scalar() == 2


def test_a_line_that_closed_offers_the_same_service_on_other_dates_and_places(newcomer, db_engine, full_washing):
    waitlist.join(db_engine, newcomer.id, full_washing, newcomer, now())
    with db_engine.begin() as conn:  # the session started and no place freed
        conn.execute(waitlist_table.update().values(state="closed", reason="session_started"))
    at = open_tab(as_visitor(newcomer), "Мои записи")

    assert any(i.value.startswith("Лист ожидания закрыт: Стирка") for i in at.info)
    assert "**Можно в другой день или в другом месте**" in texts(at)
    assert any((b.key or "").startswith("vp_wl_alt_") and b.label == "Записаться" for b in at.button)
