"""Counting tries per subject and window (core.throttle): never more than the limit in a window,
always a fresh start after it, and old counters swept away."""

import itertools
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import throttle
from core.schema import throttles

RULE = throttle.Rule("test_rule", 3, timedelta(minutes=10))
_subjects = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=15))
def test_no_window_ever_lets_more_than_the_limit_through(engine, now, gaps):
    subject = f"subject-{next(_subjects)}"
    moments = list(itertools.accumulate(gaps))
    allowed = [at for at in moments if throttle.take(engine, RULE, subject, now=now + timedelta(seconds=at))]

    window = RULE.window.total_seconds()
    # the windows the counter opened: each starts at a try that came after the previous one ended
    starts = []
    for at in moments:
        if not starts or at - starts[-1] >= window:
            starts.append(at)
    for start in starts:
        assert sum(1 for at in allowed if start <= at < start + window) <= RULE.limit
    assert set(starts) <= set(allowed)  # the first try of a fresh window always goes through


def test_a_forgiven_try_can_be_tried_again(engine, now):
    for _ in range(3):
        assert throttle.take(engine, RULE, "owner", now=now)
    throttle.forgive(engine, RULE, "owner")
    assert throttle.take(engine, RULE, "owner", now=now)
    assert not throttle.take(engine, RULE, "owner", now=now)


def test_the_daily_run_sweeps_counters_whose_window_ended_a_day_ago(engine, now):
    throttle.take(engine, RULE, "old", now=now - timedelta(days=2))
    throttle.take(engine, RULE, "recent", now=now - timedelta(hours=2))

    with engine.begin() as conn:
        assert throttle.forget_expired(conn, now) == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(throttles)).scalar() == 1
