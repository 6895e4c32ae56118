"""The daily run, inside the app process (it holds the DuckDB file's lock): the backup, an
erasure's postponed rewrite (core.storage) and expired throttle counts.

Every instance runs the thread; core.backup.take_daily_backup lets only one of them take the copy.
"""

import threading
import time

import streamlit as st

from core import storage, throttle
from core.backup import backup_folder, take_daily_backup
from core.config import settings
from core.private_logs import private_logger
from ui.clock import now
from ui.db import get_engine

log = private_logger(__name__)
CHECK_EVERY_SECONDS = 1800


def _loop() -> None:
    while True:
        try:
            storage.scrub_pending(get_engine())
            with get_engine().begin() as conn:
                throttle.forget_expired(conn, now())
            backup = take_daily_backup(get_engine(), backup_folder(), now())
            if backup is not None:
                log.info("daily backup written: %s", backup.path.name)
        except Exception:  # a failed backup must never take the app down; the admin sees it as stale
            log.exception("daily run failed")
        time.sleep(CHECK_EVERY_SECONDS)


@st.cache_resource(show_spinner=False)
def start_daily_backups() -> threading.Thread | None:
    """One background thread per server process, unless DAILY_BACKUPS=off (an external job does it)."""
    if not settings().daily_backups:
        return None
    thread = threading.Thread(target=_loop, name="daily-backup", daemon=True)
    thread.start()
    return thread
