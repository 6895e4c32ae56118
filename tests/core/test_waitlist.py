"""The waiting list (issue «Fair access»): who may join, who gets a freed place, in which order,
and that nobody overtakes the line or overbooks a session, also when everything happens at once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import waitlist
from core.booking import book
from core.booking_changes import cancel
from core.db import make_engine
from core.errors import DomainError, NotAllowed
from core.events import load_events
from core.session_changes import edit_session
from core.sessions import get_session
from core.visitors import erase_visitor
from tests.conftest import key_of
from tests.core.conftest import invariant_violations


def answer(call) -> str:
    try:
        call()
    except DomainError as refusal:
        return refusal.code
    return "done"


def bookings_of(engine, key) -> dict[int, tuple[str, str]]:
    """visitor -> (status, made by kind) of every booking on the session."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT b.visitor_id, b.status, b.created_by_kind FROM bookings b JOIN sessions s ON s.id = b.session_id "
                "WHERE s.event_service_id = :es AND s.date = :day"
            ),
            {"es": key.event_service_id, "day": key.date},
        ).all()
    return {row.visitor_id: (row.status, row.created_by_kind) for row in rows}


def active(engine, key) -> set[int]:
    return {person for person, (status, _) in bookings_of(engine, key).items() if status != "cancelled"}


def line(engine, key) -> list[int]:
    """The people waiting for the session, first in line first."""
    with engine.connect() as conn:
        session_id = conn.execute(
            sa.text("SELECT id FROM sessions WHERE event_service_id = :es AND date = :day"),
            {"es": key.event_service_id, "day": key.date},
        ).scalar()
        return [entry.visitor_id for entry in waitlist.line_of(conn, session_id)] if session_id else []


def booking_of(engine, key, person) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT b.id FROM bookings b JOIN sessions s ON s.id = b.session_id "
                "WHERE s.event_service_id = :es AND s.date = :day AND b.visitor_id = :person AND b.status = 'expected'"
            ),
            {"es": key.event_service_id, "day": key.date, "person": person},
        ).scalar_one()


@pytest.fixture
def full(engine, now, make_event, make_visitor, admin):
    """A session of two places, both taken; returns (key, the two booked people)."""
    event = make_event(capacity=10, services=[dict(capacity=2)])
    key = key_of(event)
    taken = [make_visitor(first_name="Занял") for _ in range(2)]
    for person in taken:
        book(engine, person, [key], admin, now)
    return key, taken


def test_a_person_joins_the_line_of_a_full_session_and_learns_their_place(engine, now, full, make_visitor, visitor_actor):
    key, _ = full
    first, second = make_visitor(first_name="Первый"), make_visitor(first_name="Второй")

    assert waitlist.join(engine, first, key, visitor_actor(first), now) == 1
    assert waitlist.join(engine, second, key, visitor_actor(second), now) == 2
    assert line(engine, key) == [first, second]
    assert answer(lambda: waitlist.join(engine, first, key, visitor_actor(first), now)) == "waitlist_already_in"


def test_nobody_joins_the_line_of_a_session_with_a_place_free_and_nothing_is_booked_by_trying(
    engine, now, make_event, make_visitor, visitor_actor
):
    key = key_of(make_event(services=[dict(capacity=2)]))
    person = make_visitor()

    assert answer(lambda: waitlist.join(engine, person, key, visitor_actor(person), now)) == "waitlist_place_free"
    assert bookings_of(engine, key) == {} and line(engine, key) == []


def test_the_booked_and_the_out_of_window_are_told_their_own_reason_not_put_in_line(
    engine, now, full, make_event, make_visitor, visitor_actor
):
    key, taken = full
    far = key_of(make_event(first_date=now.date() + timedelta(days=30), services=[dict(capacity=1)]))
    person = make_visitor()

    assert answer(lambda: waitlist.join(engine, taken[0], key, visitor_actor(taken[0]), now)) == "already_booked"
    assert answer(lambda: waitlist.join(engine, person, far, visitor_actor(person), now)) == "window_closed"
    assert line(engine, key) == []


def test_a_visitor_joins_only_for_themself(engine, now, full, make_visitor, visitor_actor):
    key, _ = full
    person, stranger = make_visitor(), make_visitor(first_name="Чужой")
    with pytest.raises(NotAllowed):
        waitlist.join(engine, person, key, visitor_actor(stranger), now)


