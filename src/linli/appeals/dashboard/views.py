"""The appeals dashboard 诉求统计: an area's appeals figures for a period — cards, charts, the
tiers, the categories and the areas below it (a click on an area's bar or name drills down) —
and the same as a workbook. Thin: the figures come from `appeals.figures`, which
`linli figures` reads too.

Leaders and handlers see the dashboard of an area where they hold `appeals.view`; an area they
may not see is 404, one they see but hold no `appeals.view` over is 403.
"""

from __future__ import annotations

import datetime as dt
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
from ..choices import AppealChannel, Satisfaction, StepOutcome, Tier
from ..figures import PARTS, AppealFigures, AppealReport
from . import exports

VIEW = "appeals.view"
TIER_COLOURS = {
    Tier.VILLAGE: "#3a9a5b",
    Tier.COMMUNITY: "#5470c6",
    Tier.STREET: "#e8a33d",
    Tier.DEPARTMENT: "#9a60b4",
}
OPEN_COLOUR = "#c0c0c0"
SATISFACTION_COLOURS = {
    Satisfaction.SATISFIED: "#3a9a5b",
    Satisfaction.BASICALLY: "#e8c33d",
    Satisfaction.DISSATISFIED: "#b22a2a",
}
GRID = {"left": 8, "right": 24, "bottom": 8, "top": 48, "containLabel": True}
# Tooltips drawn on the canvas ("richText"): an HTML tooltip would set inline styles, which the
# Content Security Policy refuses.
TOOLTIP_AXIS = {"trigger": "axis", "axisPointer": {"type": "shadow"}, "renderMode": "richText"}
TOOLTIP_ITEM = {"trigger": "item", "formatter": "{b}: {c} ({d}%)", "renderMode": "richText"}


# --- what the page is about -----------------------------------------------------------------


def _period(request, today: dt.date) -> PeriodChoice:
    return chosen_period(request, today)


def _area(request) -> Area:
    return dashboard_area(request, VIEW)


# --- cards and tables -------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _cards(f: AppealFigures) -> list[dict]:
    cards = [
        {"key": "raised", "label": _("Appeals raised"), "value": f"{f.raised:,}"},
        {
            "key": "settled",
            "label": _("Settled"),
            "value": f"{f.settled:,}",
            "note": _("%(share)s of those raised") % {"share": _share(f.settled_share)},
        },
        {
            "key": "village_share",
            "label": _("Settled in the village"),
            "value": _share(f.village_share),
            "note": _("小事不出村: %(n)s of %(settled)s settled")
            % {"n": f"{f.settled_by_tier[Tier.VILLAGE]:,}", "settled": f"{f.settled:,}"},
        },
        {
            "key": "community_share",
            "label": _("Settled inside the community"),
            "value": _share(f.community_share),
            "note": _("inside the street: %(share)s") % {"share": _share(f.street_share)},
        },
        {
            "key": "hand_overs",
            "label": _("Handed up / sent to a department"),
            "value": f"{f.handed_up:,} / {f.sent_to_department:,}",
            "note": _("%(n)s when the time limit passed")
            % {"n": f"{f.hand_overs[StepOutcome.ESCALATED]:,}"},
        },
        {
            "key": "overdue_now",
            "label": _("Overdue now"),
            "value": f"{f.overdue_now:,}",
            "alert": f.overdue_now > 0,
        },
        {
            "key": "satisfaction",
            "label": _("Satisfied or basically satisfied"),
            "value": _share(f.content_share),
            "note": _("%(dissatisfied)s dissatisfied of %(n)s return visits")
            % {
                "dissatisfied": _share(f.satisfaction_share(Satisfaction.DISSATISFIED)),
                "n": f"{f.return_visits:,}",
            },
        },
    ]
    for part in PARTS:
        values = part.values(f)
        for name, label in part.labels:
            value = values[name]
            shown = _share(value) if name.endswith("_share") else f"{value:,}"
            cards.append({"key": name, "label": label, "value": shown})
    return cards


def _tier_rows(f: AppealFigures) -> list[dict]:
    return [
        {
            "tier": tier.label,
            "settled": f.settled_by_tier[tier],
            "waiting": f.waiting_by_tier[tier],
            "steps": f.steps_ended(tier),
            "used": _days(f.median_days(tier)),
            "allowed": _days(f.median_allowed(tier)),
            "in_time": _share(f.in_time_share(tier)),
        }
        for tier in Tier
    ]


def _row(f: AppealFigures) -> dict:
    return {
        "raised": f.raised,
        "settled": f.settled,
        "village": _share(f.village_share),
        "community": _share(f.community_share),
        "handed_up": f.handed_up,
        "overdue": f.overdue_now,
        "content": _share(f.content_share),
    }


def _category_rows(report: AppealReport) -> list[dict]:
    rows = [
        {"name": report.category_names.get(pk, ""), **_row(f)}
        for pk, f in report.categories.items()
    ]
    rows.sort(key=lambda r: (-r["raised"], r["name"]))
    return rows


