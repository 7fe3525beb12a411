"""Reading coverage for someone: from the kept summaries when they serve, else counted live."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers
from linli.registry.models import Household

from ..choices import PeriodKind
from ..models import CoverageSummary, Visit
from .base import (
    SUMMARY_MAX_AGE,
    SUMMED,
    VILLAGE_LEVEL,
    _grouped,
    _in_period,
    _under,
    unit_depth,
)
from .overdue import _overdue_condition
from .periods import _month_end, calendar_period, month_starts
from .result import Coverage
from .totals import _fill, _from_records, _levels, _new, coverage_live
from .upper import _upper_levels


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _fresh_after(end: dt.date, today: dt.date) -> dt.datetime:
    """Rows refreshed before this moment are not trusted: a running period's older than
    SUMMARY_MAX_AGE, a past period's counted before it was over."""
    if end >= today:
        return timezone.now() - SUMMARY_MAX_AGE
    return _start_of(end + dt.timedelta(days=1))


def _summary_rows(
    area: Area, kind: str, period_start: dt.date, length: int, depth: int
) -> list[dict]:
    rows = CoverageSummary.objects.filter(
        _under("village__path", area.path), period_kind=kind, period_start=period_start
    )
    village = Q(village__kind=AreaKind.VILLAGE)
    return list(
        _grouped(rows, "village__path", length).annotate(
            # Named apart from the columns: an annotation named like a column would stand in
            # for it in the filters below.
            **{f"sum_{name}": Sum(name) for name in SUMMED},
            villages=Count("pk", filter=village),
            villages_reached=Count("pk", filter=village & Q(visits__gt=0)),
            villages_linked=Count("pk", filter=village & Q(village_linked=True)),
            villages_reached_by_link=Count("pk", filter=village & Q(village_reached=True)),
            units=Count("pk", filter=Q(village__depth=depth)),
            oldest=Min("refreshed_at"),
        )
    )


def _from_summaries(
    area: Area, groups: list[Area], start: dt.date, end: dt.date, today: dt.date
) -> list[Coverage] | None:
    """The coverage of each of `groups` from the kept summaries, or None when they cannot
    serve: not a calendar period, a unit without its row, or rows not fresh."""
    kind = calendar_period(start, end)
    if kind is None:
        return None
    depth = unit_depth()
    district_depth = depth - VILLAGE_LEVEL
    if any(g.depth > depth for g in groups):
        return None
    length = max([len(area.path)] + [len(g.path) for g in groups])
    rows = _summary_rows(area, kind, start, length, depth)
    units = Area.objects.filter(_under("path", area.path), depth=depth).count()
    if not rows or sum(r["units"] for r in rows) != units:
        return None
    oldest = min(r["oldest"] for r in rows)
    if oldest < _fresh_after(end, today):
        return None
    upper = _upper_levels(area, start, end, district_depth)
    out = []
    for group in groups:
        mine = [r for r in rows if r["key"].startswith(group.path)]
        sums: Counter = Counter()
        for r in mine:
            sums.update({k: r[f"sum_{k}"] or 0 for k in SUMMED})
            sums.update({"villages": r["villages"], "villages_reached": r["villages_reached"]})
            sums.update(
                {"linked3": r["villages_linked"], "reached3": r["villages_reached_by_link"]}
            )
        c = _new(group, start, end, "summary", oldest)
        _fill(c, sums)
        c.villages, c.villages_reached = sums["villages"], sums["villages_reached"]
        _levels(c, upper, group.path, sums, (sums["villages"], sums["linked3"], sums["reached3"]))
        out.append(c)
    return out


def _require_view(user, area: Area) -> None:
    if user is None or not covers(user, area, "visits.view"):
        raise OutOfScope(Area, area.pk)


def coverage_for(
    *, user, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Coverage:
    """The coverage of `area` for someone who may read visits there (else OutOfScope, a 404):
    from the kept summaries when they can serve (see the package's docstring), else counted."""
    _require_view(user, area)
    today = today or timezone.localdate()
    kept = _from_summaries(area, [area], start, end, today)
    return kept[0] if kept else coverage_live(area=area, start=start, end=end, today=today)


def coverage_by_child(
    *, user, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> list[Coverage]:
    """The coverage of each area directly under `area` (the drill-down), in tree order."""
    _require_view(user, area)
    today = today or timezone.localdate()
    children = list(Area.objects.filter(parent=area).order_by("path"))
    if not children:
        return []
    kept = _from_summaries(area, children, start, end, today)
    return kept if kept is not None else _from_records(area, children, start, end, today)


def households_not_reached(*, user, area: Area, start: dt.date, end: dt.date) -> QuerySet:
    """未走访户 — the households living under `area` with no visit from `start` to `end`
    (as many as the coverage's households minus those reached), in tree order."""
    _require_view(user, area)
    visited = Visit.objects.filter(_in_period(start, end), household=OuterRef("pk"))
    return (
        Household.objects.filter(starts_with("area__path", area.path))
        .filter(~Exists(visited))
        .select_related("area", "head")
        .order_by("area__path", "number")
    )


def overdue_trend(
    *, user, area: Area, months: int = 12, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """(first day of the month, households overdue at its end — today for this month) for the
    last `months` months, oldest first; from the month summaries where they serve."""
    _require_view(user, area)
    today = today or timezone.localdate()
    firsts = month_starts(today, months)
    kept = _kept_overdue(area, firsts, today)
    trend = []
    for first in firsts:
        if first in kept:
            trend.append((first, kept[first]))
        else:
            end = min(_month_end(first), today)
            trend.append((first, overdue_live(area=area, on=end, today=today)))
    return trend


def _kept_overdue(area: Area, firsts: list[dt.date], today: dt.date) -> dict[dt.date, int]:
    depth = unit_depth()
    if area.depth > depth:
        return {}
    units = Area.objects.filter(_under("path", area.path), depth=depth).count()
    rows = (
        CoverageSummary.objects.filter(
            _under("village__path", area.path),
            period_kind=PeriodKind.MONTH,
            period_start__in=firsts,
        )
        .values("period_start")
        .annotate(
            overdue=Sum("overdue"),
            units=Count("pk", filter=Q(village__depth=depth)),
            oldest=Min("refreshed_at"),
        )
        .order_by()
    )
    return {
        r["period_start"]: r["overdue"]
        for r in rows
        if units
        and r["units"] == units
        and r["oldest"] >= _fresh_after(_month_end(r["period_start"]), today)
    }


def overdue_live(*, area: Area, on: dt.date, today: dt.date | None = None) -> int:
    """Households under `area` whose visit was overdue on `on` (today: from the visit states)."""
    today = today or timezone.localdate()
    return (
        Household.objects.filter(starts_with("area__path", area.path))
        .filter(_overdue_condition(on, today))
        .count()
    )
