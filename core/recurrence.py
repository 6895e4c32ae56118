"""When an event happens: a rule spec turned into dates, and the rule in Russian words.

Occurrences are always computed with `dateutil.rrule`, never stored: an event that repeats
forever is one small `Recurrence` value, and only the dates someone asks about are made.

Events are whole days, so every date here is a `datetime.date`. rrule works on datetimes;
the conversion happens at this module's edge and stays at midnight, naive.

Edge behaviour, decided once:
- Monthly on the 29th, 30th or 31st falls on the last day of a shorter month instead of
  skipping it (rrule alone skips such months, as RFC 5545 says).
- Weekly weeks run Monday to Sunday and are counted from the week that holds the first
  date. Chosen weekdays earlier in that week than the first date are dropped, so with
  "every 2 weeks" the series may only start in the week after next (see `occurrences`).
- `until` is inclusive; `count` counts occurrences that actually happen.
"""

import functools
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice, takewhile

from dateutil.rrule import DAILY, MO, MONTHLY, WEEKLY, rrule

FREQUENCIES = ("daily", "weekly", "monthly")

WEEKDAY_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
WEEKDAY_SHORT_NAMES = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")

# "каждый/каждую/каждое" agrees with the weekday's gender, and the weekday is accusative.
_EVERY_WEEKDAY = (
    "каждый понедельник",
    "каждый вторник",
    "каждую среду",
    "каждый четверг",
    "каждую пятницу",
    "каждую субботу",
    "каждое воскресенье",
)

_RRULE_FREQ = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY}


@dataclass(frozen=True)
class Recurrence:
    """How an event repeats after its first date; neither count nor until means forever."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    count: int | None = None
    until: date | None = None

    def __post_init__(self):
        if self.freq not in _RRULE_FREQ:
            raise ValueError(f"unknown freq {self.freq!r}; expected one of {FREQUENCIES}")
        if self.interval < 1:
            raise ValueError(f"interval must be >= 1, got {self.interval}")
        if self.count is not None and self.until is not None:
            raise ValueError("count and until are mutually exclusive")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if self.weekdays and self.freq != "weekly":
            raise ValueError("weekdays only apply to a weekly rule")
        if any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"weekdays are 0=Mon..6=Sun, got {self.weekdays}")
        # One canonical form, so equal rules compare, hash and cache as equal
        # (and a list passed by mistake cannot make the rule unhashable).
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))

    @property
    def per_day(self) -> float:
        """How many dates a day on average: how long a window must be to hold some sessions."""
        if self.freq == "daily":
            return 1 / self.interval
        if self.freq == "weekly":
            return max(1, len(self.weekdays)) / 7 / self.interval
        return 1 / 30.4 / self.interval


@functools.lru_cache(maxsize=1024)  # many rows share a rule, and the value is immutable
def rule_from_stored(freq: str | None, interval: int, weekdays: str, count: int | None, until: date | None) -> Recurrence | None:
    """The rule kept in an events row (NULL freq = one-off; weekdays as "2,4")."""
    if freq is None:
        return None
    days = tuple(int(d) for d in weekdays.split(",") if d != "")
    return Recurrence(freq=freq, interval=interval, weekdays=days, count=count, until=until)


def rule_to_stored(rule: Recurrence | None) -> dict:
    """The columns of an events row that hold `rule`."""
    if rule is None:
        return dict(freq=None, interval=1, weekdays="", count=None, until=None)
    weekdays = ",".join(str(d) for d in rule.weekdays)
    return dict(freq=rule.freq, interval=rule.interval, weekdays=weekdays, count=rule.count, until=rule.until)


def _to_datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@functools.lru_cache(maxsize=4096)
def _rrule(first_date: date, rule: Recurrence, anchor: date | None = None) -> rrule:
    """The series as an rrule; with `anchor`, the same dates from that period boundary on.

    rrule can only walk forward from its start, so years into an endless series every question
    would walk all the years before it. A counted series cannot be shifted: its count runs from
    the first date.
    """
    # Built on first use and shared afterwards; rrule's own result cache stays off,
    # because on an endless series it would grow with the furthest date anyone asked for.
    start = anchor or first_date
    kwargs = {}
    if rule.freq == "weekly":
        kwargs["byweekday"] = rule.weekdays or (first_date.weekday(),)
    elif rule.freq == "monthly" and first_date.day > 28:
        # "The greatest of 28..day that exists in the month" is `day` itself where the
        # month has it and the month's last day otherwise.
        kwargs["bymonthday"] = tuple(range(28, first_date.day + 1))
        kwargs["bysetpos"] = -1
    return rrule(
        _RRULE_FREQ[rule.freq],
        dtstart=_to_datetime(start),
        interval=rule.interval,
        # rrule's default week start is calendar.firstweekday(), a process-wide setting;
        # pinning Monday keeps "every 2 weeks" from depending on it.
        wkst=MO,
        count=rule.count,
        until=None if rule.until is None else _to_datetime(rule.until),
        **kwargs,
    )


def _period_start(first_date: date, rule: Recurrence, day: date) -> date | None:
    """The start of the series' last period (interval days, weeks or months) that begins on or
    before `day`, when that is a later period than the first one; otherwise None.

    From there the series runs exactly as from its first date: the period grid is the same.
    """
    if rule.count is not None or day <= first_date:
        return None
    if rule.freq == "daily":
        periods = (day - first_date).days // rule.interval
        return first_date + timedelta(days=periods * rule.interval) if periods else None
    if rule.freq == "weekly":
        first_monday = first_date - timedelta(days=first_date.weekday())
        periods = (day - first_monday).days // 7 // rule.interval
        return first_monday + timedelta(weeks=periods * rule.interval) if periods else None
    months = (day.year - first_date.year) * 12 + day.month - first_date.month
    periods = months // rule.interval
    if not periods:
        return None
    year, month = divmod(first_date.month - 1 + periods * rule.interval, 12)
    # a month-end series (29th–31st) picks its day inside each month; others keep their day
    return date(first_date.year + year, month + 1, 1 if first_date.day > 28 else first_date.day)


def _rrule_from(first_date: date, rule: Recurrence, day: date) -> rrule:
    """An rrule giving the series' dates on and after `day`, started as close to it as is exact."""
    return _rrule(first_date, rule, _period_start(first_date, rule, day))