def test_a_cancelled_place_goes_to_the_first_in_line_in_the_same_transaction(engine, now, full, make_visitor, visitor_actor):
    key, taken = full
    first, second = make_visitor(first_name="Первый"), make_visitor(first_name="Второй")
    waitlist.join(engine, first, key, visitor_actor(first), now)
    waitlist.join(engine, second, key, visitor_actor(second), now)

    cancel(engine, booking_of(engine, key, taken[0]), visitor_actor(taken[0]), now)

    assert active(engine, key) == {taken[1], first}
    # booked as if they had booked it themselves
    assert bookings_of(engine, key)[first] == ("expected", "visitor")
    assert line(engine, key) == [second]
    with engine.connect() as conn:
        mine = waitlist.entries_of_visitor(conn, first, now)
        theirs = waitlist.entries_of_visitor(conn, second, now)
    assert [(e.state, e.rank) for e in mine] == [("booked", None)]
    assert [(e.state, e.rank) for e in theirs] == [("waiting", 1)]


def test_a_volunteer_puts_a_visitor_in_line_and_the_freed_place_is_booked_in_the_volunteers_name(
    engine, now, full, make_visitor, volunteer_actor, visitor_actor
):
    key, taken = full
    person = make_visitor()
    waitlist.join(engine, person, key, volunteer_actor, now)

    cancel(engine, booking_of(engine, key, taken[0]), visitor_actor(taken[0]), now)

    assert bookings_of(engine, key)[person] == ("expected", "volunteer")


def test_a_raised_capacity_books_the_line_in_its_order(engine, now, full, make_visitor, visitor_actor, admin):
    key, taken = full
    people = [make_visitor(first_name=f"Ждущий{n}") for n in range(3)]
    for person in people:
        waitlist.join(engine, person, key, visitor_actor(person), now)

    with engine.connect() as conn:
        session = get_session(conn, load_events(conn), key.event_service_id, key.date, now.date())
    edit_session(engine, session, session.start_time, session.end_time, 4, admin, now)

    assert active(engine, key) == {*taken, people[0], people[1]}
    assert line(engine, key) == [people[2]]


def test_an_erased_person_leaves_every_line_and_their_freed_place_goes_to_the_next(
    engine, now, full, make_visitor, visitor_actor, admin
):
    key, taken = full
    waiting = make_visitor(first_name="Ждущий")
    waitlist.join(engine, waiting, key, visitor_actor(waiting), now)
    erased_waiting = make_visitor(first_name="Удалённый")
    waitlist.join(engine, erased_waiting, key, visitor_actor(erased_waiting), now)

    erase_visitor(engine, erased_waiting, admin, now)
    assert line(engine, key) == [waiting]
    erase_visitor(engine, taken[0], admin, now)

    assert active(engine, key) == {taken[1], waiting}
    assert line(engine, key) == []


def test_the_line_closes_when_the_session_starts(engine, now, make_event, make_visitor, visitor_actor, admin):
    event = make_event(first_date=now.date(), services=[dict(capacity=1, start=(now + timedelta(hours=1)).time())])
    key = key_of(event)
    holder, waiting = make_visitor(first_name="Занял"), make_visitor(first_name="Ждущий")
    book(engine, holder, [key], admin, now)
    waitlist.join(engine, waiting, key, visitor_actor(waiting), now)

    after_start = now + timedelta(hours=1, minutes=5)
    cancel(engine, booking_of(engine, key, holder), admin, after_start)

    assert active(engine, key) == set()
    with engine.connect() as conn:
        assert [e.state for e in waitlist.entries_of_visitor(conn, waiting, after_start)] == ["closed"]


def test_an_admin_moves_a_person_up_the_line_and_nobody_else_may(engine, now, full, make_visitor, visitor_actor, admin, volunteer_actor):
    key, _ = full
    people = [make_visitor(first_name=f"Ждущий{n}") for n in range(3)]
    for person in people:
        waitlist.join(engine, person, key, visitor_actor(person), now)
    with engine.connect() as conn:
        session_id = conn.execute(sa.text("SELECT id FROM sessions WHERE event_service_id = :es"), {"es": key.event_service_id}).scalar()
        third = waitlist.line_of(conn, session_id)[2].id

    waitlist.move(engine, third, True, admin, now)
    assert line(engine, key) == [people[0], people[2], people[1]]
    waitlist.move(engine, third, True, admin, now)
    waitlist.move(engine, third, True, admin, now)  # already first: nothing changes
    assert line(engine, key) == [people[2], people[0], people[1]]
    with pytest.raises(NotAllowed):
        waitlist.move(engine, third, False, volunteer_actor, now)


