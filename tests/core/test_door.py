"""Check-in at the door (core.door, statuses.mark_refusal): one tap marks, a minute to take it back.

A volunteer marks «Присутствовал» / «Не пришел» on today's sessions only, and takes back only
their own mark, within 60 seconds; an admin keeps every right. A person without a booking is
booked and marked in one transaction, within every capacity.
"""

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core import audit, door, statuses
from core.actors import Actor, volunteer_code
from core.booking import book
from core.errors import BookingRefused, DomainError, NotAllowed, ValidationError
from core.schema import bookings, status_history
from tests.conftest import key_of
from tests.core.conftest import second_while_first_holds

E, A, N = statuses.EXPECTED, statuses.ATTENDED, statuses.NO_SHOW
MINUTE = timedelta(seconds=60)


# --- the rule (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "new", "days", "elapsed", "mine", "refusal"),
    [
        # a volunteer marks what happened on today's sessions, once
        ("volunteer", E, A, 0, None, False, None),
        ("volunteer", E, N, 0, None, False, None),
        ("volunteer", E, A, 1, None, False, "mark_before_session_day"),
        ("volunteer", E, A, -1, None, False, "mark_today_only"),
        ("volunteer", E, N, -7, None, False, "mark_today_only"),
        ("volunteer", A, N, 0, None, True, "mark_already_made"),
        ("volunteer", N, A, 0, None, False, "mark_already_made"),
        # ... and takes back only their own mark, within a minute
        ("volunteer", A, E, 0, 0, True, None),
        ("volunteer", N, E, 0, 60, True, None),
        ("volunteer", A, E, 0, 61, True, "undo_too_late"),
        ("volunteer", A, E, 0, 3600, True, "undo_too_late"),
        ("volunteer", A, E, 0, 5, False, "undo_not_own"),
        ("volunteer", E, E, 0, 5, True, "mark_nothing_to_undo"),
        # an admin keeps every right
        ("admin", E, A, -7, None, False, None),
        ("admin", A, N, 0, None, False, None),
        ("admin", A, E, -7, 3600, False, None),
        ("admin", E, A, 1, None, False, "mark_before_session_day"),
        # nobody else marks
        ("coordinator", E, A, 0, None, False, "not_allowed"),
        ("visitor", E, A, 0, None, True, "not_allowed"),
    ],
)
def test_who_may_mark_what_at_the_door(role, status, new, days, elapsed, mine, refusal, now):
    marked_at = None if elapsed is None else now - timedelta(seconds=elapsed)
    found = statuses.mark_refusal(role, status, new, now.date() + timedelta(days=days), now.date(), now=now, marked_at=marked_at, marked_by_me=mine)
    assert found == refusal
    assert statuses.can_mark(role, status, new, now.date() + timedelta(days=days), now.date(), now=now, marked_at=marked_at,
                             marked_by_me=mine) is (refusal is None)


@given(elapsed=st.timedeltas(min_value=timedelta(seconds=-5), max_value=timedelta(minutes=10)), mine=st.booleans(),
       mark=st.sampled_from(statuses.OUTCOMES))
def test_a_volunteer_takes_back_exactly_their_own_marks_of_the_last_minute(elapsed, mine, mark):
    now = datetime(2026, 3, 10, 10, 0)
    marked_at = now - elapsed
    allowed = statuses.can_mark("volunteer", mark, E, now.date(), now.date(), now=now, marked_at=marked_at, marked_by_me=mine)
    assert allowed is (mine and elapsed <= statuses.UNDO_WINDOW)
    # the countdown the door shows never promises an undo the rule refuses
    if statuses.undo_seconds_left(marked_at, now) > 0:
        assert statuses.can_mark("volunteer", mark, E, now.date(), now.date(), now=now, marked_at=marked_at, marked_by_me=True)
    # an admin's right does not run out
    assert statuses.can_mark("admin", mark, E, now.date(), now.date(), now=now, marked_at=marked_at)


# --- marks in the database ----------------------------------------------------------------


def row_of(engine, booking_id: int):
    with engine.connect() as conn:
        return conn.execute(
            sa.select(bookings.c.status, bookings.c.status_changed_by).where(bookings.c.id == booking_id)
        ).one()


def history_of(engine, booking_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(status_history.c.status, status_history.c.changed_by)
            .where(status_history.c.booking_id == booking_id).order_by(status_history.c.id)
        )]


@pytest.fixture
def today_event(make_event, now):
    return make_event(first_date=now.date(), capacity=3, services=[dict(capacity=2)])


