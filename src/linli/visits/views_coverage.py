"""The leader's coverage page 走访覆盖: for an area and a period, villages, households and poor
households reached, needs found and resolved, the five levels; the child areas as a bar chart
and a table to drill down; the overdue trend; the households not reached; Excel exports.

Thin: the figures come from `coverage` (helper module of this package), which `linli figures`
reads too; a user asking for an area they may not see gets 404 from it.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import selectors as core_selectors
from linli.core.downloads import attachment, full_export_refused
from linli.core.scoping import covers
from linli.core.web import render_page
from linli.registry.imports import FULL_EXPORT_REASON_MIN

from . import coverage as figures
from . import exports
from .forms import PERIOD_CHOICES, PeriodForm, period_dates
from .views_common import page_context, paginate, requested_area, require

DEFAULT_PERIOD = "year"
TREND_MONTHS = 12


@dataclass
class PeriodChoice:
    kind: str
    start: dt.date
    end: dt.date
    form: PeriodForm

    @property
    def query(self) -> QueryDict:
        """The period as a query string, for links that keep it."""
        query = QueryDict(mutable=True)
        query["period"] = self.kind
        if self.kind == "custom":
            query["start"] = self.start.isoformat()
            query["end"] = self.end.isoformat()
        return query


def _period(request, today: dt.date) -> PeriodChoice:
    """The period asked for; this year when none is, or when the dates given are wrong (the
    form then carries the errors for the page to show)."""
    form = PeriodForm(request.GET or None, initial={"period": DEFAULT_PERIOD})
    kind = DEFAULT_PERIOD
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data.get("period") or DEFAULT_PERIOD
        if kind == "custom":
            data = form.cleaned_data
            return PeriodChoice(kind, data["start"], data["end"], form)
    start, end = period_dates(kind, today)
    return PeriodChoice(kind, start, end, form)


def _area(request):
    user = request.user
    require(user, "visits.view")
    area = requested_area(request)
    if area is None or not covers(user, area, "visits.view"):
        # The working area may lie above the grant that gives visits.view (a leader's area
        # switcher); nothing is shown there.
        raise PermissionDenied
    return area


def _share(part: int, whole: int) -> str:
    return "—" if not whole else f"{part / whole:.1%}"


def _cards(c) -> list[dict]:
    return [
        {
            "label": _("Villages reached"),
            "value": f"{c.villages_reached:,} / {c.villages:,}",
            "note": _share(c.villages_reached, c.villages),
        },
        {
            "label": _("Households reached"),
            "value": f"{c.households_reached:,} / {c.households:,}",
            "note": _share(c.households_reached, c.households),
        },
        {
            "label": _("Poor households reached"),
            "value": f"{c.poor_reached:,} / {c.poor:,}",
            "note": _share(c.poor_reached, c.poor),
        },
        {"label": _("Visits"), "value": f"{c.visits:,}"},
        {
            "label": _("Needs found / resolved"),
            "value": f"{c.needs_found:,} / {c.needs_resolved:,}",
            "note": _share(c.needs_resolved, c.needs_found),
        },
        {"label": _("Overdue now"), "value": f"{c.overdue:,}", "alert": c.overdue > 0},
    ]


def _levels(c) -> list[dict]:
    return [
        {
            "level": lv.level,
            "label": lv.label,
            "targets": lv.targets,
            "linked": lv.linked,
            "linked_share": _share(lv.linked, lv.targets),
            "reached": lv.reached,
            "reached_share": _share(lv.reached, lv.targets),
        }
        for lv in c.levels
    ]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _coverage_chart(children: list) -> dict:
    """Households and poor households reached, in percent, per child area."""
    return {
        "color": ["#b22a2a", "#5470c6"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "bottom": 8, "top": 40, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": [c.area.name for c in children], "inverse": True},
        "series": [
            {
                "name": _("Households reached (%)"),
                "type": "bar",
                "data": [_percent(c.households_reached, c.households) for c in children],
            },
            {
                "name": _("Poor households reached (%)"),
                "type": "bar",
                "data": [_percent(c.poor_reached, c.poor) for c in children],
            },
        ],
    }


def _trend_chart(trend: list[tuple[dt.date, int]]) -> dict:
    return {
        "color": ["#b22a2a"],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 24, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [day.strftime("%Y-%m") for day, _n in trend]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": _("Households overdue"),
                "type": "line",
                "smooth": False,
                "data": [n for _day, n in trend],
            }
        ],
    }


def _child_rows(children: list) -> list[dict]:
    return [
        {
            "coverage": c,
            "households_share": _share(c.households_reached, c.households),
            "poor_share": _share(c.poor_reached, c.poor),
            "villages_share": _share(c.villages_reached, c.villages),
        }
        for c in children
    ]


def _counted_at(total, children: list):
    """When the figures shown were counted: the oldest summary row read (the job's refresh
    time), or now when they were counted from the records for this page."""
    times = [c.computed_at for c in [total, *children] if c.computed_at is not None]
    return timezone.localtime(min(times)) if times else timezone.localtime()


@login_required
@require_GET
def coverage(request):
    """走访覆盖 — the leader's page."""
    user = request.user
    area = _area(request)
    today = timezone.localdate()
    period = _period(request, today)
    total = figures.coverage_for(user=user, area=area, start=period.start, end=period.end)
    children = figures.coverage_by_child(user=user, area=area, start=period.start, end=period.end)
    trend = figures.overdue_trend(user=user, area=area, months=TREND_MONTHS, today=today)
    context = {
        "area": area,
        "period": period,
        "period_query": period.query.urlencode(),
        "periods": PERIOD_CHOICES,
        "breadcrumb": core_selectors.area_breadcrumb(user=user, area=area),
        "total": total,
        "cards": _cards(total),
        "not_reached_count": max(total.households - total.households_reached, 0),
        "levels": _levels(total),
        "children": _child_rows(children),
        "coverage_chart": _coverage_chart(children) if children else None,
        "trend_chart": _trend_chart(trend) if trend else None,
        "can_export_households": covers(user, area, "registry.export"),
        "counted_at": _counted_at(total, children),
    }
    status = 400 if period.form.is_bound and period.form.errors else 200
    return render_page(request, "visits/coverage.html", context, status=status)


