"""Which database the suite runs against: DuckDB files (default) or a throwaway PostgreSQL.

`TEST_BACKEND=postgresql pytest` starts a temporary server for the whole run and points
TEST_DATABASE_URL at it, so every fixture builds its databases there instead.
"""

import os

import pytest

from tests.postgres import temporary_postgres

_server = None


def on_postgres() -> bool:
    return os.environ.get("TEST_BACKEND") == "postgresql"


def _is_xdist_controller(config) -> bool:
    """With `-n`, the controller only hands out tests; each worker starts its own server."""
    return getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")


def pytest_configure(config):
    global _server
    if on_postgres() and "TEST_DATABASE_URL" not in os.environ and not _is_xdist_controller(config):
        _server = temporary_postgres()
        admin_url = _server.__enter__()
        os.environ["TEST_POSTGRES_ADMIN_URL"] = admin_url
        os.environ["TEST_DATABASE_URL"] = admin_url


def pytest_unconfigure(config):
    if _server is not None:
        _server.__exit__(None, None, None)


def pytest_report_header(config):
    return f"database backend: {'PostgreSQL' if on_postgres() else 'DuckDB'}"


@pytest.fixture(scope="session")
def backend_name() -> str:
    return "postgresql" if on_postgres() else "duckdb"


# Write-write conflicts under snapshot isolation are DuckDB's way; PostgreSQL (READ COMMITTED)
# makes the second writer wait on the row lock instead, which other tests cover there.
duckdb_only = pytest.mark.skipif(on_postgres(), reason="DuckDB write-conflict behaviour")
