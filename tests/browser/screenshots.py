"""`make screenshots`: every page at 1280 and 320 px wide, into screenshots/ (git-ignored)."""

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.server import ROOT, WIDTHS, AppServer, launch_chromium, log_in, new_page, open_page, screenshot, wait_idle
from ui.navigation import PAGES

PAGE_FILES = {title: name for name, (_, title, _, _) in PAGES.items()}

OUT = ROOT / "screenshots"
VISITS = [
    (None, ["Главная", "Запись для посетителей", "Стать волонтёром"]),
    (("admin", "admin-demo"), ["Расписание", "Мероприятия", "Отметка у входа", "Справочник услуг", "Места",
                               "Посещаемость", "Волонтёры", "Служебное"]),
    (("coordinator", "coordinator-demo"), ["Посещаемость", "Экспорт данных"]),
    (("volunteer", "volunteer-demo"), ["Стойка волонтёра", "Отметка у входа"]),
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        server = AppServer(Path(folder) / "screens.duckdb")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
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
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
