"""Real browser, 320 px: the visitor's whole way, counted in taps, pictured in screenshots/tests/
(the README's pictures of it in docs/ are `make screenshots`'s: tests/browser/screenshots.py).

A newcomer registers (every mistake is named at once), signs out, and then does what a visitor
does: from the start page, sign in with card and PIN, book Стирка with a comment, see the
booking, cancel it. Every tap on the screen counts, a tap into a field too; what is typed does
not. Today's way takes 9 (it took 12: «Я посетитель: записаться», «Зарегистрированный
посетитель», card, PIN, Войти, Записаться, a date, comment, Подтвердить запись, «История
записей», Отменить запись, Да, отменить).
"""

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.server import ROOT, has_sign_in_cookie, screenshot, sign_in_visitor, wait_for, wait_idle

# a test's pictures, git-ignored: a test run leaves docs/ as it was
PICTURES = ROOT / "screenshots" / "tests"
TAP_LIMIT = 9
# Latin words the visitor page may show: the PIN and the photo formats are called so in Russian too.
ALLOWED_LATIN = {"PIN", "JPEG", "PNG"}
MIN_TOUCH = 44  # px: the smallest comfortable target for a finger


class Taps:
    """Taps on the screen, counted; typing is not a tap."""

    def __init__(self, page: Page):
        self.page = page
        self.done: list[str] = []

    def tap(self, target: Locator, what: str) -> None:
        target.click()
        self.done.append(what)
        wait_idle(self.page)

    def type_into(self, field: Locator, text: str, what: str) -> None:
        self.tap(field, what)
        self.page.keyboard.type(text)


def assert_russian_and_fits(page: Page, width: int) -> None:
    # what a person reads: icon glyphs are named in English ligatures ("keyboard_arrow_right"), not shown as text
    text = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=stMain]').cloneNode(true);"
        " main.querySelectorAll('[data-testid=stIconMaterial]').forEach(e => e.remove()); document.body.appendChild(main);"
        " const text = main.innerText; main.remove(); return text; }"
    )
    latin = set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED_LATIN
    assert not latin, f"English on the page: {latin}"
    assert "Traceback" not in text
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth") <= width


def assert_big_buttons(page: Page, where: str = "[data-testid='stMain']") -> None:
    buttons = page.locator(f"{where} button:visible")
    heights = [buttons.nth(i).bounding_box()["height"] for i in range(buttons.count())]
    assert heights and min(heights) >= MIN_TOUCH, heights


def assert_in_view(page: Page, target: Locator) -> None:
    """Wholly inside the phone's screen, with no scrolling."""
    box = target.bounding_box()
    assert box is not None, "not on the page"
    assert 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"], box


def in_view_shot(page: Page, name: str) -> None:
    """What the phone's screen shows."""
    page.screenshot(path=str(PICTURES / name))


def card_shot(page: Page, card: Locator, name: str) -> None:
    """One whole card, however tall: the page is laid out in a viewport as tall as it is."""
    height = page.viewport_size["height"]
    full = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 320, "height": min(full + 40, 12000)})
    page.wait_for_timeout(300)
    card.screenshot(path=str(PICTURES / name))
    page.set_viewport_size({"width": 320, "height": height})
    page.wait_for_timeout(300)