@login_required
@require_GET
def not_reached(request):
    """未走访户 — the households under the area with no visit in the period."""
    user = request.user
    area = _area(request)
    period = _period(request, timezone.localdate())
    households = figures.households_not_reached(
        user=user, area=area, start=period.start, end=period.end
    ).select_related("visit_state")
    page = paginate(request, households)
    query = period.query
    query["area"] = str(area.pk)
    context = {
        **page_context(page),
        "rows": list(page.object_list),
        "area": area,
        "period": period,
        "query": query,
        "can_export": covers(user, area, "registry.export"),
        "can_export_full": covers(user, area, "registry.export")
        and covers(user, area, "registry.reveal"),
        "full_export_action": f"{reverse('visits:not_reached_export')}?{query.urlencode()}",
        "reason_min": FULL_EXPORT_REASON_MIN,
    }
    return render_page(request, "visits/not_reached.html", context)


def _stamp(period: PeriodChoice) -> str:
    return f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"


@login_required
@require_GET
def coverage_export(request):
    """The child areas' coverage as a workbook."""
    user = request.user
    area = _area(request)
    period = _period(request, timezone.localdate())
    if period.form.is_bound and period.form.errors:
        return _bad_period(period.form)
    total = figures.coverage_for(user=user, area=area, start=period.start, end=period.end)
    children = figures.coverage_by_child(user=user, area=area, start=period.start, end=period.end)
    out = io.BytesIO()
    exports.write_coverage(
        actor=user,
        area=area,
        start=period.start,
        end=period.end,
        total=total,
        rows=children,
        target=out,
    )
    return attachment(out.getvalue(), f"{area.name}-走访覆盖-{_stamp(period)}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def not_reached_export(request):
    """The households not reached as a workbook (registry.export needed): masked for a GET;
    with the full numbers for a POST whose body states the reason (registry.reveal needed)."""
    user = request.user
    area = _area(request)
    if not covers(user, area, "registry.export"):
        raise PermissionDenied
    period = _period(request, timezone.localdate())
    if period.form.is_bound and period.form.errors:
        return _bad_period(period.form)
    households = figures.households_not_reached(
        user=user, area=area, start=period.start, end=period.end
    )
    full = request.method == "POST"
    out = io.BytesIO()
    try:
        exports.write_not_reached(
            actor=user,
            area=area,
            start=period.start,
            end=period.end,
            households=households,
            target=out,
            reveal=full,
            reason=request.POST.get("reason", "") if full else "",
        )
    except ValidationError as e:
        back = f"{reverse('visits:not_reached')}?{request.GET.urlencode()}"
        return full_export_refused(request, e, back=back, reason_min=FULL_EXPORT_REASON_MIN)
    return attachment(out.getvalue(), f"{area.name}-未走访户-{_stamp(period)}.xlsx")


def _bad_period(form) -> HttpResponse:
    """The period's errors in words, with a 400: an export of a wrong period is not made."""
    lines = [
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