def test_a_volunteer_marks_a_person_arrived_with_one_tap_and_it_is_kept_as_any_mark(engine, now, today_event, make_visitor,
                                                                                     add_booking, volunteer_actor):
    booking_id = add_booking(key_of(today_event), make_visitor())

    door.mark(engine, booking_id, A, volunteer_actor, now)

    assert tuple(row_of(engine, booking_id)) == (A, volunteer_actor.audit_name)
    assert history_of(engine, booking_id)[-1] == (A, volunteer_actor.audit_name)
    with engine.connect() as conn:
        assert audit.search(conn)[0].action == "set_status"


@pytest.mark.parametrize("days", [-1, 1])
@pytest.mark.parametrize("mark", statuses.OUTCOMES)
def test_a_volunteer_cannot_mark_another_days_session_and_nothing_changes(engine, now, make_event, make_visitor, add_booking,
                                                                          volunteer_actor, days, mark):
    event = make_event(first_date=now.date() + timedelta(days=days))
    booking_id = add_booking(key_of(event), make_visitor())

    with pytest.raises(ValidationError) as refused:
        door.mark(engine, booking_id, mark, volunteer_actor, now)

    assert refused.value.code == ("mark_today_only" if days < 0 else "mark_before_session_day")
    assert row_of(engine, booking_id).status == E
    assert len(history_of(engine, booking_id)) == 1


def test_a_volunteer_takes_back_their_mark_within_a_minute_but_not_after(engine, now, today_event, make_visitor, add_booking,
                                                                        volunteer_actor):
    first, second = (add_booking(key_of(today_event), make_visitor(first_name=name)) for name in ("Анна", "Борис"))
    door.mark(engine, first, A, volunteer_actor, now)
    door.mark(engine, second, N, volunteer_actor, now)

    door.undo(engine, first, volunteer_actor, now + MINUTE)
    with pytest.raises(ValidationError) as refused:
        door.undo(engine, second, volunteer_actor, now + MINUTE + timedelta(seconds=1))

    assert refused.value.code == "undo_too_late"
    assert "в течение минуты" in refused.value.message
    assert row_of(engine, first).status == E and row_of(engine, second).status == N
    assert [s for s, _ in history_of(engine, first)] == [E, A, E]


def test_a_volunteer_cannot_take_back_another_volunteers_mark_an_admin_can(engine, now, today_event, make_visitor, add_booking,
                                                                          volunteer_actor, make_volunteer, admin):
    other_id = make_volunteer(first_name="Пётр", last_name="Седов")
    other = Actor("volunteer", other_id, "volunteer", volunteer_code(other_id), "Пётр Седов")
    booking_id = add_booking(key_of(today_event), make_visitor())
    door.mark(engine, booking_id, A, other, now)

    with pytest.raises(ValidationError) as refused:
        door.undo(engine, booking_id, volunteer_actor, now)
    assert refused.value.code == "undo_not_own"
    with pytest.raises(ValidationError) as overwritten:
        door.mark(engine, booking_id, N, volunteer_actor, now)
    assert overwritten.value.code == "mark_already_made"

    door.undo(engine, booking_id, admin, now + timedelta(hours=2))
    assert tuple(row_of(engine, booking_id)) == (E, admin.audit_name)


def test_a_mark_on_a_cancelled_booking_is_refused_in_words(engine, now, today_event, make_visitor, add_booking, volunteer_actor):
    booking_id = add_booking(key_of(today_event), make_visitor(), status=statuses.CANCELLED)
    with pytest.raises(DomainError) as refused:
        door.mark(engine, booking_id, A, volunteer_actor, now)
    assert refused.value.code == "booking_not_active"
    assert row_of(engine, booking_id).status == statuses.CANCELLED


def test_a_coordinator_cannot_mark_at_the_door(engine, now, today_event, make_visitor, add_booking, coordinator):
    booking_id = add_booking(key_of(today_event), make_visitor())
    with pytest.raises(NotAllowed):
        door.mark(engine, booking_id, A, coordinator, now)
    with pytest.raises(NotAllowed):
        door.walk_in(engine, make_visitor("Борис"), key_of(today_event), coordinator, now)


# --- people without a booking -------------------------------------------------------------


