"""After an erasure, no freed copy of the erased values stays in the database's files (152-ФЗ).

Deleting or overwriting a row leaves its old bytes behind: DuckDB in its write-ahead log until
a checkpoint and then in freed blocks of the file; PostgreSQL in dead tuples until a vacuum, and
in the pages a plain vacuum only marks free. So an erasure ends with a rewrite:

- DuckDB: a checkpoint, then a copy of the live data into a fresh file (COPY FROM DATABASE,
  which keeps sequences and indexes) that replaces the old one. The file must not be open
  while it is swapped: the process's connections to it pass a gate (core.db.FileGate) that
  holds new ones back while the rewrite waits for the others to finish. When that takes too
  long the rewrite is left for the daily run (`scrub_pending`) and a marker file says so.
- PostgreSQL: VACUUM FULL of every table that holds personal values, which writes each into
  new files and drops the old ones. Its write-ahead log (pg_wal) still holds the values until
  its segments are recycled; the README says how long that is.
"""

import logging
import os
from pathlib import Path

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.db import duckdb_path, file_gate
from core.schema import bookings, mks_clients, mks_outbox, sign_ins, status_history, visitor_photos, visitors

log = logging.getLogger(__name__)

# how long the rewrite waits for the app's connections to go idle before leaving it to the night
WAIT_FOR_IDLE_SECONDS = 10.0
PERSONAL_TABLES = (visitors, bookings, status_history, visitor_photos, sign_ins, mks_clients, mks_outbox)


def scrub(engine: Engine) -> bool:
    """Rewrite the database so freed bytes hold nothing erased; False when it had to wait for the night."""
    path = duckdb_path(engine)
    if path is None:
        if engine.dialect.name == "postgresql":
            _vacuum_full(engine)
        return True
    marker = _pending_marker(path)
    marker.touch()
    if not _rewrite_duckdb(path):
        log.warning("erasure: database rewrite postponed to the daily run (connections busy)")
        return False
    marker.unlink(missing_ok=True)
    return True


def scrub_pending(engine: Engine) -> bool:
    """The daily run's part: finish a rewrite an erasure had to postpone. True when none is left."""
    path = duckdb_path(engine)
    if path is None or not _pending_marker(path).exists():
        return True
    return scrub(engine)


def _pending_marker(path: Path) -> Path:
    return path.with_name(path.name + ".scrub-pending")


def _vacuum_full(engine: Engine) -> None:
    # VACUUM cannot run inside a transaction block
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in PERSONAL_TABLES:
            conn.execute(sa.text(f"VACUUM FULL {table.name}"))


def _rewrite_duckdb(path: Path) -> bool:
    gate = file_gate(path)
    with gate.shut(WAIT_FOR_IDLE_SECONDS) as idle:
        if not idle:
            return False
        for engine in list(gate.engines):
            engine.dispose()
        if not _nobody_else_has(path):
            return False
        fresh = path.with_name(path.name + ".rewrite")
        fresh.unlink(missing_ok=True)
        with duckdb.connect() as conn:
            conn.execute(f"ATTACH {_quoted(path)} AS old")
            # the log's content goes into the file, so that the copy below reads everything
            conn.execute("CHECKPOINT old")
            conn.execute(f"ATTACH {_quoted(fresh)} AS fresh")
            conn.execute("COPY FROM DATABASE old TO fresh")
            conn.execute("DETACH fresh")
            conn.execute("DETACH old")
        _fsync(fresh)
        os.replace(fresh, path)
        Path(f"{path}.wal").unlink(missing_ok=True)
        _fsync(path.parent)
    return True


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _nobody_else_has(path: Path) -> bool:
    """True when no connection of this process holds the file: DuckDB refuses a read-only
    connection beside a read-write one of the same process."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.ConnectionException:
        log.warning("erasure: database rewrite postponed (a connection outside the app's engines holds the file)")
        return False
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
