"""Working days 工作日: the calendar that promised time limits are counted in.

The calendar is data (`WorkCalendarYear`, `WorkCalendarDay`): Monday to Friday are working days
except the statutory holidays entered for a year, and the make-up working days (调休上班) on a
weekend are working days too. chinese-calendar seeds the years it knows (`seed_from_package`);
an administrator enters each later year when the State Council publishes it. For a year with no
arrangement entered, Monday to Friday count, and every deadline that depends on that year says
so (`Deadline.assumed_years`).

Counting follows the usual rule for administrative time limits: the day a matter is received is
not counted; the limit ends at the close of the n-th working day after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .models import WorkCalendarDay, WorkCalendarYear

ONE_DAY = dt.timedelta(days=1)
# A limit longer than this many working days is a data error, not a real promise.
MAX_LIMIT = 366


@dataclass(frozen=True)
class Deadline:
    """A due date, and the years it was counted through that had no official arrangement."""

    date: dt.date
    assumed_years: tuple[int, ...] = ()

    @property
    def assumed(self) -> bool:
        """True when Monday-to-Friday stood in for a year's missing arrangement."""
        return bool(self.assumed_years)


@dataclass
class WorkCalendar:
    """The working-day calendar for a span of years, loaded in two queries."""

    first_year: int
    last_year: int
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    published: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, first: dt.date, last: dt.date) -> WorkCalendar:
        first_year, last_year = min(first, last).year, max(first, last).year
        days = WorkCalendarDay.objects.filter(
            date__gte=dt.date(first_year, 1, 1), date__lte=dt.date(last_year, 12, 31)
        ).values_list("date", "working")
        years = WorkCalendarYear.objects.filter(
            year__gte=first_year, year__lte=last_year, published=True
        ).values_list("year", flat=True)
        return cls(first_year, last_year, dict(days), set(years))

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def is_assumed(self, day: dt.date) -> bool:
        return day.year not in self.published

    def add(self, start: dt.date, days: int) -> Deadline:
        """The end of the `days`-th working day after `start`."""
        if days < 0 or days > MAX_LIMIT:
            raise ValueError(f"a time limit of {days} working days is out of range")
        day, counted, assumed = start, 0, set()
        while counted < days:
            day += ONE_DAY
            if not self.covers(day):
                return _extended(self, start, days)
            if self.is_assumed(day):
                assumed.add(day.year)
            if self.is_working_day(day):
                counted += 1
        return Deadline(day, tuple(sorted(assumed)))

    def count(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end ≤ start)."""
        day, counted = start, 0
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return counted


def _extended(calendar: WorkCalendar, start: dt.date, days: int) -> Deadline:
    # A limit can run past the loaded span only at the end of December: load one more year.
    wider = WorkCalendar.load(
        dt.date(calendar.first_year, 1, 1), dt.date(calendar.last_year + 1, 1, 1)
    )
    return wider.add(start, days)


def add_working_days(start: dt.date, days: int) -> Deadline:
    """The deadline `days` working days after `start` (see the module's counting rule)."""
    # A year of working days spans at most two calendar years past the start.
    return WorkCalendar.load(start, start + dt.timedelta(days=days * 2 + 30)).add(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days were used from `start` (not counted) to `end` (counted)."""
    if end <= start:
        return 0
    return WorkCalendar.load(start, end).count(start, end)


def is_working_day(day: dt.date) -> bool:
    return WorkCalendar.load(day, day).is_working_day(day)


def unpublished_years(start: dt.date, end: dt.date) -> list[int]:
    """The years between two dates whose official arrangement is not in the calendar."""
    published = set(WorkCalendarYear.objects.filter(published=True).values_list("year", flat=True))
    return [y for y in range(start.year, end.year + 1) if y not in published]


def package_arrangements() -> tuple[range, list[tuple[dt.date, bool, str]]]:
    """The years chinese-calendar knows and their exceptions to Monday-to-Friday:
    (years, [(date, working, holiday name)])."""
    import chinese_calendar

    days: list[tuple[dt.date, bool, str]] = []
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:  # a weekend holiday changes nothing
            days.append((day, False, _holiday_name(name)))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # a make-up working day is on a weekend
            days.append((day, True, _holiday_name(name)))
    known = sorted({d.year for d in chinese_calendar.holidays})
    return range(known[0], known[-1] + 1), sorted(days)


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(name) -> str:
    text = str(getattr(name, "value", name) or "")
    if "," in text:  # chinese-calendar gives e.g. "Mid-autumn Festival,中秋" for some years
        text = text.split(",")[0]
    return HOLIDAY_NAMES.get(text, text)[:40]
