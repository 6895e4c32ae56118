"""152-ФЗ: erasing a visitor removes every personal value everywhere; their bookings stay, anonymised."""

import io
import logging
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from core import storage
from core.backup import take_backup
from core.booking import book
from core.marks import set_status
from core.errors import NotAllowed
from core.visitors import erase_visitor, find_visitors, register_visitor
from core.photos import load_photo, save_photo
from core.schema import bookings, metadata, visitors
from tests.backend import duckdb_only, on_postgres
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


def test_an_unexpected_database_error_reaches_the_server_log_without_personal_values(engine, canary):
    from streamlit.error_util import handle_uncaught_app_exception

    from ui.server import SERVER_ERROR_LOGS  # importing the app's server puts the filter on them

    # a write the database refuses, quoting what it refused: a second visitor on the same card
    try:
        with engine.begin() as conn:
            row = conn.execute(sa.select(visitors).where(visitors.c.id == canary.visitor_id)).one()._asdict()
            conn.execute(visitors.insert().values(row | {"id": canary.visitor_id + 1}))
    except sa.exc.IntegrityError as error:
        refused = error
    # the statement's values stay out of the error itself (core.db.make_engine)
    assert CANARY_PHONE not in str(refused) and CANARY_LAST not in str(refused)
    logged = io.StringIO()
    handler = logging.StreamHandler(logged)
    logs = [logging.getLogger(name) for name in SERVER_ERROR_LOGS]
    for log in logs:
        log.addHandler(handler)
    try:
        handle_uncaught_app_exception(refused)  # Streamlit, for a page
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=refused)  # a route of ours
    finally:
        for log in logs:
            log.removeHandler(handler)
    text = logged.getvalue()
    assert text.count("IntegrityError") == 2 and "test_privacy.py" in text  # what finding the fault needs
    for value in (canary.card_number, CANARY_FIRST, CANARY_LAST, CANARY_PHONE):
        assert value not in text


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

    from core.export import FIELDS, ExportFilter, export_file

    erase_visitor(engine, canary.visitor_id, admin, now)
    fields = [field.code for field in FIELDS]
    workbook = export_file("xlsx", engine, admin, ExportFilter(), fields, now, service_names={})
    archive = zipfile.ZipFile(io.BytesIO(workbook.data))
    xml = " ".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")).lower()
    printed = export_file("print", engine, admin, ExportFilter(), fields, now, service_names={}).data.decode().lower()
    assert workbook.rows == 1 and "данные удалены" in xml
    for text in CANARY_TEXTS:
        assert text.lower() not in xml and text.lower() not in printed


# --- nothing left on disk ----------------------------------------------------------------
# The values above are gone from every table; these tests look at the bytes of the files:
# an overwritten row stays in DuckDB's write-ahead log and in freed blocks of its file, and in
# PostgreSQL's dead tuples, until core.storage.scrub rewrites them.


def random_canary() -> tuple[str, str, str]:
    """A surname, a phone and a comment word no other test (or earlier run) ever wrote."""
    letters = "бвгджзклмнпрстфхцчшщ"
    word = "".join(secrets.choice(letters) for _ in range(10))
    return "Канар" + word, f"+7999{secrets.randbelow(10**7):07d}", "заметка" + word


def noisy_photo() -> bytes:
    """An upload whose stored JPEG is noise: any 64 bytes of it occur nowhere else."""
    out = io.BytesIO()
    Image.effect_noise((400, 400), 80).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def files_holding(folder: Path, needles: list[bytes], skip: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not any(part in skip for part in path.parts):
            data = path.read_bytes()
            found += [f"{path.name}: {needle!r}" for needle in needles if needle in data]
    return found


def flushed_data_folder(engine, tmp_path) -> Path:
    """Where the database keeps its files, with everything written to them (a PostgreSQL
    checkpoint: until then changes live in its memory and its log)."""
    if not on_postgres():
        return tmp_path
    with engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))
        return Path(conn.execute(sa.text("SHOW data_directory")).scalar())


