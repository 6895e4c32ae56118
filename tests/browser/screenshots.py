"""`make screenshots`: every page at 1280 and 320 px wide, into screenshots/ (git-ignored), and the
README's pictures into docs/: the staff's pages of «Как это выглядит», the visitor's way at 320 px (start page, sign-in, Доступные услуги, a
booking, its confirmation, Мои записи, a cancellation) and the door's sign-in sheet (Лист
регистрации) as a phone opens the downloaded file. `python -m tests.browser.screenshots docs`
makes the docs/ pictures only.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.server import (
    ROOT,
    WIDTHS,
    AppServer,
    has_sign_in_cookie,
    launch_chromium,
    log_in,
    new_page,
    open_page,
    screenshot,
    wait_for,
    wait_idle,
)
from ui.navigation import PAGES

PAGE_FILES = {title: name for name, (_, title, _, _) in PAGES.items()}

OUT = ROOT / "screenshots"
DOCS = ROOT / "docs"
PHONE = WIDTHS["phone"]
# a demo visitor (core/demo.py)
CARD, PIN = "100001", "1111"
VISITS = [
    (None, ["Главная", "Запись для посетителей", "Стать волонтёром"]),
    (("admin", "admin-demo"), ["Расписание", "Мероприятия", "Отметка у входа", "Справочник услуг", "Места",
                               "Посещаемость", "Волонтёры", "Служебное"]),
    (("coordinator", "coordinator-demo"), ["Посещаемость", "Экспорт данных"]),
    (("volunteer", "volunteer-demo"), ["Стойка волонтёра", "Отметка у входа"]),
]


def every_page(browser: Browser, server: AppServer) -> None:
    """Each role's pages at both widths, whole, into screenshots/."""
    OUT.mkdir(exist_ok=True)
    for name, width in WIDTHS.items():
        for account, paths in VISITS:
            page = new_page(browser, width)
            if account:
                log_in(page, server.url, *account)
            else:
                page.goto(server.url)
                wait_idle(page)
            for title in paths:
                open_page(page, title)
                target = OUT / f"{account[0] if account else 'guest'}-{PAGE_FILES[title]}-{name}.png"
                screenshot(page, str(target))
                print(target.relative_to(ROOT))
            page.context.close()


def shot(page: Page, name: str, whole: bool = False) -> None:
    """What the phone's screen shows (or the whole page), into docs/."""
    target = DOCS / name
    if whole:
        screenshot(page, str(target))
    else:
        page.screenshot(path=str(target))
    print(target.relative_to(ROOT))


# README «Как это выглядит»: (account, page, width, picture), whole pages
STAFF_PICTURES = [
    (("admin", "admin-demo"), "Расписание", "desktop", "admin-schedule-desktop.png"),
    (("admin", "admin-demo"), "Мероприятия", "desktop", "admin-sessions-desktop.png"),
    (("coordinator", "coordinator-demo"), "Посещаемость", "desktop", "coordinator-attendance-desktop.png"),
    (("admin", "admin-demo"), "Расписание", "phone", "admin-schedule-phone.png"),
    (("volunteer", "volunteer-demo"), "Стойка волонтёра", "phone", "volunteer-desk-phone.png"),
]


def staff_pictures(browser: Browser, server: AppServer) -> None:
    """The staff's pages README «Как это выглядит» shows, into docs/."""
    for account, title, width, name in STAFF_PICTURES:
        page = new_page(browser, WIDTHS[width])
        log_in(page, server.url, *account)
        open_page(page, title)
        shot(page, name, whole=True)
        page.context.close()


def visitor_way(browser: Browser, server: AppServer) -> None:
    """The visitor's way at 320 px, as README «Посетитель на телефоне» shows it."""
    page = new_page(browser, PHONE)
    page.goto(server.url + "/")
    wait_idle(page)
    shot(page, "visitor-1-start-phone.png")
    page.get_by_role("button", name="Я посетитель").click()
    wait_idle(page)
    page.get_by_label("Номер карты").fill(CARD)
    page.get_by_label("PIN (4 цифры)").fill(PIN)
    page.get_by_label("PIN (4 цифры)").blur()
    wait_idle(page)
    shot(page, "visitor-2-sign-in-phone.png")
    page.get_by_role("button", name="Войти").click()
    wait_for(lambda: has_sign_in_cookie(page), page)
    wait_idle(page)
    expect(page.get_by_text(f"Карта {CARD}")).to_be_visible()
    shot(page, "visitor-3-services-phone.png")

    card = page.locator("[class*='st-key-vb_svc_']").filter(has_text="Стирка и сушка")
    card.get_by_role("button", name="Записаться").click()
    wait_idle(page)
    card.get_by_label("Комментарий (необязательно)").fill("Приду с сыном")
    card.get_by_label("Комментарий (необязательно)").blur()
    wait_idle(page)
    card.scroll_into_view_if_needed()
    full = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": PHONE, "height": min(full + 40, 12000)})
    page.wait_for_timeout(300)
    card.screenshot(path=str(DOCS / "visitor-3-booking-phone.png"))
    print("docs/visitor-3-booking-phone.png")
    page.set_viewport_size({"width": PHONE, "height": 740})
    page.wait_for_timeout(300)
    card.get_by_role("button", name="Подтвердить запись").click()
    wait_idle(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Вы записаны.")).to_be_visible()
    shot(page, "visitor-4-confirmation-phone.png")
    dialog.get_by_role("button", name="Готово").click()
    wait_idle(page)
    shot(page, "visitor-5-my-bookings-phone.png", whole=True)

    booking = page.locator("[class*='st-key-vp_visit_']").filter(has_text="Стирка").first
    booking.get_by_role("button", name="Отменить запись").click()
    wait_idle(page)
    page.get_by_role("button", name="Да, отменить").click()
    wait_idle(page)
    expect(page.locator("[data-testid='stMain'] [data-testid='stAlert']").filter(has_text="Запись отменена")).to_have_count(1)
    shot(page, "visitor-6-cancelled-phone.png")
    page.context.close()


def sign_in_sheet(browser: Browser, server: AppServer) -> None:
    """The door's sheet of the first session on Мероприятия, downloaded from its participants
    dialog and opened on a 320 px phone, whole."""
    page = new_page(browser, WIDTHS["desktop"])
    log_in(page, server.url, "admin", "admin-demo")
    open_page(page, "Мероприятия")
    page.locator("[data-testid='stMain']").get_by_role("button", name="Участники").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Записано на услугу")).to_be_visible()
    wait_idle(page)
    with page.expect_download() as caught:
        dialog.get_by_role("button", name="Лист регистрации (A4)").click()
    sheet = Path(caught.value.path()).read_text(encoding="utf-8")
    page.context.close()
    phone = new_page(browser, PHONE)
    phone.set_content(sheet)
    phone.screenshot(path=str(DOCS / "sign-in-sheet-320.png"), full_page=True)
    print("docs/sign-in-sheet-320.png")
    phone.context.close()


def main(only_docs: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = AppServer(Path(folder) / "screens.duckdb")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                if not only_docs:
                    every_page(browser, server)
                staff_pictures(browser, server)
                visitor_way(browser, server)
                sign_in_sheet(browser, server)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main(only_docs=sys.argv[1:] == ["docs"])
