"""The calendar periods 统计周期 coverage is counted and kept for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count

from linli.core.models import Area

from ..choices import PeriodKind
from ..models import CoverageSummary
from .base import TREND_MONTHS, VISIT_BACKDATE_DAYS, unit_depth


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter or year `day` falls in: (first day, last day)."""
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        return start, _month_end(start)
    if kind == PeriodKind.QUARTER:
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, _month_end(start.replace(month=start.month + 2))
    if kind == PeriodKind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


def calendar_period(start: dt.date, end: dt.date) -> str | None:
    """The kind of calendar period [start, end] is exactly, or None."""
    for kind in PeriodKind.values:
        if period_bounds(kind, start) == (start, end):
            return kind
    return None


def current_periods(
    today: dt.date, kinds: Iterable[str] | None = None
) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the periods running on `today`."""
    return [(kind, period_bounds(kind, today)[0]) for kind in (kinds or PeriodKind.values)]


def _periods_back_to(
    first: dt.date, today: dt.date, kinds: Iterable[str] | None
) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the periods of `kinds` overlapping [first, today], latest first."""
    found: list[tuple[str, dt.date]] = []
    for kind in kinds or PeriodKind.values:
        day = today
        while True:
            start, _end = period_bounds(kind, day)
            found.append((kind, start))
            if start <= first:
                break
            day = start - dt.timedelta(days=1)
    return found


def recent_periods(today: dt.date, kinds: Iterable[str] | None = None) -> list[tuple[str, dt.date]]:
    """(kind, first day) of every period a visit recorded today may fall in: those overlapping
    the last VISIT_BACKDATE_DAYS days."""
    return _periods_back_to(today - dt.timedelta(days=VISIT_BACKDATE_DAYS), today, kinds)


def month_starts(today: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the last `months` months, this one included, oldest first."""
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.insert(0, (firsts[0] - dt.timedelta(days=1)).replace(day=1))
    return firsts


def history_periods(today: dt.date, months: int = TREND_MONTHS) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the months, quarters and years overlapping the last `months`
    months: what the leader's page and its overdue trend ask for (e.g. to count them all once
    after loading a year of visits)."""
    return _periods_back_to(month_starts(today, months)[0], today, None)


def incomplete_periods(periods: Iterable[tuple[str, dt.date]]) -> list[tuple[str, dt.date]]:
    """Those of `periods` for which some unit has no summary row."""
    periods = list(periods)
    depth = unit_depth()
    units = Area.objects.filter(depth=depth).count()
    counted = (
        CoverageSummary.objects.filter(
            period_start__in={start for _kind, start in periods}, village__depth=depth
        )
        .values_list("period_kind", "period_start")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kept = {(kind, start): n for kind, start, n in counted}
    return [p for p in periods if kept.get(p, 0) < units]
