"""Command line: `python -m core.manage init|demo` (used by the Makefile)."""

import sys

from core import demo
from core.config import local_now, settings
from core.db import is_empty, make_engine, migrate
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


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "init"
    if command not in ("init", "demo"):
        sys.exit("usage: python -m core.manage init|demo")
    init(reset=command == "demo")
    print("База данных готова." if command == "init" else "Демо-данные загружены заново.")
