"""The demo (SPEC §5 "Real from the first run"): every screen has examples, and every rule holds.

One demo database serves the whole module (loading takes a few seconds); tests only read it
(sign-ins add their audit rows).
"""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import demo
from core.events import load_events
from core.accounts import authenticate
from core.visitors import visitor_sign_in
from core.places import list_places
from core.sessions import SessionFilter, list_sessions, sessions_between
from tests.conftest import NOW, fresh_engine
from tests.core.conftest import invariant_violations

TODAY = NOW.date()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    engine = fresh_engine(tmp_path_factory.mktemp("demo"))
    demo.load(engine, NOW)
    yield engine
    engine.dispose()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def test_demo_has_places_and_a_catalog(demo_db):
    assert scalar(demo_db, "SELECT count(*) FROM places") >= 3
    assert scalar(demo_db, "SELECT count(*) FROM services") >= 8


def test_demo_places_say_how_to_find_them(demo_db):
    with demo_db.connect() as conn:
        found = {p.name: p for p in list_places(conn)}
    assert set(found) == {"Цветной", "Гиляровского", "Ясная"}
    assert found["Цветной"].where == "Цветной бульвар, 11, стр. 2 · м. Цветной бульвар"
    assert all(p.address and p.metro and p.directions for p in found.values())


def test_demo_events_cover_every_kind(demo_db):
    with demo_db.connect() as conn:
        events = load_events(conn)
    one_offs = [e for e in events if e.rule is None]
    series = [e for e in events if e.rule is not None]

    assert len(events) >= 6
    assert any(e.first_date < TODAY for e in one_offs), "a past one-off event"
    assert any(e.first_date > TODAY for e in one_offs), "a future one-off event"
    assert any(e.rule.freq == "daily" for e in series)
    assert any(e.rule.freq == "weekly" and len(e.rule.weekdays) == 2 for e in series)
    assert any(e.rule.freq == "monthly" for e in series)
    assert any(e.rule.count is None and e.rule.until is None and e.archived_at is None for e in series), "an endless series"
    assert any(e.archived_at is not None for e in events), "an archived event"
    assert all(e.services for e in events)


def test_demo_has_visitors_some_without_a_phone_and_volunteers(demo_db):
    assert scalar(demo_db, "SELECT count(*) FROM visitors") >= 60
    assert scalar(demo_db, "SELECT count(*) FROM visitors WHERE phone IS NULL") > 0
    assert scalar(demo_db, "SELECT count(*) FROM volunteers WHERE status = 'active'") >= 5
    assert scalar(demo_db, "SELECT count(*) FROM volunteers WHERE status = 'pending'") >= 1


def test_demo_bookings_show_every_status_past_and_future(demo_db):
    with demo_db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT b.status, b.created_by_kind, s.date FROM bookings b JOIN sessions s ON s.id = b.session_id")
        ).all()
    statuses = Counter(r.status for r in rows)

    assert len(rows) >= 300
    assert set(statuses) == {"expected", "attended", "no_show", "cancelled"}
    assert {r.created_by_kind for r in rows} == {"visitor", "volunteer", "staff"}
    assert any(r.date < TODAY for r in rows) and any(r.date >= TODAY for r in rows)


def test_demo_bookings_made_by_volunteers_name_real_volunteers(demo_db):
    orphans = scalar(
        demo_db,
        "SELECT count(*) FROM bookings b LEFT JOIN volunteers v ON v.id = b.created_by_id "
        "WHERE b.created_by_kind = 'volunteer' AND (v.id IS NULL OR v.status <> 'active')",
    )
    assert scalar(demo_db, "SELECT count(*) FROM bookings WHERE created_by_kind = 'volunteer'") > 0
    assert orphans == 0


def test_every_demo_booking_has_its_status_history(demo_db):
    missing = scalar(
        demo_db,
        "SELECT count(*) FROM bookings b WHERE NOT EXISTS "
        "(SELECT 1 FROM status_history h WHERE h.booking_id = b.id AND h.status = b.status)",
    )
    assert missing == 0


def test_demo_has_a_day_with_at_least_eight_sessions(demo_db):
    with demo_db.connect() as conn:
        found = sessions_between(conn, load_events(conn), SessionFilter(), TODAY, TODAY + timedelta(days=30), TODAY)

    busiest = Counter(s.date for s in found).most_common(1)[0][1]
    assert busiest >= 8


def test_demo_fills_both_session_lists(demo_db):
    with demo_db.connect() as conn:
        events = load_events(conn)
        upcoming, _ = list_sessions(conn, events, SessionFilter(), TODAY, upcoming=True, limit=10)
        past, _ = list_sessions(conn, events, SessionFilter(), TODAY, upcoming=False, limit=10)

    assert len(upcoming) == 10 and len(past) == 10
    assert any(s.booked for s in upcoming) and any(s.booked for s in past)


def test_demo_keeps_every_capacity_invariant(demo_db):
    assert invariant_violations(demo_db) == {}


def test_demo_bookings_fit_their_series(demo_db):
    # a booking on a date the series does not have would be invisible in every list
    with demo_db.connect() as conn:
        events = {e.id: e for e in load_events(conn)}
        rows = conn.execute(sa.text("SELECT DISTINCT s.event_id, s.date FROM sessions s")).all()
    assert [r for r in rows if not events[r.event_id].occurs_on(r.date)] == []


def test_demo_accounts_sign_in(demo_db):
    assert authenticate(demo_db, "admin", demo.DEMO_ACCOUNTS["admin"], NOW).role == "admin"
    assert authenticate(demo_db, "coordinator", demo.DEMO_ACCOUNTS["coordinator"], NOW).role == "coordinator"
    assert authenticate(demo_db, "volunteer", demo.DEMO_ACCOUNTS["volunteer"], NOW).role == "volunteer"
    assert visitor_sign_in(demo_db, demo.DEMO_VISITOR_CARD, demo.DEMO_VISITOR_PIN, NOW).label == demo.DEMO_VISITOR_CARD


def test_the_demo_fixture_loads_into_a_fresh_database(demo_engine):
    # the shared fixture later page tests use
    assert scalar(demo_engine, "SELECT count(*) FROM events") >= 6


@pytest.mark.parametrize("moment", [NOW.replace(month=1, day=31), NOW.replace(month=2, day=28), NOW.replace(year=2027, month=1, day=1)])
def test_demo_keeps_the_invariants_whatever_today_is(moment, tmp_path):
    engine = fresh_engine(tmp_path)
    try:
        demo.load(engine, moment)
        assert invariant_violations(engine) == {}
    finally:
        engine.dispose()
