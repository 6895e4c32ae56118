"""Start the real app on a free port with its own database, for browser tests and screenshots."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.sign_ins import COOKIE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # the tabs of a context on one site share a renderer process (class Tabs)
    "--process-per-site",
]
WIDTHS = {"desktop": 1280, "phone": 320}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """`streamlit run app.py` in a subprocess, on the suite's clock; stopped with `stop()`."""

    def __init__(self, database: Path | str, env: dict | None = None):
        """`database`: a DuckDB file path or a database URL."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database_url = database if isinstance(database, str) else f"duckdb:///{database}"
        environment = os.environ | {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)} | (env or {})
        self.process = subprocess.Popen(
            # on the suite's clock (tests/clock.py), ticking from the run's instant
            [sys.executable, "-m", "tests.clock", "streamlit", "run", "ui/server.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the app did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def viewport(width: int) -> dict:
    return {"width": width, "height": 900 if width > 600 else 740}


def new_page(browser: Browser, width: int) -> Page:
    """A page in a private context of its own: for a second person at the same time, or a context option."""
    context = browser.new_context(viewport=viewport(width), locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


# Run in every new document of a tab before the page's scripts: the first document of an address
# in the tab forgets what an earlier tab left in that address's localStorage (Streamlit keeps the
# menu's state there), as a new visitor's browser would have nothing.
_FORGET_EARLIER_TABS = """
if (location.protocol.startsWith('http') && !sessionStorage.getItem('testTabStarted')) {
    localStorage.clear();
    sessionStorage.setItem('testTabStarted', '1');
}
"""


class Tabs:
    """Tabs of one browser context for a whole test worker, one person at a time.

    A new context starts a renderer process of its own, which parses and compiles Streamlit's
    JavaScript from nothing, for every page a test opens. Here a tab stays open on the
    app's site, and Chromium keeps one renderer process per site (`--process-per-site`), so each
    new tab joins that warm process (README, «Время прогона тестов»: the figures). A tab starts as
    a new visitor's would: no cookies, nothing in localStorage. Opening a tab closes the ones left
    open (by a test that failed half-way): a test that needs two people at once takes a private
    page (`new_page`) for the second one.
    """

    def __init__(self, browser: Browser, site_url: str, **context_options):
        self.context = browser.new_context(locale="ru-RU", **context_options)
        self.context.add_init_script(_FORGET_EARLIER_TABS)
        self._keeper = self.context.new_page()
        self._keeper.goto(site_url)

    def open(self, width: int) -> Page:
        page = self.context.new_page()
        for left_open in self.context.pages:
            if left_open not in (page, self._keeper):
                left_open.close()
        self.context.clear_cookies()
        page.set_viewport_size(viewport(width))
        page.set_default_timeout(20_000)
        return page

    def close(self) -> None:
        self.context.close()


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=60_000)
    page.wait_for_timeout(200)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_timeout(300)


def has_sign_in_cookie(page: Page) -> bool:
    return any(c["name"] == COOKIE for c in page.context.cookies())


def wait_for(condition, page: Page, timeout_ms: int = 20_000) -> None:
    """Poll `condition()` until it holds (a redirect the page makes on its own has no event to wait on)."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise PlaywrightTimeout(f"waited {timeout_ms} ms")


def log_in(page: Page, base_url: str, login: str, password: str) -> None:
    page.goto(base_url + "/")
    wait_idle(page)
    # the start page puts visitors first: the staff sign-in is behind its own door
    page.get_by_role("button", name="Я сотрудник или волонтёр").click()
    wait_idle(page)
    _submit_sign_in(page, {"Логин": login, "Пароль": password})


def sign_in_visitor(page: Page, base_url: str, card: str, pin: str) -> None:
    """A visitor signs in with card and PIN on /visitor; the page then holds their sign-in cookie."""
    page.goto(base_url + "/visitor")
    wait_idle(page)
    _submit_sign_in(page, {"Номер карты": card, "PIN (4 цифры)": pin})


def _submit_sign_in(page: Page, fields: dict[str, str]) -> None:
    """Fill the sign-in form (label: text), press «Войти», wait for the page to load again signed in."""
    for label, text in fields.items():
        page.get_by_label(label).fill(text)
    page.get_by_role("button", name="Войти").click()
    # the page fetches its sign-in cookie through /_app/sign-in and loads again
    wait_for(lambda: has_sign_in_cookie(page), page)
    wait_idle(page)


def open_page(page: Page, title: str) -> None:
    """Go to a page through the menu, as a person would (a reload would start a new session)."""
    expand = page.locator("[data-testid='stExpandSidebarButton']")
    if expand.is_visible():
        expand.click()
        page.wait_for_timeout(400)
    link = page.locator("[data-testid='stSidebar'] a", has_text=title).first
    if not link.count():
        # Streamlit draws no menu for a role with a single page (the desk, the visitor's page):
        # the person is on it already
        page.locator("[data-testid='stMain'] h1", has_text=title).first.wait_for()
        _close_menu_on_a_phone(page)
        return
    # the start page's link has an empty href: it means the app's root
    path = urlparse(urljoin(page.url, link.get_attribute("href") or "")).path.rstrip("/")
    arrived = lambda url: urlparse(url).path.rstrip("/") == path  # noqa: E731
    # On a busy machine a click that lands while the menu is being redrawn is lost: the address
    # then never changes. Click again rather than wait on a page that is not coming.
    # already there (the start page): Playwright's wait for a "commit" would wait for ever
    for attempt in range(0 if arrived(page.url) else 3):
        link.click()
        try:
            page.wait_for_url(arrived, wait_until="commit", timeout=8_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_idle(page)
    _close_menu_on_a_phone(page)


def _close_menu_on_a_phone(page: Page) -> None:
    """A phone's browser closes the menu itself (test_phone_menu_flow.py); a test's desktop one does not."""
    if page.viewport_size["width"] < 600 and page.locator("[data-testid='stSidebarCollapseButton']").is_visible():
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
        page.wait_for_timeout(400)


def screenshot(page: Page, path: str) -> None:
    """The whole page: Streamlit scrolls inside its own container, so grow the viewport to fit."""
    width = page.viewport_size["width"]
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')]"
        ".map(e => e.scrollHeight), 600)"
    )
    original = page.viewport_size["height"]
    page.set_viewport_size({"width": width, "height": min(height + 40, 12000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size({"width": width, "height": original})


def choose(page: Page, selectbox, option: str) -> None:
    """Pick an option of a Streamlit selectbox by typing it, as a keyboard user would."""
    selectbox.click()
    selectbox.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)
