"""Command line: `python -m core.manage init|demo` (used by the Makefile)."""

import sys
from pathlib import Path

from core import demo
from core.config import local_now, settings
from core.backup import restore
from core.db import database_url, is_empty, make_engine, migrate
from core.people import ensure_admin


def init(reset: bool = False) -> None:
    """Migrate; load the demo into an empty database (or after a reset); create the configured admin."""
    engine = make_engine()
    config = settings()
    now = local_now(config.timezone)
    if reset:
        demo.reset(engine)
    migrate(engine)
    if is_empty(engine):
        demo.load(engine, now)
    if config.admin_login and config.admin_password:
        ensure_admin(engine, config.admin_login, config.admin_password, now)
    engine.dispose()


def restore_backup(path: str) -> None:
    """Replace the database with a backup; the app must be stopped (DuckDB allows one writer)."""
    backup = Path(path)
    if not backup.is_file():
        sys.exit(f"Нет такого файла: {path}")
    restore(backup, database_url())
    print(f"База восстановлена из {backup.name}.")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "init"
    if command == "restore" and len(sys.argv) == 3:
        restore_backup(sys.argv[2])
    elif command in ("init", "demo"):
        init(reset=command == "demo")
        print("База данных готова." if command == "init" else "Демо-данные загружены заново.")
    else:
        sys.exit("usage: python -m core.manage init | demo | restore BACKUP_FILE")
