"""Backups: a consistent single-file snapshot, kept 7 daily + 3 weekly, restorable with one command.

DuckDB: the running app holds the file's lock, so the snapshot is taken inside the app process
with ATTACH + COPY FROM DATABASE (copying the file itself would miss what is still in the WAL).
PostgreSQL: pg_dump -Fc, the password passed in PGPASSWORD (a command line is visible to every
user of the server in `ps`). The daily backup runs under a lock, so of several instances sharing
one database only one takes it. The oldest kept copy is at most 28 days old, inside the 30-day
erasure deadline of 152-ФЗ: erased personal data leaves the backups within a month.
"""

import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core import audit
from core.actors import Actor
from core.db import BACKUP_LOCK, is_duckdb

DAILY_KEPT = 7
WEEKLY_KEPT = 3
OLDEST_DAYS = 28
STALE_AFTER = timedelta(hours=26)
_NAME = re.compile(r"^backup-(\d{4}-\d{2}-\d{2})-(\d{6})\.(duckdb|dump)$")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime

    @property
    def day(self) -> date:
        return self.taken_at.date()


def list_backups(folder: Path) -> list[Backup]:
    """Backups in `folder`, newest first."""
    found = []
    for path in folder.glob("backup-*"):
        match = _NAME.match(path.name)
        if match:
            found.append(Backup(path, datetime.strptime(f"{match[1]} {match[2]}", "%Y-%m-%d %H%M%S")))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def take_backup(engine: Engine, folder: Path, now: datetime, actor: Actor | None = None) -> Backup:
    """Write a consistent snapshot of the whole database into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y-%m-%d-%H%M%S")
    if is_duckdb(engine):
        target = folder / f"backup-{stamp}.duckdb"
        partial = target.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with engine.connect() as conn:
            source = conn.execute(sa.text("SELECT current_database()")).scalar()
            conn.execute(sa.text(f"ATTACH '{partial}' AS backup_target"))
            try:
                conn.execute(sa.text(f'COPY FROM DATABASE "{source}" TO backup_target'))
            finally:
                conn.execute(sa.text("DETACH backup_target"))
            conn.commit()
        partial.rename(target)
    else:
        target = folder / f"backup-{stamp}.dump"
        url, env = libpq_target(engine.url)
        subprocess.run(["pg_dump", "-Fc", "-f", str(target), url], check=True, env=env)
    if actor is not None:
        with engine.begin() as conn:
            audit.record(conn, actor, now, "backup", "database", target.name)
    return Backup(target, now.replace(microsecond=0))


def libpq_target(url: sa.engine.URL | str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment that carries it (PGPASSWORD)."""
    url = sa.engine.make_url(url)
    password = url.password or url.query.get("password")
    # URL.set(password=None) would keep the password: build the URL without it
    safe = sa.engine.URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
        query={key: value for key, value in url.query.items() if key != "password"},
    )
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return safe.render_as_string(hide_password=False), env


# DuckDB: one process holds the file, so a lock of this process is enough
_daily_backup_running = threading.Lock()


def take_daily_backup(engine: Engine, folder: Path, now: datetime) -> Backup | None:
    """Today's backup, unless it exists or another instance is taking it; prunes after. None if skipped.

    The lock is held for the whole backup and today's copy is looked for under it, so instances
    that wake up together make one copy, whatever their timers say. PostgreSQL: a session
    advisory lock (released by the server if this process dies); DuckDB: a lock of this process.
    """
    if is_duckdb(engine):
        if not _daily_backup_running.acquire(blocking=False):
            return None
        try:
            return _backup_if_due(engine, folder, now)
        finally:
            _daily_backup_running.release()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": BACKUP_LOCK}).scalar():
            return None
        try:
            return _backup_if_due(engine, folder, now)
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": BACKUP_LOCK})


def _backup_if_due(engine: Engine, folder: Path, now: datetime) -> Backup | None:
    if not daily_backup_due(folder, now):
        return None
    taken = take_backup(engine, folder, now)
    prune(folder, now.date())
    return taken


def to_keep(backups: list[Backup], today: date) -> set[Path]:
    """7 daily (newest per day, last 7 days) + 3 weekly (newest per ISO week before them), ≤ 28 days old."""
    keep: set[Path] = set()
    newest_per_day: dict[date, Backup] = {}
    for backup in backups:
        newest_per_day.setdefault(backup.day, backup)
    daily = [b for d, b in newest_per_day.items() if (today - d).days < DAILY_KEPT]
    keep.update(b.path for b in daily)
    weeks: dict[tuple[int, int], Backup] = {}
    for day, backup in sorted(newest_per_day.items(), reverse=True):
        if (today - day).days < DAILY_KEPT or (today - day).days > OLDEST_DAYS:
            continue
        weeks.setdefault(day.isocalendar()[:2], backup)
    keep.update(b.path for b in list(weeks.values())[:WEEKLY_KEPT])
    return keep


def prune(folder: Path, today: date) -> list[Path]:
    """Delete what the retention rule does not keep; returns the deleted files."""
    backups = list_backups(folder)
    keep = to_keep(backups, today)
    removed = [b.path for b in backups if b.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def daily_backup_due(folder: Path, now: datetime) -> bool:
    newest = list_backups(folder)
    return not newest or newest[0].day < now.date()


def is_stale(folder: Path, now: datetime) -> bool:
    """True when the newest backup is older than 26 hours (admins see a warning)."""
    newest = list_backups(folder)
    return not newest or now - newest[0].taken_at > STALE_AFTER


def restore(backup_path: Path, database_url: str) -> None:
    """Put a backup in place of the database (the app must be stopped)."""
    if database_url.startswith("duckdb:///"):
        target = Path(database_url.removeprefix("duckdb:///"))
        Path(str(target) + ".wal").unlink(missing_ok=True)
        shutil.copyfile(backup_path, target)
        return
    url, env = libpq_target(database_url)
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", url, str(backup_path)], check=True, env=env)

