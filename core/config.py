"""The app's settings, read in one place: the environment, then .streamlit/secrets.toml (the app
reads it through st.secrets). README «Настройки» lists them."""

import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"duckdb:///{PROJECT_ROOT / 'data' / 'app.duckdb'}"
DEFAULT_TIMEZONE = "Europe/Moscow"
# `make run` (demo data on an empty database) and `make serve` (never any demo data)
MODES = ("demo", "production")
# the settings that may also come from .streamlit/secrets.toml rather than the environment
SECRET_KEYS = ("ADMIN_LOGIN", "ADMIN_PASSWORD")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says, in Russian, what to set."""


@dataclass(frozen=True)
class Settings:
    timezone: str
    admin_login: str | None
    admin_password: str | None
    mode: str = "demo"
    database_url: str = DEFAULT_DATABASE_URL
    # DATABASE_URL was given: a production start needs it (the default file is for a demo)
    database_url_given: bool = False
    # None: beside the DuckDB file (core.backup.backup_folder)
    backup_dir: Path | None = None
    # off when an external job takes the backups
    daily_backups: bool = True
    # МКС (core.mks): None when the app runs on its own catalog
    mks_url: str | None = None
    mks_user_id: int | None = None
    # the door may give away a place still «Ожидается» this long after its session started
    release_after_minutes: int = 15

    @property
    def production(self) -> bool:
        return self.mode == "production"


def settings(overrides: dict | None = None) -> Settings:
    """Environment first, then `overrides` (the app passes its secrets.toml values)."""
    values = dict(overrides or {})

    def pick(name: str, default=None):
        return os.environ.get(name) or values.get(name) or default

    # only from the environment: `make serve` sets it, a secrets file must not switch it off
    mode = (os.environ.get("APP_MODE") or "demo").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"APP_MODE={os.environ['APP_MODE']!r}: допустимо production или demo.")
    database_url = os.environ.get("DATABASE_URL")
    mks_user = (os.environ.get("MKS_USER_ID") or "").strip()
    release_after = (os.environ.get("RELEASE_AFTER_MINUTES") or "").strip()
    return Settings(
        timezone=pick("APP_TIMEZONE", DEFAULT_TIMEZONE),
        admin_login=pick("ADMIN_LOGIN"),
        admin_password=pick("ADMIN_PASSWORD"),
        mode=mode,
        database_url=database_url or DEFAULT_DATABASE_URL,
        database_url_given=bool(database_url),
        backup_dir=Path(os.environ["BACKUP_DIR"]) if os.environ.get("BACKUP_DIR") else None,
        daily_backups=os.environ.get("DAILY_BACKUPS", "on") != "off",
        mks_url=(os.environ.get("MKS_DATABASE_URL") or "").strip() or None,
        mks_user_id=int(mks_user) if mks_user.isdigit() else None,
        release_after_minutes=int(release_after) if release_after.isdigit() else 15,
    )


def secrets_files() -> list[Path]:
    """Where Streamlit looks for secrets.toml, in its order (the later file wins)."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def secrets_file_values(paths: list[Path] | None = None) -> dict:
    """ADMIN_LOGIN / ADMIN_PASSWORD from the secrets.toml files the app's st.secrets reads too."""
    values = {}
    for path in paths if paths is not None else secrets_files():
        if not path.is_file():
            continue
        with path.open("rb") as file:
            try:
                found = tomllib.load(file)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"Файл {path} не читается как TOML: {exc}") from exc
        values |= {key: str(found[key]) for key in SECRET_KEYS if found.get(key)}
    return values


def local_now(timezone: str) -> datetime:
    """Wall-clock time at the charity, as a naive datetime: the one clock the app reads."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
