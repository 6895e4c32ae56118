"""Real browser: the admin signs in, sees demo events, creates a weekly event, sees it on a phone."""

from playwright.sync_api import expect

from tests.browser.server import choose, log_in, screenshot, wait_idle


def test_demo_admin_signs_in_and_sees_demo_events_at_both_widths(server, tabs, shots):
    for width in (1280, 320):
        page = tabs.open(width)
        log_in(page, server.url, "admin", "admin-demo")
        main = page.locator("[data-testid='stMain']")
        expect(main.get_by_text("Стирка и душ", exact=True)).to_be_visible()
        expect(main.get_by_text("Активные (6)")).to_be_visible()
        screenshot(page, str(shots / f"schedule-{width}.png"))
        page.close()


def test_admin_creates_a_weekly_event_with_two_services_and_sees_it_on_a_phone(server, tabs, shots):
    page = tabs.open(1280)
    log_in(page, server.url, "admin", "admin-demo")
    page.get_by_role("button", name="+ Создать событие").click()
    wait_idle(page)
    form = page.locator(".st-key-event_form")
    form.get_by_label("Название", exact=True).fill("Субботняя стирка")
    form.get_by_label("Название", exact=True).press("Enter")
    wait_idle(page)
    form.get_by_text("Повторяющееся").click()
    wait_idle(page)
    for service in ("Стирка", "Душ"):
        choose(page, form.get_by_label("Услуга из каталога"), service)
        form.get_by_role("button", name="Добавить услугу").click()
        wait_idle(page)
    expect(form.get_by_text("Ближайшие даты")).to_be_visible()
    screenshot(page, str(shots / "event-form-1280.png"))
    form.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_text("Событие «Субботняя стирка» создано.")).to_be_visible()
    page.close()

    phone = tabs.open(320)
    log_in(phone, server.url, "admin", "admin-demo")
    title = phone.locator("[data-testid='stMain']").get_by_text("Субботняя стирка", exact=True)
    title.scroll_into_view_if_needed()
    expect(title).to_be_visible()
    box = title.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    overflow = phone.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth")
    assert overflow <= 320
    screenshot(phone, str(shots / "schedule-after-create-320.png"))
    phone.close()


def test_html_in_user_text_shows_as_text_and_never_runs(server, tabs, shots):
    payload = "<img src=x onerror=alert(1)> **жирный** [ссылка](javascript:alert(2))"
    page = tabs.open(1280)
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    log_in(page, server.url, "admin", "admin-demo")
    page.get_by_role("button", name="+ Создать событие").click()
    wait_idle(page)
    form = page.locator(".st-key-event_form")
    form.get_by_label("Название", exact=True).fill(payload)
    form.get_by_label("Название", exact=True).press("Enter")
    wait_idle(page)
    choose(page, form.get_by_label("Услуга из каталога"), "Душ")
    form.get_by_role("button", name="Добавить услугу").click()
    wait_idle(page)
    form.get_by_role("button", name="Сохранить", exact=True).click()
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("<img src=x onerror=alert(1)>", exact=False).first).to_be_visible()
    assert main.locator("img[src='x']").count() == 0
    assert main.locator("a[href^='javascript']").count() == 0
    assert alerts == []
    page.close()
