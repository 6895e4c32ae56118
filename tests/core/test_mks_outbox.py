"""Services received reach МКС exactly once, through the outbox, against a real MariaDB with
МКС's tables: a mark writes one row; marking twice, two instances at once, a worker killed
between МКС's commit and ours, and МКС away for a while never make a second one or lose one."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import mks_outbox, statuses
from core.marks import set_status
from core.db import make_engine
from core.mks_catalog import sync_catalog
from core.mks_status import read_status
from core.schema import mks_clients, mks_outbox as outbox_table
from tests.conftest import key_of
from tests.mks_fixtures import MKS_USER_ID

ROOT = Path(__file__).resolve().parents[2]


def outbox(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            sa.select(outbox_table.c.booking_id, outbox_table.c.action, outbox_table.c.state).order_by(outbox_table.c.id)
        )]


def deliver(engine, mks_db, now, **kwargs) -> mks_outbox.DeliveryRun:
    return mks_outbox.deliver_due(engine, mks_db.engine, now, MKS_USER_ID, **kwargs)


@pytest.fixture
def scene(engine, mks_db, admin, now, make_event, make_visitor, add_booking, make_place):
    """A МКС service type synced into the catalog, an event on it today at 10:00 in «Цветной»,
    and `booked(n)`: n visitors, each linked to a МКС client of their own, booked onto it."""
    type_id = mks_db.add_type("Стирка")
    sync_catalog(engine, mks_db.engine, admin, now)
    with engine.connect() as conn:
        service_id = conn.execute(sa.text("SELECT service_id FROM mks_service_types")).scalar_one()
    event = make_event(capacity=20, first_date=now.date(), place_id=make_place("Цветной"),
                       services=[dict(service_id=service_id, capacity=20)])

    class Scene:
        mks_type_id = type_id

        @staticmethod
        def booked(count: int = 1, linked: bool = True) -> list[tuple[int, int]]:
            """(booking id, МКС client id) for `count` new people."""
            made = []
            for number in range(count):
                visitor_id = make_visitor(first_name="Иван", last_name=f"Петров{chr(ord('а') + number)}")
                client_id = mks_db.add_client(f"Петров{chr(ord('а') + number)}", "Иван")
                if linked:
                    with engine.begin() as conn:
                        conn.execute(mks_clients.insert().values(visitor_id=visitor_id, mks_client_id=client_id, linked_at=now, linked_by="staff:admin"))
                made.append((add_booking(key_of(event), visitor_id), client_id))
            return made

    return Scene


def test_a_mark_queues_one_row_in_its_own_transaction_and_delivery_writes_one_service(engine, mks_db, scene, admin, now):
    ((booking_id, client_id),) = scene.booked()
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    assert outbox(engine) == [(booking_id, "add", "waiting")]
    assert mks_db.services() == []  # marking never waits for МКС

    assert deliver(engine, mks_db, now) == mks_outbox.DeliveryRun(1)
    (row,) = mks_db.services()
    session_start = datetime.combine(now.date(), datetime.min.time().replace(hour=10))
    assert (row.client_id, row.type_id, row.created_at, row.created_by_id, row.amount) == (client_id, scene.mks_type_id, session_start, MKS_USER_ID, None)
    assert row.comment == f"Запись на помощь: Цветной, {now:%d.%m.%Y} 10:00"
    assert outbox(engine) == [(booking_id, "add", "sent")]
    assert read_status(engine).sent == 1 and read_status(engine).connected


def test_only_a_linked_visitor_on_a_service_from_mks_is_sent(engine, mks_db, scene, admin, now, make_event, make_visitor, add_booking):
    ((unlinked, _),) = scene.booked(linked=False)
    own_service_event = make_event(first_date=now.date())
    ((linked, client_id),) = scene.booked()
    with engine.connect() as conn:
        linked_visitor = conn.execute(sa.text("SELECT visitor_id FROM bookings WHERE id = :id"), {"id": linked}).scalar()
    own = add_booking(key_of(own_service_event), linked_visitor)
    set_status(engine, [unlinked, own], statuses.ATTENDED, admin, now)
    set_status(engine, [linked], statuses.NO_SHOW, admin, now)
    assert outbox(engine) == []


def test_marking_twice_and_every_retry_leave_one_row(engine, mks_db, scene, admin, now):
    ((booking_id, _),) = scene.booked()
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)  # the same mark again: nothing new
    assert len(outbox(engine)) == 1
    deliver(engine, mks_db, now)
    deliver(engine, mks_db, now)
    # our acknowledgement lost (as if the worker died after МКС's commit): the retry finds the row
    with engine.begin() as conn:
        conn.execute(outbox_table.update().values(state="waiting", mks_service_id=None))
    assert deliver(engine, mks_db, now) == mks_outbox.DeliveryRun(1)
    assert len(mks_db.services()) == 1
    assert outbox(engine) == [(booking_id, "add", "sent")]


def test_two_instances_delivering_at_once_write_each_service_once(engine, mks_db, scene, admin, now):
    bookings = [booking_id for booking_id, _ in scene.booked(6)]
    for booking_id in bookings:
        set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    url = engine.url.render_as_string(hide_password=False)
    instances = [(engine, mks_db.engine), (make_engine(url), make_mks_engine_like(mks_db))]
    start = threading.Barrier(2)
    errors = []

    def run(ours, theirs):
        start.wait()
        try:
            for _ in range(3):
                mks_outbox.deliver_due(ours, theirs, now, MKS_USER_ID)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(-row.sync_id for row in mks_db.services()) == sorted(bookings)
    assert [state for _, _, state in outbox(engine)] == ["sent"] * 6
    instances[1][0].dispose()
    instances[1][1].dispose()


def make_mks_engine_like(mks_db):
    from core.mks import make_mks_engine

    return make_mks_engine(mks_db.url)


def test_a_worker_killed_between_the_mks_insert_and_our_acknowledgement_leaves_one_row(engine, mks_db, scene, admin, now):
    ((booking_id, _),) = scene.booked()
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # DuckDB: the worker must be the only process holding the file
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.mks_crash_worker", url, mks_db.url, now.isoformat()],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )
    assert worker.stdout.readline().strip() == "inserted"
    assert len(mks_db.services()) == 1  # in МКС, not yet acknowledged here
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(30)

    reopened = make_engine(url)
    assert outbox(reopened) == [(booking_id, "add", "waiting")]
    deadline = time.monotonic() + 10
    # МКС frees the dead worker's lock once it sees its connection gone
    while deliver(reopened, mks_db, now).handled == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mks_db.services()) == 1
    assert outbox(reopened) == [(booking_id, "add", "sent")]
    reopened.dispose()


def test_mks_away_ten_marks_wait_and_arrive_in_order_once_it_is_back(engine, mks_db, scene, admin, now):
    people = scene.booked(10)
    mks_db.server.stop()
    try:
        for booking_id, _ in people:
            assert set_status(engine, [booking_id], statuses.ATTENDED, admin, now) == 1  # marks keep working
        run = deliver(engine, mks_db, now)
        assert (run.handled, run.error) == (0, "mks_unreachable")
        status = read_status(engine)
        assert (status.waiting, status.connected, status.last_error) == (10, False, "mks_unreachable")
        # the head row waits out its delay: the next tries cost МКС nothing until then
        assert deliver(engine, mks_db, now + timedelta(seconds=5)) == mks_outbox.DeliveryRun(0)
    finally:
        mks_db.server.start()
    assert deliver(engine, mks_db, now + timedelta(minutes=1)) == mks_outbox.DeliveryRun(10)
    assert [(row.sync_id, row.client_id) for row in mks_db.services()] == [(-booking_id, client) for booking_id, client in people]
    status = read_status(engine)
    assert (status.sent, status.waiting, status.connected) == (10, 0, True)


def test_taking_the_mark_back_removes_our_row_unless_mks_staff_changed_it(engine, mks_db, scene, admin, now):
    ((booking_id, _),) = scene.booked()
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    deliver(engine, mks_db, now)
    set_status(engine, [booking_id], statuses.EXPECTED, admin, now)
    deliver(engine, mks_db, now)
    assert mks_db.services() == []

    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    deliver(engine, mks_db, now)
    (row,) = mks_db.services()
    mks_db.edit_service(row.id, "Постирали, выдали порошок", now + timedelta(hours=2))
    set_status(engine, [booking_id], statuses.NO_SHOW, admin, now)
    deliver(engine, mks_db, now)
    assert [r.comment for r in mks_db.services()] == ["Постирали, выдали порошок"]
    assert outbox(engine)[-1] == (booking_id, "remove", "kept")
    assert read_status(engine).kept == 1


def test_a_row_mks_refuses_fails_alone_and_the_next_one_goes(engine, mks_db, scene, admin, now):
    (first, _), (second, _) = scene.booked(2)
    with engine.connect() as conn:
        gone_client = conn.execute(sa.text(
            "SELECT l.mks_client_id FROM mks_clients l JOIN bookings b ON b.visitor_id = l.visitor_id WHERE b.id = :id"
        ), {"id": first}).scalar()
    with mks_db.root.begin() as conn:
        conn.execute(sa.text("DELETE FROM client WHERE id = :id"), {"id": gone_client})
    set_status(engine, [first, second], statuses.ATTENDED, admin, now)
    assert deliver(engine, mks_db, now) == mks_outbox.DeliveryRun(2)
    assert outbox(engine) == [(first, "add", "failed"), (second, "add", "sent")]
    assert [-row.sync_id for row in mks_db.services()] == [second]
    assert read_status(engine).failed == 1


def test_a_wrong_mks_user_id_holds_the_rows_back_instead_of_failing_them(engine, mks_db, scene, admin, now):
    ((booking_id, _),) = scene.booked()
    set_status(engine, [booking_id], statuses.ATTENDED, admin, now)
    run = mks_outbox.deliver_due(engine, mks_db.engine, now, 999)
    assert (run.handled, run.error) == (0, "mks_user_invalid")
    assert outbox(engine) == [(booking_id, "add", "waiting")]
    assert deliver(engine, mks_db, now + timedelta(minutes=1)) == mks_outbox.DeliveryRun(1)
    assert len(mks_db.services()) == 1
