"""152-ФЗ: erasing a visitor removes every personal value everywhere; their bookings stay, anonymised."""

import logging

import pytest
import sqlalchemy as sa

from core.booking import book, set_status
from core.errors import NotAllowed
from core.people import erase_visitor, find_visitors, register_visitor
from core.schema import bookings, metadata
from tests.conftest import key_of

CANARY_FIRST, CANARY_LAST, CANARY_PHONE = "Зоягрим", "Канарейкина", "+7 999 123-45-67"
CANARY_TEXTS = ("Зоягрим", "Канарейкина", "канарейка", "9991234567")


def every_text_in_the_database(engine) -> str:
    parts = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.extend(str(value) for value in row if value is not None)
    return "\n".join(parts).lower()


@pytest.fixture
def canary(engine, now, make_event, admin, caplog):
    caplog.set_level(logging.DEBUG)
    event = make_event(capacity=5, first_date=now.date())  # attendance is marked from the day on
    person = register_visitor(engine, CANARY_FIRST, CANARY_LAST, CANARY_PHONE, "канарейка: любит чай", True, admin, now)
    [booking_id] = book(engine, person.visitor_id, [key_of(event)], admin, now, comment="канарейка-заметка")
    set_status(engine, [booking_id], "attended", admin, now, comment="канарейка-статус")
    return person


def test_the_audit_log_and_the_logs_never_hold_personal_values(engine, canary, caplog):
    with engine.connect() as conn:
        audit_text = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM audit_log")) for v in row).lower()
    for text in CANARY_TEXTS:
        assert text.lower() not in audit_text
        assert text.lower() not in caplog.text.lower()


def test_erasure_leaves_no_personal_value_in_any_table(engine, canary, admin, now):
    assert "канарейкина" in every_text_in_the_database(engine)
    erase_visitor(engine, canary.visitor_id, admin, now)
    everything = every_text_in_the_database(engine)
    for text in CANARY_TEXTS:
        assert text.lower() not in everything


def test_erasure_keeps_the_bookings_for_statistics_and_records_itself(engine, canary, admin, now):
    erase_visitor(engine, canary.visitor_id, admin, now)
    with engine.connect() as conn:
        statuses = conn.execute(sa.select(bookings.c.status).where(bookings.c.visitor_id == canary.visitor_id)).scalars().all()
        actions = conn.execute(sa.text("SELECT action, entity_id FROM audit_log WHERE action = 'erase'")).all()
        assert find_visitors(conn, "Канарейкина") == []
    assert statuses == ["attended"]
    assert [tuple(a) for a in actions] == [("erase", canary.card_number)]


def test_only_an_admin_may_erase(engine, canary, volunteer_actor, now):
    with pytest.raises(NotAllowed):
        erase_visitor(engine, canary.visitor_id, volunteer_actor, now)


def test_erased_values_appear_in_no_export(engine, canary, admin, now):
    import io
    import zipfile

    from core.export import FIELDS, ExportFilter, export_print, export_xlsx

    erase_visitor(engine, canary.visitor_id, admin, now)
    fields = [field.code for field in FIELDS]
    workbook = export_xlsx(engine, admin, ExportFilter(), fields, now, service_names={})
    archive = zipfile.ZipFile(io.BytesIO(workbook.data))
    xml = " ".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")).lower()
    printed = export_print(engine, admin, ExportFilter(), fields, now, service_names={}).data.decode().lower()
    assert workbook.rows == 1 and "данные удалены" in xml
    for text in CANARY_TEXTS:
        assert text.lower() not in xml and text.lower() not in printed
