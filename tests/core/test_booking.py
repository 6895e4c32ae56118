"""Booking rules (SPEC §3.3 capacity, §3.4 window, §3.5 statuses) through core.booking.

Scenes are arranged straight in the tables (`add_booking`) and acted on through core, so a
refusal is checked against exactly the state the table row describes. Every refusal is also
checked to have written no booking.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.booking import book
from core.booking_changes import cancel
from core.marks import set_status
from core.errors import BookingRefused, DomainError, NotAllowed
from core.schema import bookings, sessions
from tests.conftest import key_of


def refused(call) -> str:
    """The code of the BookingRefused that `call` raises."""
    with pytest.raises(BookingRefused) as caught:
        call()
    return caught.value.code


# --- the booking window (SPEC §3.4) -----------------------------------------------------


@dataclass(frozen=True)
class WindowCase:
    actor: str  # "visitor" (booking for themself), "volunteer" or "admin"
    window_days: int
    day: int  # the session's date, in days after today
    clock: time  # the time of day "now" is on today
    expected: str | None  # the refusal code, None when the booking is taken


WINDOW_CASES = {
    "visitor books tomorrow inside the window": WindowCase("visitor", 7, 1, time(9), None),
    "visitor books the last day of the window": WindowCase("visitor", 7, 7, time(9), None),
    "visitor cannot book the day after the window": WindowCase("visitor", 7, 8, time(9), "window_closed"),
    "volunteer cannot book the day after the window": WindowCase("volunteer", 7, 8, time(9), "window_closed"),
    "visitor cannot book a past date": WindowCase("visitor", 7, -1, time(9), "window_closed"),
    "volunteer cannot book a past date": WindowCase("volunteer", 7, -1, time(9), "window_closed"),
    "visitor books today before the start": WindowCase("visitor", 7, 0, time(9, 59), None),
    "visitor cannot book today at the start time": WindowCase("visitor", 7, 0, time(10), "session_started"),
    "visitor cannot book today after the start": WindowCase("visitor", 7, 0, time(10, 30), "session_started"),
    "volunteer cannot book today after the start": WindowCase("volunteer", 7, 0, time(10, 30), "session_started"),
    "window 0 opens the day itself": WindowCase("visitor", 0, 0, time(9), None),
    "window 0 keeps tomorrow closed": WindowCase("visitor", 0, 1, time(9), "window_closed"),
    "admin books beyond the window": WindowCase("admin", 7, 30, time(9), None),
    "admin adds a participant after the start": WindowCase("admin", 7, 0, time(10, 30), None),
}


@pytest.mark.parametrize("case", WINDOW_CASES.values(), ids=WINDOW_CASES.keys())
def test_booking_window(case, engine, make_event, make_visitor, visitor_actor, volunteer_actor, admin, today, table_count):
    # a daily series that started three days ago: every date of the table exists
    event = make_event(freq="daily", first_date=today - timedelta(days=3), services=[dict(start=time(10), window_days=case.window_days)])
    person = make_visitor()
    actor = {"visitor": visitor_actor(person), "volunteer": volunteer_actor, "admin": admin}[case.actor]
    key = key_of(event, today + timedelta(days=case.day))
    moment = datetime.combine(today, case.clock)

    if case.expected is None:
        assert len(book(engine, person, [key], actor, moment)) == 1
        assert table_count("bookings") == 1
    else:
        assert refused(lambda: book(engine, person, [key], actor, moment)) == case.expected
        assert table_count("bookings") == 0


def _store_session(engine, key, **values) -> None:
    """A stored session row for `key` carrying this one date's changes."""
    with engine.begin() as conn:
        event_id = conn.execute(
            sa.text("SELECT event_id FROM event_services WHERE id = :id"), {"id": key.event_service_id}
        ).scalar_one()
        conn.execute(sessions.insert().values(event_service_id=key.event_service_id, event_id=event_id, date=key.date, **values))


