"""A delivery process for the МКС crash test: it delivers the outbox, but stops dead between
МКС's commit and our acknowledgement, printing "inserted" there, so the test can SIGKILL it at
the worst moment.

Run as `python -m tests.mks_crash_worker DATABASE_URL MKS_URL NOW`.
"""

import sys
import time
from datetime import datetime

from core import mks, mks_outbox
from core.db import make_engine


def _hang(*_args, **_kwargs) -> None:
    print("inserted", flush=True)
    time.sleep(600)


def main() -> None:
    url, mks_url, now = sys.argv[1:4]
    mks_outbox._finish = _hang
    mks_outbox.deliver_due(make_engine(url), mks.make_mks_engine(mks_url), datetime.fromisoformat(now), 1)


if __name__ == "__main__":
    main()
