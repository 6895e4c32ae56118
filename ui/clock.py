"""The one place the app reads the clock; core functions get `now`/`today` passed in."""

from datetime import date, datetime

from core.config import local_now, settings


def now() -> datetime:
    return local_now(settings().timezone)


def this_minute() -> datetime:
    """now() to the minute: the key of reads that stay good for a minute (sessions start on a minute)."""
    return now().replace(second=0, microsecond=0)


def today() -> date:
    return now().date()


def timezone() -> str:
    """The zone "today" and every session time are in (APP_TIMEZONE, Europe/Moscow by default)."""
    return settings().timezone
