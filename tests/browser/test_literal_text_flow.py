"""Real browser: a picture, a bare address and markdown typed into user text stay text everywhere.

Every place, service, event title, visitor name and comment of a demo database of its own holds
a picture and an address from a little HTTP server of the test's own, and `**S**`. Each role
walks its screens; no browser request may reach that server, no link or picture may point at it,
and the text must read as typed. The browser ignores the app's Content-Security-Policy here: the
policy would block the picture anyway, and this test is about the first wall, the escaping.

The export preview is looked at once more with every rule that hides something deleted: no
download control may be there to un-hide (one would take names and phones past the audit log).
"""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core import demo
from core.db import make_engine, migrate
from tests.browser.server import AppServer, Tabs, choose, log_in, open_page, wait_for, wait_idle
from tests.pages.test_literal_text import BOLD, image, link, plant
from ui.clock import now

# What the page shows, with the invisible word joiners ui.format.md puts into addresses taken out.
SHOWN_TEXT = "() => document.body.innerText.replaceAll('\\u2060', '')"
# Every element whose address points at one of `hosts`: a picture, a link, a stylesheet, a frame.
POINTING = """hosts => [...document.querySelectorAll('*')]
    .filter(e => ['src', 'href', 'srcset', 'xlink:href', 'data', 'poster']
        .some(a => hosts.some(h => (e.getAttribute(a) || '').includes(h))))
    .map(e => e.outerHTML.slice(0, 160))"""
# Markdown that was read: "**S**" shown as a bold S.
BOLD_S = "() => [...document.querySelectorAll('strong, b, em, i')].filter(e => e.innerText.trim() === 'S').length"
# Every CSS rule that hides something, deleted: what is left is all the page has.
UNHIDE_ALL = """() => {
    for (const sheet of document.styleSheets) {
        let rules;
        try { rules = sheet.cssRules; } catch (e) { continue; }
        for (let i = rules.length - 1; i >= 0; i--) {
            if (/display:\\s*none|visibility:\\s*hidden|opacity:\\s*0[;\\s}]/.test(rules[i].cssText)) sheet.deleteRule(i);
        }
    }
}"""


class Outside:
    """An HTTP server on 127.0.0.1 standing for someone else's: it only counts what reaches it."""

    def __init__(self):
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def outside():
    server = Outside()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def planted_app(outside, tmp_path_factory):
    """The app on a demo database whose user text is planted with the outside server's address."""
    url = f"duckdb:///{tmp_path_factory.mktemp('literal') / 'literal.duckdb'}"
    engine = make_engine(url)
    migrate(engine)
    demo.load(engine, now())
    plant(engine, outside.port)
    engine.dispose()
    app = AppServer(url, env={"DAILY_BACKUPS": "off"})
    yield app
    app.stop()


@pytest.fixture(scope="module")
def csp_blind_tabs(browser, planted_app):
    opened = Tabs(browser, planted_app.url + "/_stcore/health", bypass_csp=True)
    yield opened
    opened.close()


@pytest.fixture
def page(csp_blind_tabs):
    opened = csp_blind_tabs.open(1280)
    yield opened
    opened.close()


def assert_literal(page: Page, outside: Outside, *texts: str) -> None:
    """The screen shows `texts` as typed; nothing on it reads markdown or points outside."""
    wait_idle(page)
    page.wait_for_timeout(300)  # a picture, had one been drawn, has been asked for by now
    # a loaded machine may still be drawing a rerun's elements: give the screen a few seconds
    with contextlib.suppress(PlaywrightTimeout):
        wait_for(lambda: all(text in page.evaluate(SHOWN_TEXT) for text in texts), page, timeout_ms=10_000)
    shown = page.evaluate(SHOWN_TEXT)
    for text in texts:
        assert text in shown, f"{text!r} is not on the screen as typed"
    assert page.evaluate(POINTING, [outside.host, "example.org", "mailto:"]) == []
    assert page.evaluate(BOLD_S) == 0
    assert outside.requests == []


def main(page: Page):
    return page.locator("[data-testid='stMain']")


