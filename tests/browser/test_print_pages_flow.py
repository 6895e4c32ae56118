"""Real browser: how many A4 pages the printed list of bookings and a door's sign-in sheet take,
printed to PDF in Chromium."""

import re
from itertools import cycle, islice

import pytest

from core.events import load_events
from core.export import FIELDS, FIELD_TITLES, FREE_TEXT, TITLE, ExportFilter, iter_rows
from core.paper import print_form, sign_in_sheet
from core.places import list_places
from core.participants import participants_of
from core.sessions import SessionFilter, list_sessions

ALL_FIELDS = [f.code for f in FIELDS]
BOOKINGS = 828  # the count that took 60 pages before the list was made compact
MOST_PAGES = 20


def pdf_pages(browser, page_html: str, path) -> int:
    """Print the page as Chromium's print dialog would, with the page's own @page size; count the pages."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(page_html, wait_until="load")
        pdf = page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    # each page object is "/Type /Page"; the page tree is "/Type /Pages"
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.fixture
def demo_bookings(demo_engine) -> list[tuple]:
    """828 bookings with every field, the demo's own rows taken in turn: real names, comments and lengths."""
    with demo_engine.connect() as conn:
        rows = list(iter_rows(conn, ExportFilter(include_cancelled=True), ALL_FIELDS))
    assert rows
    return list(islice(cycle(rows), BOOKINGS))


def test_828_bookings_with_every_field_print_on_20_pages_or_fewer(browser, demo_bookings, now, shots):
    page_html = print_form(
        TITLE,
        "Все услуги; все статусы, включая отменённые",
        [FIELD_TITLES[c] for c in ALL_FIELDS],
        demo_bookings,
        now,
        wrap={i for i, c in enumerate(ALL_FIELDS) if c in FREE_TEXT},
    )
    pages = pdf_pages(browser, page_html, shots / "print-828-bookings.pdf")
    print(f"\n{BOOKINGS} bookings, every field: {pages} A4 pages")
    assert 0 < pages <= MOST_PAGES


def test_the_sign_in_sheet_of_a_demo_session_prints_on_one_a4_page(browser, demo_engine, now, shots):
    with demo_engine.connect() as conn:
        found = list_sessions(conn, load_events(conn), SessionFilter(), now.date(), upcoming=True, limit=200)[0]
        # up to 15 booked and 10 walk-in lines fit one page
        session = max((s for s in found if s.booked <= 15), key=lambda s: s.booked)
        place = next(p for p in list_places(conn) if p.id == session.place_id)
        rows = participants_of(conn, session.session_id) if session.session_id else []
    sheet = sign_in_sheet(session, place, rows, now)
    assert session.booked >= 3 and sheet.rows == session.booked
    assert pdf_pages(browser, sheet.data.decode("utf-8"), shots / "sign-in-sheet.pdf") == 1
    context = browser.new_context(viewport={"width": 800, "height": 1100}, locale="ru-RU")
    page = context.new_page()
    page.set_content(sheet.data.decode("utf-8"))
    page.screenshot(path=str(shots / "sign-in-sheet.png"), full_page=True)
    context.close()
    # the downloaded file opened on a phone: nothing runs off its 320 px
    context = browser.new_context(viewport={"width": 320, "height": 740}, locale="ru-RU")
    page = context.new_page()
    page.set_content(sheet.data.decode("utf-8"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    context.close()
