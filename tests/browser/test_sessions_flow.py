"""Real browser: participants of a demo session marked present; the calendar with a busy day."""

from playwright.sync_api import expect

from tests.browser.server import choose, log_in, open_page, screenshot, wait_idle


def test_admin_marks_three_participants_present_and_sees_green(server, tabs, shots):
    page = tabs.open(1280)
    log_in(page, server.url, "admin", "admin-demo")
    open_page(page, "Мероприятия")
    # attendance is marked from the session's day on: a past session
    page.get_by_text("Прошедшие", exact=True).click()
    wait_idle(page)
    choose(page, page.get_by_label("Услуга", exact=True), "Выдача одежды")
    rows = page.locator("[class*='st-key-ss_row_']").filter(has_text="Выдача одежды")
    rows.get_by_role("button", name="Участники").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Записано на услугу")).to_be_visible()
    # the dialog shows before its run ends; a tick made meanwhile can be lost (one PostgreSQL
    # run marked two people, not three)
    wait_idle(page)
    boxes = dialog.locator("[data-testid='stCheckbox'] input:not([disabled])")
    # the first box is "Выбрать всех"; take three people
    for index in (1, 2, 3):
        boxes.nth(index).check(force=True)
        wait_idle(page)
    dialog.get_by_role("button", name="Применить").click()
    wait_idle(page)
    expect(dialog.get_by_text("Статус «Присутствовал» отмечен: 3.")).to_be_visible()
    green = dialog.locator("[data-testid='stBadge'], span").filter(has_text="Присутствовал")
    expect(green.first).to_be_visible()
    colour = green.first.evaluate("e => getComputedStyle(e).color")
    red, green_channel, blue = [int(x) for x in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
    assert green_channel > red and green_channel > blue
    page.screenshot(path=str(shots / "participants-1280.png"))
    page.close()


def test_calendar_week_with_a_busy_day_at_both_widths(server, tabs, shots):
    for width in (1280, 320):
        page = tabs.open(width)
        log_in(page, server.url, "admin", "admin-demo")
        open_page(page, "Мероприятия")
        page.get_by_text("Календарь", exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name="→").click()
        wait_idle(page)
        busy = page.get_by_text("11 мероприятий")
        if not busy.count():
            page.get_by_role("button", name="←").click()
            wait_idle(page)
        expect(page.get_by_text("11 мероприятий")).to_be_visible()
        # the day's sessions as a grid: three a row on a computer, one a row on a phone
        day = page.locator("[class*='st-key-cal_day_']").filter(has_text="11 мероприятий")
        sessions = day.locator("[class*='st-key-cal_sessions_'] > [data-testid='stElementContainer']")
        tops = [round(sessions.nth(n).bounding_box()["y"]) for n in range(sessions.count())]
        per_row = [tops.count(top) for top in sorted(set(tops))]
        assert per_row == ([3, 3, 3, 2] if width == 1280 else [1] * 11)
        overflow = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
        assert overflow <= width
        screenshot(page, str(shots / f"calendar-{width}.png"))
        page.close()
