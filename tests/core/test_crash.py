"""Crash safety: SIGKILL in the middle of a booking load loses nothing that was acknowledged."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.stress import invariant_breaches, missing_acknowledged

ROOT = Path(__file__).resolve().parents[2]


def test_a_killed_booking_process_loses_no_acknowledged_booking(engine, make_event, make_visitor, now):
    event = make_event(capacity=500, services=[dict(capacity=500)])
    people = [make_visitor() for _ in range(400)]
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # DuckDB: the worker must be the only process holding the file
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_worker", url, str(event.services[0].id), event.first_date.isoformat(),
         str(people[0]), str(people[-1])],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True,
    )
    acknowledged: set[int] = set()
    for line in worker.stdout:
        acknowledged.update(int(x) for x in line.split())
        if len(acknowledged) >= 60:
            os.kill(worker.pid, signal.SIGKILL)
            break
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    # "restart": a new process opens the database after the crash (DuckDB replays its WAL)
    from core.db import make_engine

    reopened = make_engine(url)
    assert missing_acknowledged(reopened, acknowledged, set()) == set()
    assert invariant_breaches(reopened) == []
    reopened.dispose()