def test_a_visitor_sees_names_and_comments_as_typed(planted_app, page, outside):
    port = outside.port
    page.goto(planted_app.url + "/visitor")
    wait_idle(page)
    page.get_by_text("По фамилии", exact=True).click()
    wait_idle(page)
    page.get_by_label("Фамилия", exact=True).fill("Толстихин")
    page.get_by_role("button", name="Найти").click()
    assert_literal(page, outside, f"{BOLD}Виктор !.")  # the namesakes: first name and an initial

    page.get_by_text("По номеру карты", exact=True).click()
    wait_idle(page)
    page.get_by_label("Номер карты").fill("100001")
    page.get_by_label("PIN (4 цифры)").fill("1111")
    page.get_by_role("button", name="Войти").click()
    wait_idle(page)
    expect(page.get_by_text("Карта 100001")).to_be_visible()
    # «Где», the service cards with descriptions and places
    assert_literal(page, outside, f"{image(port)}Толстихин {BOLD}Виктор", f"{image(port)}Цветной", link(port), BOLD)
    place = main(page).locator(".st-key-vp_place button", has_text="Цветной")
    place.click()  # the escaped label still picks its place
    wait_idle(page)
    expect(place).to_have_attribute("aria-checked", "true")
    assert_literal(page, outside, f"📍 {image(port)}Цветной", f"{image(port)} {link(port)} · м. {BOLD}Трубная")

    bookable = main(page).locator("[class*='st-key-vb_svc_']").filter(
        has=page.locator("button:not([disabled])", has_text="Записаться")
    ).first
    card_key = next(c for c in bookable.get_attribute("class").split() if c.startswith("st-key-vb_svc_"))
    offered = main(page).locator(f".{card_key}")  # the card keeps its key once its button has gone
    offered.get_by_role("button", name="Записаться").click()
    wait_idle(page)
    offered.locator("[data-testid='stButtonGroup'] button").first.click()
    # the times with their places, the other services of the day
    assert_literal(page, outside, "Время", image(port))

    for tab in ("Мои записи", "История"):
        page.get_by_role("tab", name=tab).click()
        assert_literal(page, outside, f"{image(port)} {link(port)} {BOLD} www.example.org mail@example.org", image(port))


def test_an_admin_sees_titles_search_text_participants_and_the_calendar_as_typed(planted_app, page, outside):
    port = outside.port
    log_in(page, planted_app.url, "admin", "admin-demo")
    page.get_by_text("🔎 Фильтры").click()
    wait_idle(page)
    search = page.get_by_label("Поиск по названию или месту")
    search.fill(BOLD)
    search.press("Enter")
    assert_literal(page, outside, f"Фильтры: поиск «{BOLD}»", f"{image(port)}{BOLD}Стирка и душ {link(port)}")

    open_page(page, "Мероприятия")
    assert_literal(page, outside, BOLD, link(port), image(port))
    main(page).get_by_role("button", name="Участники").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_literal(page, outside, "Записано на услугу", BOLD, link(port))
    page.keyboard.press("Escape")
    wait_idle(page)

    page.get_by_text("Календарь", exact=True).click()
    assert_literal(page, outside, "Цвета: ", f"{image(port)}Цветной")


def test_a_volunteer_finds_and_books_a_visitor_whose_text_stays_as_typed(planted_app, page, outside):
    port = outside.port
    log_in(page, planted_app.url, "volunteer", "volunteer-demo")
    search = page.get_by_label("Карта, фамилия и имя или телефон")
    search.fill("100001")
    search.press("Enter")
    person = f"{image(port)}Толстихин {BOLD}Виктор"
    assert_literal(page, outside, f"{person} · карта 100001")

    main(page).get_by_role("button", name="карта 100001").click()
    assert_literal(page, outside, person)
    service = main(page).get_by_label("Услуга", exact=True)
    service.click()
    page.get_by_role("option").first.click()
    wait_idle(page)
    main(page).locator(".st-key-desk_date button").first.click()
    assert_literal(page, outside, "Время", image(port), BOLD)

    page.get_by_text("Мои записи", exact=True).click()
    assert_literal(page, outside)


def test_a_coordinator_sees_attendance_and_the_export_preview_as_typed(planted_app, page, outside):
    port = outside.port
    log_in(page, planted_app.url, "coordinator", "coordinator-demo")
    choose(page, main(page).get_by_label("Место", exact=True), f"{image(port)}Цветной")
    assert_literal(page, outside, f"{image(port)}Цветной")

    open_page(page, "Экспорт данных")
    expect(main(page).locator(".st-key-ex_preview")).to_be_visible()
    assert_literal(page, outside, f"{image(port)}Цветной", f"{image(port)} {link(port)} {BOLD}")


def test_the_export_preview_has_no_download_even_with_everything_unhidden(planted_app, page, outside):
    log_in(page, planted_app.url, "coordinator", "coordinator-demo")
    open_page(page, "Экспорт данных")
    preview = main(page).locator(".st-key-ex_preview")
    expect(preview).to_contain_text("ФИО")
    page.evaluate(UNHIDE_ALL)
    preview.hover()
    page.wait_for_timeout(500)  # a toolbar shows on hover
    controls = preview.locator("button, a, [role='button'], [role='menuitem']")
    named = [
        (controls.nth(i).get_attribute("aria-label") or "") + " " + (controls.nth(i).get_attribute("title") or "")
        + " " + controls.nth(i).inner_text()
        for i in range(controls.count())
    ]
    assert not [n for n in named if any(word in n.lower() for word in ("download", "csv", "скачать", "export"))], named
    assert not [n for n in named if "copy" in n.lower() or "копир" in n.lower()], named
