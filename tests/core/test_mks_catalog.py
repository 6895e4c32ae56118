"""МКС's connection and the catalog kept in step with its service types, against a real MariaDB
(tests/mariadb.py) holding МКС's own tables, reached through a user with only the README's rights."""

import socket
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import mks
from core.actors import SYSTEM
from core.catalog import ServiceFields, list_catalog, update_service
from core.errors import MESSAGES
from core.mks_catalog import SyncCounts, sync_catalog, sync_if_due
from core.mks_status import read_status
from core.schema import audit_log


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def error_of(call) -> mks.MksError:
    with pytest.raises(mks.MksError) as caught:
        call()
    return caught.value


def by_name(engine) -> dict:
    with engine.connect() as conn:
        return {item.name: item for item in list_catalog(conn)}


# --- the connection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["postgresql://user@host/db", "mysql+pymysql://user@host", "это не адрес", "mysql+pymysql:///homeless"],
)
def test_a_url_that_is_not_mysql_is_refused_in_russian(url):
    error = error_of(lambda: mks.make_mks_engine(url))
    assert error.code == "mks_url_invalid"
    assert "MKS_DATABASE_URL" in error.message


def test_an_unreachable_mks_answers_within_seconds_in_russian():
    engine = mks.make_mks_engine(f"mysql+pymysql://zapis:secret@127.0.0.1:{closed_port()}/homeless")
    started = time.monotonic()
    error = error_of(lambda: mks.probe(engine))
    assert time.monotonic() - started < mks.CONNECT_TIMEOUT_SECONDS + 1
    assert error.code == "mks_unreachable"
    assert error.message == MESSAGES["mks_unreachable"]


def test_a_wrong_password_is_told_apart_from_a_server_that_is_down(mks_db):
    wrong = mks.make_mks_engine(mks_db.url.replace("secret-", "wrong-"))
    assert error_of(lambda: mks.probe(wrong)).code == "mks_access_denied"
    mks.probe(mks_db.engine)  # the granted rights are enough to read everything we read


def test_the_app_user_may_write_no_other_table(mks_db):
    with pytest.raises(sa.exc.OperationalError) as caught:
        with mks_db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE client SET lastname = 'x'"))
    assert mks.translate(caught.value).code == "mks_no_rights"


# --- the catalog ------------------------------------------------------------------------


def test_a_sync_adds_renames_and_retires_by_mks_id_and_keeps_our_settings(engine, mks_db, admin, now):
    wash, shower, doctor = mks_db.add_type("Стирка"), mks_db.add_type("Душ"), mks_db.add_type("Врач")
    assert sync_catalog(engine, mks_db.engine, admin, now) == SyncCounts(added=3)
    catalog = by_name(engine)
    assert sorted(catalog) == ["Врач", "Душ", "Стирка"]
    washing_id = catalog["Стирка"].id
    update_service(engine, washing_id, ServiceFields("Стирка", "Две машинки", 4, 3, 90), admin, now)

    mks_db.rename_type(wash, "Стирка белья")
    mks_db.delete_type(doctor)
    mks_db.add_type("Юрист")
    later = now + timedelta(hours=1)
    assert sync_catalog(engine, mks_db.engine, admin, later) == SyncCounts(added=1, renamed=1, retired=1)

    catalog = by_name(engine)
    assert sorted(catalog) == ["Врач", "Душ", "Стирка белья", "Юрист"]
    washing = catalog["Стирка белья"]
    assert (washing.id, washing.description, washing.default_capacity, washing.default_window_days, washing.default_duration_min) == (
        washing_id, "Две машинки", 4, 3, 90
    )
    assert catalog["Врач"].retired_at == later and catalog["Душ"].active and catalog["Юрист"].active
    assert sync_catalog(engine, mks_db.engine, admin, later) == SyncCounts()


def test_a_service_kept_by_hand_before_mks_is_linked_by_its_name_not_doubled(engine, mks_db, make_service, admin, now):
    own = make_service(name="Стирка", capacity=6)
    mks_db.add_type(" стирка ")
    assert sync_catalog(engine, mks_db.engine, admin, now) == SyncCounts(linked=1)
    assert [(item.id, item.name, item.default_capacity) for item in by_name(engine).values()] == [(own, "Стирка", 6)]


def test_a_rename_onto_a_name_already_taken_waits_for_an_admin(engine, mks_db, make_service, admin, now):
    make_service(name="Душ")
    wash = mks_db.add_type("Стирка")
    sync_catalog(engine, mks_db.engine, admin, now)
    mks_db.rename_type(wash, "ДУШ")
    assert sync_catalog(engine, mks_db.engine, admin, now) == SyncCounts(conflicts=1)
    assert sorted(by_name(engine)) == ["Душ", "Стирка"]


def test_each_sync_is_in_the_audit_log_with_its_counts(engine, mks_db, admin, now):
    mks_db.add_type("Стирка")
    sync_catalog(engine, mks_db.engine, admin, now)
    with engine.connect() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.action == "mks_sync")).one()
    assert (row.actor, row.entity) == ("staff:admin", "catalog")
    assert '"added": 1' in row.detail and '"retired": 0' in row.detail


def test_the_hourly_sync_runs_once_an_hour_and_the_panel_shows_when(engine, mks_db, now):
    mks_db.add_type("Стирка")
    assert sync_if_due(engine, mks_db.engine, now) == SyncCounts(added=1)
    assert sync_if_due(engine, mks_db.engine, now + timedelta(minutes=59)) is None
    mks_db.add_type("Душ")
    assert sync_if_due(engine, mks_db.engine, now + timedelta(minutes=60)) == SyncCounts(added=1)
    status = read_status(engine)
    assert status.catalog_synced_at == now + timedelta(minutes=60) and status.connected


def test_a_failed_sync_changes_nothing_and_leaves_its_words_for_the_panel(engine, make_service, now):
    make_service(name="Стирка")
    down = mks.make_mks_engine(f"mysql+pymysql://zapis:secret@127.0.0.1:{closed_port()}/homeless")
    assert error_of(lambda: sync_catalog(engine, down, SYSTEM, now)).code == "mks_unreachable"
    assert sorted(by_name(engine)) == ["Стирка"]
    status = read_status(engine)
    assert not status.connected and status.error_message == MESSAGES["mks_unreachable"]
