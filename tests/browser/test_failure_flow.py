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
