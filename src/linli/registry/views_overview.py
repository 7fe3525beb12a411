"""The registry overview 区域概况: an area's headline figures, counted from the records when the
page is asked for, with the same figures for each area below it (a drill-down) and a chart.

Thin like every view: the figures come from `registry.figures`, which the command line
(`linli figures`) reads too, so the page and the command cannot disagree.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from linli.core import selectors as core_selectors
from linli.core.models import Area
from linli.core.scoping import OutOfScope
from linli.core.workspace import current_area

from .figures import FIGURE_LABELS, AreaFigures, area_and_child_figures

# The figures shown as cards (the left-behind split goes under its total) and as table columns.
CARD_FIGURES = (
    "communities",
    "villages",
    "households",
    "poor_households",
    "party_central_households",
    "residents",
    "party_members",
    "left_behind",
    "service_halls",
    "clinics",
    "police_rooms",
)
SPLIT = ("left_behind_elderly", "left_behind_children", "left_behind_women")
TABLE_FIGURES = (
    "communities",
    "villages",
    "households",
    "poor_households",
    "residents",
    "left_behind",
    "service_halls",
    "clinics",
    "police_rooms",
)
LABELS = dict(FIGURE_LABELS)

# Labels rotate under the bars once there are more areas than fit side by side on a phone.
CHART_ROTATE_AFTER = 4


def _requested_area(request) -> Area | None:
    """The area named by `?area=`, if one is: 404 when the user cannot see it (or it is not
    there), like every page that takes an id."""
    raw = request.GET.get("area", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise OutOfScope(Area, raw)
    return core_selectors.area_get(user=request.user, pk=int(raw))


def _cards(figures: AreaFigures) -> list[dict]:
    cards = []
    for name in CARD_FIGURES:
        card = {"label": LABELS[name], "value": getattr(figures, name)}
        if name == "left_behind":
            card["split"] = [{"label": LABELS[n], "value": getattr(figures, n)} for n in SPLIT]
        cards.append(card)
    return cards


def _columns() -> list[str]:
    return [str(LABELS[name]) for name in TABLE_FIGURES] + [_("Current posts")]


def _row(figures: AreaFigures, columns: list[str]) -> dict:
    values = [getattr(figures, name) for name in TABLE_FIGURES] + [figures.current_posts]
    return {"area": figures.area, "cells": list(zip(columns, values, strict=True))}


def _chart(children: list[AreaFigures]) -> dict:
    """ECharts option: households and poor households, one pair of bars per child area."""
    names = [f.area.name for f in children]
    rotate = 30 if len(children) > CHART_ROTATE_AFTER else 0
    return {
        "color": ["#5470c6", "#b22a2a"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 40, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": names,
            "axisLabel": {"interval": 0, "rotate": rotate},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": pgettext("figure", "Households"),
                "type": "bar",
                "data": [f.households for f in children],
            },
            {
                "name": pgettext("figure", "Poor households"),
                "type": "bar",
                "data": [f.poor_households for f in children],
            },
        ],
    }


@login_required
@require_GET
def overview(request):
    user = request.user
    # An id is looked up first, so an area the user cannot see is a 404 for every role.
    area = _requested_area(request)
    if not (user.is_staff_member and user.has_permission("registry.view")):
        raise PermissionDenied
    area = area or current_area(request)
    if area is None:  # a staff member without any area of work
        raise PermissionDenied
    figures, children = area_and_child_figures(user=user, area=area)
    columns = _columns()
    context = {
        "area": area,
        "counted_at": timezone.localtime(),
        "breadcrumb": core_selectors.area_breadcrumb(user=user, area=area),
        "cards": _cards(figures),
        "posts": [(label, n) for _kind, label, n in figures.post_rows() if n],
        "columns": columns,
        "rows": [_row(child, columns) for child in children],
        "chart": _chart(children) if children else None,
        "chart_label": _("Households and poor households by area"),
    }
    return render(request, "registry/overview.html", context)
