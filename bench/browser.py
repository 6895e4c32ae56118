"""What a person feels in headless Chromium on the large data: the Расписание painted, and the
three most frequent actions timed from the click to the settled page.

"Settled" is the action's own result on screen (the booking's confirmation, the count of marks)
and the app's script state back at notRunning: the moment the person may click again. The steps
before the measured click are taken as a person would and are not timed.
"""

import re
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as time_of_day
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ADMIN, VOLUNTEER = ("admin", "admin-demo"), ("volunteer", "volunteer-demo")
VISITOR_PIN = "1111"  # core.demo.DEMO_VISITOR_PIN: bench/generate.py gives every visitor this PIN
MARKED_PLACE = "Бенч: отметка 30 человек"
MARKED_PEOPLE = 30
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
# people with few bookings (bench/generate.py draws its regulars from the low ids), one per run
DESK_CARDS = [str(100001 + n) for n in range(19_800, 19_820)]
VISITOR_CARDS = [str(100001 + n) for n in range(19_900, 19_920)]


def prepare_marking(url: str, now: datetime) -> None:
    """A session today with 30 people expected, at a place of its own so the list filter finds it.

    Written into the served copy before the server starts; booked at the day's first minute,
    as people booked it earlier (booking checks its window against the `now` it is given).
    """
    from core.actors import Actor
    from core.booking import SessionKey, book
    from core.db import make_engine
    from core.event_changes import EventSpec, ServiceSpec, create_event
    from core.events import get_event

    engine = make_engine(url)
    admin = Actor("staff", 1, "admin", "admin")
    morning = datetime.combine(now.date(), time_of_day(0, 1))
    spec = EventSpec(title="Бенч: отметка", first_date=now.date(), capacity=MARKED_PEOPLE, place_id=None,
                     new_place_name=MARKED_PLACE, services=[ServiceSpec(service_id=8, start_time=time_of_day(12),
                     end_time=time_of_day(14), capacity=MARKED_PEOPLE, window_days=7)])
    with engine.connect() as conn:
        event = get_event(conn, create_event(engine, spec, admin, morning))
    key = SessionKey(event.services[0].id, now.date())
    for visitor_id in range(15_001, 15_001 + MARKED_PEOPLE):
        book(engine, visitor_id, [key], admin, morning)
    engine.dispose()


def click_to_settled(page: Page, button: Locator, result: Locator) -> float:
    """Milliseconds from clicking `button` until `result` is visible and the script has stopped.

    The result only exists once the run the click started has drawn it, so waiting for it
    first keeps the notRunning state of the run before the click from ending the timing early.
    """
    started = time.perf_counter()
    button.click()
    result.wait_for(state="visible", timeout=30_000)
    page.wait_for_selector(SETTLED, timeout=30_000)
    return (time.perf_counter() - started) * 1000


def _runs(runs: int, measure: Callable[[int], float]) -> float:
    """Median of `runs` measurements after one unmeasured (the server's caches warm up)."""
    return statistics.median([measure(n) for n in range(runs + 1)][1:])


def schedule_painted(browser, server, runs: int) -> float:
    from tests.browser.server import log_in, new_page, open_page

    page = new_page(browser, 1280)
    log_in(page, server.url, *ADMIN)

    def measure(_: int) -> float:
        open_page(page, "Мероприятия")  # from another page, as a person comes back to it
        started = time.perf_counter()
        page.locator("[data-testid='stSidebar'] a", has_text="Расписание").first.click()
        page.get_by_text("Активные (").wait_for()
        page.locator("[class*='st-key-'] >> text=Редактировать").first.wait_for()
        return (time.perf_counter() - started) * 1000

    try:
        return _runs(runs, measure)
    finally:
        page.context.close()


def desk_booking(browser, server, runs: int) -> float:
    """A volunteer at Стойка волонтёра finds a visitor by card, picks a service and a date; timed: Подтвердить запись."""
    from tests.browser.server import log_in, new_page, wait_idle

    page = new_page(browser, 1280)
    log_in(page, server.url, *VOLUNTEER)
    main = page.locator("[data-testid='stMain']")

    def measure(run: int) -> float:
        if run:
            main.get_by_role("button", name="Другой посетитель").click()
            wait_idle(page)
        search = main.get_by_label("Карта, фамилия и имя или телефон")
        search.fill(DESK_CARDS[run])
        search.press("Enter")
        wait_idle(page)
        main.get_by_role("button", name=re.compile(f"карта {DESK_CARDS[run]}")).click()
        wait_idle(page)
        main.get_by_label("Услуга", exact=True).click()
        page.get_by_role("option").first.click()
        wait_idle(page)
        main.get_by_text(re.compile(r"\d\d\.\d\d · \d+ мест")).first.click()
        wait_idle(page)
        return click_to_settled(page, main.get_by_role("button", name="Подтвердить запись"),
                                main.locator("[data-testid='stAlert']").filter(has_text="Записано:"))

    try:
        return _runs(runs, measure)
    finally:
        page.context.close()


