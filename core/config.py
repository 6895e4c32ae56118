"""Settings from the environment, then .streamlit/secrets.toml (the app reads it through st.secrets)."""

import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    return Settings(
        timezone=pick("APP_TIMEZONE", DEFAULT_TIMEZONE),
        admin_login=pick("ADMIN_LOGIN"),
        admin_password=pick("ADMIN_PASSWORD"),
        mode=mode,
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