def test_a_session_moved_earlier_closes_at_its_own_start(engine, today, make_event, make_visitor, visitor_actor, table_count):
    event = make_event(first_date=today, services=[dict(start=time(10))])
    _store_session(engine, key_of(event), start_time=time(9, 30), end_time=time(10, 30))
    me = make_visitor()

    assert refused(lambda: book(engine, me, [key_of(event)], visitor_actor(me), datetime.combine(today, time(9, 45)))) == "session_started"
    assert table_count("bookings") == 0


def test_a_deleted_session_takes_no_bookings(engine, now, make_event, make_visitor, admin, table_count):
    event = make_event()
    _store_session(engine, key_of(event), cancelled_at=now)

    assert refused(lambda: book(engine, make_visitor(), [key_of(event)], admin, now)) == "session_cancelled"
    assert table_count("bookings") == 0


# --- capacity (SPEC §3.3) ---------------------------------------------------------------


@dataclass(frozen=True)
class CapacityCase:
    event_capacity: int
    service_capacities: tuple[int, ...]
    # bookings already there: (person, service index, status); "me" is the one booking now
    before: tuple[tuple[str, int, str], ...]
    book: tuple[int, ...]  # service indices booked now, in one call
    expected: str | None
    actor: str = "visitor"


CAPACITY_CASES = {
    "a session with room takes the booking": CapacityCase(10, (2,), (("a", 0, "expected"),), (0,), None),
    "a full session refuses": CapacityCase(10, (2,), (("a", 0, "expected"), ("b", 0, "expected")), (0,), "session_full"),
    "a full occurrence refuses through another session": CapacityCase(
        2, (2, 2), (("a", 1, "expected"), ("b", 1, "expected")), (0,), "event_full"
    ),
    "a participant may book another service of a full day": CapacityCase(
        2, (2, 2), (("me", 1, "expected"), ("a", 1, "expected")), (0,), None
    ),
    "a participant still meets a full session": CapacityCase(
        3, (2, 2), (("a", 0, "expected"), ("b", 0, "expected"), ("me", 1, "expected")), (0,), "session_full"
    ),
    "booking the same session twice is refused": CapacityCase(10, (2,), (("me", 0, "expected"),), (0,), "already_booked"),
    "a marked booking still blocks a duplicate": CapacityCase(10, (2,), (("me", 0, "attended"),), (0,), "already_booked"),
    "a cancelled own booking may be made again": CapacityCase(10, (2,), (("me", 0, "cancelled"),), (0,), None),
    "cancelled bookings free the session": CapacityCase(10, (1,), (("a", 0, "cancelled"),), (0,), None),
    "cancelled bookings are no participants": CapacityCase(1, (1, 1), (("a", 1, "cancelled"),), (0,), None),
    "attended and no-show bookings still take places": CapacityCase(
        10, (2,), (("a", 0, "attended"), ("b", 0, "no_show")), (0,), "session_full"
    ),
    "two sessions of one day are booked together": CapacityCase(10, (2, 2), (), (0, 1), None),
    "admin never books past a session's capacity": CapacityCase(10, (1,), (("a", 0, "expected"),), (0,), "session_full", "admin"),
    "admin never books past the event's capacity": CapacityCase(1, (1, 1), (("a", 1, "expected"),), (0,), "event_full", "admin"),
    "volunteer meets the same capacity": CapacityCase(10, (1,), (("a", 0, "expected"),), (0,), "session_full", "volunteer"),
}


@pytest.mark.parametrize("case", CAPACITY_CASES.values(), ids=CAPACITY_CASES.keys())
def test_capacity_rule(case, engine, now, make_event, make_visitor, visitor_actor, volunteer_actor, admin, add_booking, table_count):
    event = make_event(capacity=case.event_capacity, services=[dict(capacity=c) for c in case.service_capacities])
    people = {"me": make_visitor()}
    for person, service, status in case.before:
        people.setdefault(person, make_visitor())
        add_booking(key_of(event, service=service), people[person], status)
    me = people["me"]
    actor = {"visitor": visitor_actor(me), "volunteer": volunteer_actor, "admin": admin}[case.actor]
    keys = [key_of(event, service=i) for i in case.book]
    before = table_count("bookings")

    if case.expected is None:
        assert len(book(engine, me, keys, actor, now)) == len(keys)
        assert table_count("bookings") == before + len(keys)
    else:
        assert refused(lambda: book(engine, me, keys, actor, now)) == case.expected
        assert table_count("bookings") == before


