"""Real browser: every page of every role, at 320 and 1280 px, speaks Russian only.

Each role walks its menu with its expanders open, opens a date picker's calendar, a select box
and a multiselect on each page, types into the two a filter that matches nothing (and the
participants dialog); the visitor chooses a profile photo; an unknown address gets our own page.
What a person reads (the page's text, with the words our CSS draws and without the text it
draws at size 0) and what a screen reader says for a visible element (placeholder of an empty
field, title, aria-label) may hold no Latin word beyond ALLOWED.

STREAMLIT_OWN is what Streamlit 1.67 itself says only to a screen reader and no option of it turns
off or translates (its date fields and select boxes are pinned to the en-US locale): labels of its
date field segments and calendar, select boxes, sidebar, help icons and scrolling table, the
hidden "Skip to main content" link, and around a refused file its name and size, «Remove …» and
«Add files» (its icon: «add icon»). Each is matched whole, so a new English word anywhere else
still fails. What it draws on the screen in English is drawn over in Russian by ui/style.py
(«No results», an empty date's «dd.mm.yyyy») or never left standing (the chosen file's line).
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.server import AppServer, log_in, open_page, sign_in_visitor, wait_idle

ALLOWED = {"Excel", "xlsx", "PIN", "ID", "JPEG", "PNG", "A4"}
STREAMLIT_OWN = [
    re.compile(p)
    for p in (
        r"Skip to main content", r"(Collapse|Expand) sidebar", r"Sidebar", r"App pages", r"(Show|Hide) password",
        r"Help for .*", r"Open", r"Close", r"Dismiss", r"\d+ options? available\.", r"file upload", r"Remove .*", r"Add files", r"add icon",
        r".+, \d+(\.\d+)?[KMG]?B",
        r"Choose date(, .*)?", r"(day|month|year), .*", r"(Previous|Next) month",
        r"Use arrow keys to navigate dates\. Enter to select\. Escape to close\.", r"Scrollable table",
    )
]
# Logins are people's data, Latin by nature (Волонтёры and the audit log on Служебное show them)
LOGIN = re.compile(r"(логин:|сотрудник) \S+")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
NOTHING_MATCHES = "щщщ"

# The page's text with Material icon ligatures ("keyboard_arrow_down") and text drawn at size 0
# left out, line by line; the words CSS draws (::before, ::after); then the spoken words of every
# visible element; a placeholder only while its field is empty.
SPOKEN = """() => {
    const all = [...document.body.querySelectorAll('*')];
    for (const e of all) if (getComputedStyle(e).fontSize === '0px') e.setAttribute('data-not-drawn', '');
    const hide = document.createElement('style');
    hide.textContent = '[data-testid=stIconMaterial], [data-not-drawn] {display: none !important}';
    document.head.appendChild(hide);
    const said = document.body.innerText.split('\\n').map(line => line.replaceAll('\\u2060', '').trim());
    hide.remove();
    for (const e of all) e.removeAttribute('data-not-drawn');
    for (const e of all) {
        if (!e.checkVisibility()) continue;
        for (const pseudo of ['::before', '::after']) {
            const style = getComputedStyle(e, pseudo);
            const drawn = style.content.match(/^"(.*)"$/);
            if (drawn && style.visibility === 'visible' && style.display !== 'none') said.push(drawn[1]);
        }
    }
    for (const e of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
        if (!e.checkVisibility()) continue;
        if (e.getAttribute('placeholder') && !e.value) said.push(e.getAttribute('placeholder'));
        for (const name of ['title', 'aria-label']) if (e.getAttribute(name)) said.push(e.getAttribute(name));
    }
    return said.filter(Boolean);
}"""

ROLES = {
    "guest": (None, ["Главная", "Запись для посетителей", "Стать волонтёром"]),
    "admin": (("admin", "admin-demo"), ["Расписание", "Мероприятия", "Отметка у входа", "Справочник услуг", "Места",
                                        "Посещаемость", "Волонтёры", "Служебное"]),
    "coordinator": (("coordinator", "coordinator-demo"), ["Посещаемость", "Экспорт данных"]),
    "volunteer": (("volunteer", "volunteer-demo"), ["Стойка волонтёра", "Отметка у входа"]),
    "visitor": (None, []),
}


def english(page: Page) -> set[str]:
    """Latin words on the screen that are neither ALLOWED nor Streamlit's own labels."""
    found = set()
    for line in page.evaluate(SPOKEN):
        line = LOGIN.sub("", line)
        for part in re.split(r"[\t]+", line):
            part = part.strip()
            if any(own.fullmatch(part) for own in STREAMLIT_OWN):
                continue
            found |= {w for w in WORD.findall(part) if w not in ALLOWED and not any(o.fullmatch(w) for o in STREAMLIT_OWN)}
    return found


def assert_russian(page: Page, where: str) -> None:
    words = english(page)
    assert not words, f"{where}: English on the screen: {sorted(words)}"


def main(page: Page):
    return page.locator("[data-testid='stMain']")


