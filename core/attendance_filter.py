"""The Посещаемость page's filter: a period (inclusive), optionally one place and one service.

What the period means for the charts (weekly or monthly bars, from where the records begin) and
the period to compare with live here; core.analytics counts under it.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.errors import ValidationError
from core.recurrence import plural
from core.validation import format_ru_date

DEFAULT_DAYS = 90
# Longer periods are charted by month: 14 weekly bars fit a phone screen, 52 do not.
WEEKLY_UP_TO_DAYS = 183


@dataclass(frozen=True)
class AnalyticsFilter:
    """Which bookings the Посещаемость page counts: a period (inclusive) and optionally one place and service."""

    start: date
    end: date
    place_id: int | None = None
    service_id: int | None = None

    def __post_init__(self):
        if self.end < self.start:
            raise ValidationError("period_reversed", field="end")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """"week" or "month": how the attendance-over-time chart buckets this period."""
        return "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"

    def recorded(self, begin: date | None) -> "AnalyticsFilter":
        """The same filter from `begin` (where the records begin) when the period starts earlier:
        the charts have nothing to say about weeks before anything was recorded."""
        if begin is not None and self.start < begin <= self.end:
            return replace(self, start=begin)
        return self

    def previous(self) -> "AnalyticsFilter":
        """The same filter over the period of the same length just before this one."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def describe_period(self) -> str:
        return f"{format_ru_date(self.start)}–{format_ru_date(self.end)} ({self.days} {plural(self.days, 'день', 'дня', 'дней')})"

    def describe(self, place_names: dict[int, str], service_names: dict[int, str]) -> str:
        """The filter in one Russian sentence, for the page and the top line of every download."""
        place = place_names.get(self.place_id, "?") if self.place_id is not None else "все"
        service = service_names.get(self.service_id, "?") if self.service_id is not None else "все"
        return f"Период {self.describe_period()}; место: {place}; услуга: {service}"


def default_filter(today: date, begin: date | None = None) -> AnalyticsFilter:
    """The last 90 days ending today, every place and service; from `begin` (where the records
    begin) instead when that is later: weeks before the first booking would only be empty bars."""
    start = today - timedelta(days=DEFAULT_DAYS - 1)
    if begin is not None and start < begin <= today:
        start = begin
    return AnalyticsFilter(start=start, end=today)