def occurrences(first_date: date, rule: Recurrence | None, start: date, end: date) -> list[date]:
    """Occurrence dates d with start <= d <= end, sorted; rule None is a one-off on first_date.

    A weekly series whose first date is not a chosen weekday starts on the next chosen
    weekday that rrule reaches: weeks (Monday to Sunday) are counted from the week holding
    first_date, so with interval 2 and first_date after every chosen day of its week, the
    first occurrence falls two weeks later, not in the very next week.
    """
    if rule is None:
        return [first_date] if start <= first_date <= end else []
    found = _rrule_from(first_date, rule, start).between(_to_datetime(start), _to_datetime(end), inc=True)
    return [moment.date() for moment in found]


def next_occurrences(
    first_date: date, rule: Recurrence | None, on_or_after: date, limit: int
) -> list[date]:
    """Up to `limit` occurrence dates on or after `on_or_after`, earliest first."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if rule is None:
        return [first_date] if first_date >= on_or_after and limit else []
    found = _rrule_from(first_date, rule, on_or_after).xafter(_to_datetime(on_or_after), inc=True)
    return [moment.date() for moment in islice(found, limit)]


def previous_occurrences(
    first_date: date, rule: Recurrence | None, on_or_before: date, limit: int
) -> list[date]:
    """Up to `limit` occurrence dates on or before `on_or_before`, most recent first."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if rule is None:
        return [first_date] if first_date <= on_or_before and limit else []
    # rrule only walks forward, so start `limit` periods back (each period holds at least one
    # date) and keep a sliding window of the last `limit` dates.
    if rule.until is not None:
        on_or_before = min(on_or_before, rule.until)  # periods after `until` hold no dates
    bound = _to_datetime(on_or_before)
    period_days = {"daily": 1, "weekly": 7, "monthly": 31}[rule.freq] * rule.interval
    reach = timedelta(days=period_days * (limit + 1))
    since = on_or_before - reach if on_or_before - first_date > reach else first_date
    latest = deque(takewhile(bound.__ge__, _rrule_from(first_date, rule, since)), maxlen=limit)
    return [moment.date() for moment in reversed(latest)]


