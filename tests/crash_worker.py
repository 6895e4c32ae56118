"""A booking process for the crash test: books people one by one and prints each acknowledged id.

Run as `python -m tests.crash_worker URL EVENT_SERVICE_ID YYYY-MM-DD FIRST_VISITOR LAST_VISITOR`.
An id is printed (and flushed) only after `book` returned, i.e. after the commit.
"""

import sys
from datetime import date, datetime

from core.actors import Actor
from core.booking import SessionKey, book
from core.db import make_engine
from core.errors import DomainError


def main() -> None:
    url, event_service_id, day, first, last = sys.argv[1:6]
    engine = make_engine(url)
    key = SessionKey(int(event_service_id), date.fromisoformat(day))
    admin = Actor("staff", 1, "admin", "admin")
    now = datetime.combine(date.fromisoformat(day), datetime.min.time())
    for visitor_id in range(int(first), int(last) + 1):
        try:
            ids = book(engine, visitor_id, [key], admin, now)
        except DomainError:
            continue
        print(*ids, flush=True)


if __name__ == "__main__":
    main()