def register(page: Page, base_url: str, shots: Path) -> tuple[str, str]:
    """A newcomer registers at 320 px (the first try has every field wrong) and is signed in.
    Returns (card, PIN)."""
    page.goto(base_url + "/visitor")
    wait_idle(page)
    page.get_by_role("button", name="Я здесь впервые — зарегистрироваться").click()
    wait_idle(page)
    page.get_by_label("Имя", exact=True).fill("М")
    page.get_by_label("Фамилия", exact=True).fill("Кузнецова 2")
    page.get_by_label("Телефон (необязательно)").fill("12345")
    page.get_by_role("button", name="Зарегистрировать").click()
    wait_idle(page)
    errors = page.locator("[data-testid='stMain'] [data-testid='stAlertContentError']")
    expect(errors).to_have_count(4)  # all at once, each under its field
    assert [text.replace("⚠️", "").strip() for text in errors.all_inner_texts()] == [
        "Не меньше 2 букв.", "Только буквы, дефис, апостроф и пробел.", "Неверный номер. Пример: +7 (916) 123-45-67.",
        "Без согласия на обработку персональных данных регистрация невозможна.",
    ]
    screenshot(page, str(shots / "visitor-registration-errors-320.png"))

    page.get_by_label("Имя", exact=True).fill("Мария")
    page.get_by_label("Фамилия", exact=True).fill("Кузнецова")
    page.get_by_label("Телефон (необязательно)").fill("8 (916) 555 12 34")
    page.locator("[class*='st-key-vp_consent'] label").click()
    wait_idle(page)
    page.get_by_role("button", name="Зарегистрировать").click()
    wait_idle(page)
    values = page.locator("[data-testid='stMetricValue']")
    expect(values).to_have_count(2)
    card, pin = values.nth(0).inner_text().strip(), values.nth(1).inner_text().strip()
    assert card.isdigit() and re.fullmatch(r"[0-9]{4}", pin)
    expect(page.get_by_text("Запишите номер карты и PIN")).to_be_visible()
    assert_russian_and_fits(page, 320)
    page.get_by_role("button", name="Я записал(а). Войти").click()
    wait_for(lambda: has_sign_in_cookie(page), page)
    wait_idle(page)
    return card, pin


def sign_out(page: Page) -> None:
    page.locator(".st-key-vp_logout button").click()
    wait_for(lambda: not has_sign_in_cookie(page), page)
    wait_idle(page)


def washing_card(page: Page) -> Locator:
    return page.locator("[class*='st-key-vb_svc_']").filter(has_text="Стирка и сушка")


def test_sign_in_book_with_a_comment_see_it_and_cancel_take_at_most_nine_taps_at_320_px(server, tabs, shots):
    page = tabs.open(320)
    card, pin = register(page, server.url, shots)
    sign_out(page)

    page.goto(server.url + "/")
    wait_idle(page)
    taps = Taps(page)
    start = page.get_by_role("button", name="Я посетитель")
    staff = page.get_by_role("button", name="Я сотрудник или волонтёр")
    assert start.bounding_box()["height"] >= 64 and staff.bounding_box()["height"] >= 64  # two large doors
    assert start.bounding_box()["y"] < staff.bounding_box()["y"]  # visitors first
    expect(page.get_by_label("Логин")).to_have_count(0)
    assert_russian_and_fits(page, 320)
    in_view_shot(page, "visitor-1-start-phone.png")

    # sign in
    taps.tap(start, "Я посетитель")
    card_field, pin_field = page.get_by_label("Номер карты"), page.get_by_label("PIN (4 цифры)")
    # type="tel": a phone brings up its digit keypad (Streamlit 1.67 has no inputmode for a text input)
    assert (card_field.get_attribute("type"), pin_field.get_attribute("type")) == ("tel", "tel")
    taps.type_into(card_field, card, "Номер карты")
    taps.type_into(pin_field, pin, "PIN")
    assert pin_field.evaluate("e => getComputedStyle(e).webkitTextSecurity") == "disc"  # dots, as a password shows
    assert_big_buttons(page)
    in_view_shot(page, "visitor-2-sign-in-phone.png")
    taps.tap(page.get_by_role("button", name="Войти"), "Войти")
    wait_for(lambda: has_sign_in_cookie(page), page)
    wait_idle(page)
    expect(page.get_by_text(f"Карта {card}")).to_be_visible()

    # book Стирка with a comment: the nearest date and its first time are chosen already
    washing = washing_card(page)
    taps.tap(washing.get_by_role("button", name="Записаться"), "Записаться")
    expect(washing.locator("[data-testid='stButtonGroup'] button[aria-checked='true']")).to_have_count(1)
    expect(washing.get_by_text("Цветной бульвар, 11, стр. 2 · м. Цветной бульвар")).to_be_visible()
    taps.type_into(washing.get_by_label("Комментарий (необязательно)"), "Приду с сыном", "Комментарий")
    confirm = washing.get_by_role("button", name="Подтвердить запись")
    assert_big_buttons(page)
    assert_russian_and_fits(page, 320)
    card_shot(page, washing, "visitor-3-booking-phone.png")
    taps.tap(confirm, "Подтвердить запись")

    # see it: the confirmation is in view wherever the button was; «Мои записи» is behind it
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for text in ("Вы записаны.", "Стирка", "Цветной бульвар, 11, стр. 2 · м. Цветной бульвар", "Как пройти: ",
                 "💬 Приду с сыном"):
        assert_in_view(page, dialog.get_by_text(text).first)
    assert_in_view(page, dialog.get_by_role("button", name="Добавить в календарь"))
    assert_big_buttons(page, "[role='dialog']")
    expect(page.get_by_role("tab", name="Мои записи")).to_have_attribute("aria-selected", "true")
    expect(page.locator("[class*='st-key-vp_visit_']").filter(has_text="Стирка")).to_have_count(1)
    in_view_shot(page, "visitor-4-confirmation-phone.png")
    with page.expect_download() as caught:  # not part of the way: a visitor may skip it
        dialog.get_by_role("button", name="Добавить в календарь").click()
    download = caught.value
    assert re.fullmatch(r"Запись \d\d\.\d\d\.\d{4}\.ics", download.suggested_filename)
    ics = Path(download.path()).read_text(encoding="utf-8")
    assert "SUMMARY:Стирка" in ics and re.search(r"DTSTART;TZID=Europe/Moscow:\d{8}T100000", ics)

    # cancel
    taps.tap(dialog.get_by_role("button", name="Отменить запись"), "Отменить запись")
    taps.tap(dialog.get_by_role("button", name="Да, отменить"), "Да, отменить")
    assert_in_view(page, dialog.get_by_text("Запись отменена. Место освободилось."))
    # behind it, «Мои записи» already says so where the booking was
    expect(page.locator("[data-testid='stMain'] [data-testid='stAlert']").filter(has_text="Запись отменена: Стирка")).to_have_count(1)
    in_view_shot(page, "visitor-6-cancelled-phone.png")

    assert len(taps.done) <= TAP_LIMIT, taps.done
    print(f"\nthe visitor's way: {len(taps.done)} taps: {', '.join(taps.done)}")
    page.close()


