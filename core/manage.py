"""Command line (used by the Makefile) and the start-up that `make run`, `make serve` and the app share.

    python -m core.manage init           make run: migrate; demo data into an empty database
    python -m core.manage serve-check    make serve: the checks and one-time set-up, before Streamlit
    python -m core.manage demo           make demo: the demo data again (refused in production mode)
    python -m core.manage restore FILE   make restore: asks «да» on a terminal, or takes YES=1
"""

import os
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import demo
from core.backup import RestoreRefused, backup_folder, libpq_target, restore, sole_user
from core.config import ConfigError, Settings, local_now, secrets_file_values, settings
from core.db import database_url, duckdb_file_of, is_empty, lock_start_up, make_engine, migrate, run_in_transaction
from core.errors import ValidationError
from core.places import add_place
from core.accounts import create_staff, ensure_admin, find_demo_accounts, has_active_admin
from core.schema import places

# what a new production database starts with; the catalog of services starts empty
PLACES = ("Цветной", "Гиляровского", "Ясная")

WHERE_TO_SET = "в окружении (для systemd — в /etc/zapis/zapis.env) или в .streamlit/secrets.toml"

REFUSALS: dict[str, str] = {
    "database_url_missing": (
        "Не задан DATABASE_URL: рабочему запуску нужна своя база. Задайте, например,\n"
        "  DATABASE_URL=postgresql+psycopg:///zapis\n"
        "или DATABASE_URL=duckdb:////var/lib/zapis/app.duckdb\n"
        "(в окружении; для systemd — в /etc/zapis/zapis.env).{also}"
    ),
    "database_error": "База из DATABASE_URL не открывается или отвечает ошибкой: {reason}",
    "admin_missing": (
        "В базе нет ни одного активного администратора. Задайте {missing} " + WHERE_TO_SET + ":\n"
        "при запуске будет создан администратор с этим логином и паролем."
    ),
    "admin_invalid": "{setting}: {problem}",
    "admin_login_taken": "ADMIN_LOGIN={login}: этот логин уже занят. Выберите другой логин для администратора.",
    "admin_password_is_demo": "ADMIN_PASSWORD совпадает с паролем из демо-данных (он опубликован в README). Задайте другой пароль.",
    "demo_accounts": (
        "В базе есть демо-учётные записи с опубликованными паролями: {logins}.\n"
        "Рабочий запуск с ними невозможен. Укажите в DATABASE_URL новую пустую базу\n"
        "(make serve подготовит её сам); демо-данные — только для make run."
    ),
    "demo_in_production": "APP_MODE=production: демо-данные в рабочую базу не загружаются (make demo — только для make run).",
}