def _branches(report: AppealReport) -> list[tuple[Area, AppealFigures]]:
    areas = {a.path: a for a in Area.objects.filter(path__in=list(report.branches))}
    return [(areas[path], f) for path, f in report.branches.items() if path in areas]


def _link(area: Area, period: PeriodChoice) -> str:
    query = period.query
    query["area"] = str(area.pk)
    return f"{reverse('appeals:dashboard')}?{query.urlencode()}"


# --- charts (ECharts options, drawn by linli.js) ------------------------------------------------


def _channel_chart(f: AppealFigures) -> dict:
    return {
        "tooltip": TOOLTIP_ITEM,
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "center": ["50%", "45%"],
                "data": [
                    {"name": str(c.label), "value": f.by_channel[c]}
                    for c in AppealChannel
                    if f.by_channel[c]
                ],
            }
        ],
    }


def _tier_series(rows: list[AppealFigures]) -> list[dict]:
    """Stacked bars: settled at each tier, and still open."""
    series = [
        {
            "name": _("Settled at: %(tier)s") % {"tier": tier.label},
            "type": "bar",
            "stack": "appeals",
            "color": TIER_COLOURS[tier],
            "data": [f.settled_by_tier[tier] for f in rows],
        }
        for tier in Tier
    ]
    series.append(
        {
            "name": _("Not settled yet"),
            "type": "bar",
            "stack": "appeals",
            "color": OPEN_COLOUR,
            "data": [f.raised - f.settled for f in rows],
        }
    )
    return series


def _stacked_chart(names: list[str], rows: list[AppealFigures]) -> dict:
    return {
        "tooltip": TOOLTIP_AXIS,
        "legend": {"top": 0, "type": "scroll"},
        "grid": GRID,
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": _tier_series(rows),
    }


def _days_chart(f: AppealFigures) -> dict:
    tiers = [t for t in Tier if f.steps_ended(t)]
    return {
        "color": ["#5470c6", "#c0c0c0"],
        "tooltip": TOOLTIP_AXIS,
        "legend": {"top": 0},
        "grid": GRID,
        "xAxis": {"type": "category", "data": [str(t.label) for t in tiers]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": _("Median working days used"),
                "type": "bar",
                "data": [f.median_days(t) for t in tiers],
            },
            {
                "name": _("Median time limit (working days)"),
                "type": "bar",
                "data": [f.median_allowed(t) for t in tiers],
            },
        ],
    }


def _satisfaction_chart(f: AppealFigures) -> dict:
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
                        "name": str(s.label),
                        "value": f.satisfaction[s],
                        "itemStyle": {"color": SATISFACTION_COLOURS[s]},
                    }
                    for s in Satisfaction
                    if f.satisfaction[s]
                ],
            }
        ],
    }


# --- the pages ---------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    """诉求统计 — the leader's and the handler's page."""
    user = request.user
    area = _area(request)
    today = timezone.localdate()
    period = _period(request, today)
    report = figures.appeal_report(user=user, area=area, period=period.period, today=today)
    total = report.total
    branches = _branches(report)
    categories = sorted(report.categories.items(), key=lambda kv: -kv[1].raised)
    area_rows = [{"area": a, "url": _link(a, period), **_row(f)} for a, f in branches]
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
        "tiers": _tier_rows(total),
        "categories": _category_rows(report),
        "areas": area_rows,
        "channel_chart": _channel_chart(total) if total.raised else None,
        "category_chart": _stacked_chart(
            [report.category_names.get(pk, "") for pk, _f in categories],
            [f for _pk, f in categories],
        )
        if total.raised
        else None,
        "area_chart": _stacked_chart([a.name for a, _f in branches], [f for _a, f in branches])
        if total.raised and branches
        else None,
        "area_links": [row["url"] for row in area_rows],
        "days_chart": _days_chart(total) if any(total.steps_ended(t) for t in Tier) else None,
        "satisfaction_chart": _satisfaction_chart(total) if total.return_visits else None,
    }
    status = 400 if period.refused else 200
    return render_page(request, "appeals/dashboard.html", context, status=status)


@login_required
@require_GET
def dashboard_export(request):
    """The dashboard as a workbook: the figures, the areas below, the categories and the
    appeals overdue now (the reporter masked); the export is in the audit trail."""
    user = request.user
    area = _area(request)
    today = timezone.localdate()
    period = _period(request, today)
    if period.refused:
        return bad_period(period.form)
    report = figures.appeal_report(user=user, area=area, period=period.period, today=today)
    overdue = figures.overdue_list(user=user, area=area, today=today)
    out = io.BytesIO()
    exports.write_dashboard(
        actor=user, report=report, branches=_branches(report), overdue=overdue, target=out
    )
    stamp = f"{period.period.start:%Y%m%d}-{period.period.end:%Y%m%d}"
    return attachment(out.getvalue(), f"{area.name}-诉求统计-{stamp}.xlsx")
