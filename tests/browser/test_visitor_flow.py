"""Real browser, 320 px: a newcomer registers, books Стирка, sees the banner, cancels; then signs in on a desktop."""

import re

from playwright.sync_api import Page, expect

from tests.browser.server import new_page, screenshot, wait_idle

# Latin words the visitor page may show: the PIN and the photo formats are called so in Russian too.
ALLOWED_LATIN = {"PIN", "JPEG", "PNG"}
MIN_TOUCH = 44  # px: the smallest comfortable target for a finger


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


def assert_big_buttons(page: Page) -> None:
    buttons = page.locator("[data-testid='stMain'] button:visible")
    heights = [buttons.nth(i).bounding_box()["height"] for i in range(buttons.count())]
    assert heights and min(heights) >= MIN_TOUCH, heights


def test_a_newcomer_registers_books_sees_the_banner_and_cancels_at_320_px(server, browser, shots):
    page = new_page(browser, 320)
    page.goto(server.url + "/visitor")
    wait_idle(page)
    page.get_by_role("button", name="Новый посетитель").click()
    wait_idle(page)
    page.get_by_label("Имя", exact=True).fill("Мария")
    page.get_by_label("Фамилия", exact=True).fill("Кузнецова")
    page.get_by_label("Телефон (необязательно)").fill("8 (916) 555 12 34")
    page.locator("[class*='st-key-vp_consent'] label").click()
    wait_idle(page)
    screenshot(page, str(shots / "visitor-register-320.png"))
    page.get_by_role("button", name="Зарегистрировать").click()
    wait_idle(page)

    values = page.locator("[data-testid='stMetricValue']")
    expect(values).to_have_count(2)
    card, pin = values.nth(0).inner_text().strip(), values.nth(1).inner_text().strip()
    assert card.isdigit() and re.fullmatch(r"[0-9]{4}", pin)
    expect(page.get_by_text("Запишите номер карты и PIN")).to_be_visible()
    assert_russian_and_fits(page, 320)
    screenshot(page, str(shots / "visitor-card-and-pin-320.png"))
    page.get_by_role("button", name="Я записал(а). Войти").click()
    wait_idle(page)

    expect(page.get_by_text("Кузнецова Мария")).to_be_visible()
    expect(page.get_by_role("tab", name="Доступные услуги")).to_have_attribute("aria-selected", "true")
    washing = page.locator("[class*='st-key-vb_svc_']").filter(has_text="Стирка и сушка")
    washing.get_by_role("button", name="Записаться").click()
    wait_idle(page)
    washing.locator("[data-testid='stButtonGroup'] button").first.click()
    wait_idle(page)
    washing.get_by_label("Комментарий (необязательно)").fill("Первый раз")
    assert_big_buttons(page)
    assert_russian_and_fits(page, 320)
    screenshot(page, str(shots / "visitor-booking-320.png"))
    washing.get_by_role("button", name="Подтвердить запись").click()
    wait_idle(page)

    expect(washing.get_by_text(re.compile(r"^Вы записаны: Стирка, .. \d\d\.\d\d в 10:00, Цветной\.$"))).to_be_visible()
    banner = page.locator("[data-testid='stAlert']").filter(has_text="Вы записаны:").first  # the top one
    expect(banner).to_contain_text("Стирка")
    assert_russian_and_fits(page, 320)
    screenshot(page, str(shots / "visitor-booked-banner-320.png"))

    page.get_by_role("tab", name="История записей").click()
    wait_idle(page)
    page.get_by_role("button", name="Отменить запись").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Отменить запись «Стирка»"))).to_be_visible()
    page.get_by_role("button", name="Да, отменить").click()
    wait_idle(page)
    expect(page.get_by_text("Запись отменена. Место освободилось.")).to_be_visible()
    expect(page.get_by_text("Отменено", exact=False).first).to_be_visible()
    expect(page.locator("[data-testid='stAlert']").filter(has_text="Вы записаны:")).to_have_count(0)
    assert_big_buttons(page)
    assert_russian_and_fits(page, 320)
    screenshot(page, str(shots / "visitor-cancelled-320.png"))
    page.context.close()

    # the same person on a desktop, signing in with the card and PIN just issued
    desk = new_page(browser, 1280)
    desk.goto(server.url + "/visitor")
    wait_idle(desk)
    desk.get_by_role("button", name="Зарегистрированный посетитель").click()
    wait_idle(desk)
    desk.get_by_label("Номер карты").fill(card)
    desk.get_by_label("PIN (4 цифры)").fill(pin)
    desk.get_by_role("button", name="Войти").click()
    wait_idle(desk)
    expect(desk.get_by_text(f"Карта {card}")).to_be_visible()
    assert_russian_and_fits(desk, 1280)
    screenshot(desk, str(shots / "visitor-profile-1280.png"))
    desk.context.close()