class StartRefused(Exception):
    """The app must not start; `message` tells the admin, in Russian, what to set or fix."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        return REFUSALS[self.code].format(**self.params)


def start_up(engine: Engine, config: Settings, now: datetime) -> None:
    """What every start does: migrate, then the demo set-up or the production checks."""
    migrate(engine)
    if config.production:
        prepare_production(engine, config, now)
        return
    if is_empty(engine):
        demo.load(engine, now)
    if config.admin_login and config.admin_password:
        ensure_admin(engine, config.admin_login, config.admin_password, now)


def prepare_production(engine: Engine, config: Settings, now: datetime) -> None:
    """Refuse a database with demo accounts; give a new one its places and the configured admin.

    Under the start-up lock, so two instances starting together add the places and the admin
    once. Nothing is written when the start is refused.
    """

    def work(conn: Connection) -> None:
        lock_start_up(conn)
        found = find_demo_accounts(conn, demo.demo_credentials())
        if found:
            raise StartRefused("demo_accounts", logins=", ".join(found))
        if conn.execute(sa.select(sa.func.count()).select_from(places)).scalar() == 0:
            for name in PLACES:
                add_place(conn, name, now)
        if not has_active_admin(conn):
            _create_configured_admin(conn, config, now)

    # on DuckDB (no advisory locks) two threads' inserts collide instead; the retry sees the winner's rows
    run_in_transaction(engine, work, retry_duplicates=True)


def _missing_admin_settings(config: Settings) -> list[str]:
    return [name for name, value in (("ADMIN_LOGIN", config.admin_login), ("ADMIN_PASSWORD", config.admin_password)) if not value]


def _create_configured_admin(conn: Connection, config: Settings, now: datetime) -> None:
    missing = _missing_admin_settings(config)
    if missing:
        raise StartRefused("admin_missing", missing=" и ".join(missing))
    if config.admin_password in demo.demo_credentials().values():
        raise StartRefused("admin_password_is_demo")
    try:
        create_staff(conn, config.admin_login, config.admin_password, "admin", "Администратор", now)
    except ValidationError as exc:
        if exc.code == "login_taken":
            raise StartRefused("admin_login_taken", login=config.admin_login) from exc
        setting = "ADMIN_LOGIN" if exc.field == "login" else "ADMIN_PASSWORD"
        raise StartRefused("admin_invalid", setting=setting, problem=exc.message) from exc


def serve_check() -> str:
    """`make serve`'s pre-flight: production settings, then start_up; returns a line for the log."""
    config = replace(settings(secrets_file_values()), mode="production")
    if not config.database_url_given:
        missing = _missing_admin_settings(config)
        also = f"\nДля новой базы задайте также {' и '.join(missing)}." if missing else ""
        raise StartRefused("database_url_missing", also=also)
    engine = make_engine()
    try:
        start_up(engine, config, local_now(config.timezone))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartRefused("database_error", reason=reason) from exc
    finally:
        engine.dispose()
    return f"База готова к рабочему запуску ({engine.dialect.name})."


def init(reset: bool = False) -> None:
    """`make run`: migrate; load the demo into an empty database (or after a reset); create the configured admin."""
    config = settings()
    if reset and config.production:
        raise StartRefused("demo_in_production")
    engine = make_engine()
    if reset:
        demo.reset(engine)
    start_up(engine, config, local_now(config.timezone))
    engine.dispose()


def restore_backup(path: str) -> None:
    """Replace the database with a backup, keeping the replaced one: refused while the app runs, asks first."""
    backup = Path(path)
    if not backup.is_file():
        sys.exit(f"Нет такого файла: {path}")
    url = database_url()
    # refuse before asking: a «да» typed for a restore that cannot happen is wasted
    with sole_user(url):
        pass
    _confirm_restore(backup, url)
    kept = restore(backup, url, backup_folder(url), local_now(settings().timezone))
    if kept is not None:
        print(f"Прежняя база сохранена: {kept}")
    print(f"База восстановлена из {backup.name}.")


def _confirm_restore(backup: Path, url: str) -> None:
    """YES=1 in the environment, or «да» typed on a terminal; RestoreRefused otherwise."""
    if os.environ.get("YES") == "1":
        return
    if not sys.stdin.isatty():
        raise RestoreRefused("confirmation_needed")
    file = duckdb_file_of(url)
    where = file if file is not None else libpq_target(url)[0]
    print(f"База {where} будет заменена копией {backup.name}: записи, сделанные после этой копии,\n"
          "в ней пропадут (прежняя база будет сохранена отдельным файлом).")
    try:
        answer = input("Введите «да», чтобы продолжить: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "да":
        raise RestoreRefused("not_confirmed")


def main(args: list[str]) -> None:
    command = args[0] if args else "init"
    try:
        if command == "restore" and len(args) == 2:
            restore_backup(args[1])
        elif command == "serve-check":
            print(serve_check())
        elif command in ("init", "demo"):
            init(reset=command == "demo")
            print("База данных готова." if command == "init" else "Демо-данные загружены заново.")
        else:
            sys.exit("usage: python -m core.manage init | serve-check | demo | restore BACKUP_FILE")
    except StartRefused as exc:
        sys.exit(f"Запуск невозможен.\n{exc.message}")
    except RestoreRefused as exc:
        sys.exit(exc.message)
    except ConfigError as exc:
        sys.exit(f"Запуск невозможен.\n{exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
