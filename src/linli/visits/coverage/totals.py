"""Adding up the counted figures into the coverage of an area and its groups."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.utils import timezone

from linli.core.models import Area

from ..choices import LinkLevel
from .base import VILLAGE_LEVEL, unit_depth, unit_length
from .records import _rows_from_records, _villages, _villages_linked
from .result import Coverage, LevelCoverage
from .upper import _Upper, _upper_levels


def _new(area: Area, start: dt.date, end: dt.date, source: str, at) -> Coverage:
    return Coverage(area=area, start=start, end=end, source=source, computed_at=at)


def _levels(c: Coverage, upper: _Upper, group: str, sums: Counter, villages: tuple) -> None:
    """Fill c.levels: 1–2 from `upper`; 3 (villages, linked, reached); 4–5 from `sums`."""
    village_count, village_linked, village_reached = villages
    rows = []
    for level in LinkLevel:
        if level in upper.targets:
            targets, linked, reached = upper.count(level, group)
        elif level == LinkLevel.CADRE:
            targets, linked, reached = village_count, village_linked, village_reached
        elif level == LinkLevel.VILLAGE_CADRE:
            targets = sums["party_members"]
            linked, reached = sums["party_members_linked"], sums["party_members_reached"]
        else:
            targets = sums["households"]
            linked, reached = sums["households_linked"], sums["households_reached_by_link"]
        rows.append(LevelCoverage(int(level), str(level.label), targets, linked, reached))
    c.levels = rows


def _fill(c: Coverage, sums: Counter) -> None:
    for name in ("households", "households_reached", "poor", "poor_reached", "visits"):
        setattr(c, name, sums[name])
    c.needs_found, c.needs_resolved, c.overdue = (
        sums["needs_found"],
        sums["needs_resolved"],
        sums["overdue"],
    )


def _from_records(area: Area, groups: list[Area], start, end, today) -> list[Coverage]:
    """The coverage of each of `groups` (areas under `area`, or `area` itself), counted from
    the records in one pass over `area`."""
    now = timezone.now()
    depth = unit_depth()
    unit = unit_length(depth)
    length = max([unit, len(area.path)] + [len(g.path) for g in groups])
    rows = _rows_from_records(area.path, length, start, end, today)
    villages = _villages(area.path)
    linked = _villages_linked(area.path, start, end)
    # Per village: its visits, and its visits under a level-3 link.
    by_village: dict[str, Counter] = defaultdict(Counter)
    for key, row in rows.items():
        by_village[key[:unit]].update(row)
    upper = _upper_levels(area, start, end, depth - VILLAGE_LEVEL)
    out = []
    for group in groups:
        sums: Counter = Counter()
        for key, row in rows.items():
            if key.startswith(group.path):
                sums.update(row)
        mine = [v for v in villages if v.startswith(group.path)]
        c = _new(group, start, end, "records", now)
        _fill(c, sums)
        c.villages = len(mine)
        c.villages_reached = sum(1 for v in mine if by_village[v]["visits"])
        level3 = (
            len(mine),
            sum(1 for v in mine if v in linked),
            sum(1 for v in mine if by_village[v]["level3_visits"]),
        )
        _levels(c, upper, group.path, sums, level3)
        out.append(c)
    return out


def coverage_live(
    *, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Coverage:
    """The coverage of `area` from `start` to `end`, counted straight from the records (a
    trusted caller: no scope check)."""
    today = today or timezone.localdate()
    return _from_records(area, [area], start, end, today)[0]