def test_a_person_leaves_their_own_place_in_line_only(engine, now, full, make_visitor, visitor_actor):
    key, _ = full
    person, other = make_visitor(), make_visitor(first_name="Другой")
    waitlist.join(engine, person, key, visitor_actor(person), now)
    waitlist.join(engine, other, key, visitor_actor(other), now)
    with engine.connect() as conn:
        mine = waitlist.entries_of_visitor(conn, person, now)[0].entry_id

    with pytest.raises(NotAllowed):
        waitlist.leave(engine, mine, visitor_actor(other), now)
    waitlist.leave(engine, mine, visitor_actor(person), now)

    assert line(engine, key) == [other]
    assert answer(lambda: waitlist.leave(engine, mine, visitor_actor(person), now)) == "waitlist_not_waiting"


# --- properties ----------------------------------------------------------------------------

PEOPLE = 6
operations = st.lists(
    st.tuples(st.sampled_from(("book", "join", "cancel", "raise")), st.integers(0, PEOPLE - 1)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capacity=st.integers(1, 3), steps=operations)
def test_whatever_happens_a_free_place_never_waits_beside_a_line_and_the_line_is_served_in_order(
    engine, now, make_event, make_visitor, visitor_actor, admin, capacity, steps
):
    """After any sequence of bookings, joins, cancels and capacity rises: the session holds at
    most its capacity; while anybody waits, it is full; and the people booked from the line are
    always those who joined first (each person joins at most once here)."""
    event = make_event(capacity=10, services=[dict(capacity=capacity)])
    key = key_of(event)
    people = [make_visitor(first_name="Участник") for _ in range(PEOPLE)]
    session_capacity = capacity
    joined: list[int] = []  # join order of those put in line
    for operation, index in steps:
        person = people[index]
        if operation == "book":
            answer(lambda: book(engine, person, [key], visitor_actor(person), now))
        elif operation == "join" and person not in joined:
            if answer(lambda: waitlist.join(engine, person, key, visitor_actor(person), now)) == "done":
                joined.append(person)
        elif operation == "cancel" and person in active(engine, key):
            cancel(engine, booking_of(engine, key, person), visitor_actor(person), now)
        elif operation == "raise":
            with engine.connect() as conn:
                session = get_session(conn, load_events(conn), key.event_service_id, key.date, now.date())
            session_capacity = min(10, session_capacity + 1)
            edit_session(engine, session, session.start_time, session.end_time, session_capacity, admin, now)

        holding, waiting = active(engine, key), line(engine, key)
        assert len(holding) <= session_capacity
        assert not waiting or len(holding) == session_capacity
        # first come, first served: whoever still waits joined after everybody served
        assert waiting == joined[len(joined) - len(waiting):]


# --- races ----------------------------------------------------------------------------------


def race(calls) -> Counter:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = answer(calls[index])
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            outcomes[index] = repr(exc)[:160]

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return Counter(outcomes)


@pytest.fixture
def engines(engine):
    other = make_engine(engine.url.render_as_string(hide_password=False))
    yield [engine, other]
    other.dispose()


def test_cancels_and_bookers_at_once_serve_the_line_first_and_never_overbook(
    engine, engines, now, make_event, make_visitor, visitor_actor, admin
):
    """Five holders cancel while eight strangers try to book the same session and the line of
    eight waits: every freed place goes to the line, in its order; no stranger gets one."""
    for round_number in range(3):
        event = make_event(capacity=50, services=[dict(capacity=5)])
        key = key_of(event)
        holders = [make_visitor(first_name="Занял") for _ in range(5)]
        for person in holders:
            book(engine, person, [key], admin, now)
        waiting = [make_visitor(first_name="Ждущий") for _ in range(8)]
        for person in waiting:
            waitlist.join(engine, person, key, visitor_actor(person), now)
        strangers = [make_visitor(first_name="Пришлый") for _ in range(8)]
        bookings = {person: booking_of(engine, key, person) for person in holders}

        cancels = [lambda p=p, n=n: cancel(engines[n % 2], bookings[p], visitor_actor(p), now) for n, p in enumerate(holders)]
        bookers = [lambda p=p, n=n: book(engines[n % 2], p, [key], visitor_actor(p), now) for n, p in enumerate(strangers)]
        outcomes = race(cancels + bookers)

        assert outcomes == Counter({"done": 5, "session_full": 8}), f"round {round_number}"
        assert active(engine, key) == set(waiting[:5])
        assert line(engine, key) == waiting[5:]
    assert invariant_violations(engine) == {}
