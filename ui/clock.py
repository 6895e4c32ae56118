"""The one place the app reads the clock; core functions get `now`/`today` passed in."""

from datetime import date, datetime

from core.config import local_now, settings


def now() -> datetime:
    return local_now(settings().timezone)


def today() -> date:
    return now().date()


def timezone() -> str:
    """The zone "today" and every session time are in (APP_TIMEZONE, Europe/Moscow by default)."""
    return settings().timezone
