"""Real browser at 320 px: a volunteer finds a visitor and books them onto a service."""

import re

from playwright.sync_api import expect

from tests.browser.server import choose, log_in, screenshot, wait_idle


def test_a_volunteer_books_a_visitor_on_a_phone(server, tabs, shots):
    page = tabs.open(320)
    log_in(page, server.url, "volunteer", "volunteer-demo")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Стойка волонтёра")).to_be_visible()
    main.get_by_label("Карта, фамилия и имя или телефон").fill("Толстихин")
    main.get_by_label("Карта, фамилия и имя или телефон").press("Enter")
    wait_idle(page)
    main.get_by_role("button", name="Толстихин Виктор").first.click()
    wait_idle(page)
    choose(page, main.get_by_label("Услуга", exact=True), "Душ")
    main.get_by_text(re.compile(r"\d\d\.\d\d · \d+ мест")).first.click()
    wait_idle(page)
    main.get_by_role("button", name="Подтвердить запись").click()
    wait_idle(page)
    expect(main.get_by_text("Записано: Душ", exact=False).first).to_be_visible()
    overflow = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
    assert overflow <= 320
    screenshot(page, str(shots / "desk-320.png"))
    page.close()


def test_the_desk_search_suggests_visitors_as_one_types_with_no_enter(server, tabs):
    page = tabs.open(320)
    log_in(page, server.url, "volunteer", "volunteer-demo")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Начните вводить — появятся подсказки.")).to_be_visible()
    main.get_by_label("Карта, фамилия и имя или телефон").press_sequentially("Толсти", delay=60)
    # no Enter, no leaving the field: the suggestion comes while the field still has the focus
    expect(main.get_by_role("button", name="Толстихин Виктор").first).to_be_visible(timeout=10_000)
    assert main.get_by_label("Карта, фамилия и имя или телефон").evaluate("e => e === document.activeElement")
    page.close()