def test_booking_two_sessions_is_all_or_nothing(engine, now, make_event, make_visitor, visitor_actor, add_booking, active_on):
    event = make_event(services=[dict(capacity=1), dict(capacity=1)])
    free, full = key_of(event, service=0), key_of(event, service=1)
    add_booking(full, make_visitor(first_name="Борис"))
    me = make_visitor()

    assert refused(lambda: book(engine, me, [free, full], visitor_actor(me), now)) == "session_full"
    assert active_on(free) == 0


def test_sessions_on_different_days_are_refused(engine, now, today, make_event, make_visitor, visitor_actor, table_count):
    event = make_event(freq="daily", first_date=today + timedelta(days=1))
    me = make_visitor()
    keys = [key_of(event, today + timedelta(days=1)), key_of(event, today + timedelta(days=2))]

    assert refused(lambda: book(engine, me, keys, visitor_actor(me), now)) == "sessions_on_different_days"
    assert table_count("bookings") == 0


def test_sessions_of_two_events_are_refused_together(engine, now, make_event, make_visitor, visitor_actor, table_count):
    first, second = make_event(), make_event()
    me = make_visitor()

    assert refused(lambda: book(engine, me, [key_of(first), key_of(second)], visitor_actor(me), now)) == "sessions_on_different_days"
    assert table_count("bookings") == 0


@pytest.mark.parametrize(
    "freq, weekdays, day",
    [(None, (), 2), ("weekly", (1,), 8), ("daily", (), -1)],
    ids=["a one-off event on another date", "a weekly event on a day it skips", "a series before its first date"],
)
def test_a_date_outside_the_series_is_refused(freq, weekdays, day, engine, now, today, make_event, make_visitor, admin, table_count):
    # first date: Wednesday 11.03.2026; "weekly on Tuesday" then next meets Tuesday 17.03
    event = make_event(freq=freq, weekdays=weekdays, first_date=today + timedelta(days=1))
    me = make_visitor()

    assert refused(lambda: book(engine, me, [key_of(event, today + timedelta(days=day))], admin, now)) == "session_not_found"
    assert table_count("bookings") == 0


def test_cancel_frees_the_place(engine, now, make_event, make_visitor, visitor_actor, active_on):
    event = make_event(services=[dict(capacity=1)])
    first, second = make_visitor(), make_visitor(first_name="Борис")
    [booking_id] = book(engine, first, [key_of(event)], visitor_actor(first), now)
    assert refused(lambda: book(engine, second, [key_of(event)], visitor_actor(second), now)) == "session_full"

    cancel(engine, booking_id, visitor_actor(first), now)

    assert book(engine, second, [key_of(event)], visitor_actor(second), now)
    assert active_on(key_of(event)) == 1


def test_cancelled_booking_cannot_be_cancelled_again(engine, now, make_event, make_visitor, visitor_actor, add_booking):
    event = make_event()
    me = make_visitor()
    booking_id = add_booking(key_of(event), me, "cancelled")

    with pytest.raises(DomainError) as caught:
        cancel(engine, booking_id, visitor_actor(me), now)
    assert caught.value.code == "booking_not_active"


def test_visitor_cannot_cancel_a_past_booking(engine, now, today, make_event, make_visitor, visitor_actor, add_booking):
    event = make_event(first_date=today - timedelta(days=2))
    me = make_visitor()
    booking_id = add_booking(key_of(event), me)

    with pytest.raises(DomainError) as caught:
        cancel(engine, booking_id, visitor_actor(me), now)
    assert caught.value.code == "booking_in_past"


def test_visitor_cannot_cancel_someone_elses_booking(engine, now, make_event, make_visitor, visitor_actor, add_booking):
    event = make_event()
    owner, stranger = make_visitor(), make_visitor(first_name="Борис")
    booking_id = add_booking(key_of(event), owner)

    with pytest.raises(NotAllowed):
        cancel(engine, booking_id, visitor_actor(stranger), now)


