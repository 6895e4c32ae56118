"""Engine from DATABASE_URL, start-up migrations, and the retrying transaction helper."""

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Connection, Engine

from core import schema, statuses
from core.config import settings
from core.errors import DomainError
from core.validation import catalog_key

log = logging.getLogger(__name__)

T = TypeVar("T")


# Driver exception class names that mean "another transaction got there first: try again".
# DuckDB reports write-write conflicts as TransactionException; PostgreSQL as serialization
# failures or deadlocks.
_CONFLICT_ERRORS = {"TransactionException", "SerializationFailure", "DeadlockDetected"}
_DUPLICATE_ERRORS = {"ConstraintException", "UniqueViolation"}


class CachingDuckDBDialect(DuckDBDialect):
    """duckdb_engine with SQLAlchemy's compiled-statement cache switched on.

    duckdb_engine leaves the cache off only because it never declared itself cache-safe; its
    compiler is PostgreSQL's, which is. Without the cache every statement is compiled again,
    a large part of a booking's time (bench/results.md).
    """

    supports_statement_cache = True


# "duckdb:///..." URLs resolve to the dialect above, everywhere in this process
registry.register("duckdb", __name__, "CachingDuckDBDialect")


def database_url() -> str:
    return settings().database_url


def duckdb_file_of(url: str | sa.engine.URL) -> Path | None:
    """The file of a DuckDB URL; None for another backend or an in-memory database."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class FileGate:
    """Every connection of this process to one DuckDB file passes here, so the file can be
    rewritten and swapped (core.storage.scrub) at a moment when none is in use.

    Readers go first: a thread that already holds a connection and asks for a second never
    waits behind the rewrite, which instead gives up after a while (and runs at night).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_use = 0
        self._shut = False
        # idle pooled connections keep the file open too: the rewrite closes them all
        self.engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def enter(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._shut)
            self._in_use += 1

    def leave(self) -> None:
        with self._changed:
            self._in_use -= 1
            self._changed.notify_all()

    def wait_while_shut(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._shut)

    @contextmanager
    def shut(self, timeout: float) -> Iterator[bool]:
        """Hold new connections back once none is in use; yields False when that took too long."""
        with self._changed:
            idle = self._changed.wait_for(lambda: self._in_use == 0, timeout)
            self._shut = idle
        try:
            yield idle
        finally:
            with self._changed:
                self._shut = False
                self._changed.notify_all()


_FILE_GATES: dict[Path, FileGate] = {}
_FILE_GATES_LOCK = threading.Lock()


def file_gate(path: Path) -> FileGate:
    with _FILE_GATES_LOCK:
        return _FILE_GATES.setdefault(path.resolve(), FileGate())


def duckdb_path(engine: Engine) -> Path | None:
    """The DuckDB file behind the engine (None for PostgreSQL or an in-memory DuckDB)."""
    path = duckdb_file_of(engine.url)
    return path.resolve() if path is not None else None


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (default: DATABASE_URL or the local DuckDB file).

    Its errors leave the statement's values out: names and phone numbers have no place in an
    error message, which may end in a log."""
    url = url or database_url()
    if sa.engine.make_url(url).get_backend_name() == "duckdb":
        if (file := duckdb_file_of(url)) is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        # No rollback when a connection goes back to the pool: SQLAlchemy's Connection has ended
        # its transaction by then, and DuckDB answers the extra one with an exception that
        # duckdb_engine swallows, a quarter of a millisecond on every checkout.
        engine = sa.create_engine(url, pool_size=8, max_overflow=32, pool_reset_on_return=None, hide_parameters=True)
        path = duckdb_path(engine)
        if path is not None:
            gate = file_gate(path)
            gate.engines.add(engine)
            sa.event.listen(engine, "do_connect", lambda *_: gate.wait_while_shut())
            sa.event.listen(engine, "checkout", lambda *_: gate.enter())
            sa.event.listen(engine, "checkin", lambda *_: gate.leave())
        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True, hide_parameters=True)


def is_duckdb(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "duckdb"


def _driver_error_name(exc: BaseException) -> str:
    return type(getattr(exc, "orig", exc)).__name__


def is_conflict(exc: BaseException) -> bool:
    """True when the database refused a write because a concurrent transaction won."""
    return _driver_error_name(exc) in _CONFLICT_ERRORS


def is_duplicate(exc: BaseException) -> bool:
    return _driver_error_name(exc) in _DUPLICATE_ERRORS


class _ConflictCounter:
    """How many write conflicts were retried in this process (for the stress test and the bench)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


