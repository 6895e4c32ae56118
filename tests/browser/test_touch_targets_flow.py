"""Real browser at 320 px: the desk's section tabs, date pills and main buttons, the menu's
links and the participants dialog's tick boxes are at least 44 px to a thumb; the dialog keeps
one compact row a person and shows the result of «Применить» where the thumb is."""

import re

from playwright.sync_api import Page, expect

from tests.browser.server import choose, log_in, open_page, wait_idle

THUMB = 44
ROW_HEIGHT = 125  # px a person at 320 px with a short comment: five or six short lines (seven stacked cells took ~330)
# every participant row: its height, and whether its tick box sits on the line of the name, to its left
ROWS = """() => [...document.querySelectorAll("[data-testid=stDialog] [class*='st-key-pp_row_']")].map(row => {
  const tick = row.querySelector('[data-testid=stCheckbox]').getBoundingClientRect();
  const who = row.querySelector('[data-testid=stMarkdown]').getBoundingClientRect();
  const name = row.querySelector('[data-testid=stMarkdown] strong').getBoundingClientRect();
  return {height: Math.max(tick.bottom, who.bottom) - Math.min(tick.top, who.top),
          tick_beside_name: tick.right <= name.left && tick.top < name.bottom && name.top < tick.bottom};
})"""
# [text, width, height] of every visible element under `selector`
BOXES = """selector => [...document.querySelectorAll(selector)].filter(e => e.checkVisibility()).map(e => {
  const r = e.getBoundingClientRect(); return [e.innerText.trim(), r.width, r.height]; })"""


def boxes(page: Page, selector: str) -> list:
    found = page.evaluate(BOXES, selector)
    assert found, f"nothing visible under {selector}"
    return found


def too_short(page: Page, selector: str) -> list:
    return [box for box in boxes(page, selector) if box[2] < THUMB - 0.5]


def test_on_a_phone_the_desks_tabs_date_pills_and_main_buttons_are_44_px_tall(server, tabs):
    page = tabs.open(320)
    log_in(page, server.url, "volunteer", "volunteer-demo")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Стойка волонтёра")).to_be_visible()
    expect(page.locator(".st-key-dk_tab button")).to_have_count(3)  # a loaded machine draws the title first
    wait_idle(page)
    assert len(boxes(page, ".st-key-dk_tab button")) == 3
    assert too_short(page, ".st-key-dk_tab button") == []

    main.get_by_label("Карта, фамилия и имя или телефон").fill("Толстихин")
    main.get_by_label("Карта, фамилия и имя или телефон").press("Enter")
    wait_idle(page)
    main.get_by_role("button", name="Толстихин Виктор").first.click()
    wait_idle(page)
    choose(page, main.get_by_label("Услуга", exact=True), "Душ")
    expect(main.get_by_text(re.compile(r"\d\d\.\d\d · \d+ мест")).first).to_be_visible()
    wait_idle(page)  # the pills show before the run that draws «Подтвердить запись» under them ends
    assert too_short(page, ".st-key-desk_date button") == []
    assert too_short(page, "[data-testid='stMain'] button[data-testid^='stBaseButton-primary']") == []
    assert too_short(page, "[data-testid='stMain'] button[data-testid^='stBaseButton-secondary']") == []
    page.close()


def test_on_a_phone_the_participants_are_one_compact_row_each_with_44_px_tick_boxes(server, tabs):
    page = tabs.open(320)
    log_in(page, server.url, "admin", "admin-demo")
    open_page(page, "Мероприятия")
    # attendance is marked from the session's day on: a past session (test_sessions_flow.py marks
    # «Выдача одежды»; this one another service)
    page.get_by_text("Прошедшие", exact=True).click()
    wait_idle(page)
    choose(page, page.get_by_label("Услуга", exact=True), "Душ")
    page.locator("[class*='st-key-ss_row_']").filter(has_text="Душ").get_by_role("button", name="Участники").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Записано на услугу")).to_be_visible()
    wait_idle(page)
    ticks = boxes(page, "[data-testid='stDialog'] [data-testid='stCheckbox'] label")
    assert len(ticks) > 1  # «Выбрать всех» and a box per person
    assert [box for box in ticks if box[1] < THUMB - 0.5 or box[2] < THUMB - 0.5] == []
    # a row: the tick box beside the name, card and phone, the status and who booked under them
    rows = page.evaluate(ROWS)
    assert rows, "no participant rows"
    assert [row for row in rows if row["height"] > ROW_HEIGHT or not row["tick_beside_name"]] == []

    dialog.locator("[class*='st-key-pp_row_'] [data-testid='stCheckbox'] input:not([disabled])").last.check(force=True)
    wait_idle(page)
    dialog.get_by_role("button", name="Применить").click()
    wait_idle(page)
    expect(dialog.get_by_text(re.compile(r"Статус «.+» отмечен: 1\."))).to_be_in_viewport()
    page.close()


def test_on_a_phone_the_menus_links_are_44_px_tall(server, tabs):
    page = tabs.open(320)
    log_in(page, server.url, "admin", "admin-demo")
    page.locator("[data-testid='stExpandSidebarButton']").click()
    page.wait_for_timeout(400)
    links = boxes(page, "[data-testid='stSidebar'] [data-testid='stSidebarNavLink']")
    assert len(links) >= 7  # the admin's pages
    assert too_short(page, "[data-testid='stSidebar'] [data-testid='stSidebarNavLink']") == []
    page.close()
