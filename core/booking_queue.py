"""Bookings that arrive together on a DuckDB database are applied together.

One process writes a DuckDB file, and every statement costs DuckDB about half a millisecond
whatever it carries. So people booking at the same moment are served by one transaction that
books them all, in the order they came, instead of a transaction each: whoever gets the turn
books everybody waiting, and the others find their answer ready (`make bench` has the
figures). A lone booker is a batch of one.
"""

import threading
import weakref
from collections.abc import Callable

from sqlalchemy.engine import Engine

from core.errors import DomainError


class _Ticket:
    __slots__ = ("request", "outcome")

    def __init__(self, request) -> None:
        self.request = request
        self.outcome = None


class BatchQueue:
    """The requests of one database; `apply_batch(requests)` answers a whole batch in one
    transaction, an outcome per request, in order."""

    MAX_BATCH = 64

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._leading = False

    def submit(self, request, apply_batch: Callable[[list], list]):
        """The request's outcome, or the exception its batch raised for it."""
        ticket = _Ticket(request)
        with self._changed:
            self._waiting.append(ticket)
        while True:
            # the others wait on a condition, not on the leader's lock: they learn their answer
            # as soon as their batch commits, and are back with the next request in time to
            # join the batch after (waiting for the lock made every batch one or two long)
            with self._changed:
                while ticket.outcome is None and self._leading:
                    self._changed.wait()
                if ticket.outcome is not None:
                    return ticket.outcome
                self._leading = True
                batch, self._waiting = self._waiting[: self.MAX_BATCH], self._waiting[self.MAX_BATCH :]
            try:
                self._apply(batch, apply_batch)
            finally:
                # even if the leader is interrupted, nobody of its batch may wait for ever
                for waiting in batch:
                    if waiting.outcome is None:
                        waiting.outcome = DomainError("busy_try_again")
                with self._changed:
                    self._leading = False
                    self._changed.notify_all()

    def _apply(self, batch: list[_Ticket], apply_batch: Callable[[list], list]) -> None:
        try:
            outcomes = apply_batch([ticket.request for ticket in batch])
        except Exception as exc:  # noqa: BLE001 - handed to the request's own thread, see below
            if len(batch) == 1:
                batch[0].outcome = exc
                return
            # one request's failure must not become everybody's: apply them one at a time
            for ticket in batch:
                self._apply([ticket], apply_batch)
            return
        for ticket, outcome in zip(batch, outcomes, strict=True):
            ticket.outcome = outcome


_QUEUES: weakref.WeakKeyDictionary[Engine, BatchQueue] = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


def queue_of(engine: Engine) -> BatchQueue:
    with _QUEUES_LOCK:
        return _QUEUES.setdefault(engine, BatchQueue())
