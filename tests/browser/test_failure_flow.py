"""An unexpected failure shows a person Russian words, never Streamlit's English notice."""

from playwright.sync_api import expect

from tests.browser.server import AppServer, free_port, wait_idle
from ui.server import UNEXPECTED_FAILURE


def test_a_database_out_of_reach_gets_russian_words_not_streamlits_english_notice(tabs):
    # nothing listens on that port: every run of the page fails on its first query
    unreachable = f"postgresql+psycopg://app:app@127.0.0.1:{free_port()}/app"
    app = AppServer(unreachable, env={"DAILY_BACKUPS": "off"})
    try:
        page = tabs.open(320)
        page.goto(app.url + "/")
        wait_idle(page)
        expect(page.get_by_text(UNEXPECTED_FAILURE)).to_be_visible()
        shown = page.locator("[data-testid='stApp']").inner_text()
        assert "encountered an error" not in shown and "Traceback" not in shown
        assert "127.0.0.1" not in shown
    finally:
        app.stop()


def test_a_lost_connection_is_told_in_russian(tabs, tmp_path):
    app = AppServer(tmp_path / "app.duckdb", env={"DAILY_BACKUPS": "off"})
    page = tabs.open(320)
    try:
        page.goto(app.url + "/")
        wait_idle(page)
    finally:
        app.stop()  # as a phone's network drops: the page stays, its server is gone
    notice = page.locator("[data-testid='stDialog'] section[role='dialog']")
    notice.wait_for(timeout=30_000)
    # Streamlit's English words are hidden (not read aloud either); Russian ones drawn in their place
    assert "connect" not in page.locator("body").inner_text().lower()
    drawn = notice.evaluate("""section => [...section.querySelectorAll(':scope > h2, :scope > div')]
        .map(part => getComputedStyle(part, '::after').content).join(' ')""")
    assert "Нет связи" in drawn and "Проверьте интернет" in drawn