def occurs_on(first_date: date, rule: Recurrence | None, day: date) -> bool:
    """Whether the event happens on `day`."""
    if rule is None:
        return day == first_date
    moment = _to_datetime(day)
    return _rrule_from(first_date, rule, day).after(moment, inc=True) == moment


@functools.lru_cache(maxsize=4096)  # asked for every event on every list; the answer never changes
def last_date(first_date: date, rule: Recurrence | None) -> date | None:
    """The series' final date; None when it never ends (or, when bounded, has no dates at all).

    A bounded series is empty only when `until` comes before its first occurrence,
    e.g. until earlier than first_date, or a weekly rule whose chosen weekdays all fall
    after `until`.
    """
    if rule is None:
        return first_date
    if rule.count is None and rule.until is None:
        return None
    if rule.until is not None:
        last = previous_occurrences(first_date, rule, rule.until, 1)
        return last[0] if last else None
    last = deque(_rrule(first_date, rule), maxlen=1)
    return last[0].date() if last else None


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian word form for n: plural(1, "раз", "раза", "раз") == "раз", 2 -> "раза"."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def describe(first_date: date, rule: Recurrence | None) -> str:
    """The rule in Russian words, e.g. "каждые 2 недели по ср и пт до 31.12.2026"."""
    if rule is None:
        return f"разово {_format_date(first_date)}"
    if rule.freq == "daily":
        text = _every(rule.interval, "ежедневно", "каждый", ("день", "дня", "дней"))
    elif rule.freq == "weekly":
        text = _describe_weekly(first_date, rule)
    else:
        text = _describe_monthly(first_date, rule)
    if rule.until is not None:
        text += f" до {_format_date(rule.until)}"
    if rule.count is not None:
        text += f", {rule.count} {plural(rule.count, 'раз', 'раза', 'раз')}"
    return text


def month_end_note(first_date: date, rule: Recurrence | None) -> str | None:
    """Why a monthly event on the 29th-31st moves in short months; None when it never does."""
    if rule is None or rule.freq != "monthly" or first_date.day <= 28:
        return None
    return (
        f"В месяцах, где нет {first_date.day}-го числа, "
        "событие пройдёт в последний день месяца."
    )


def _describe_weekly(first_date: date, rule: Recurrence) -> str:
    weekdays = rule.weekdays or (first_date.weekday(),)
    if rule.interval == 1 and len(weekdays) == 1:
        return _EVERY_WEEKDAY[weekdays[0]]
    period = _every(rule.interval, "каждую неделю", "каждую", ("неделю", "недели", "недель"))
    return f"{period} по {_join_and([WEEKDAY_SHORT_NAMES[day] for day in weekdays])}"


def _describe_monthly(first_date: date, rule: Recurrence) -> str:
    period = _every(rule.interval, "ежемесячно", "каждый", ("месяц", "месяца", "месяцев"))
    text = f"{period}, {first_date.day}-го числа"
    if first_date.day > 28:
        text += " (или в последний день месяца)"
    return text


def _every(n: int, when_one: str, every_one: str, forms: tuple[str, str, str]) -> str:
    # "каждые 2 дня", "каждые 5 дней", but "каждый 21 день": "каждый" agrees with the
    # number the way the noun does.
    if n == 1:
        return when_one
    word = plural(n, *forms)
    every = every_one if word == forms[0] else "каждые"
    return f"{every} {n} {word}"


def _join_and(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} и {words[-1]}"


def _format_date(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"
