"""Bookings applied together (core.booking.book_together and the DuckDB booking queue).

Batching is only allowed to change the cost, never an answer: the property test books the same
requests one by one on one event and in batches on its twin, and compares every answer and
every row the two leave behind.
"""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.booking
import core.booking_queue
from core.booking import BookingRequest, book, book_together
from core.errors import BookingRefused, DomainError
from tests.backend import on_postgres
from tests.conftest import key_of

EVENT_CAPACITY, SESSION_CAPACITIES, PEOPLE = 3, (2, 2), 5
# days after today: two inside the 7-day window, one beyond it (a volunteer is refused there
# only after the lock rows of that untouched day were written)
DAYS = (1, 2, 9)

requests_strategy = st.lists(
    st.tuples(
        st.integers(0, PEOPLE - 1),
        st.sets(st.integers(0, len(SESSION_CAPACITIES) - 1), min_size=1),
        st.sampled_from(DAYS),
        st.booleans(),  # by an admin (no window) or by a volunteer
    ),
    min_size=1,
    max_size=14,
)


def answer(call) -> str:
    try:
        call()
    except DomainError as refusal:
        return refusal.code
    return "booked"


def rows_of(engine, event) -> dict[str, set]:
    """What an event's bookings left in the tables, in terms both twins share."""
    first = event.first_date
    service_index = {es.id: n for n, es in enumerate(event.services)}
    of_booking = "FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE s.event_id = :event"
    with engine.connect() as conn:
        def rows(sql: str) -> list:
            return conn.execute(sa.text(sql), {"event": event.id}).all()

        booked = rows(f"SELECT b.visitor_id, s.event_service_id, s.date {of_booking}")
        session_rows = rows("SELECT event_service_id, date FROM sessions WHERE event_id = :event")
        occurrence_rows = rows("SELECT date FROM occurrences WHERE event_id = :event")
        (history,) = rows(f"SELECT count(*) FROM status_history h WHERE h.booking_id IN (SELECT b.id {of_booking})")[0]
    return {
        "bookings": {(person, service_index[es], (day - first).days) for person, es, day in booked},
        "sessions": {(service_index[es], (day - first).days) for es, day in session_rows},
        "occurrences": {(day - first).days for (day,) in occurrence_rows},
        "history": history,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wishes=requests_strategy, cuts=st.lists(st.integers(1, 5), min_size=1, max_size=14))
def test_requests_booked_together_get_the_answers_they_would_get_one_by_one(
    wishes, cuts, engine, now, make_event, make_visitor, volunteer_actor, admin, assert_invariants
):
    def twin():
        return make_event(capacity=EVENT_CAPACITY, services=[dict(capacity=c) for c in SESSION_CAPACITIES], freq="daily",
                          first_date=now.date())

    alone, together = twin(), twin()
    people = [make_visitor() for _ in range(PEOPLE)]

    def request_for(event, person, chosen, day, by_admin) -> BookingRequest:
        keys = tuple(key_of(event, now.date() + timedelta(days=day), service=s) for s in sorted(chosen))
        return BookingRequest(people[person], keys, admin if by_admin else volunteer_actor, now)

    one_by_one = [
        answer(lambda r=request_for(alone, *wish): book(engine, r.visitor_id, list(r.keys), r.actor, now)) for wish in wishes
    ]
    batched, start = [], 0
    for size in cuts + [len(wishes)]:
        batch = [request_for(together, *wish) for wish in wishes[start : start + size]]
        if batch:
            with engine.begin() as conn:
                outcomes = book_together(conn, batch)
            batched += [outcome.code if isinstance(outcome, BookingRefused) else "booked" for outcome in outcomes]
        start += size
        if start >= len(wishes):
            break

    assert batched == one_by_one
    assert rows_of(engine, together) == rows_of(engine, alone)
    assert_invariants(engine)


def test_a_batch_returns_each_request_its_own_booking_ids(engine, now, make_event, make_visitor, admin):
    event = make_event(capacity=5, services=[dict(capacity=5), dict(capacity=5)])
    anna, boris = make_visitor(), make_visitor(first_name="Борис")
    requests = [
        BookingRequest(anna, (key_of(event, service=1), key_of(event, service=0)), admin, now),
        BookingRequest(boris, (key_of(event, service=0),), admin, now),
    ]
    with engine.begin() as conn:
        anna_ids, boris_ids = book_together(conn, requests)
    with engine.connect() as conn:
        booked = {
            row.id: (row.visitor_id, row.event_service_id)
            for row in conn.execute(sa.text("SELECT b.id, b.visitor_id, s.event_service_id FROM bookings b JOIN sessions s ON s.id = b.session_id"))
        }
    assert [booked[i] for i in anna_ids] == [(anna, event.services[1].id), (anna, event.services[0].id)]
    assert [booked[i] for i in boris_ids] == [(boris, event.services[0].id)]