def test_a_walk_in_after_the_start_is_booked_and_marked_arrived_in_one_go(engine, now, make_event, make_visitor, volunteer_actor):
    event = make_event(first_date=now.date(), services=[dict(start=time(10), end=time(12))])
    later = datetime.combine(now.date(), time(10, 30))
    person = make_visitor()
    with pytest.raises(BookingRefused) as ordinary:
        book(engine, person, [key_of(event)], volunteer_actor, later)
    assert ordinary.value.code == "session_started"

    booking_id = door.walk_in(engine, person, key_of(event), volunteer_actor, later)

    with engine.connect() as conn:
        row = conn.execute(sa.select(bookings).where(bookings.c.id == booking_id)).one()
    assert (row.visitor_id, row.status, row.created_by_kind, row.created_by_id) == (person, A, "volunteer", volunteer_actor.id)
    assert [s for s, _ in history_of(engine, booking_id)] == [E, A]


@pytest.mark.parametrize("full", ["session", "event"])
def test_a_walk_in_is_refused_when_no_place_is_free_and_leaves_nothing(engine, now, make_event, make_visitor, add_booking,
                                                                      volunteer_actor, table_count, assert_invariants, full):
    event = make_event(first_date=now.date(), capacity=2 if full == "event" else 5,
                       services=[dict(capacity=2), dict(capacity=2, start=time(12))])
    add_booking(key_of(event, service=0), make_visitor("Анна"))
    add_booking(key_of(event, service=1 if full == "event" else 0), make_visitor("Борис"))
    before = (table_count("bookings"), table_count("status_history"), table_count("audit_log"))

    with pytest.raises(BookingRefused) as refused:
        door.walk_in(engine, make_visitor("Вера"), key_of(event, service=0), volunteer_actor, now)

    assert refused.value.code == {"session": "session_full", "event": "event_full"}[full]
    assert (table_count("bookings"), table_count("status_history"), table_count("audit_log")) == before
    assert_invariants(engine)


def test_two_walk_ins_for_the_last_place_get_one_place_between_them(engine, now, make_event, make_visitor, add_booking,
                                                                   volunteer_actor, admin, monkeypatch, assert_invariants):
    """The second comes while the first has booked and not yet committed: it must not count 1 of 2."""
    event = make_event(first_date=now.date(), services=[dict(capacity=2)])
    add_booking(key_of(event), make_visitor("Анна"))
    first, second = make_visitor("Борис"), make_visitor("Вера")

    answers = second_while_first_holds(
        monkeypatch, door, "set_status_in_transaction",
        lambda: door.walk_in(engine, first, key_of(event), volunteer_actor, now),
        lambda: door.walk_in(engine, second, key_of(event), admin, now),
    )

    assert answers == {"first": "done", "second": "session_full"}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(bookings.c.visitor_id, bookings.c.status).where(bookings.c.status != E)).all()
    assert [tuple(r) for r in rows] == [(first, A)]
    assert_invariants(engine)


def test_a_walk_in_is_only_for_today(engine, now, make_event, make_visitor, volunteer_actor, admin, table_count):
    event = make_event(first_date=now.date() + timedelta(days=1))
    for actor in (volunteer_actor, admin):
        with pytest.raises(BookingRefused) as refused:
            door.walk_in(engine, make_visitor(), key_of(event), actor, now)
        assert refused.value.code == "walk_in_today_only"
    assert table_count("bookings") == 0


def test_a_person_already_booked_is_not_booked_twice_at_the_door(engine, now, today_event, make_visitor, add_booking, volunteer_actor):
    person = make_visitor()
    add_booking(key_of(today_event), person)
    with pytest.raises(BookingRefused) as refused:
        door.walk_in(engine, person, key_of(today_event), volunteer_actor, now)
    assert refused.value.code == "already_booked"


# --- what the door shows ------------------------------------------------------------------


