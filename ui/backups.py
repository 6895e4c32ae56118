"""The daily backup, taken inside the app process (it holds the DuckDB file's lock).

Every instance runs the thread; core.backup.take_daily_backup lets only one of them take the copy.
"""

import logging
import os
import threading
import time
from pathlib import Path

import streamlit as st

from core.backup import take_daily_backup
from core.db import PROJECT_ROOT, database_url
from ui.clock import now
from ui.db import get_engine

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 1800


def backup_folder() -> Path:
    """BACKUP_DIR, or a backups/ folder beside the DuckDB file (data/backups for PostgreSQL)."""
    configured = os.environ.get("BACKUP_DIR")
    if configured:
        return Path(configured)
    url = database_url()
    if url.startswith("duckdb:///"):
        return Path(url.removeprefix("duckdb:///")).parent / "backups"
    return PROJECT_ROOT / "data" / "backups"


def _loop() -> None:
    while True:
        try:
            backup = take_daily_backup(get_engine(), backup_folder(), now())
            if backup is not None:
                log.info("daily backup written: %s", backup.path.name)
        except Exception:  # a failed backup must never take the app down; the admin sees it as stale
            log.exception("daily backup failed")
        time.sleep(CHECK_EVERY_SECONDS)


@st.cache_resource(show_spinner=False)
def start_daily_backups() -> threading.Thread | None:
    """One background thread per server process, unless DAILY_BACKUPS=off (an external job does it)."""
    if os.environ.get("DAILY_BACKUPS", "on") == "off":
        return None
    thread = threading.Thread(target=_loop, name="daily-backup", daemon=True)
    thread.start()
    return thread
