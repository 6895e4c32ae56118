"""A booking and cancelling storm against a few nearly full sessions: reused by the test and the bench."""

import random
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from core.actors import Actor
from core.booking import SessionKey, book
from core.booking_changes import cancel
from core.db import retried_conflicts
from core.errors import DomainError
from core.schema import bookings

ADMIN = Actor("staff", 1, "admin", "admin")


@dataclass
class StormResult:
    attempts: int
    seconds: float
    acknowledged: set[int]
    cancelled: set[int]
    refusals: int
    busy: int
    conflicts: int
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.attempts / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def storm(engine, keys: list[SessionKey], people: list[int], threads: int, attempts: int, now, seed: int = 7) -> StormResult:
    """`threads` workers make `attempts` random book/cancel calls in total."""
    rng = random.Random(seed)
    plan = [(rng.random() < 0.7, rng.choice(people), rng.sample(keys, rng.choice([1, 1, 2]))) for _ in range(attempts)]
    acknowledged, cancelled, latencies = set(), set(), []
    counters = {"refusals": 0, "busy": 0}
    lock = threading.Lock()
    conflicts_before = retried_conflicts.value
    barrier = threading.Barrier(threads)

    def worker(chunk):
        barrier.wait()
        for wants_booking, person, chosen in chunk:
            started = time.perf_counter()
            try:
                if wants_booking:
                    ids = book(engine, person, sorted(chosen, key=lambda k: k.event_service_id), ADMIN, now)
                    with lock:
                        acknowledged.update(ids)
                else:
                    with lock:
                        mine = sorted(acknowledged - cancelled)
                    if not mine:
                        continue
                    target = rng.choice(mine)
                    cancel(engine, target, ADMIN, now)
                    with lock:
                        cancelled.add(target)
            except DomainError as refusal:
                with lock:
                    counters["busy" if refusal.code == "busy_try_again" else "refusals"] += 1
            finally:
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=worker, args=(plan[n::threads],)) for n in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return StormResult(attempts, time.perf_counter() - started, acknowledged, cancelled, counters["refusals"],
                       counters["busy"], retried_conflicts.value - conflicts_before, latencies)


def invariant_breaches(engine) -> list[str]:
    """Every §3.3 invariant checked with SQL over the whole database."""
    checks = {
        "session above capacity": """
            SELECT s.id FROM sessions s JOIN event_services es ON es.id = s.event_service_id
            JOIN bookings b ON b.session_id = s.id AND b.status <> 'cancelled'
            GROUP BY s.id, s.capacity, es.capacity HAVING count(*) > coalesce(s.capacity, es.capacity)""",
        "event day above capacity": """
            SELECT s.event_id, s.date FROM sessions s JOIN events e ON e.id = s.event_id
            JOIN bookings b ON b.session_id = s.id AND b.status <> 'cancelled'
            LEFT JOIN occurrences o ON o.event_id = s.event_id AND o.date = s.date
            GROUP BY s.event_id, s.date, e.capacity, o.capacity
            HAVING count(DISTINCT b.visitor_id) > coalesce(o.capacity, e.capacity)""",
        "duplicate active booking": """
            SELECT session_id, visitor_id FROM bookings WHERE status <> 'cancelled'
            GROUP BY session_id, visitor_id HAVING count(*) > 1""",
    }
    breaches = []
    with engine.connect() as conn:
        for name, query in checks.items():
            if conn.execute(sa.text(query)).first():
                breaches.append(name)
    return breaches


def missing_acknowledged(engine, acknowledged: set[int], cancelled: set[int]) -> set[int]:
    """Acknowledged bookings that are not stored with the state the caller was told."""
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(bookings.c.id, bookings.c.status)).all())
    missing = {b for b in acknowledged if b not in rows}
    wrong = {b for b in cancelled if rows.get(b) != "cancelled"}
    return missing | wrong
