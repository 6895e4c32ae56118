"""Backups: a consistent single-file snapshot, kept 7 daily + 3 weekly, restorable with one command.

DuckDB: the running app holds the file's lock, so the snapshot is taken inside the app process
with ATTACH + COPY FROM DATABASE (copying the file itself would miss what is still in the WAL).
PostgreSQL: pg_dump -Fc, the password passed in PGPASSWORD (a command line is visible to every
user of the server in `ps`). The daily backup runs under a lock, so of several instances sharing
one database only one takes it. The oldest kept copy is at most 28 days old, inside the 30-day
erasure deadline of 152-ФЗ: erased personal data leaves the backups within a month.

Restoring replaces the database, so it refuses while anything uses it (a running app would go
on writing into a database that is no longer there, or lose the bookings made since the copy)
and keeps the replaced database first: a mistaken restore can itself be undone.
"""

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core import audit
from core.actors import Actor
from core.config import PROJECT_ROOT, settings
from core.db import BACKUP_LOCK, START_UP_LOCK, database_url, duckdb_file_of, duckdb_path, is_duckdb
from core.errors import DomainError

DAILY_KEPT = 7
WEEKLY_KEPT = 3
OLDEST_DAYS = 28
STALE_AFTER = timedelta(hours=26)
_NAME = re.compile(r"^backup-(\d{4}-\d{2}-\d{2})-(\d{6})\.(duckdb|dump)$")
# what a restore keeps of the database it replaced (see restore)
_KEPT_BY_RESTORE = re.compile(r"before-restore-(\d{4}-\d{2}-\d{2})-\d{6}(\.dump)?$")


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
    stamp = _stamp(now)
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
        _pg_dump(engine.url, target)
    if actor is not None:
        with engine.begin() as conn:
            audit.record(conn, actor, now, "backup", "database", target.name)
    return Backup(target, now.replace(microsecond=0))


def backup_folder(url: str | None = None) -> Path:
    """BACKUP_DIR, or a backups/ folder beside the DuckDB file (data/backups for PostgreSQL)."""
    configured = settings().backup_dir
    if configured is not None:
        return configured
    path = duckdb_file_of(url or database_url())
    return path.parent / "backups" if path is not None else PROJECT_ROOT / "data" / "backups"


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%d-%H%M%S")


def _pg_dump(url: sa.engine.URL | str, target: Path) -> None:
    libpq_url, env = libpq_target(url)
    subprocess.run(["pg_dump", "-Fc", "-f", str(target), libpq_url], check=True, env=env)


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
    database_file = duckdb_path(engine)
    prune_kept_by_restore([folder] + ([database_file.parent] if database_file else []), now.date())
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


def prune_kept_by_restore(folders: list[Path], today: date) -> list[Path]:
    """Delete what restores kept of replaced databases once older than OLDEST_DAYS: they hold
    personal data like any backup, and 152-ФЗ gives 30 days to erase it."""
    removed = []
    for folder in folders:
        for path in folder.glob("*before-restore-*"):
            match = _KEPT_BY_RESTORE.search(path.name)
            if match and (today - date.fromisoformat(match[1])).days > OLDEST_DAYS:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def daily_backup_due(folder: Path, now: datetime) -> bool:
    newest = list_backups(folder)
    return not newest or newest[0].day < now.date()


def is_stale(folder: Path, now: datetime) -> bool:
    """True when the newest backup is older than 26 hours (admins see a warning)."""
    newest = list_backups(folder)
    return not newest or now - newest[0].taken_at > STALE_AFTER


# --- restore -----------------------------------------------------------------------------

RESTORE_MESSAGES: dict[str, str] = {
    "database_in_use": (
        "База данных сейчас используется ({who}): остановите приложение\n"
        "(sudo systemctl stop 'zapis@*' или Ctrl+C там, где идёт make run) и повторите.\n"
        "Ничего не изменено."
    ),
    "confirmation_needed": (
        "Восстановление заменит базу, а подтвердить это здесь нечем (нет терминала).\n"
        "Добавьте YES=1: make restore BACKUP=… YES=1. Ничего не изменено."
    ),
    "not_confirmed": "Восстановление отменено: ответ не «да». Ничего не изменено.",
    "backup_unreadable": "Файл {name} не открывается как база DuckDB. Ничего не изменено.",
    "keep_failed": "Не удалось сохранить прежнюю базу (pg_dump: код {code}), восстановление не начато. Ничего не изменено.",
    "restore_failed": "Восстановление не удалось (pg_restore: код {code}). Прежняя база сохранена: {kept}",
}