def test_the_same_session_listed_twice_is_booked_once(engine, now, make_event, make_visitor, visitor_actor, active_on):
    event = make_event()
    me = make_visitor()

    assert len(book(engine, me, [key_of(event), key_of(event)], visitor_actor(me), now)) == 1
    assert active_on(key_of(event)) == 1


def test_visitor_cannot_book_for_someone_else(engine, now, make_event, make_visitor, visitor_actor, table_count):
    event = make_event()
    me, other = make_visitor(), make_visitor(first_name="Борис")

    with pytest.raises(NotAllowed):
        book(engine, other, [key_of(event)], visitor_actor(me), now)
    assert table_count("bookings") == 0


def test_coordinator_cannot_book(engine, now, make_event, make_visitor, coordinator, table_count):
    event = make_event()

    with pytest.raises(NotAllowed):
        book(engine, make_visitor(), [key_of(event)], coordinator, now)
    assert table_count("bookings") == 0


def test_an_erased_person_cannot_be_booked(engine, now, make_event, make_visitor, admin, table_count):
    event = make_event()
    person = make_visitor()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE visitors SET erased_at = :now WHERE id = :id"), {"now": now, "id": person})

    assert refused(lambda: book(engine, person, [key_of(event)], admin, now)) == "person_erased"
    assert table_count("bookings") == 0


@pytest.mark.parametrize("who, kind", [("visitor", "visitor"), ("volunteer", "volunteer"), ("admin", "staff")])
def test_every_booking_records_who_made_it(who, kind, engine, now, make_event, make_visitor, visitor_actor, volunteer_actor, admin):
    event = make_event()
    me = make_visitor()
    actor = {"visitor": visitor_actor(me), "volunteer": volunteer_actor, "admin": admin}[who]

    [booking_id] = book(engine, me, [key_of(event)], actor, now, comment="  Опоздаю на 10 минут ")

    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id}).one()
    assert (row.created_by_kind, row.created_by_id, row.created_at) == (kind, actor.id, now)
    assert (row.status, row.comment) == ("expected", "Опоздаю на 10 минут")


# --- statuses and history ---------------------------------------------------------------


def test_set_status_marks_several_and_leaves_cancelled_ones_alone(engine, now, make_event, make_visitor, admin, add_booking):
    event = make_event(first_date=now.date())
    expected_1 = add_booking(key_of(event), make_visitor())
    expected_2 = add_booking(key_of(event), make_visitor(first_name="Борис"))
    cancelled = add_booking(key_of(event), make_visitor(first_name="Вера"), "cancelled")

    changed = set_status(engine, [expected_1, expected_2, cancelled], "attended", admin, now, comment="Пришли вовремя")

    assert changed == 2
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT id, status FROM bookings")).all())
        history = conn.execute(
            sa.text(
                "SELECT booking_id, status, comment, changed_at, changed_by FROM status_history "
                "WHERE status = 'attended' ORDER BY booking_id"
            )
        ).all()
    assert statuses == {expected_1: "attended", expected_2: "attended", cancelled: "cancelled"}
    assert [tuple(r) for r in history] == [
        (expected_1, "attended", "Пришли вовремя", now, "staff:admin"),
        (expected_2, "attended", "Пришли вовремя", now, "staff:admin"),
    ]


def test_booking_and_cancelling_write_status_history(engine, now, make_event, make_visitor, visitor_actor):
    event = make_event()
    me = make_visitor()
    [booking_id] = book(engine, me, [key_of(event)], visitor_actor(me), now)
    later = now + timedelta(minutes=5)

    cancel(engine, booking_id, visitor_actor(me), later, reason="Не смогу прийти")

    with engine.connect() as conn:
        history = conn.execute(
            sa.text(
                "SELECT status, comment, changed_at, changed_by FROM status_history "
                "WHERE booking_id = :id ORDER BY changed_at"
            ),
            {"id": booking_id},
        ).all()
    card = visitor_actor(me).label
    assert [tuple(r) for r in history] == [
        ("expected", None, now, f"visitor:{card}"),
        ("cancelled", "Не смогу прийти", later, f"visitor:{card}"),
    ]


