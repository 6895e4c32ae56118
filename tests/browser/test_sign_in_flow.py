"""Sign-in that survives a reload (core.sign_ins, ui/server.py) and the headers of every
response, in headless Chromium against the real server."""

import urllib.request
from urllib.parse import urlparse

import pytest

from core.sign_ins import COOKIE
from tests.browser.server import AppServer, has_sign_in_cookie, log_in, new_page, open_page, wait_for, wait_idle

ADMIN_PAGES = ["Расписание", "Мероприятия", "Справочник услуг", "Места", "Посещаемость", "Волонтёры", "Служебное"]


def sidebar_text(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


def shows_sign_in_form(page) -> bool:
    """Signed out: a staff page shows the sign-in form, the start page its door to it."""
    offered = page.get_by_label("Логин").is_visible() or page.get_by_role("button", name="Я сотрудник или волонтёр").is_visible()
    return offered and "Администратор" not in sidebar_text(page)


def test_f5_and_a_new_tab_keep_the_admin_signed_in_and_the_cookie_is_out_of_scripts_reach(server, tabs):
    page = tabs.open(1280)
    log_in(page, server.url, "admin", "admin-demo")
    assert "Администратор" in sidebar_text(page)

    page.reload()
    wait_idle(page)
    assert "Администратор" in sidebar_text(page)
    tab = page.context.new_page()
    tab.goto(server.url + "/sessions")
    wait_idle(tab)
    assert "Администратор" in sidebar_text(tab)

    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert COOKIE not in page.evaluate("document.cookie")
    tab.close()
    page.close()


def test_sign_out_then_back_shows_the_sign_in_form_and_a_copied_cookie_stops_working(server, tabs, browser):
    page = tabs.open(1280)
    log_in(page, server.url, "admin", "admin-demo")
    open_page(page, "Мероприятия")
    stolen = [c for c in page.context.cookies() if c["name"] == COOKIE]
    thief = new_page(browser, 1280)  # another browser, at the same time
    thief.context.add_cookies(stolen)
    thief.goto(server.url + "/")
    wait_idle(thief)
    assert "Администратор" in sidebar_text(thief)  # the copy works while the sign-in lives

    page.get_by_role("button", name="Выйти").click()
    # the page drops its cookie through /_app/sign-out and lands on the start page
    wait_for(lambda: not has_sign_in_cookie(page) and urlparse(page.url).path in ("", "/"), page)
    wait_idle(page)
    assert shows_sign_in_form(page)
    page.go_back()
    wait_idle(page)
    assert shows_sign_in_form(page)

    thief.reload()
    wait_idle(thief)
    assert shows_sign_in_form(thief)
    page.close()
    thief.context.close()


def test_thirty_idle_minutes_sign_the_admin_out(tmp_path, tabs):
    shift = tmp_path / "clock-shift"
    shift.write_text("0")
    server = AppServer(tmp_path / "idle.duckdb", env={"DAILY_BACKUPS": "off", "TEST_CLOCK_SHIFT_FILE": str(shift)})
    try:
        page = tabs.open(1280)
        log_in(page, server.url, "admin", "admin-demo")
        shift.write_text(str(29 * 60))
        page.wait_for_timeout(500)
        page.reload()
        wait_idle(page)
        assert "Администратор" in sidebar_text(page)  # 29 minutes: still there

        shift.write_text(str((29 + 31) * 60))  # the next 31 minutes without a click
        page.wait_for_timeout(500)
        open_page(page, "Мероприятия")
        assert shows_sign_in_form(page)
        page.reload()
        wait_idle(page)
        assert shows_sign_in_form(page)
        page.close()
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/_app/sign-out"])
def test_every_response_carries_the_security_headers(server, path):
    request = urllib.request.Request(server.url + path)
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "'unsafe-eval'" not in policy


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, request, response, code, message, headers):
        return response


def test_no_page_breaks_the_content_security_policy(server, tabs):
    violations = []
    page = tabs.open(1280)
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    log_in(page, server.url, "admin", "admin-demo")
    for title in ADMIN_PAGES:
        open_page(page, title)
        assert not page.locator("[data-testid='stException']").count()
    assert violations == []
    page.close()


def page_from(tabs, address: str):
    """A tab behind the deployment's proxy, which names the client in X-Forwarded-For (the
    app trusts that header from this machine only: uvicorn's FORWARDED_ALLOW_IPS)."""
    page = tabs.open(1280)
    page.set_extra_http_headers({"X-Forwarded-For": address})
    return page


def try_password(page, base_url: str, password: str) -> str:
    page.goto(base_url + "/")
    wait_idle(page)
    page.get_by_role("button", name="Я сотрудник или волонтёр").click()
    wait_idle(page)
    page.get_by_label("Логин").fill("admin")
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    # on a busy machine the run that checks the password may start after wait_idle has looked
    page.locator("[data-testid='stAlert']").first.wait_for()
    wait_idle(page)
    return page.locator("[data-testid='stAlert']").all_inner_texts()


def test_a_strangers_wrong_passwords_slow_down_their_address_and_never_the_admin_elsewhere(server, tabs):
    stranger = page_from(tabs, "203.0.113.5")
    for _ in range(5):
        assert try_password(stranger, server.url, "wrong-password-1") == ["Неверный логин или пароль."]
    slowed = try_password(stranger, server.url, "admin-demo")
    assert slowed == ["Слишком много неудачных попыток. Подождите 15 мин. и попробуйте снова."]
    assert not has_sign_in_cookie(stranger)

    owner = page_from(tabs, "198.51.100.7")
    log_in(owner, server.url, "admin", "admin-demo")
    assert "Администратор" in sidebar_text(owner)
    owner.close()


def test_an_x_forwarded_for_from_an_untrusted_peer_is_not_believed(tmp_path, tabs):
    # nobody is a trusted proxy: the header is the client's own claim, and changing it must not
    # buy a stranger five fresh tries
    server = AppServer(tmp_path / "untrusted.duckdb", env={"DAILY_BACKUPS": "off", "FORWARDED_ALLOW_IPS": ""})
    try:
        for claimed in ("203.0.113.5", "203.0.113.6", "203.0.113.7", "203.0.113.8", "203.0.113.9"):
            stranger = page_from(tabs, claimed)
            assert try_password(stranger, server.url, "wrong-password-1") == ["Неверный логин или пароль."]
            stranger.close()
        disguised = page_from(tabs, "198.51.100.77")
        slowed = try_password(disguised, server.url, "admin-demo")
        assert slowed == ["Слишком много неудачных попыток. Подождите 15 мин. и попробуйте снова."]
        disguised.close()
    finally:
        server.stop()
