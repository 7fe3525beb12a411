"""The hall dashboard 办件统计: an area's service-hall figures for a period, with the areas
below it (a drill-down), the items, and charts. Thin: the figures come from `figures`,
which `linli figures` reads too."""

from __future__ import annotations

import datetime as dt
import math

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from linli.core import selectors as core_selectors
from linli.core.lookups import starts_with
from linli.core.masking import mask_name
from linli.core.models import Area
from linli.core.periods import Period
from linli.core.scoping import OutOfScope
from linli.core.workspace import current_area

from ..choices import ApplicationState
from ..models import Application
from .figures import HallFigures, HallReport, hall_report

TOP_ITEMS = 15  # items in the charts; the table lists them all
RECENT = 10


def _requested_area(request) -> Area | None:
    raw = request.GET.get("area", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise OutOfScope(Area, raw)
    return core_selectors.area_get(user=request.user, pk=int(raw))


def _period(request, today: dt.date) -> tuple[Period, int]:
    """The year asked for (`?year=`), this year by default; a year not yet begun or not a
    number falls back to this year."""
    raw = request.GET.get("year", "").strip()
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else today.year
    end = today if year == today.year else dt.date(year, 12, 31)
    return Period(dt.date(year, 1, 1), end), year


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


def _against(early: float | None) -> str:
    """A median against the promise in words: N working days early, or late."""
    if early is None:
        return "—"
    if early >= 0:
        return ngettext(
            "%(days)s working day early", "%(days)s working days early", math.ceil(early)
        ) % {"days": f"{early:g}"}
    late = -early
    return ngettext("%(days)s working day late", "%(days)s working days late", math.ceil(late)) % {
        "days": f"{late:g}"
    }


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _cards(f: HallFigures) -> list[dict]:
    return [
        {"label": _("Applications"), "value": f.applications},
        {"label": _("Completed"), "value": f.completed},
        {
            "label": _("Median working days used / promised"),
            "value": f"{_days(f.median_days_used)} / {_days(f.median_days_promised)}",
            "note": _("%(days)s working days early (median)") % {"days": _days(f.median_days_early)}
            if f.median_days_early is not None
            else "",
        },
        {"label": _("Finished in at most one trip"), "value": _share(f.one_trip_share)},
        {
            "label": _("Overdue now"),
            "value": f.overdue_now,
            "note": _("%(n)s steps past their time limit") % {"n": f.overdue_steps_now},
            "alert": f.overdue_now > 0,
        },
        {
            "label": _("Outreach: found / contacted / applied"),
            "value": f"{f.outreach_found} / {f.outreach_contacted} / {f.outreach_applied}",
        },
        {
            "label": _("Satisfaction"),
            "value": "—" if f.average_score is None else f"{f.average_score:.2f}",
            "note": _("%(share)s satisfied of %(n)s ratings")
            % {"share": _share(f.satisfied_share), "n": f.ratings},
        },
    ]


def _item_rows(report: HallReport) -> list[dict]:
    rows = []
    for item_id, f in report.items.items():
        rows.append(
            {
                "name": report.item_names.get(item_id, ""),
                "applications": f.applications,
                "completed": f.completed,
                "used": _days(f.median_days_used),
                "promised": report.item_promises.get(item_id, "—"),
                "against": _against(f.median_days_early),
                "one_trip": _share(f.one_trip_share),
                "overdue": f.overdue_now,
                "score": "—" if f.average_score is None else f"{f.average_score:.1f}",
            }
        )
    rows.sort(key=lambda r: (-r["applications"], r["name"]))
    return rows


def _state_chart(report: HallReport) -> dict:
    """Applications of the busiest items, stacked by state."""
    top = sorted(report.items.items(), key=lambda kv: -kv[1].applications)[:TOP_ITEMS]
    names = [report.item_names.get(item_id, "") for item_id, _f in top]
    series = [
        {
            "name": str(state.label),
            "type": "bar",
            "stack": "state",
            "data": [f.by_state[state] for _id, f in top],
        }
        for state in ApplicationState
        if any(f.by_state[state] for _id, f in top)
    ]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 48, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": series,
    }


def _days_chart(report: HallReport) -> dict:
    """Median working days used against the promise, per item with completed applications."""
    done = [(i, f) for i, f in report.items.items() if f.median_days_used is not None]
    done.sort(key=lambda kv: -kv[1].completed)
    done = done[:TOP_ITEMS]
    return {
        "color": ["#5470c6", "#c0c0c0"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 48, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "data": [report.item_names.get(i, "") for i, _f in done],
            "inverse": True,
        },
        "series": [
            {
                "name": _("Median working days used"),
                "type": "bar",
                "data": [f.median_days_used for _i, f in done],
            },
            {
                "name": _("Promised working days"),
                "type": "bar",
                "data": [report.item_promises.get(i) for i, _f in done],
            },
        ],
    }


def _area_rows(user, report: HallReport) -> list[dict]:
    areas = {a.path: a for a in Area.objects.filter(path__in=list(report.branches))}
    rows = []
    for path, f in report.branches.items():
        rows.append(
            {
                "area": areas[path],
                "applications": f.applications,
                "completed": f.completed,
                "used": _days(f.median_days_used),
                "one_trip": _share(f.one_trip_share),
                "overdue": f.overdue_now,
                "outreach": f"{f.outreach_found} / {f.outreach_applied}",
                "score": "—" if f.average_score is None else f"{f.average_score:.1f}",
            }
        )
    rows.sort(key=lambda r: r["area"].name)
    return rows


def _recent(user, area: Area, period: Period) -> list[dict]:
    """The latest completed applications with the working days they took against the promise
    (the applicant's name masked: a dashboard is not where people are looked up)."""
    recent = (
        Application.objects.restrict(user, "view")
        .filter(starts_with("area__path", area.path), state=ApplicationState.COMPLETED)
        .filter(period.condition("finished_at"))
        .select_related("item", "resident")
        .order_by("-finished_at")[:RECENT]
    )
    rows = [
        {
            "number": a.number,
            "item": a.item.name,
            "applicant": mask_name(a.resident.name),
            "promised": a.promised_days,
            "used": a.working_days_used,
            "early": (a.promised_days - a.working_days_used)
            if a.working_days_used is not None
            else None,
            "trips": a.trip_count,
            "finished": a.finished_at,
        }
        for a in recent
    ]
    for row in rows:
        row["late"] = -row["early"] if row["early"] is not None and row["early"] < 0 else 0
    return rows


@login_required
@require_GET
def dashboard(request):
    user = request.user
    area = _requested_area(request)
    if not user.has_permission("hall.view"):
        raise PermissionDenied
    area = area or current_area(request)
    if area is None:
        raise PermissionDenied
    today = timezone.localdate()
    period, year = _period(request, today)
    report = hall_report(user=user, area=area, period=period, today=today)
    context = {
        "area": area,
        "year": year,
        "years": list(range(today.year, today.year - 5, -1)),
        "period": period,
        "counted_at": timezone.localtime(),
        "breadcrumb": core_selectors.area_breadcrumb(user=user, area=area),
        "cards": _cards(report.total),
        "items": _item_rows(report),
        "areas": _area_rows(user, report),
        "recent": _recent(user, area, period),
        "state_chart": _state_chart(report) if report.items else None,
        "days_chart": _days_chart(report) if report.total.completed else None,
    }
    return render(request, "services/dashboard.html", context)
