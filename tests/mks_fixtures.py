"""Fixtures for the МКС tests: one MariaDB server per pytest worker (started by the first test
that asks for it), a fresh МКС database per test, and helpers that arrange МКС's rows as МКС's
own staff would (through root, not through the app's narrow user)."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from core import mks
from tests.mariadb import MariaDB

MKS_USER_ID = 1  # the one row of the stand-in fos_user_user


class MksDatabase:
    def __init__(self, server: MariaDB, app_url: str, root_url: str) -> None:
        self.server = server
        self.url = app_url  # the app's own user: exactly the granted rights
        self.engine = mks.make_mks_engine(app_url)
        self.root = sa.create_engine(root_url, pool_pre_ping=True)

    def _write(self, sql: str, **params) -> int:
        with self.root.begin() as conn:
            return conn.execute(sa.text(sql), params).lastrowid

    def add_type(self, name: str, sort: int = 100) -> int:
        return self._write(
            "INSERT INTO service_type (name, pay, document, amount, comment, sort, created_at) VALUES (:name, 0, 0, 0, 0, :sort, NOW())",
            name=name, sort=sort,
        )

    def rename_type(self, type_id: int, name: str) -> None:
        self._write("UPDATE service_type SET name = :name, updated_at = NOW() WHERE id = :id", name=name, id=type_id)

    def delete_type(self, type_id: int) -> None:
        self._write("DELETE FROM service_type WHERE id = :id", id=type_id)

    def add_client(self, last_name: str, first_name: str, birth_date: date | None = None, middle_name: str | None = None) -> int:
        return self._write(
            "INSERT INTO client (lastname, firstname, middlename, birth_date, is_homeless, sort, created_at) "
            "VALUES (:last, :first, :middle, :birth, 1, 100, NOW())",
            last=last_name, first=first_name, middle=middle_name, birth=birth_date,
        )

    def services(self) -> list[sa.Row]:
        """Every `service` row, as МКС holds it."""
        with self.root.connect() as conn:
            return conn.execute(sa.text("SELECT * FROM service ORDER BY id")).all()

    def edit_service(self, service_id: int, comment: str, when: datetime) -> None:
        """What МКС's admin does on an edit: new values, and updated_at / updated_by set by its listener."""
        self._write("UPDATE service SET comment = :comment, updated_at = :when, updated_by_id = 1 WHERE id = :id",
                    comment=comment, when=when, id=service_id)

    def dispose(self) -> None:
        self.engine.dispose()
        self.root.dispose()


@pytest.fixture(scope="session")
def mariadb_server():
    server = MariaDB()
    yield server
    server.close()


@pytest.fixture
def mks_db(mariadb_server):
    """A fresh МКС database (its three tables empty, one МКС user) on the worker's server."""
    if mariadb_server.process is None:
        mariadb_server.start()  # a test that stopped it failed before starting it again
    database = MksDatabase(mariadb_server, *mariadb_server.new_mks_database())
    yield database
    database.dispose()
