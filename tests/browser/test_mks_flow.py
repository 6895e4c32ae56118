"""The real app with МКС: an admin marks a linked visitor «Присутствовал» in Участники, and the
service received appears in МКС's MariaDB (written by the app's own worker thread), once."""

import re
import time

import sqlalchemy as sa
from playwright.sync_api import expect

from core import demo, statuses
from core.db import make_engine, migrate
from core.schema import bookings, event_services, mks_clients, services, sessions, visitors
from tests.browser.server import AppServer, choose, log_in, open_page, wait_idle
from tests.mks_fixtures import MKS_USER_ID
from ui.clock import now


def past_unmarked_booking(engine) -> sa.Row:
    """A booking of the demo on a past day that nobody has marked «Присутствовал» yet."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(bookings.c.id, bookings.c.visitor_id, visitors.c.card_number, services.c.name.label("service"),
                      sessions.c.event_service_id, sessions.c.date)
            .join(sessions, sessions.c.id == bookings.c.session_id)
            .join(event_services, event_services.c.id == sessions.c.event_service_id)
            .join(services, services.c.id == event_services.c.service_id)
            .join(visitors, visitors.c.id == bookings.c.visitor_id)
            .where(sessions.c.date < now().date(), bookings.c.status.in_([statuses.EXPECTED, statuses.NO_SHOW]),
                   visitors.c.erased_at.is_(None))
            .order_by(sessions.c.date.desc(), bookings.c.id)
            .limit(1)
        ).one()


def test_a_mark_in_participants_reaches_mks_as_one_service_row(tabs, mks_db, tmp_path):
    database = tmp_path / "mks.duckdb"
    engine = make_engine(f"duckdb:///{database}")
    migrate(engine)
    demo.load(engine, now())
    booking = past_unmarked_booking(engine)
    mks_db.add_type(booking.service)  # the app links its own service of that name on start
    client = mks_db.add_client("Клиентов", "Мкс")
    with engine.begin() as conn:
        conn.execute(mks_clients.insert().values(visitor_id=booking.visitor_id, mks_client_id=client, linked_at=now(), linked_by="staff:admin"))
    engine.dispose()  # the app's process is the only one to hold the DuckDB file

    app = AppServer(database, env={"DAILY_BACKUPS": "off", "MKS_DATABASE_URL": mks_db.url, "MKS_USER_ID": str(MKS_USER_ID)})
    try:
        page = tabs.open(1280)
        log_in(page, app.url, "admin", "admin-demo")
        open_page(page, "Мероприятия")
        page.get_by_text("Прошедшие", exact=True).click()
        wait_idle(page)
        choose(page, page.get_by_label("Услуга", exact=True), booking.service)
        # the participant filter finds the visitor by the МКС number
        page.get_by_label("Участник: карта, фамилия и имя или телефон").fill(f"МКС {client}")
        page.get_by_label("Участник: карта, фамилия и имя или телефон").press("Enter")
        wait_idle(page)
        row = page.locator(f".st-key-ss_row_{booking.event_service_id}_{booking.date:%Y%m%d}")
        row.get_by_role("button", name="Участники").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("Записано на услугу")).to_be_visible()
        wait_idle(page)
        dialog.locator(f".st-key-pp_sel_{booking.id} input").check(force=True)
        wait_idle(page)
        dialog.get_by_role("button", name="Применить").click()
        wait_idle(page)
        expect(dialog.get_by_text("Статус «Присутствовал» отмечен: 1.")).to_be_visible()

        deadline = time.monotonic() + 30  # the worker looks at the outbox every 5 s
        while not mks_db.services() and time.monotonic() < deadline:
            time.sleep(0.5)
        (row,) = mks_db.services()
        assert (row.client_id, row.sync_id, row.created_by_id) == (client, -booking.id, MKS_USER_ID)
        assert re.fullmatch(rf"Запись на помощь: .+, {booking.date:%d\.%m\.%Y} \d\d:\d\d", row.comment)
        assert row.created_at.date() == booking.date
        page.close()
    finally:
        app.stop()