# --- the DuckDB booking queue -----------------------------------------------------------

duckdb_only = pytest.mark.skipif(on_postgres(), reason="the booking queue serves DuckDB; PostgreSQL books a transaction each")


class HeldQueue:
    """Holds the first batch of the booking queue open until released, so the bookers who
    arrive meanwhile are sure to wait together; counts the batches and their sizes."""

    def __init__(self, monkeypatch) -> None:
        self.inside, self.released = threading.Event(), threading.Event()
        self.batches: list[int] = []
        original = core.booking._book_in_transaction

        def held(engine, requests):
            self.batches.append(len(requests))
            if len(self.batches) == 1:
                self.inside.set()
                assert self.released.wait(30)
            return original(engine, requests)

        monkeypatch.setattr(core.booking, "_book_in_transaction", held)


def book_at_once(engine, queue: HeldQueue, calls) -> list[str]:
    """Run the first call until it holds the queue, then the others; every call's answer."""
    answers: list[str | None] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            answers[index] = answer(calls[index])
        except BaseException as exc:  # noqa: BLE001 - a failure is an answer these tests look at
            answers[index] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    threads[0].start()
    assert queue.inside.wait(30)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 30
    while len(core.booking_queue.queue_of(engine)._waiting) < len(calls) - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.released.set()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@duckdb_only
def test_people_booking_at_once_share_one_transaction_in_the_order_they_came(
    engine, now, make_event, make_visitor, admin, monkeypatch, assert_invariants
):
    event = make_event(capacity=20, services=[dict(capacity=6)])
    people = [make_visitor() for _ in range(10)]
    queue = HeldQueue(monkeypatch)
    calls = [lambda p=p: book(engine, p, [key_of(event)], admin, now) for p in people]

    answers = book_at_once(engine, queue, calls)

    assert queue.batches == [1, 9]
    assert answers.count("booked") == 6 and answers.count("session_full") == 4
    assert answers[0] == "booked"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM bookings")).scalar() == 6
    assert_invariants(engine)


@duckdb_only
def test_a_request_that_fails_its_batch_fails_alone(engine, now, make_event, make_visitor, admin, monkeypatch):
    event = make_event(capacity=20, services=[dict(capacity=20)])
    people = [make_visitor() for _ in range(6)]
    poisoned = people[3]
    original = core.booking.book_together

    def failing_for_one(conn, requests):
        if any(request.visitor_id == poisoned for request in requests):
            raise RuntimeError("the database broke on this one")
        return original(conn, requests)

    monkeypatch.setattr(core.booking, "book_together", failing_for_one)
    queue = HeldQueue(monkeypatch)
    calls = [lambda p=p: book(engine, p, [key_of(event)], admin, now) for p in people]

    answers = book_at_once(engine, queue, calls)

    assert answers == ["booked", "booked", "booked", "RuntimeError", "booked", "booked"]
    with engine.connect() as conn:
        booked = {row[0] for row in conn.execute(sa.text("SELECT visitor_id FROM bookings"))}
    assert booked == set(people) - {poisoned}


class Interrupted(BaseException):
    """What stops a thread that is not an error of the booking (a server shutting down)."""


@duckdb_only
def test_a_leader_interrupted_mid_batch_leaves_nobody_waiting(engine, now, make_event, make_visitor, admin, monkeypatch):
    event = make_event(capacity=20, services=[dict(capacity=20)])
    people = [make_visitor() for _ in range(5)]
    queue = HeldQueue(monkeypatch)
    held = core.booking._book_in_transaction

    def interrupted_after_the_first(engine, requests):
        if queue.batches:
            raise Interrupted()
        return held(engine, requests)

    monkeypatch.setattr(core.booking, "_book_in_transaction", interrupted_after_the_first)
    calls = [lambda p=p: book(engine, p, [key_of(event)], admin, now) for p in people]

    answers = book_at_once(engine, queue, calls)

    # the thread that led the second batch is stopped; the others get an answer, not a hang
    assert answers[0] == "booked"
    assert sorted(answers[1:]) == ["Interrupted", "busy_try_again", "busy_try_again", "busy_try_again"]
