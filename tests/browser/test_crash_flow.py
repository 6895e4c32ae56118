"""Crash safety through the real app: the Streamlit server is SIGKILLed while two volunteers book.

Two volunteer desks (headless Chromium, one session each) book demo visitors onto Парикмахер
together with Горячее питание on the demo's one-off «Большой день помощи». A booking counts as
acknowledged only once its desk shows «Записано: …». Then both desks confirm one more booking
and the server process is killed with SIGKILL while those are under way. A new server on the
same database (DuckDB replays its write-ahead log on opening) must show each volunteer the
bookings they were told about, and the database must hold every acknowledged booking, the
unacknowledged ones whole or not at all, nothing else, and the capacity invariants.
"""

import os
import re
import signal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import manage
from core.db import make_engine
from core.schema import bookings, event_services, events, services, sessions, visitors
from tests.backend import on_postgres
from tests.browser.server import AppServer, choose, log_in, new_page, wait_idle
from tests.postgres import create_database
from tests.stress import invariant_breaches

# Every demo volunteer signs in with the same demo password.
VOLUNTEERS = ("volunteer", "pavel.gromov")
VOLUNTEER_PASSWORD = "volunteer-demo"
# one-off, five days ahead: always inside the booking window, whatever the hour
BIG_DAY = "Большой день помощи"
# Парикмахер runs on no other upcoming day, so the desk preselects the only date and time; the
# demo fills future sessions to at most 45 %, which leaves 7 of its 12 places for this test's 6.
MAIN_SERVICE = "Парикмахер"
EXTRA_SERVICE = "Горячее питание"
ACKNOWLEDGED_ROUNDS = 1  # each desk books once, both at the same time, before the kill
RUN_STARTED_FLAG = "window.__crashTestRunStarted"


@pytest.fixture
def demo_database(tmp_path, monkeypatch) -> str:
    """A database of its own with the demo loaded, as `make run` prepares one before starting the app."""
    if on_postgres():
        url = create_database(os.environ["TEST_POSTGRES_ADMIN_URL"], "crash_flow")
    else:
        url = f"duckdb:///{tmp_path / 'crash.duckdb'}"
    monkeypatch.setenv("DATABASE_URL", url)
    manage.init()
    return url


@pytest.fixture
def start_app():
    """Start app servers; whatever is still running at the end is stopped."""
    started: list[AppServer] = []

    def start(url: str) -> AppServer:
        app = AppServer(url, env={"DAILY_BACKUPS": "off"})
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def open_desk(browser):
    """A volunteer signed in on «Стойка волонтёра» in a browser context of their own."""
    pages: list[Page] = []

    def open_(base_url: str, login: str) -> Page:
        page = new_page(browser, 1280)
        pages.append(page)
        log_in(page, base_url, login, VOLUNTEER_PASSWORD)
        expect(main(page).get_by_role("heading", name="Стойка волонтёра")).to_be_visible()
        return page

    yield open_
    for page in pages:
        page.context.close()


def main(page: Page):
    return page.locator("[data-testid='stMain']")


def booking_plan(url: str, visitors_needed: int) -> tuple[int, list[str]]:
    """The last booking id before the test, and cards of visitors not yet taking part in the big day."""
    engine = make_engine(url)
    with engine.connect() as conn:
        last_booking_id = conn.execute(sa.select(sa.func.max(bookings.c.id))).scalar_one()
        big_day_id = conn.execute(sa.select(events.c.id).where(events.c.title == BIG_DAY)).scalar_one()
        taking_part = (
            sa.select(bookings.c.visitor_id)
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .where(sessions.c.event_id == big_day_id)
        )
        cards = conn.execute(
            sa.select(visitors.c.card_number)
            .where(visitors.c.id.not_in(taking_part))
            .order_by(visitors.c.card_number)
            .limit(visitors_needed)
        ).scalars().all()
    engine.dispose()
    assert len(cards) == visitors_needed
    return last_booking_id, cards


def prepare_booking(page: Page, card: str) -> None:
    """Find the visitor by card and fill the booking in up to «Подтвердить запись»."""
    search = main(page).get_by_label("Карта, фамилия и имя или телефон")
    search.fill(card)
    search.press("Enter")
    wait_idle(page)
    main(page).get_by_role("button", name=re.compile(rf"· карта {card} ·")).click()
    wait_idle(page)
    choose(page, main(page).get_by_label("Услуга", exact=True), MAIN_SERVICE)
    main(page).locator("[data-testid='stCheckbox']").filter(has_text=f"{EXTRA_SERVICE},").locator("label").click()
    wait_idle(page)
    # choosing the service cleared the last «Записано», so the next one seen is this booking's
    expect(main(page).get_by_text("Записано:")).to_have_count(0)


def confirm(page: Page) -> None:
    main(page).get_by_role("button", name="Подтвердить запись").click()


