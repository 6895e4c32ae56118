"""Settings from the environment (or, for the app, .streamlit/secrets.toml via ui.config)."""

import os
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Moscow"


@dataclass(frozen=True)
class Settings:
    timezone: str
    admin_login: str | None
    admin_password: str | None


def settings(overrides: dict | None = None) -> Settings:
    """Environment first, then `overrides` (the app passes its secrets.toml values)."""
    values = dict(overrides or {})

    def pick(name: str, default=None):
        return os.environ.get(name) or values.get(name) or default

    return Settings(
        timezone=pick("APP_TIMEZONE", DEFAULT_TIMEZONE),
        admin_login=pick("ADMIN_LOGIN"),
        admin_password=pick("ADMIN_PASSWORD"),
    )


def local_now(timezone: str) -> datetime:
    """Wall-clock time at the charity, as a naive datetime: the one clock the app reads."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
