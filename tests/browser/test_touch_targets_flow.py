"""Real browser at 320 px: the desk's section tabs, date pills and main buttons, and the
participants dialog's tick boxes, are at least 44 px to a thumb."""

import re

from playwright.sync_api import Page, expect

from tests.browser.server import choose, log_in, new_page, open_page, wait_idle

THUMB = 44
# [text, width, height] of every visible element under `selector`
BOXES = """selector => [...document.querySelectorAll(selector)].filter(e => e.checkVisibility()).map(e => {
  const r = e.getBoundingClientRect(); return [e.innerText.trim(), r.width, r.height]; })"""


def boxes(page: Page, selector: str) -> list:
    found = page.evaluate(BOXES, selector)
    assert found, f"nothing visible under {selector}"
    return found


def too_short(page: Page, selector: str) -> list:
    return [box for box in boxes(page, selector) if box[2] < THUMB - 0.5]


def test_on_a_phone_the_desks_tabs_date_pills_and_main_buttons_are_44_px_tall(server, browser):
    page = new_page(browser, 320)
    log_in(page, server.url, "volunteer", "volunteer-demo")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Стойка волонтёра")).to_be_visible()
    assert len(boxes(page, ".st-key-dk_tab button")) == 3
    assert too_short(page, ".st-key-dk_tab button") == []

    main.get_by_label("Карта, фамилия и имя или телефон").fill("Толстихин")
    main.get_by_label("Карта, фамилия и имя или телефон").press("Enter")
    wait_idle(page)
    main.get_by_role("button", name="Толстихин Виктор").first.click()
    wait_idle(page)
    choose(page, main.get_by_label("Услуга", exact=True), "Душ")
    expect(main.get_by_text(re.compile(r"\d\d\.\d\d · \d+ мест")).first).to_be_visible()
    assert too_short(page, ".st-key-desk_date button") == []
    assert too_short(page, "[data-testid='stMain'] button[data-testid^='stBaseButton-primary']") == []
    assert too_short(page, "[data-testid='stMain'] button[data-testid^='stBaseButton-secondary']") == []
    page.context.close()


def test_on_a_phone_the_participants_tick_boxes_are_44_px_square(server, browser):
    page = new_page(browser, 320)
    log_in(page, server.url, "admin", "admin-demo")
    open_page(page, "Мероприятия")
    page.locator("[data-testid='stMain']").get_by_role("button", name="Участники").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Записано на услугу")).to_be_visible()
    wait_idle(page)
    ticks = boxes(page, "[data-testid='stDialog'] [data-testid='stCheckbox'] label")
    assert len(ticks) > 1  # «Выбрать всех» and a box per person
    assert [box for box in ticks if box[1] < THUMB - 0.5 or box[2] < THUMB - 0.5] == []
    page.context.close()