def test_a_booking_shows_in_my_bookings_and_cancelling_there_says_so_in_view(server, tabs, shots):
    page = tabs.open(320)
    card, pin = register(page, server.url, shots)
    washing = washing_card(page)
    washing.get_by_role("button", name="Записаться").click()
    wait_idle(page)
    washing.get_by_role("button", name="Подтвердить запись").click()
    wait_idle(page)
    page.get_by_role("dialog").get_by_role("button", name="Готово").click()
    wait_idle(page)
    expect(page.get_by_role("dialog")).to_have_count(0)

    booking = page.locator("[class*='st-key-vp_visit_']").filter(has_text="Стирка")
    expect(booking).to_contain_text("Запланировано")
    day = page.locator("[class*='st-key-vp_day_']").first
    expect(day).to_contain_text("Цветной бульвар, 11, стр. 2 · м. Цветной бульвар")
    expect(day).to_contain_text(re.compile(r"Свободно \d+ мест"))
    expect(booking.get_by_role("button", name="Не смогу прийти")).to_have_count(0)  # one way to cancel
    assert_russian_and_fits(page, 320)
    assert_big_buttons(page)
    screenshot(page, str(PICTURES / "visitor-5-my-bookings-phone.png"))

    booking.get_by_role("button", name="Отменить запись").click()
    wait_idle(page)
    page.get_by_role("button", name="Да, отменить").click()
    wait_idle(page)
    gone = page.locator("[data-testid='stMain'] [data-testid='stAlert']").filter(has_text="Запись отменена: Стирка")
    assert_in_view(page, gone)
    expect(page.locator("[data-testid='stAlert']").filter(has_text="Вы записаны:")).to_have_count(0)
    assert_russian_and_fits(page, 320)
    page.close()

    # the same person on a desktop, signing in with the card and PIN just issued
    desk = tabs.open(1280)
    sign_in_visitor(desk, server.url, card, pin)
    expect(desk.get_by_text(f"Карта {card}")).to_be_visible()
    assert_russian_and_fits(desk, 1280)
    desk.get_by_role("tab", name="История").click()
    wait_idle(desk)
    expect(desk.get_by_text("Прошедших записей пока нет.")).to_be_visible()  # the cancelled booking is ahead, not past
    desk.close()
