"""Periods 统计期 of the figures, and the median of counted values: one home for what every
module's dashboard, the cockpit and `linli figures` share."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: dt.date
    end: dt.date

    @classmethod
    def year_to_date(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(dt.date(today.year, 1, 1), today)

    def condition(self, field_name: str) -> Q:
        """Times from the start of the first day to the end of the last, in local time (a range
        on the column itself, so that its index serves)."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


PERIOD_KINDS = ("12m", "year", "quarter", "month")


def period_of(kind: str, today: dt.date) -> Period:
    """A named period up to today: the past 12 months ("12m"), this calendar year, quarter or
    month so far."""
    if kind == "year":
        return Period(dt.date(today.year, 1, 1), today)
    if kind == "quarter":
        return Period(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    if kind == "month":
        return Period(today.replace(day=1), today)
    try:
        start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February: a year ago there was none
        start = dt.date(today.year - 1, 3, 1)
    return Period(start, today)


def median(histogram: Counter) -> float | None:
    """The median of values given as {value: how many}; None when there are none."""
    total = sum(histogram.values())
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # 0-based ranks of the middle one or two
    seen, low = 0, None
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > lower:
            low = value
        if seen > upper:
            return (low + value) / 2
    return float(max(histogram))  # pragma: no cover - the loop always returns