class RestoreRefused(DomainError):
    """Restore did not go ahead (or failed); `message` tells the admin, in Russian, why and what to do."""

    # the wording is the command line's, for the admin at the server, not the app's: a table of its own
    @property
    def message(self) -> str:
        return RESTORE_MESSAGES[self.code].format(**self.params)


@contextmanager
def sole_user(url: str) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """Hold the database against every other user for the block; RestoreRefused("database_in_use") if it has one.

    DuckDB: the file's lock, which a running app holds; yields the connection that holds it
    (None for a file not made yet). Only from a process of its own: within one process DuckDB
    shares the open database instead of refusing. PostgreSQL: no other client session on the
    database, and the start-up lock held, so an instance starting meanwhile waits in migrate()
    for the restored database; yields None.
    """
    path = duckdb_file_of(url)
    with _sole_duckdb_user(path) if path is not None else _sole_postgres_user(url) as conn:
        yield conn


@contextmanager
def _sole_duckdb_user(path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    if not path.exists():
        yield None
        return
    try:
        conn = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "Could not set lock" not in str(exc):
            raise
        holder = re.search(r"\(PID (\d+)\)", str(exc))
        who = f"файл базы открыт процессом {holder[1]}" if holder else "файл базы открыт другим процессом"
        raise RestoreRefused("database_in_use", who=who) from exc
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def _sole_postgres_user(url: str) -> Iterator[None]:
    # NullPool: the session ends when the block does, and with it the advisory lock
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": START_UP_LOCK}).scalar():
                raise RestoreRefused("database_in_use", who="приложение сейчас запускается")
            others = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                # another role's session shows us no backend_type: counted, to be safe
                " AND coalesce(backend_type, 'client backend') = 'client backend'"
            )).scalar()
            if others:
                raise RestoreRefused("database_in_use", who=f"подключений к базе: {others}")
            yield None
    finally:
        engine.dispose()


def restore(backup_path: Path, url: str, keep_in: Path, now: datetime) -> Path | None:
    """Put a backup in place of the database, keeping the replaced one; returns where that copy is.

    Refuses (RestoreRefused, nothing changed) while anything else uses the database, see
    `sole_user`. DuckDB keeps the old file beside itself, `<name>.before-restore-<stamp>`,
    with what its WAL held (None when there was no file); PostgreSQL keeps a pg_dump,
    `keep_in/before-restore-<stamp>.dump`. Either can be restored back the same way.
    """
    path = duckdb_file_of(url)
    if path is not None:
        return _restore_duckdb(backup_path, path, now)
    kept = keep_in / f"before-restore-{_stamp(now)}.dump"
    with sole_user(url):
        keep_in.mkdir(parents=True, exist_ok=True)
        try:
            _pg_dump(url, kept)
        except subprocess.CalledProcessError as exc:
            kept.unlink(missing_ok=True)
            raise RestoreRefused("keep_failed", code=exc.returncode) from exc
        libpq_url, env = libpq_target(url)
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", libpq_url, str(backup_path)], env=env)
    if done.returncode:
        raise RestoreRefused("restore_failed", code=done.returncode, kept=kept)
    return kept


def _restore_duckdb(backup_path: Path, target: Path, now: datetime) -> Path | None:
    wal = Path(f"{target}.wal")
    with _sole_duckdb_user(target) as conn:
        partial = target.with_name(f"{target.name}.restoring")
        shutil.copyfile(backup_path, partial)
        try:
            duckdb.connect(str(partial), read_only=True).close()
        except duckdb.Error as exc:
            partial.unlink()
            raise RestoreRefused("backup_unreadable", name=backup_path.name) from exc
        kept = None
        if conn is not None:
            # what only the WAL holds (the last bookings before a crash) goes into the file first
            conn.execute("CHECKPOINT")
            kept = target.with_name(f"{target.name}.before-restore-{_stamp(now)}")
            shutil.copy2(target, kept)
            shutil.copymode(target, partial)
        # a WAL left beside the file would be replayed onto the restored one
        wal.unlink(missing_ok=True)
        # the name always points at a whole database: one a starting app opens is never half-copied
        os.replace(partial, target)
    return kept
