"""The visits section of `linli figures` 走访覆盖: the past twelve months of an area, counted
from the records when asked — villages, households and poor households reached, needs found
and resolved, and each of the five links' targets, linked and reached."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import pgettext

from linli.core.models import Area

from .coverage.totals import coverage_live


def past_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """From the day after the same day a year ago, to today."""
    try:
        start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February: a year ago there was none
        start = dt.date(today.year - 1, 3, 1)
    return start, today


def figure_rows(area: Area, today: dt.date) -> list[tuple[str, str, object]]:
    """(name, label, value) rows of `area` for the past twelve months (a trusted caller)."""
    start, end = past_twelve_months(today)
    c = coverage_live(area=area, start=start, end=end, today=today)
    rows = [
        ("villages", pgettext("figure", "Villages"), c.villages),
        ("villages_reached", pgettext("figure", "Villages visited"), c.villages_reached),
        ("households", pgettext("figure", "Households"), c.households),
        ("households_reached", pgettext("figure", "Households visited"), c.households_reached),
        ("poor", pgettext("figure", "Poor households"), c.poor),
        ("poor_reached", pgettext("figure", "Poor households visited"), c.poor_reached),
        ("visits", pgettext("figure", "Visits"), c.visits),
        ("needs_found", pgettext("figure", "Needs found"), c.needs_found),
        ("needs_resolved", pgettext("figure", "Needs resolved"), c.needs_resolved),
        ("overdue", pgettext("figure", "Households overdue for a visit now"), c.overdue),
    ]
    for lv in c.levels:
        rows += [
            (
                f"level{lv.level}_targets",
                _level(lv.label, pgettext("figure", "to link")),
                lv.targets,
            ),
            (f"level{lv.level}_linked", _level(lv.label, pgettext("figure", "linked")), lv.linked),
            (
                f"level{lv.level}_reached",
                _level(lv.label, pgettext("figure", "visited")),
                lv.reached,
            ),
        ]
    return rows


def _level(level_label: str, what: str) -> str:
    return pgettext("figure", "%(level)s: %(what)s") % {"level": level_label, "what": what}
