"""When a session may be booked (SPEC §3.4): the booking window."""

from datetime import date, datetime, time, timedelta


def is_bookable_now(day: date, start: time, window_days: int, now: datetime) -> bool:
    """The booking window (SPEC §3.4): today <= day <= today + window, and before the start today."""
    today = now.date()
    if not today <= day <= today + timedelta(days=window_days):
        return False
    return day != today or now.time() < start


def window_refusal(day: date, start: time, window_days: int, now: datetime) -> str | None:
    """Why a visitor or volunteer may not book this session now, or None when they may."""
    if is_bookable_now(day, start, window_days, now):
        return None
    return "session_started" if day == now.date() else "window_closed"
