"""`linli figures` gains the visits section 走访覆盖: the past twelve months of the area,
counted from the records (hand-checked on the shared `world` district)."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from linli.core.figure_sections import sections
from linli.visits.figures import figure_rows, past_twelve_months
from linli.visits.models import Need, Visit

from .. import factories as f

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 7, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _visit(household, day):
    return Visit.objects.create(
        household=household,
        area=household.area,
        visited_on=day,
        channel="home",
        visitor_name="网格员",
    )


@pytest.fixture
def visited(world):
    h = world.households
    poor = f.tag("困难户", "household", sensitive=True)
    h[0].tag_links.create(tag=poor)
    h[1].tag_links.create(tag=poor)
    _visit(h[0], dt.date(2025, 7, 16))  # the first day of the twelve months
    _visit(h[0], dt.date(2026, 1, 10))
    _visit(h[1], dt.date(2025, 7, 15))  # the day before: not counted
    today = _visit(h[2], dt.date(2026, 7, 15))
    Need.objects.create(
        visit=today,
        household=h[2],
        category="schooling",
        description="孩子上学路远",
        found_on=today.visited_on,
    )
    return world


def _figures(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(NOON, tick=False):
        call_command("figures", *args, stdout=out)
    return out.getvalue()


def test_the_twelve_months():
    assert past_twelve_months(dt.date(2026, 7, 15)) == (dt.date(2025, 7, 16), dt.date(2026, 7, 15))
    assert past_twelve_months(dt.date(2028, 2, 29)) == (dt.date(2027, 3, 1), dt.date(2028, 2, 29))


def test_the_section_is_registered():
    assert "visits" in {section.key for section in sections()}


def test_figures_command_gains_the_visits(visited):
    data = json.loads(_figures("--json", "--area", "370772000000"))
    assert {k: v for k, v in data["visits"].items() if not k.startswith("level")} == {
        "villages": 8,
        "villages_reached": 2,  # 文岭一村 and 营辉一村
        "households": 8,
        "households_reached": 2,
        "poor": 2,
        "poor_reached": 1,
        "visits": 3,
        "needs_found": 1,
        "needs_resolved": 0,
        "overdue": 0,
    }
    levels = {k: v for k, v in data["visits"].items() if k.startswith("level")}
    assert (levels["level1_targets"], levels["level2_targets"], levels["level3_targets"]) == (
        2,
        4,
        8,
    )
    assert levels["level5_targets"] == 8 and levels["level5_linked"] == 0
    assert len(levels) == 15


def test_figures_table_shows_the_visits(visited):
    table = _figures()
    assert "Visits in the past 12 months" in table
    lines = {
        line.rsplit(maxsplit=1)[0].strip(): line.split()[-1]
        for line in table.splitlines()
        if line.strip()
    }
    assert lines["Villages visited"] == "2"
    assert lines["Poor households visited"] == "1"
    assert lines["District leader → street: to link"] == "2"


def test_rows_of_a_village(visited):
    village = visited.villages[0]
    rows = {name: value for name, _label, value in figure_rows(village, NOON.date())}
    assert (rows["villages"], rows["villages_reached"], rows["households_reached"]) == (1, 1, 1)
    assert rows["visits"] == 2 and rows["level1_targets"] == 0
