"""МКС at the volunteer desk: a visitor linked to a МКС client found by name (namesakes told
apart by birth date) shows «МКС №…» on the card; a МКС client is taken over as a new visitor."""

from datetime import date

import pytest
import sqlalchemy as sa

from core.schema import mks_clients, visitors
from ui.format import md
from tests.backend import on_postgres

# screens over the same core: the core МКС tests run on both backends, these in the DuckDB pass
pytestmark = pytest.mark.skipif(on_postgres(), reason="МКС screens run in the DuckDB pass; core/test_mks_* cover PostgreSQL")


@pytest.fixture(autouse=True)
def mks_configured(mks_db, monkeypatch):
    import ui.mks

    monkeypatch.setattr(ui.mks, "_loop", lambda mks_engine: None)  # no worker thread in AppTest
    monkeypatch.setenv("MKS_DATABASE_URL", mks_db.url)


def click(at, key):
    at.button(key=key).click().run()
    assert not at.exception
    return at


def shown(at) -> str:
    return "\n".join(str(e.value) for kind in (at.markdown, at.caption, at.success, at.error, at.warning) for e in kind)


def test_the_volunteer_links_a_visitor_to_the_right_namesake_and_the_card_says_so(app, db_engine, mks_db):
    older = mks_db.add_client("Толстихин", "Виктор", date(1958, 4, 1))
    younger = mks_db.add_client("Толстихин", "Виктор", date(1979, 9, 30))
    with db_engine.connect() as conn:
        viktor = conn.execute(sa.select(visitors.c.id).where(visitors.c.card_number == "100001")).scalar_one()
    at = app("desk", "volunteer")
    at.text_input(key="dk_q").input("Толстихин").run()
    click(at, f"dk_pick_{viktor}")
    at.text_input(key="dk_mks_q").input("Толстихин Виктор").run()
    assert md(f"род. 01.04.1958 · МКС №{older}") in shown(at) and md(f"род. 30.09.1979 · МКС №{younger}") in shown(at)

    click(at, f"dk_mks_link_{younger}")
    assert f"связан с клиентом МКС №{younger}" in shown(at)
    assert f"МКС №{younger} · род. 30.09.1979" in shown(at)
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(mks_clients.c.visitor_id, mks_clients.c.mks_client_id)).all() == [(viktor, younger)]

    # found again by the МКС number, the birth date beside the name
    click(at, "dk_other")
    at.text_input(key="dk_q").input(f"МКС {younger}").run()
    assert md(f" · МКС №{younger}, род. 30.09.1979") in at.button(key=f"dk_pick_{viktor}").label


def test_a_mks_client_is_taken_over_as_a_new_visitor_with_a_card_and_pin(app, db_engine, mks_db):
    client = mks_db.add_client("Огурцова", "Мария", date(1990, 2, 2))
    at = app("desk", "volunteer")
    at.text_input(key="dk_q").input("Огурцова").run()
    assert md(f"Огурцова Мария · род. 02.02.1990 · МКС №{client}") in shown(at)
    click(at, f"dk_mks_take_{client}")
    at.checkbox(key="dk_mks_consent").check().run()
    click(at, "dk_mks_register")
    assert at.metric[0].label == "Номер карты"
    with db_engine.connect() as conn:
        person = conn.execute(
            sa.select(visitors.c.first_name, visitors.c.last_name, visitors.c.card_number)
            .join(mks_clients, mks_clients.c.visitor_id == visitors.c.id).where(mks_clients.c.mks_client_id == client)
        ).one()
    assert (person.first_name, person.last_name, person.card_number) == ("Мария", "Огурцова", at.metric[0].value)