def attendance_marking(browser, server, runs: int) -> float:
    """An admin opens Участники of today's session with 30 people, ticks «Выбрать всех»; timed: Применить."""
    from tests.browser.server import choose, log_in, new_page, open_page, wait_idle

    page = new_page(browser, 1280)
    log_in(page, server.url, *ADMIN)
    open_page(page, "Мероприятия")
    choose(page, page.get_by_label("Место", exact=True), MARKED_PLACE)
    page.locator("[class*='st-key-ss_row_']").first.get_by_role("button", name="Участники").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Записано на услугу").wait_for()
    wait_idle(page)

    def measure(run: int) -> float:
        # alternate the marks, so each run changes all 30 and shows a message of its own
        mark = ("Присутствовал", "Не пришел")[run % 2]
        wait_idle(page)
        status = dialog.get_by_label("Новый статус")
        # three options: Streamlit shows them as a plain list, not a searchable one; on a busy
        # machine a click that lands while the dialog is redrawn opens nothing, so try again
        for attempt in range(3):
            if mark in status.input_value() or mark in (status.get_attribute("aria-label") or ""):
                break
            status.click()
            try:
                page.get_by_role("option", name=mark, exact=True).click(timeout=5_000)
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                if attempt == 2:
                    raise
            wait_idle(page)
        dialog.locator("[data-testid='stCheckbox'] input").first.check(force=True)  # «Выбрать всех»
        wait_idle(page)
        return click_to_settled(page, dialog.get_by_role("button", name="Применить"),
                                dialog.get_by_text(f"Статус «{mark}» отмечен: {MARKED_PEOPLE}."))

    try:
        return _runs(runs, measure)
    finally:
        page.context.close()


def visitor_booking(browser, server, runs: int) -> float:
    """A visitor signs in with card and PIN, taps Записаться on the first open service and a date; timed: Подтвердить запись."""
    from tests.browser.server import new_page, sign_in_visitor, wait_idle

    def measure(run: int) -> float:
        page = new_page(browser, 1280)
        try:
            sign_in_visitor(page, server.url, VISITOR_CARDS[run], VISITOR_PIN)
            page.get_by_role("tab", name="Доступные услуги").wait_for()
            open_card = page.locator("[class*='st-key-vb_svc_']").filter(
                has=page.get_by_role("button", name="Записаться", disabled=False)).first
            # the card by its own key: once the steps open, its button is gone
            key = open_card.evaluate("e => [...e.classList].find(c => c.startsWith('st-key-vb_svc_'))")
            card = page.locator(f".{key}")
            card.get_by_role("button", name="Записаться").click()
            wait_idle(page)
            card.locator("[data-testid='stButtonGroup'] button").first.click()
            wait_idle(page)
            return click_to_settled(page, card.get_by_role("button", name="Подтвердить запись"),
                                    page.get_by_role("dialog").get_by_text("Вы записаны."))
        finally:
            page.context.close()

    return _runs(runs, measure)


MEASURES = {"schedule": schedule_painted, "desk": desk_booking, "marking": attendance_marking, "visitor": visitor_booking}


def run_all(database: Path, now: datetime, runs: int) -> dict[str, float | Exception]:
    """Every browser measurement against one app server on `database` (a copy: it is written),
    on the bench's clock; a measurement that fails gives its exception instead of a figure."""
    from playwright.sync_api import sync_playwright

    from tests.browser.server import AppServer, launch_chromium

    prepare_marking(f"duckdb:///{database}", now)
    # the server runs on the clock the data was built for (tests/clock.py), ticking from now
    server = AppServer(database, env={"DAILY_BACKUPS": "off", "TEST_NOW": now.isoformat(timespec="seconds")})
    found: dict[str, float | Exception] = {}
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for name, measure in MEASURES.items():
                try:
                    found[name] = measure(browser, server, runs)
                except Exception as exc:  # one flow's failure must not lose the other figures
                    found[name] = exc
            browser.close()
    finally:
        server.stop()
    return found