def test_a_coordinator_sets_no_status(engine, now, make_event, make_visitor, coordinator, add_booking):
    # volunteers mark at the door, within the rules of tests/core/test_door.py
    event = make_event(first_date=now.date())
    booking_id = add_booking(key_of(event), make_visitor())

    with pytest.raises(NotAllowed):
        set_status(engine, [booking_id], "attended", coordinator, now)


def test_audit_rows_for_book_cancel_and_set_status_hold_no_personal_values(engine, now, make_event, make_visitor, visitor_actor, admin):
    event = make_event(services=[dict(), dict(start=time(12))])
    me = make_visitor(first_name="Зинаида", last_name="Кукушкина", phone="+79031112233")
    ids = book(engine, me, [key_of(event, service=0), key_of(event, service=1)], visitor_actor(me), now)
    cancel(engine, ids[0], visitor_actor(me), now)
    set_status(engine, [ids[1]], "no_show", admin, datetime.combine(event.first_date, time(13)))

    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT actor, role, action, entity, entity_id, detail FROM audit_log")).all()
    assert {r.action for r in rows} >= {"book", "cancel", "set_status"}
    text = " ".join(str(value) for row in rows for value in row)
    for personal in ("Зинаида", "Кукушкина", "9031112233", "1112233"):
        assert personal not in text


# --- the invariants, under any sequence of operations -----------------------------------

EVENT_CAPACITY, SESSION_CAPACITIES, PEOPLE = 3, (2, 2), 5

operations = st.lists(
    st.tuples(
        st.sampled_from(["book", "cancel"]),
        st.integers(0, PEOPLE - 1),
        st.sets(st.integers(0, len(SESSION_CAPACITIES) - 1), min_size=1),
    ),
    min_size=1,
    max_size=12,
)


def model_refusal(active: set[tuple[int, int]], person: int, chosen: set[int]) -> str | None:
    """What SPEC §3.3 says a booking of `chosen` services by `person` must get."""
    participants = {p for p, _ in active}
    if person not in participants and len(participants) >= EVENT_CAPACITY:
        return "event_full"
    if any((person, service) in active for service in chosen):
        return "already_booked"
    for service in chosen:
        if sum(1 for _, s in active if s == service) >= SESSION_CAPACITIES[service]:
            return "session_full"
    return None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_of_bookings_and_cancellations_keeps_the_invariants(
    ops, engine, now, make_event, make_visitor, visitor_actor, admin, assert_invariants
):
    event = make_event(capacity=EVENT_CAPACITY, services=[dict(capacity=c) for c in SESSION_CAPACITIES])
    people = [make_visitor() for _ in range(PEOPLE)]
    active: dict[tuple[int, int], int] = {}  # (person, service) -> booking id

    for op, person, chosen in ops:
        if op == "book":
            keys = [key_of(event, service=s) for s in sorted(chosen)]
            expected = model_refusal(set(active), person, chosen)
            if expected is None:
                ids = book(engine, people[person], keys, visitor_actor(people[person]), now)
                active.update({(person, s): i for s, i in zip(sorted(chosen), ids, strict=True)})
            else:
                assert refused(lambda: book(engine, people[person], keys, visitor_actor(people[person]), now)) == expected
        else:
            for service in chosen:
                if (person, service) in active:
                    cancel(engine, active.pop((person, service)), admin, now)
        assert_invariants(engine)

    with engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*) FROM bookings b JOIN sessions s ON s.id = b.session_id "
                "WHERE s.event_id = :event AND b.status = 'expected'"
            ),
            {"event": event.id},
        ).scalar()
    assert stored == len(active)


def test_booking_ids_come_back_in_the_order_the_sessions_were_asked_for(engine, make_event, make_visitor, admin, now):
    event = make_event(capacity=5, services=[dict(capacity=5), dict(capacity=5), dict(capacity=5)])
    keys = [key_of(event, service=s) for s in (2, 0, 1)]
    ids = book(engine, make_visitor(), keys, admin, now)
    with engine.connect() as conn:
        booked = dict(
            conn.execute(
                sa.select(bookings.c.id, sessions.c.event_service_id).join(sessions, sessions.c.id == bookings.c.session_id)
            ).all()
        )
    assert [booked[i] for i in ids] == [k.event_service_id for k in keys]