def test_the_door_lists_todays_sessions_of_the_place_with_their_active_people(engine, now, make_event, make_place, make_visitor,
                                                                              add_booking, volunteer_actor):
    here, elsewhere = make_place("Цветной"), make_place("Ясная")
    event = make_event(first_date=now.date(), place_id=here, services=[dict(start=time(12)), dict(start=time(10))])
    tomorrow = make_event(first_date=now.date() + timedelta(days=1), place_id=here)
    other = make_event(first_date=now.date(), place_id=elsewhere)
    zoya, anna = make_visitor("Зоя", "Яковлева"), make_visitor("Анна", "Петрова")
    # an event's services come by start time: the 10:00 one first
    late = add_booking(key_of(event, service=1), zoya)
    add_booking(key_of(event, service=1), make_visitor("Вера", "Белова"), status=statuses.CANCELLED)
    early = add_booking(key_of(event, service=0), anna)
    add_booking(key_of(tomorrow), anna)
    add_booking(key_of(other), zoya)
    door.mark(engine, late, A, volunteer_actor, now)

    with engine.connect() as conn:
        shown = door.today_at_place(conn, [event, tomorrow, other], here, now.date())
        assert door.places_open_today(conn, [event, tomorrow, other], now.date()) == {here, elsewhere}
        assert door.places_open_today(conn, [tomorrow], now.date()) == set()

    assert [(s.session.start_time, [p.name for p in s.people]) for s in shown] == [
        (time(10), ["Петрова Анна"]),
        (time(12), ["Яковлева Зоя"]),
    ]
    assert [p.booking_id for s in shown for p in s.people] == [early, late]
    marked = shown[1].people[0]
    assert (marked.status, shown[1].arrived) == (A, 1)
    assert marked.undo_seconds_left(volunteer_actor, now) == 60
    assert marked.undo_seconds_left(volunteer_actor, now + timedelta(seconds=45)) == 15
    assert marked.undo_seconds_left(volunteer_actor, now + timedelta(seconds=61)) == 0
    assert shown[0].people[0].undo_seconds_left(volunteer_actor, now) == 0


# --- places of people who did not come -----------------------------------------------------


@given(start_minutes=st.integers(0, 23 * 60), elapsed=st.integers(-120, 240), after=st.integers(0, 60), days=st.integers(-1, 1))
def test_a_place_may_be_released_only_today_and_only_the_set_minutes_after_the_start(start_minutes, elapsed, after, days):
    day = datetime(2026, 3, 10).date()
    start = time(start_minutes // 60, start_minutes % 60)
    now = datetime.combine(day, start) + timedelta(minutes=elapsed, days=days)
    assert door.may_release(day, start, now, after) == (now.date() == day and elapsed + days * 24 * 60 >= after)


@pytest.fixture
def started_full(engine, now, make_event, make_visitor, add_booking):
    """Today's 10:00 session of two places, both booked; the clock at 10:20."""
    event = make_event(first_date=now.date(), capacity=5, services=[dict(capacity=2, start=time(10), end=time(12))])
    people = [make_visitor("Анна"), make_visitor("Борис")]
    bookings_made = [add_booking(key_of(event), person) for person in people]
    return event, bookings_made, datetime.combine(now.date(), time(10, 20))


def test_the_place_of_who_did_not_come_goes_to_a_walk_in_after_the_set_minutes(
    engine, make_visitor, volunteer_actor, started_full, assert_invariants
):
    event, (absent, _), later = started_full
    walker = make_visitor("Вера")
    with pytest.raises(BookingRefused) as full:
        door.walk_in(engine, walker, key_of(event), volunteer_actor, later)
    assert full.value.code == "session_full"
    with pytest.raises(DomainError) as early:
        door.release(engine, absent, volunteer_actor, later, after_minutes=30)
    assert (early.value.code, early.value.message) == ("release_too_early", "Место можно отдать через 30 мин. после начала: с 10:30.")
    assert row_of(engine, absent).status == E

    door.release(engine, absent, volunteer_actor, later, after_minutes=15)
    door.walk_in(engine, walker, key_of(event), volunteer_actor, later)

    with engine.connect() as conn:
        released = conn.execute(sa.select(bookings.c.status, bookings.c.released_at).where(bookings.c.id == absent)).one()
    assert released == (N, later)  # the original booking says «Не пришел», and holds no place
    assert_invariants(engine)
    with pytest.raises(DomainError) as twice:
        door.release(engine, absent, volunteer_actor, later, after_minutes=15)
    assert twice.value.code == "release_not_expected"


def test_a_released_place_goes_to_a_person_from_the_waiting_list_at_the_door(
    engine, make_visitor, volunteer_actor, visitor_actor, started_full, assert_invariants
):
    from core import waitlist

    event, (absent, _), later = started_full
    waiting = make_visitor("Глеб")
    before = later.replace(hour=9, minute=30)  # they joined the line before the start
    waitlist.join(engine, waiting, key_of(event), visitor_actor(waiting), before)
    with engine.connect() as conn:
        (entry,) = waitlist.entries_of_visitor(conn, waiting, before)

    door.release(engine, absent, volunteer_actor, later, after_minutes=15)
    booking_id = door.seat_from_line(engine, entry.entry_id, volunteer_actor, later)

    assert row_of(engine, booking_id).status == A
    with engine.connect() as conn:
        assert [e.state for e in waitlist.entries_of_visitor(conn, waiting, later)] == ["booked"]
    assert_invariants(engine)
