"""Levels 1 and 2 of the five links (the areas above the villages) from the records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models.functions import Substr

from linli.core.models import Area

from ..models import ContactAssignment, Visit
from .base import SEGMENT, UPPER_LEVELS, _active_in, _in_period, _under


@dataclass
class _Upper:
    """The streets and communities under an area, and which are linked and reached."""

    targets: dict[int, list[str]]  # level → target paths
    linked: dict[int, set[str]]
    reached: dict[int, set[str]]

    def count(self, level: int, group: str) -> tuple[int, int, int]:
        def under(paths):
            return sum(1 for p in paths if p.startswith(group))

        return (
            under(self.targets[level]),
            under(self.linked[level] & set(self.targets[level])),
            under(self.reached[level] & set(self.targets[level])),
        )


def _upper_levels(area: Area, start: dt.date, end: dt.date, district_depth: int) -> _Upper:
    """Levels 1 and 2 from the records (a few small queries whatever the size: the visits
    under these links are found through their assignments, so the year's visits are never
    scanned). `district_depth`: `Area.objects.district_depth()`, asked once by the caller."""
    upper = _Upper({}, {}, {})
    for level, kind, below_district in UPPER_LEVELS:
        depth = district_depth + below_district
        upper.targets[level], upper.linked[level], upper.reached[level] = [], set(), set()
        if area.depth > depth:
            continue
        upper.targets[level] = list(
            Area.objects.filter(_under("path", area.path), kind=kind).values_list("path", flat=True)
        )
        if not upper.targets[level]:
            continue
        upper.linked[level] = set(
            ContactAssignment.objects.filter(
                _active_in(start, end),
                _under("area__path", area.path),
                level=level,
                area__kind=kind,
            ).values_list("area__path", flat=True)
        )
        visits = Visit.objects.filter(
            _in_period(start, end),
            _under("area__path", area.path),
            link_level=level,
            assignment__level=level,
        )
        upper.reached[level] = set(
            visits.annotate(key=Substr("area__path", 1, (depth + 1) * SEGMENT))
            .values_list("key", flat=True)
            .distinct()
            .order_by()
        )
    return upper