retried_conflicts = _ConflictCounter()


# The writes that take an event day's lock (core.locks: bookings, cancels that hand the place
# to the waiting list) queue on that one row when a crowd comes at once: on DuckDB each later
# writer conflicts and runs again, so they get more attempts than other writes.
DAY_LOCK_ATTEMPTS = 100


def run_in_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    attempts: int = 12,
    retry_duplicates: bool = False,
) -> T:
    """Run `work` in one transaction, retrying on write conflicts with jittered backoff.

    Business refusals (DomainError) are raised at once and never retried: only the database's
    "somebody else wrote this row first" is. After the last attempt the caller gets a
    DomainError("busy_try_again") rather than a driver exception.
    """
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DomainError:
            raise
        except sa.exc.DBAPIError as exc:
            retryable = is_conflict(exc) or (retry_duplicates and is_duplicate(exc))
            if not retryable:
                raise
            if attempt == attempts - 1:
                raise DomainError("busy_try_again") from exc
            retried_conflicts.add()
            time.sleep(min(0.2, 0.002 * 2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


# --- migrations -------------------------------------------------------------------------
# Alembic cannot reflect DuckDB through duckdb_engine, so migrations are hand-written: each
# entry moves the schema from version i to i + 1 and runs once, in order, at start-up.


def _create_initial_schema(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name != "schema_version"])


def _create_visitor_photos(conn: Connection) -> None:
    # checkfirst: on a new database migration 1 already created every table of the metadata
    schema.visitor_photos.create(conn, checkfirst=True)


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return conn.execute(
        sa.text("SELECT count(*) FROM information_schema.columns WHERE table_name = :table AND column_name = :column"),
        {"table": table, "column": column},
    ).scalar() > 0


def _rebuild_duckdb_table(conn: Connection, table: sa.Table) -> None:
    """Make `table` as the metadata now describes it, keeping its rows: DuckDB can neither add
    a constraint to a table nor alter one that has indexes."""
    old = f"{table.name}__before_migration"
    conn.execute(sa.text(f"CREATE TABLE {old} AS SELECT * FROM {table.name}"))
    kept = [row[0] for row in conn.execute(sa.text(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{old}'"))]
    conn.execute(sa.text(f"DROP TABLE {table.name}"))
    table.create(conn, checkfirst=True)
    columns = ", ".join(kept)
    conn.execute(sa.text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {old}"))
    conn.execute(sa.text(f"DROP TABLE {old}"))


def _known_statuses_and_staff_comment(conn: Connection) -> None:
    # a database created by migration 1 from today's metadata has both already
    if _has_column(conn, "bookings", "staff_comment"):
        return
    if is_duckdb(conn):
        _rebuild_duckdb_table(conn, schema.bookings)
        _rebuild_duckdb_table(conn, schema.status_history)
        return
    known = ", ".join(f"'{status}'" for status in statuses.ALL)
    conn.execute(sa.text("ALTER TABLE bookings ADD COLUMN staff_comment VARCHAR(500)"))
    for table in ("bookings", "status_history"):
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {table}_status_known CHECK (status IN ({known}))"))


def _catalog_name_keys_and_retirement(conn: Connection) -> None:
    # a database created by migration 1 from today's metadata has both columns already
    if _has_column(conn, "services", "name_key"):
        return
    if is_duckdb(conn):
        _rebuild_duckdb_table(conn, schema.services)
    else:
        conn.execute(sa.text("ALTER TABLE services ADD COLUMN name_key VARCHAR(240)"))
        conn.execute(sa.text("ALTER TABLE services ADD COLUMN retired_at TIMESTAMP WITHOUT TIME ZONE"))
    services = schema.services
    taken: set[str] = set()
    for service_id, name in conn.execute(sa.select(services.c.id, services.c.name).order_by(services.c.id)).all():
        key = catalog_key(name)
        if key in taken:
            # two old names that now count as one («Стирка», «стирка»): the later one keeps its
            # name and a key of its own, until an admin renames or retires one of them
            key = f"{key}#{service_id}"
        taken.add(key)
        conn.execute(services.update().where(services.c.id == service_id).values(name_key=key))
    if not is_duckdb(conn):
        conn.execute(sa.text("ALTER TABLE services ADD CONSTRAINT services_name_key_key UNIQUE (name_key)"))


def _create_sign_ins(conn: Connection) -> None:
    schema.sign_ins.create(conn, checkfirst=True)


def _create_data_version(conn: Connection) -> None:
    schema.data_version.create(conn, checkfirst=True)
    if conn.execute(sa.select(sa.func.count()).select_from(schema.data_version)).scalar() == 0:
        conn.execute(schema.data_version.insert().values(id=1, version=0))


def note_shared_change(conn: Connection) -> None:
    """Tell every app instance, in the caller's transaction, that events, places or the catalog
    changed: they read them again (ui/db.py) instead of waiting for a cache to expire."""
    conn.execute(schema.data_version.update().where(schema.data_version.c.id == 1).values(version=schema.data_version.c.version + 1))


def shared_version(conn: Connection) -> int:
    return conn.execute(sa.select(schema.data_version.c.version).where(schema.data_version.c.id == 1)).scalar() or 0


def _throttles_instead_of_login_attempts(conn: Connection) -> None:
    # login_attempts kept the typed login, which is sometimes a password typed in the wrong field
    schema.throttles.create(conn, checkfirst=True)
    conn.execute(sa.text("DROP TABLE IF EXISTS login_attempts"))
    conn.execute(sa.text("DROP SEQUENCE IF EXISTS login_attempts_id_seq"))
    # cards locked by strangers' guesses open again: the PIN slow-down replaces the lock
    conn.execute(schema.visitors.update().where(schema.visitors.c.locked_at.is_not(None)).values(locked_at=None, pin_failures=0))


def _mks_links_outbox_and_state(conn: Connection) -> None:
    for table in (schema.mks_service_types, schema.mks_clients, schema.mks_outbox, schema.mks_state):
        table.create(conn, checkfirst=True)
    if conn.execute(sa.select(sa.func.count()).select_from(schema.mks_state)).scalar() == 0:
        conn.execute(schema.mks_state.insert().values(id=1))


def _place_address_metro_directions(conn: Connection) -> None:
    # a database created by migration 1 from today's metadata has the columns already
    if _has_column(conn, "places", "address"):
        return
    for column, length in (("address", 200), ("metro", 80), ("directions", 500)):
        conn.execute(sa.text(f"ALTER TABLE places ADD COLUMN {column} VARCHAR({length})"))


def _create_waitlist(conn: Connection) -> None:
    schema.waitlist.create(conn, checkfirst=True)


def _booking_released_at(conn: Connection) -> None:
    # a database created by migration 1 from today's metadata has the column already
    if not _has_column(conn, "bookings", "released_at"):
        conn.execute(sa.text("ALTER TABLE bookings ADD COLUMN released_at TIMESTAMP"))


def _service_limit_days(conn: Connection) -> None:
    # a database created by migration 1 from today's metadata has the column already
    if _has_column(conn, "services", "limit_days"):
        return
    conn.execute(sa.text("ALTER TABLE services ADD COLUMN limit_days INTEGER"))


MIGRATIONS: list[Callable[[Connection], None]] = [
    _create_initial_schema,
    _create_visitor_photos,
    _known_statuses_and_staff_comment,
    _catalog_name_keys_and_retirement,
    _create_sign_ins,
    _create_data_version,
    _throttles_instead_of_login_attempts,
    _mks_links_outbox_and_state,
    _place_address_metro_directions,
    _create_waitlist,
    _booking_released_at,
    _service_limit_days,
]


def current_version(conn: Connection) -> int:
    schema.schema_version.create(conn, checkfirst=True)
    return conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar() or 0


# Keys of PostgreSQL advisory locks (one number space per database), named here so two
# features never pick the same number. core.backup holds BACKUP_LOCK while it backs up.
START_UP_LOCK = 7_401_001
BACKUP_LOCK = 7_401_002


def lock_start_up(conn: Connection) -> None:
    """Wait for the start-up lock until this transaction ends (PostgreSQL; DuckDB has one process).

    Two instances started at the same moment would otherwise both create schema_version and
    both run migration 1; the second would fail on the first's half-made tables.
    """
    if not is_duckdb(conn):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_UP_LOCK})


def migrate(engine: Engine) -> int:
    """Bring the database up to the newest schema version; returns that version.

    Under the start-up lock: a second instance waits, then finds the schema already new.
    """
    with engine.begin() as conn:
        lock_start_up(conn)
        version = current_version(conn)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("applying migration %s", number)
            step(conn)
            conn.execute(schema.schema_version.delete())
            conn.execute(schema.schema_version.insert().values(version=number))
            version = number
    return version


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.places)).scalar() == 0
