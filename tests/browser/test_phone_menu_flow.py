"""Real browser on a phone (320 px, a phone's user agent): choosing a page in the menu closes
the menu, so the chosen page is in view at once."""

import re

from playwright.sync_api import expect

from tests.browser.server import log_in, wait_idle

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Mobile Safari/537.36")


def test_on_a_phone_choosing_a_page_in_the_menu_closes_the_menu(server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 740}, locale="ru-RU", user_agent=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, server.url, "admin", "admin-demo")
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar).to_have_attribute("data-collapsed", "true")

    page.locator("[data-testid='stExpandSidebarButton']").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    sidebar.locator("a", has_text="Мероприятия").first.click()
    page.wait_for_url(re.compile(r"/sessions/?$"))
    wait_idle(page)
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    expect(page.locator("[data-testid='stMain']").get_by_role("heading", name="Мероприятия").first).to_be_visible()
    context.close()
