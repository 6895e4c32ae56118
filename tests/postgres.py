"""A throwaway PostgreSQL server for the test suite: initdb into a temporary folder, 127.0.0.1 only.

Debian's `postgresql` package provides the binaries (the Makefile installs it). The server
runs as the `postgres` system user, because initdb refuses to run as root.
"""

import functools
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make test`, which installs it")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def temporary_postgres(durable: bool = False):
    """Yield a SQLAlchemy URL of a fresh server; stop it and remove its files afterwards.

    Tests run it without fsync (nothing there must survive a power cut); `durable` keeps fsync
    on, for measurements that must pay what a real server pays for a commit.
    """
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder} -c max_connections=200"
    if not durable:
        options += " -c fsync=off"
    subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.2)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def _admin_engine(admin_url: str):
    """One AUTOCOMMIT engine per server (CREATE and DROP DATABASE refuse a transaction): a test
    creates and drops a database of its own, and a new engine each time was a new connection."""
    import sqlalchemy as sa

    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


def drop_database(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    with _admin_engine(admin_url).connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """CREATE DATABASE (optionally from a template, in place of any of that name); returns its URL."""
    import sqlalchemy as sa

    drop_database(admin_url, name)
    clause = f' TEMPLATE "{template}"' if template else ""
    with _admin_engine(admin_url).connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
