"""Real browser, 320 px: a visitor joins the waiting list of a full Стирка, another visitor
cancels their booking in their own browser, and the first one finds «Вы записаны из листа
ожидания» on «Мои записи». The picture goes to docs/."""

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import demo
from core.booking import SessionKey, book
from core.db import make_engine, migrate
from core.events import load_events
from core.schema import waitlist
from core.session_changes import edit_session
from core.sessions import get_session
from core.visitors import register_visitor
from tests.browser.server import ROOT, AppServer, new_page, sign_in_visitor, wait_idle
from tests.browser.test_visitor_flow import assert_russian_and_fits, washing_card
from tests.clock import suite_now

DOCS = ROOT / "docs"

PIN = "2580"


def prepared_database(path) -> tuple[str, str, SessionKey, int]:
    """The demo, tomorrow's Стирка full, its last place held by one visitor; returns the cards
    of the holder and of a visitor who will wait, the session and its places."""
    now = suite_now()
    engine = make_engine(f"duckdb:///{path}")
    migrate(engine)
    demo.load(engine, now)
    holder = register_visitor(engine, "Олег", "Занявший", None, None, True, None, now, pin=PIN)
    waiting = register_visitor(engine, "Вера", "Ждущая", None, None, True, None, now, pin=PIN)
    with engine.connect() as conn:
        events = load_events(conn)
    washing = next(e for e in events if e.title == "Стирка и душ")
    key = SessionKey(next(es.id for es in washing.services if es.service_name == "Стирка"), now.date() + timedelta(days=1))
    admin = demo_admin(engine)
    book(engine, holder.visitor_id, [key], admin, now)
    with engine.connect() as conn:
        session = get_session(conn, load_events(conn), key.event_service_id, key.date, now.date())
    edit_session(engine, session, session.start_time, session.end_time, session.booked, admin, now)
    engine.dispose()
    return holder.card_number, waiting.card_number, key, session.booked


def demo_admin(engine):
    from core.actors import Actor
    from core.schema import staff

    with engine.connect() as conn:
        row = conn.execute(sa.select(staff).where(staff.c.role == "admin").limit(1)).one()
    return Actor("staff", row.id, "admin", row.login, row.display_name)


def open_mine(page: Page) -> None:
    page.get_by_role("tab", name="Мои записи").click()
    wait_idle(page)


def test_a_visitor_in_line_is_booked_when_another_cancels_and_sees_it_at_320_px(tmp_path, tabs, browser):
    path = tmp_path / "waitlist.duckdb"
    holder_card, waiting_card, key, places = prepared_database(path)
    server = AppServer(path, env={"DAILY_BACKUPS": "off"})
    try:
        waiting = tabs.open(320)
        sign_in_visitor(waiting, server.url, waiting_card, PIN)
        washing = washing_card(waiting)
        washing.get_by_role("button", name="Встать в лист ожидания").click()
        wait_idle(waiting)
        washing.get_by_role("button", name="Встать в очередь").click()
        wait_idle(waiting)
        expect(waiting.get_by_text("вы следующий в очереди")).to_be_visible()
        open_mine(waiting)
        expect(waiting.get_by_text("Вы следующий в очереди.")).to_be_visible()
        assert_russian_and_fits(waiting, 320)

        holder = new_page(browser, 320)  # another person, at the same time
        sign_in_visitor(holder, server.url, holder_card, PIN)
        open_mine(holder)
        holder.get_by_role("button", name="Отменить запись").first.click()
        wait_idle(holder)
        holder.get_by_role("button", name="Да, отменить").click()
        wait_idle(holder)
        expect(holder.get_by_text("Запись отменена: Стирка")).to_be_visible()

        waiting.reload()
        wait_idle(waiting)
        open_mine(waiting)
        notice = waiting.get_by_text("Вы записаны из листа ожидания: Стирка")
        expect(notice).to_be_visible()
        expect(waiting.locator("[class*='st-key-vp_visit_']").filter(has_text="Стирка")).to_have_count(1)
        assert_russian_and_fits(waiting, 320)
        waiting.screenshot(path=str(DOCS / "visitor-waitlist-phone.png"))
    finally:
        server.stop()

    engine = make_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        states = conn.execute(sa.select(waitlist.c.state)).scalars().all()
        active = conn.execute(
            sa.text("SELECT count(*) FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE s.event_service_id = :es "
                    "AND s.date = :day AND b.status = 'expected'"),
            {"es": key.event_service_id, "day": key.date},
        ).scalar()
    engine.dispose()
    assert states == ["booked"]
    assert active == places  # the freed place went to the line, not elsewhere
