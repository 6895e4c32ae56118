"""Concurrency stress: 32 threads (and on PostgreSQL also 4 processes) book and cancel 600 times.

Two rounds, one per event day: enough for every thread to meet full sessions, a full day and
cancels that free places mid-storm. The 2,000-attempt storm with its figures is `make bench`'s
(bench/results.md), where its cost belongs."""

import multiprocessing
import os

import pytest

from core.booking import SessionKey
from tests.backend import on_postgres
from tests.conftest import NOW
from tests.stress import invariant_breaches, missing_acknowledged, storm

ROUNDS = 2
ATTEMPTS_PER_ROUND = 300


@pytest.fixture
def crowded(make_event, make_visitor):
    """Two event days, each 3 services of 5 places under an event capacity of 8; 40 people."""
    keys = []
    for _ in range(2):
        event = make_event(capacity=8, services=[dict(capacity=5), dict(capacity=5), dict(capacity=5)])
        keys.append([SessionKey(es.id, event.first_date) for es in event.services])
    return keys, [make_visitor() for _ in range(40)]


def test_32_threads_never_break_an_invariant_nor_lose_an_acknowledged_booking(engine, crowded, now):
    keys_by_day, people = crowded
    for round_number in range(ROUNDS):
        keys = keys_by_day[round_number % 2]
        result = storm(engine, keys, people, threads=32, attempts=ATTEMPTS_PER_ROUND, now=now, seed=round_number)
        assert invariant_breaches(engine) == []
        assert missing_acknowledged(engine, result.acknowledged, result.cancelled) == set()
        assert result.busy == 0
        assert result.acknowledged, "the storm booked nothing: the test would prove nothing"


def _process_storm(url: str, keys, people, seed: int, queue) -> None:
    from core.db import make_engine

    engine = make_engine(url)
    result = storm(engine, keys, people, threads=8, attempts=ATTEMPTS_PER_ROUND // 4, now=NOW, seed=seed)
    queue.put((sorted(result.acknowledged), sorted(result.cancelled), result.busy))
    engine.dispose()


@pytest.mark.skipif(not on_postgres(), reason="several writing processes need PostgreSQL (DuckDB allows one)")
def test_4_processes_on_postgresql_keep_every_invariant(engine, crowded):
    keys_by_day, people = crowded
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_process_storm, args=(url, keys_by_day[n % 2], people, n, queue)) for n in range(4)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    acknowledged = {b for ack, _, _ in results for b in ack}
    cancelled = {b for _, can, _ in results for b in can}
    assert invariant_breaches(engine) == []
    assert missing_acknowledged(engine, acknowledged, cancelled) == set()
    assert sum(busy for _, _, busy in results) == 0
    assert os.environ.get("TEST_BACKEND") == "postgresql"
