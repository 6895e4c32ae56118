"""«Связь с МКС» on «Служебное»: the panel says in Russian how МКС is doing, «Обновить из МКС»
brings its service types in, and a МКС that is wrong or away never stops booking."""

import socket

import pytest
import sqlalchemy as sa

from core.booking import book
from core.errors import MESSAGES
from core.schema import services
from tests.pages.conftest import ACTORS
from tests.backend import on_postgres

# screens over the same core: the core МКС tests run on both backends, these in the DuckDB pass
pytestmark = pytest.mark.skipif(on_postgres(), reason="МКС screens run in the DuckDB pass; core/test_mks_* cover PostgreSQL")
from ui.clock import now


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    """The worker thread would sync on its own; here only the button does."""
    import ui.mks

    monkeypatch.setattr(ui.mks, "_loop", lambda mks_engine: None)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in (at.error, at.success, at.warning, at.caption, at.markdown) for e in kind)


def test_without_mks_the_panel_says_the_catalog_is_kept_by_hand(app):
    at = app("service", "admin")
    assert not at.exception
    assert "Связь с МКС не настроена" in texts(at)


@pytest.mark.parametrize(
    ("url", "code"),
    [("mysql+pymysql://zapis:secret@127.0.0.1:{port}/homeless", "mks_unreachable"), ("mysql://без-сервера", "mks_url_invalid")],
)
def test_a_wrong_mks_url_shows_its_russian_error_and_booking_still_works(app, db_engine, monkeypatch, url, code):
    monkeypatch.setenv("MKS_DATABASE_URL", url.format(port=closed_port()))
    at = app("service", "admin")
    assert not at.exception
    assert any(MESSAGES[code] in e.value for e in at.error)

    with db_engine.connect() as conn:
        visitor_id = conn.execute(sa.text("SELECT min(id) FROM visitors WHERE erased_at IS NULL")).scalar()
        es_id, day = conn.execute(sa.text(
            "SELECT es.id, e.first_date FROM event_services es JOIN events e ON e.id = es.event_id "
            "WHERE e.first_date > :today AND e.freq IS NULL AND e.archived_at IS NULL ORDER BY e.first_date LIMIT 1"
        ), {"today": now().date()}).one()
    from core.booking import SessionKey

    assert book(db_engine, visitor_id, [SessionKey(es_id, day)], ACTORS["admin"], now())


def test_the_button_brings_mks_service_types_into_the_catalog(app, db_engine, mks_db, monkeypatch):
    mks_db.add_type("Стирка")  # the demo catalog has it: linked, not doubled
    mks_db.add_type("Баня")
    monkeypatch.setenv("MKS_DATABASE_URL", mks_db.url)
    at = app("service", "admin")
    assert any("МКС на связи" in s.value for s in at.success)
    assert "ещё ни разу" in texts(at)

    at.button(key="sv_mks_sync").click().run()
    assert not at.exception
    assert any("добавлено 1" in s.value and "связано по названию 1" in s.value for s in at.success)
    with db_engine.connect() as conn:
        names = conn.execute(sa.select(services.c.name)).scalars().all()
    assert names.count("Стирка") == 1 and "Баня" in names
    assert "ещё ни разу" not in texts(at)
