"""The residents-decide dashboard 由民做主统计: an area's figures for a period — cards, the matters
at each step, by category and by area below (a click on an area's bar or name drills down), the
votes' results and the residents' ratings — and the same as a workbook. Thin: the figures come
from `decide.figures`, which `linli figures` reads too.

Leaders and the community's staff see the dashboard of an area where they hold `decide.view`;
an area they may not see is 404, one they see without `decide.view` over it 403.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from linli.core import selectors as core_selectors
from linli.core.downloads import attachment
from linli.core.figure_pages import bad_period, dashboard_area
from linli.core.models import Area
from linli.core.periods import PERIOD_CHOICES, PeriodChoice, chosen_period
from linli.core.web import render_page

from .. import figures
from ..choices import STEPS, Rating, Stage, VoteResult
from ..figures import DecideFigures, DecideReport
from . import exports

VIEW = figures.VIEW
STAGE_COLOURS = {
    Stage.PROPOSE: "#91cc75",
    Stage.DELIBERATE: "#5470c6",
    Stage.DECIDE: "#9a60b4",
    Stage.MANAGE: "#e8a33d",
    Stage.SUPERVISE: "#3ba272",
    Stage.DONE: "#2f7d4a",
    Stage.CLOSED: "#c0c0c0",
}
RATING_COLOURS = {
    Rating.SATISFIED: "#3a9a5b",
    Rating.BASICALLY: "#e8c33d",
    Rating.DISSATISFIED: "#b22a2a",
}
GRID = {"left": 8, "right": 24, "bottom": 8, "top": 48, "containLabel": True}
# Tooltips drawn on the canvas: an HTML tooltip would set inline styles, which the Content
# Security Policy refuses.
TOOLTIP_AXIS = {"trigger": "axis", "axisPointer": {"type": "shadow"}, "renderMode": "richText"}
TOOLTIP_ITEM = {"trigger": "item", "formatter": "{b}: {c} ({d}%)", "renderMode": "richText"}


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _cards(f: DecideFigures) -> list[dict]:
    in_progress = sum(f.by_stage[s] for s in STEPS)
    return [
        {
            "key": "raised",
            "label": _("Matters raised"),
            "value": f"{f.raised:,}",
            "note": _("%(n)s supports given") % {"n": f"{f.supports:,}"},
        },
        {
            "key": "in_progress",
            "label": _("At one of the five steps now"),
            "value": f"{in_progress:,}",
        },
        {"key": "done", "label": _("Carried out and rated"), "value": f"{f.carried_out:,}"},
        {
            "key": "votes",
            "label": _("Votes closed"),
            "value": f"{f.votes:,}",
            "note": _("%(passed)s passed, %(no_quorum)s missed the quorum")
            % {
                "passed": f.by_result[VoteResult.PASSED],
                "no_quorum": f.by_result[VoteResult.NO_QUORUM],
            },
        },
        {
            "key": "turnout",
            "label": _("Turnout"),
            "value": _share(f.turnout),
            "note": _("%(ballots)s ballots of %(roll)s eligible")
            % {"ballots": f"{f.ballots:,}", "roll": f"{f.roll:,}"},
        },
        {
            "key": "on_time",
            "label": _("Tasks done on time"),
            "value": _share(f.on_time_share),
            "note": _("%(n)s tasks done") % {"n": f"{f.tasks_done:,}"},
        },
        {
            "key": "overdue",
            "label": _("Tasks overdue now"),
            "value": f"{f.tasks_overdue_now:,}",
            "alert": f.tasks_overdue_now > 0,
        },
        {
            "key": "content",
            "label": _("Residents satisfied or basically"),
            "value": _share(f.content_share),
            "note": _("%(n)s ratings") % {"n": f"{f.rated:,}"},
        },
        {
            "key": "commitments",
            "label": _("Party members' commitments"),
            "value": f"{f.commitments:,}",
            "note": _("%(n)s fulfilment records") % {"n": f"{f.commitment_records:,}"},
        },
    ]


def _stage_series(rows: list[DecideFigures]) -> list[dict]:
    return [
        {
            "name": str(stage.label),
            "type": "bar",
            "stack": "matters",
            "color": STAGE_COLOURS[stage],
            "data": [f.by_stage[stage] for f in rows],
        }
        for stage in Stage
    ]


def _stacked_chart(names: list[str], rows: list[DecideFigures]) -> dict:
    return {
        "tooltip": TOOLTIP_AXIS,
        "legend": {"top": 0, "type": "scroll"},
        "grid": GRID,
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": _stage_series(rows),
    }


def _days_chart(f: DecideFigures) -> dict:
    steps = [s for s in STEPS if f.days_at[s]]
    return {
        "color": ["#5470c6"],
        "tooltip": TOOLTIP_AXIS,
        "grid": GRID,
        "xAxis": {"type": "category", "data": [str(s.label) for s in steps]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("Median days"), "type": "bar", "data": [f.median_days(s) for s in steps]}
        ],
    }


def _ratings_chart(f: DecideFigures) -> dict:
    return {
        "tooltip": TOOLTIP_ITEM,
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "center": ["50%", "45%"],
                "data": [
                    {
                        "name": str(r.label),
                        "value": f.ratings[r],
                        "itemStyle": {"color": RATING_COLOURS[r]},
                    }
                    for r in Rating
                    if f.ratings[r]
                ],
            }
        ],
    }


def _branches(report: DecideReport) -> list[tuple[Area, DecideFigures]]:
    areas = {a.path: a for a in Area.objects.filter(path__in=list(report.branches))}
    return [(areas[p], f) for p, f in report.branches.items() if p in areas]


def _link(area: Area, period: PeriodChoice) -> str:
    query = period.query.copy()
    query["area"] = str(area.pk)
    return f"{reverse('decide_dashboard:dashboard')}?{query.urlencode()}"


def _row(f: DecideFigures) -> dict:
    return {
        "raised": f.raised,
        "in_progress": sum(f.by_stage[s] for s in STEPS),
        "done": f.carried_out,
        "turnout": _share(f.turnout),
        "on_time": _share(f.on_time_share),
        "overdue": f.tasks_overdue_now,
        "content": _share(f.content_share),
    }


@login_required
@require_GET
def dashboard(request):
    """由民做主统计 — the leader's and the community's page."""
    user = request.user
    area = dashboard_area(request, VIEW)
    today = timezone.localdate()
    period = chosen_period(request, today)
    report = figures.decide_report(user=user, area=area, period=period.period, today=today)
    total = report.total
    branches = _branches(report)
    area_rows = [{"area": a, "url": _link(a, period), **_row(f)} for a, f in branches]
    categories = sorted(total.by_category.items(), key=lambda kv: -kv[1])
    context = {
        "area": area,
        "period": period,
        "periods": PERIOD_CHOICES,
        "period_query": period.query.urlencode(),
        "counted_at": timezone.localtime(),
        "breadcrumb": [
            (a, _link(a, period)) for a in core_selectors.area_breadcrumb(user=user, area=area)
        ],
        "cards": _cards(total),
        "steps": [
            {"stage": s.label, "now": total.by_stage[s], "days": _days(total.median_days(s))}
            for s in STEPS
        ],
        "areas": area_rows,
        "area_chart": _stacked_chart([a.name for a, _f in branches], [f for _a, f in branches])
        if total.raised and branches
        else None,
        "area_links": [row["url"] for row in area_rows],
        "category_chart": {
            "tooltip": TOOLTIP_AXIS,
            "grid": GRID,
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {
                "type": "category",
                "inverse": True,
                "data": [report.category_names.get(pk, "") for pk, _n in categories],
            },
            "series": [
                {"name": _("Matters raised"), "type": "bar", "data": [n for _pk, n in categories]}
            ],
        }
        if categories
        else None,
        "days_chart": _days_chart(total) if any(total.days_at[s] for s in STEPS) else None,
        "ratings_chart": _ratings_chart(total) if total.rated else None,
    }
    status = 400 if period.refused else 200
    return render_page(request, "decide/dashboard/dashboard.html", context, status=status)


@login_required
@require_GET
def dashboard_export(request):
    """The dashboard as a workbook: the figures and the areas below; recorded in the audit trail."""
    user = request.user
    area = dashboard_area(request, VIEW)
    today = timezone.localdate()
    period = chosen_period(request, today)
    if period.refused:
        return bad_period(period.form)
    report = figures.decide_report(user=user, area=area, period=period.period, today=today)
    out = io.BytesIO()
    exports.write_dashboard(actor=user, report=report, branches=_branches(report), target=out)
    stamp = f"{period.period.start:%Y%m%d}-{period.period.end:%Y%m%d}"
    return attachment(out.getvalue(), f"{area.name}-由民做主统计-{stamp}.xlsx")