def test_erasure_leaves_the_values_in_no_file_of_the_database_or_its_backups(engine, tmp_path, now, make_event, admin):
    surname, phone, word = random_canary()
    event = make_event(capacity=5, first_date=now.date())
    person = register_visitor(engine, "Зоя", surname, phone, f"{word} любит чай", True, admin, now)
    save_photo(engine, person.visitor_id, noisy_photo(), admin, now)
    with engine.connect() as conn:
        stored_photo = load_photo(conn, person.visitor_id)
    [booking_id] = book(engine, person.visitor_id, [key_of(event)], admin, now, comment=f"{word}-запись")
    set_status(engine, [booking_id], "attended", admin, now, comment=f"{word}-статус")
    needles = [surname.encode(), surname.lower().encode(), phone.encode(), word.encode(), stored_photo[1000:1064]]
    # pg_wal keeps what was written until its segments are reused (README «Безопасность»)
    skip = ("pg_wal",)
    before = files_holding(flushed_data_folder(engine, tmp_path), needles[:1], skip)
    assert before, "the canary should be on disk before the erasure"

    erase_visitor(engine, person.visitor_id, admin, now)
    take_backup(engine, tmp_path / "backups", now)
    data_folder = flushed_data_folder(engine, tmp_path)

    assert files_holding(data_folder, needles, skip) == []
    assert files_holding(tmp_path / "backups", needles) == []


def test_the_database_works_on_after_the_rewrite(engine, now, make_event, admin, make_visitor):
    event = make_event(capacity=5)
    person = register_visitor(engine, "Зоя", "Стёртая", None, None, True, admin, now)
    kept = make_visitor()
    erase_visitor(engine, person.visitor_id, admin, now)

    [booking_id] = book(engine, kept, [key_of(event)], admin, now)
    again = register_visitor(engine, "Анна", "Новая", None, None, True, admin, now)

    with engine.connect() as conn:
        assert conn.execute(sa.select(bookings.c.visitor_id).where(bookings.c.id == booking_id)).scalar() == kept
        ids = conn.execute(sa.select(visitors.c.id).order_by(visitors.c.id)).scalars().all()
    assert ids == sorted({person.visitor_id, kept, again.visitor_id}) and again.visitor_id > person.visitor_id


@duckdb_only
def test_a_rewrite_that_cannot_get_the_file_waits_for_the_daily_run(engine, tmp_path, now, admin, monkeypatch):
    monkeypatch.setattr(storage, "WAIT_FOR_IDLE_SECONDS", 0.1)
    person = register_visitor(engine, "Зоя", "Ждущая", None, None, True, admin, now)
    with engine.connect() as busy:
        busy.execute(sa.text("SELECT 1"))
        erase_visitor(engine, person.visitor_id, admin, now)
        assert (tmp_path / "test.duckdb.scrub-pending").exists()
    assert storage.scrub_pending(engine)
    assert not (tmp_path / "test.duckdb.scrub-pending").exists()


def test_erasure_cancels_the_bookings_still_to_come_and_frees_their_places(engine, now, make_event, admin):
    past = make_event(capacity=5, first_date=now.date() - timedelta(days=3))
    coming = make_event(capacity=1, first_date=now.date() + timedelta(days=1))
    person = register_visitor(engine, "Зоя", "Уходящая", None, None, True, admin, now)
    [old_booking] = book(engine, person.visitor_id, [key_of(past)], admin, now - timedelta(days=3))
    [new_booking] = book(engine, person.visitor_id, [key_of(coming)], admin, now)

    assert erase_visitor(engine, person.visitor_id, admin, now) == 1

    with engine.connect() as conn:
        status = dict(conn.execute(sa.select(bookings.c.id, bookings.c.status)).all())
    assert status == {old_booking: "expected", new_booking: "cancelled"}
    other = register_visitor(engine, "Анна", "Следующая", None, None, True, admin, now)
    assert book(engine, other.visitor_id, [key_of(coming)], admin, now)
