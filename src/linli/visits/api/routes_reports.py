"""覆盖 — coverage and its drill-down, the gap list 空白点 and the households overdue for a
visit."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core.api import page, responses
from linli.core.models import Area
from linli.core.scoping import OutOfScope

from .. import coverage, selectors
from .checks import filter_area
from .schemas import (
    CoverageOut,
    CoveragePage,
    CoverageQuery,
    GapOut,
    GapQuery,
    OverduePage,
    OverdueQuery,
)

MAX_PERIOD_DAYS = 366 * 5  # as the coverage page: five years at most

router = Router()


def _top_area(user) -> Area:
    """The highest area where the caller reads visits: the default of coverage and gaps."""
    paths = sorted(user.scope_paths("visits.view"), key=lambda p: (len(p), p))
    area = Area.objects.filter(path=paths[0]).first() if paths else None
    if area is None:
        raise PermissionDenied
    return area


def _report_area(user, pk: int | None) -> Area:
    """The area a report is about: its own 404 when the caller may not read visits there."""
    if pk is None:
        return _top_area(user)
    area = Area.objects.filter(pk=pk).first()
    if area is None or not any(area.path.startswith(p) for p in user.scope_paths("area.view")):
        raise OutOfScope(Area, pk)
    if not any(area.path.startswith(p) for p in user.scope_paths("visits.view")):
        raise PermissionDenied  # the area is visible, its visits are not: as on the page
    return area


def _period(query: CoverageQuery, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for; by default this calendar year, whole, as the coverage page has
    it: no visit lies ahead, so it counts the same as the year to date, and the kept summaries
    serve a whole calendar period where they could not serve part of one."""
    start = query.start or dt.date(today.year, 1, 1)
    end = query.end or max(dt.date(today.year, 12, 31), start)
    if end < start:
        raise ValidationError({"to": _("The end cannot be before the start.")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"to": _("A period of at most five years, please.")})
    return start, end


@router.get("/coverage", response=responses({200: CoverageOut}), operation_id="coverage_get")
def get_coverage(request, query: Query[CoverageQuery]):
    """覆盖 — an area's coverage in a period: villages, households and poor households
    reached, visits, needs found and resolved, households overdue, and each of the five
    levels. Defaults: the top area of your scope, this calendar year to date."""
    user = request.auth
    area = _report_area(user, query.area)
    start, end = _period(query, timezone.localdate())
    return coverage.coverage_for(user=user, area=area, start=start, end=end)


@router.get(
    "/coverage/children",
    response=responses({200: CoveragePage}),
    operation_id="coverage_children",
)
def get_coverage_children(request, query: Query[CoverageQuery]):
    """The same figures for each area directly under the area (the drill-down)."""
    user = request.auth
    area = _report_area(user, query.area)
    start, end = _period(query, timezone.localdate())
    rows = coverage.coverage_by_child(user=user, area=area, start=start, end=end)
    return {"count": len(rows), "items": rows}


@router.get("/gaps", response=responses({200: GapOut}), operation_id="gap_list")
def list_gaps(request, query: Query[GapQuery]):
    """空白点 — per level, the targets in the area with no assignment in force on the day;
    with `level`, those targets themselves (one page)."""
    user = request.auth
    area = _report_area(user, query.area)
    on = query.on or timezone.localdate()
    counts = selectors.gap_counts(user=user, area=area, on=on)
    listed = {"count": 0, "items": []}
    if query.level is not None:
        targets = selectors.gap_list(user=user, level=query.level, area=area, on=on)
        listed = page(targets, query, ids_first=True)
    return {"area": area, "on": on, "levels": counts, "level": query.level, **listed}


@router.get("/overdue", response=responses({200: OverduePage}), operation_id="overdue_list")
def list_overdue(request, filters: Query[OverdueQuery]):
    """Households whose next visit is overdue, the most overdue first."""
    user = request.auth
    data = {"area": filter_area(user, filters.area), "worker": filters.worker}
    rows = selectors.overdue_list(user=user, filters=data)
    return page(rows, filters, ids_first=True)