def look_into_widgets(page: Page, where: str) -> None:
    """Open every expander, then the first date picker's calendar, select box and multiselect, one at
    a time; into the two a filter is typed that matches nothing."""
    summaries = main(page).locator("[data-testid='stExpander'] details:not([open]) > summary")
    for i in reversed(range(summaries.count())):
        if summaries.nth(i).is_visible():
            summaries.nth(i).click()
    page.wait_for_timeout(200)
    assert_russian(page, where)
    for widget in ("stDateInputCalendarButton", "stSelectbox", "stMultiSelect"):
        first = main(page).locator(f"[data-testid='{widget}']").locator("visible=true").first
        if first.count() == 0:
            continue
        first.click()
        page.wait_for_timeout(300)  # a drop-down or a calendar opens without a run of the script
        assert_russian(page, f"{where}, {widget} opened")
        if widget != "stDateInputCalendarButton":
            page.keyboard.type(NOTHING_MATCHES)
            expect(page.locator("[role='listbox'][data-empty]")).to_be_visible()
            assert_russian(page, f"{where}, {widget} with a filter that matches nothing")
            page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        page.wait_for_timeout(100)


def choose_a_photo(page: Page, where: str) -> None:
    """The visitor's photo picker with a file Streamlit refuses (over 5 MB), then after a photo
    is chosen, then the photo deleted again."""
    picker = page.locator("[class*='st-key-vp_photo_file'] input[type=file]")
    picker.set_input_files(files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": bytes(6 * 1024 * 1024)}])
    refused = page.locator("[class*='st-key-vp_photo_file'] [data-testid='stFileChip']")
    refused.wait_for()
    drawn = refused.evaluate("chip => getComputedStyle(chip.querySelector('div:has(> [data-testid=stFileChipName])'), '::after').content")
    assert drawn == '"Не подошло: нужно фото JPEG или PNG до 5 МБ"'
    assert_russian(page, f"{where}, a photo over 5 MB")
    png = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 80, 40)).save(png, format="PNG")
    picker.set_input_files(files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png.getvalue()}])
    wait_idle(page)
    expect(main(page).get_by_text("Фото сохранено.")).to_be_visible()
    assert_russian(page, f"{where}, a photo chosen")
    main(page).get_by_role("button", name="Удалить фото").click()  # the next test's visitor has none
    wait_idle(page)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo data alone: a test sharing the suite's server may type Latin into an event's
    title (test_schedule_flow.py types HTML) while this one reads Расписание."""
    app = AppServer(tmp_path_factory.mktemp("russian") / "russian.duckdb", env={"DAILY_BACKUPS": "off"})
    yield app
    app.stop()


def sign_in(page: Page, base_url: str, role: str) -> None:
    account = ROLES[role][0]
    if role == "visitor":
        sign_in_visitor(page, base_url, "100001", "1111")
        expect(page.get_by_text("Карта 100001")).to_be_visible()
    elif account:
        log_in(page, base_url, *account)
        sidebar = page.locator("[data-testid='stSidebar']")
        if sidebar.is_visible():  # the staff person's name, not the login
            expect(sidebar).not_to_contain_text(account[0])


def walk(page: Page, base_url: str, role: str, width: int) -> None:
    """Every page of the role at the page's present width."""
    if role == "guest":
        page.goto(base_url + "/no-such-page")
        wait_idle(page)
        expect(main(page).get_by_text("Такой страницы нет")).to_be_visible()
        assert_russian(page, f"{width} px, an unknown address")
        open_page(page, "Главная")
    if role == "visitor":
        look_into_widgets(page, f"{width} px, visitor")
        choose_a_photo(page, f"{width} px, visitor")
        for i in range(main(page).get_by_role("tab").count()):
            main(page).get_by_role("tab").nth(i).click()
            page.wait_for_timeout(150)
            assert_russian(page, f"{width} px, visitor, tab {i + 1}")
    for title in ROLES[role][1]:
        open_page(page, title)
        look_into_widgets(page, f"{width} px, {role}, {title}")
    if role == "admin":
        open_page(page, "Мероприятия")
        main(page).get_by_role("button", name="Участники").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        wait_idle(page)
        assert_russian(page, f"{width} px, admin, Участники")
        expect(page.get_by_role("dialog")).not_to_contain_text("admin")  # who booked: a name
        page.keyboard.press("Escape")
        wait_idle(page)
    if role == "coordinator" and width == 1280:
        # a Cyrillic file name survives Streamlit's download in Chromium
        open_page(page, "Посещаемость")
        with page.expect_download() as caught:
            main(page).get_by_role("button", name="Скачать данные (Excel)").first.click()
        assert re.fullmatch(r"посещаемость-[а-яё-]+-\d\d\.\d\d\.\d{4}-\d\d\.\d\d\.\d{4}\.xlsx",
                            caught.value.suggested_filename), caught.value.suggested_filename


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_every_role_speaks_russian_only_at_320_and_1280_px(demo_server, tabs, role):
    # one sign-in walks both widths: the phone first, then the same page turned into a desktop
    page = tabs.open(320)
    try:
        sign_in(page, demo_server.url, role)
        walk(page, demo_server.url, role, 320)
        page.set_viewport_size({"width": 1280, "height": 900})
        walk(page, demo_server.url, role, 1280)
    finally:
        page.close()
