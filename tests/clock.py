"""The suite's clock: every test runs at one instant the run chooses, never the wall clock's.

`TEST_NOW` (the charity's local time, ISO, e.g. `2026-12-31T23:59:30`) picks the instant;
without it the suite runs at `DEFAULT_NOW`. The wall clock of the test process is frozen
there with time-machine for the whole run, so the app's own reads of the clock (ui.clock,
through core.config.local_now) and the demo data built relative to "today" agree with the
`now` fixture. Monotonic clocks still run: timeouts and hypothesis deadlines keep working.

Subprocesses (the browser tests' app server, crash workers) start through `python -m
tests.clock MODULE ARGS...`, which does the same with a ticking clock: a real server needs
time to pass; with TEST_CLOCK_SHIFT_FILE it also jumps ahead when the test says so.
"""

import os
import runpy
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from core.config import DEFAULT_TIMEZONE

INSTANT_VARIABLE = "TEST_NOW"
# A Tuesday morning, before the 10:00 services of the default event start.
DEFAULT_NOW = datetime(2026, 3, 10, 9, 0)


def suite_now() -> datetime:
    """The run's instant, in the charity's local time (naive, like every datetime the app stores)."""
    given = os.environ.get(INSTANT_VARIABLE)
    return datetime.fromisoformat(given) if given else DEFAULT_NOW


def travel(tick: bool) -> time_machine.travel:
    return time_machine.travel(suite_now().replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE)), tick=tick)


_frozen = None


def pytest_configure(config):
    global _frozen
    _frozen = travel(tick=False)
    _frozen.start()


def pytest_unconfigure(config):
    if _frozen is not None:
        _frozen.stop()


def pytest_report_header(config):
    return f"clock: {suite_now():%d.%m.%Y %H:%M:%S} ({DEFAULT_TIMEZONE}), frozen"


SHIFT_FILE_VARIABLE = "TEST_CLOCK_SHIFT_FILE"


def _follow_shift_file(clock: time_machine.Traveller, path: Path) -> None:
    """Move the clock on as the test writes seconds into `path` (a test's way to let half an
    hour pass in a server it started, without waiting)."""
    applied = 0.0
    while True:
        try:
            wanted = float(path.read_text() or 0)
        except (OSError, ValueError):
            wanted = applied
        if wanted != applied:
            clock.shift(timedelta(seconds=wanted - applied))
            applied = wanted
        time.sleep(0.1)


if __name__ == "__main__":
    import tests.hashing  # noqa: F401 - the suite's cheap argon2, in the servers it starts too

    module, sys.argv = sys.argv[1], sys.argv[1:]
    clock = travel(tick=True).start()
    if os.environ.get(SHIFT_FILE_VARIABLE):
        threading.Thread(target=_follow_shift_file, args=(clock, Path(os.environ[SHIFT_FILE_VARIABLE])), daemon=True).start()
    runpy.run_module(module, run_name="__main__", alter_sys=True)
