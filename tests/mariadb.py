"""A throwaway MariaDB server standing in for МКС's MySQL: a data folder in a temporary folder,
127.0.0.1 only, started once per pytest worker by the first test that needs it (1-2 s).

Debian's `mariadb-server` provides the binaries (the Makefile installs it). Run as root, the
server drops to the `mysql` system user, as Debian's own service does. Each test gets a fresh
database with МКС's three tables (tests/mks_schema.sql) and a user holding exactly the rights
README «Связь с МКС» asks an administrator to grant, so the suite proves that list suffices.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path

import sqlalchemy as sa

SCHEMA = Path(__file__).with_name("mks_schema.sql")
INSTALL_DB = "/usr/bin/mariadb-install-db"
SERVER = "/usr/sbin/mariadbd"

# What the app's МКС user may do (README «Связь с МКС» lists the same GRANT statements).
APP_GRANTS = (
    "GRANT SELECT (id, name, sort) ON {db}.service_type TO {user}",
    "GRANT SELECT (id, firstname, lastname, middlename, birth_date) ON {db}.client TO {user}",
    "GRANT SELECT, INSERT, DELETE ON {db}.service TO {user}",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MariaDB:
    """One server process; `stop` and `start` keep its data and port (МКС going down and back)."""

    def __init__(self) -> None:
        if not Path(SERVER).exists():
            raise RuntimeError("MariaDB is not installed: run `make test`, which installs it")
        self.folder = Path(tempfile.mkdtemp(prefix="mariadbtest-"))
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self._databases = count(1)
        # a temporary folder of its own: servers sharing /tmp clash on their temporary tables'
        # names (two workers' installs failed with "Unknown table 'mysql.tmp_user_sys'")
        (self.folder / "tmp").mkdir()
        as_root = os.geteuid() == 0
        if as_root:
            for path in (self.folder, self.folder / "tmp"):
                shutil.chown(path, "mysql", "mysql")
        self._user = ["--user=mysql"] if as_root else []
        self._folders = [f"--datadir={self.folder / 'data'}", f"--tmpdir={self.folder / 'tmp'}"]
        installed = subprocess.run(
            [INSTALL_DB, "--no-defaults", *self._folders, *self._user,
             "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        if installed.returncode:
            raise RuntimeError(f"mariadb-install-db failed:\n{installed.stdout[-2000:]}")
        self.admin_url = f"mysql+pymysql://root@127.0.0.1:{self.port}/mysql?charset=utf8mb4"
        self.start()

    def start(self) -> None:
        # little memory, and commits reach the OS only: they survive a killed server (the
        # tests stop it with SIGKILL), not a power cut, which nothing here must survive
        self.process = subprocess.Popen(
            [SERVER, "--no-defaults", *self._folders, *self._user,
             "--bind-address=127.0.0.1", f"--port={self.port}", f"--socket={self.folder / 'socket'}",
             f"--pid-file={self.folder / 'pid'}", f"--log-error={self.folder / 'error.log'}",
             "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
             "--innodb-flush-log-at-trx-commit=2", "--innodb-flush-method=nosync", "--innodb-doublewrite=0", "--max-connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"MariaDB did not start, see {self.folder / 'error.log'}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop at once, as a crash or a pulled cable would (SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_mks_database(self) -> tuple[str, str]:
        """A fresh database with МКС's tables and one МКС user (id 1); returns the URL of the
        app's user (exactly the granted rights) and the URL of root, for arranging and checking."""
        number = next(self._databases)
        name, user, password = f"mks{number}", f"zapis{number}", f"secret-{number}"
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8 COLLATE utf8_unicode_ci")
            conn.exec_driver_sql(f"USE {name}")
            ddl = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.startswith("--"))
            for statement in filter(str.strip, ddl.split(";")):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql("INSERT INTO fos_user_user (id) VALUES (1)")
            grantee = f"'{user}'@'127.0.0.1'"
            conn.exec_driver_sql(f"CREATE USER {grantee} IDENTIFIED BY '{password}'")
            for grant in APP_GRANTS:
                conn.exec_driver_sql(grant.format(db=name, user=grantee))
        admin.dispose()
        base = f"127.0.0.1:{self.port}/{name}?charset=utf8mb4"
        return f"mysql+pymysql://{user}:{password}@{base}", f"mysql+pymysql://root@{base}"
