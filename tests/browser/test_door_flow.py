"""Real browser at 320 px: a volunteer marks a person «Пришёл» at the door with one tap, takes
another mark back with «Отменить отметку», and the database holds exactly that. The picture of
the door goes to docs/ (the README shows it)."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.db import make_engine
from core.schema import bookings, status_history
from tests.browser.server import ROOT, AppServer, choose, log_in, open_page, screenshot, wait_idle
from tests.browser.test_visitor_flow import assert_big_buttons, assert_russian_and_fits

DOCS = ROOT / "docs"

ROW = "[class*='st-key-door_row_']"


def first_row_to_mark(page: Page):
    """The first person still «Ожидается», and their booking id (from the row's key)."""
    row = page.locator(ROW).filter(has=page.get_by_role("button", name="Пришёл", exact=True)).first
    key = re.search(r"st-key-door_row_(\d+)", row.get_attribute("class")).group(1)
    return page.locator(f".st-key-door_row_{key}"), int(key)


def test_a_volunteer_marks_a_person_arrived_and_takes_a_mark_back_on_a_phone(tabs, tmp_path):
    database = tmp_path / "door.duckdb"
    server = AppServer(database, env={"DAILY_BACKUPS": "off"})
    try:
        page = tabs.open(320)
        log_in(page, server.url, "volunteer", "volunteer-demo")
        open_page(page, "Отметка у входа")
        main = page.locator("[data-testid='stMain']")
        choose(page, main.get_by_label("Место"), "Цветной")

        arrived, arrived_id = first_row_to_mark(page)
        arrived.get_by_role("button", name="Пришёл", exact=True).click()
        wait_idle(page)
        expect(arrived.get_by_text("Присутствовал")).to_be_visible()
        expect(arrived.get_by_role("button", name="Отменить отметку")).to_be_visible()
        assert_russian_and_fits(page, 320)
        assert_big_buttons(page, f".st-key-door_row_{arrived_id}")
        assert_big_buttons(page, ROW)
        screenshot(page, str(DOCS / "door-check-in-320.png"))

        mistaken, mistaken_id = first_row_to_mark(page)
        mistaken.get_by_role("button", name="Пришёл", exact=True).click()
        wait_idle(page)
        mistaken.get_by_role("button", name="Отменить отметку").click()
        wait_idle(page)
        expect(mistaken.get_by_role("button", name="Пришёл", exact=True)).to_be_visible()
        expect(mistaken.get_by_text("Ожидается")).to_be_visible()
        page.close()
    finally:
        server.stop()

    engine = make_engine(f"duckdb:///{database}")
    with engine.connect() as conn:
        marks = dict(conn.execute(sa.select(bookings.c.id, bookings.c.status).where(bookings.c.id.in_([arrived_id, mistaken_id]))).all())
        by = conn.execute(sa.select(bookings.c.status_changed_by).where(bookings.c.id == arrived_id)).scalar_one()
        history = conn.execute(
            sa.select(status_history.c.status).where(status_history.c.booking_id == mistaken_id).order_by(status_history.c.id)
        ).scalars().all()
    engine.dispose()
    assert marks == {arrived_id: "attended", mistaken_id: "expected"}
    assert by == "volunteer:В-0001"
    assert history[-3:] == ["expected", "attended", "expected"]
