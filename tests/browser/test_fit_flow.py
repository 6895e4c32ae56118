"""Real browser: the attendance charts, the month calendar and Волонтёры fit a 320 px phone and
a 1280 px screen: no overlapping week labels, no word broken mid-word, nothing cut off."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page

from tests.browser.server import log_in, open_page, screenshot, wait_idle
from tests.clock import suite_now

# [text, left, top, right, bottom] of each x-axis label of a plotly chart
TICK_BOXES = """key => [...document.querySelectorAll(`.st-key-${key} .xtick text`)].map(t => {
  const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""
# words of the text under `selector` that the browser laid out over more than one line
BROKEN_WORDS = """selector => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""
# texts shown with an ellipsis or clipped: a badge or button label narrower than its text
CUT_OFF = """selector => [...document.querySelectorAll(selector)]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
# the lines each paragraph under `selector` takes
LINES = """selector => [...document.querySelectorAll(selector)].map(p => {
  const range = document.createRange(); range.selectNodeContents(p);
  return [p.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]; })"""
VOLUNTEER_BADGES_AND_BUTTONS = "[class*='st-key-vl_row_'] .stMarkdownBadge, [class*='st-key-vl_row_'] button *"
VOLUNTEER_WHOLE = "[class*='st-key-vl_code_'] p, [class*='st-key-vl_phone_'] p, [class*='st-key-vl_since_'] p"


def broken_time_ranges(page: Page) -> list[str]:
    """«10:00–13:00» spans the browser laid out over two lines, anywhere on the page."""
    return [word for word in page.evaluate(BROKEN_WORDS, "[data-testid='stMain'] p") if re.search("–\u2060?\\d", word)]


def page_width(page: Page) -> int:
    return page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")


def set_date(page: Page, key: str, day: date) -> None:
    """Type a date into a Streamlit date field (day, month, year segments) and leave the field."""
    page.locator(f".st-key-{key} [role=spinbutton][data-type=day]").click()
    page.keyboard.type(f"{day:%d%m%Y}")
    page.get_by_role("heading", name="Посещаемость").click()  # the value is sent when focus leaves
    wait_idle(page)


def overlapping(boxes: list) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1
    ]


def open_month_calendar(page: Page) -> None:
    open_page(page, "Мероприятия")
    page.get_by_text("Календарь", exact=True).click()
    wait_idle(page)
    page.get_by_text("Месяц", exact=True).click()
    wait_idle(page)


def test_on_a_phone_week_labels_calendar_navigation_and_volunteers_fit(server, tabs, shots):
    page = tabs.open(320)
    log_in(page, server.url, "admin", "admin-demo")

    open_page(page, "Посещаемость")
    # half a year, the longest period still charted by week (26 weeks, most of them to come)
    start = suite_now().date() - timedelta(days=62)
    set_date(page, "at_end", start + timedelta(days=182))
    set_date(page, "at_start", start)
    page.locator(".st-key-at_chart_visitors .xtick text").first.wait_for()
    for chart in ("at_chart_weeks", "at_chart_visitors"):
        boxes = page.evaluate(TICK_BOXES, chart)
        assert len(boxes) >= 5, chart
        assert overlapping(boxes) == [], chart
    assert page_width(page) <= 320
    screenshot(page, str(shots / "attendance-half-year-320.png"))

    open_month_calendar(page)
    # the section switch wraps onto two lines on a phone: every segment keeps its whole frame
    frames = page.evaluate("""() => [...document.querySelectorAll('.st-key-ss_tab button')].map(b => {
      const s = getComputedStyle(b); return [s.borderLeftColor, s.borderRightColor]; })""")
    assert len(frames) == 4 and not [sides for sides in frames if "rgba(0, 0, 0, 0)" in sides]
    buttons = [page.locator(f".st-key-{key}").bounding_box() for key in ("cal_prev", "cal_today", "cal_next")]
    assert len({round(b["y"]) for b in buttons}) == 1, "←, Сегодня and → on one line"
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 320 for b in buttons)
    assert page_width(page) <= 320

    open_page(page, "Расписание")  # «Медицинская консультация 11:00–14:00» in a phone's column
    assert broken_time_ranges(page) == []

    open_page(page, "Волонтёры")
    assert page.evaluate(CUT_OFF, VOLUNTEER_BADGES_AND_BUTTONS) == []
    assert {lines for _, lines in page.evaluate(LINES, VOLUNTEER_WHOLE)} == {1}
    # no column headings on a phone: the date and the count name themselves
    labels = page.evaluate("""() => ['vl_since_1', 'vl_made_1'].map(
      key => getComputedStyle(document.querySelector(`.st-key-${key} p`), '::before').content)""")
    assert labels == ['"Регистрация: "', '"Записей: "']
    assert page_width(page) <= 320
    screenshot(page, str(shots / "volunteers-320.png"))
    page.close()


def test_on_a_wide_screen_month_words_and_volunteer_badges_are_whole(server, tabs, shots):
    page = tabs.open(1280)
    log_in(page, server.url, "admin", "admin-demo")

    open_month_calendar(page)
    # the demo's month has «Медицинская консультация» and «Продуктовый набор» in its cells
    assert page.locator(".st-key-cal_grid").get_by_text("консультация").count()
    assert page.evaluate(BROKEN_WORDS, ".st-key-cal_grid p") == []
    screenshot(page, str(shots / "calendar-month-1280.png"))

    # «29.11.2026, 10:00–13:00» in Мероприятия's narrow date column: the times stay together
    open_page(page, "Мероприятия")
    assert broken_time_ranges(page) == []

    open_page(page, "Волонтёры")
    assert page.get_by_text("Ждёт подтверждения").count(), "the demo has a volunteer waiting"
    assert page.evaluate(CUT_OFF, VOLUNTEER_BADGES_AND_BUTTONS) == []
    whole = page.evaluate(LINES, VOLUNTEER_WHOLE)
    assert whole and {lines for _, lines in whole} == {1}
    page.close()