def expect_acknowledged(page: Page) -> None:
    wait_idle(page)
    expect(main(page).get_by_text(re.compile(rf"^Записано: {MAIN_SERVICE}, .+; {EXTRA_SERVICE}, .+\.$"))).to_be_visible()


def next_visitor(page: Page) -> None:
    main(page).get_by_role("button", name="Другой посетитель").click()
    wait_idle(page)


def watch_for_run_start(page: Page) -> None:
    """Remember in the page when the server reports that it has started the next run.

    The state can flip back to notRunning before Playwright polls it, so an observer records it.
    """
    page.evaluate(
        f"""() => {{
            {RUN_STARTED_FLAG} = false;
            new MutationObserver(() => {{
                if (document.querySelector("[data-testid='stApp']")?.dataset.testScriptState === "running") {{
                    {RUN_STARTED_FLAG} = true;
                }}
            }}).observe(document.body, {{subtree: true, attributeFilter: ["data-test-script-state"]}});
        }}"""
    )


def bookings_since(engine, last_booking_id: int) -> list[tuple[str, str, str, str]]:
    """(card, event, service, status) of every booking made after `last_booking_id`."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            sa.select(visitors.c.card_number, events.c.title, services.c.name, bookings.c.status)
            .join(visitors, visitors.c.id == bookings.c.visitor_id)
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .join(event_services, event_services.c.id == sessions.c.event_service_id)
            .join(services, services.c.id == event_services.c.service_id)
            .join(events, events.c.id == sessions.c.event_id)
            .where(bookings.c.id > last_booking_id)
        )]


def whole_booking(card: str) -> set[tuple[str, str, str, str]]:
    """The rows one confirmed booking of `card` leaves: both services, expected."""
    return {(card, BIG_DAY, MAIN_SERVICE, "expected"), (card, BIG_DAY, EXTRA_SERVICE, "expected")}


def test_a_killed_app_server_keeps_every_booking_the_volunteers_saw_confirmed(demo_database, start_app, open_desk):
    last_booking_id, cards = booking_plan(demo_database, len(VOLUNTEERS) * (ACKNOWLEDGED_ROUNDS + 1))
    queue = iter(cards)
    server = start_app(demo_database)
    desks = {login: open_desk(server.url, login) for login in VOLUNTEERS}
    acknowledged: dict[str, list[str]] = {login: [] for login in VOLUNTEERS}

    for _ in range(ACKNOWLEDGED_ROUNDS):
        booking = {login: next(queue) for login in VOLUNTEERS}
        for login, page in desks.items():
            prepare_booking(page, booking[login])
        # both confirms go out before either is awaited, so the server books for two sessions at once
        for page in desks.values():
            confirm(page)
        for login, page in desks.items():
            expect_acknowledged(page)
            acknowledged[login].append(booking[login])
            next_visitor(page)

    # Neither volunteer sees «Записано» for these two. The first desk's run has started on the
    # server (its booking is most likely committed); the second's request is still on its way
    # or being booked when the kill lands.
    in_flight = {login: next(queue) for login in VOLUNTEERS}
    for login, page in desks.items():
        prepare_booking(page, in_flight[login])
    first, second = desks.values()
    watch_for_run_start(first)
    confirm(first)
    first.wait_for_function(f"() => {RUN_STARTED_FLAG}")
    confirm(second)
    os.kill(server.process.pid, signal.SIGKILL)
    assert server.process.wait(timeout=10) == -signal.SIGKILL
    for page in desks.values():
        page.context.close()

    restarted = start_app(demo_database)
    for login, cards_booked in acknowledged.items():
        page = open_desk(restarted.url, login)
        main(page).get_by_role("radio", name="Мои записи").click()
        wait_idle(page)
        for card in cards_booked:
            made = main(page).locator("[class*='st-key-dk_made_']").filter(has_text=f"карта {card}")
            expect(made.filter(has_text=MAIN_SERVICE).get_by_role("button", name="Отменить")).to_be_visible()
            expect(made.filter(has_text=EXTRA_SERVICE).get_by_role("button", name="Отменить")).to_be_visible()
    restarted.stop()  # DuckDB: only one process may open the file

    engine = make_engine(demo_database)
    stored = bookings_since(engine, last_booking_id)
    assert invariant_breaches(engine) == []
    engine.dispose()
    assert len(stored) == len(set(stored))
    stored_rows = set(stored)
    promised = set().union(*(whole_booking(card) for cards_booked in acknowledged.values() for card in cards_booked))
    assert promised - stored_rows == set(), "acknowledged bookings were lost in the crash"
    for card in in_flight.values():
        theirs = {row for row in stored_rows if row[0] == card}
        assert theirs in (set(), whole_booking(card)), f"half a booking survived the crash: {theirs}"
    may_be_stored = set().union(*(whole_booking(card) for card in in_flight.values()))
    assert stored_rows - promised - may_be_stored == set(), "bookings nobody confirmed"
