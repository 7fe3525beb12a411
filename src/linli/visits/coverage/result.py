"""What coverage 覆盖 comes to: the figures of an area and of its five links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from linli.core.models import Area


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class LevelCoverage:
    """One of the five links 五联: how many targets, how many linked, how many reached."""

    level: int
    label: str
    targets: int = 0
    linked: int = 0
    reached: int = 0

    @property
    def linked_percent(self) -> float | None:
        return _percent(self.linked, self.targets)

    @property
    def reached_percent(self) -> float | None:
        return _percent(self.reached, self.targets)


@dataclass
class Coverage:
    """覆盖 — an area's coverage from `start` to `end` (both days included)."""

    area: Area
    start: dt.date
    end: dt.date
    villages: int = 0
    villages_reached: int = 0
    households: int = 0
    households_reached: int = 0
    poor: int = 0
    poor_reached: int = 0
    visits: int = 0
    needs_found: int = 0
    needs_resolved: int = 0
    overdue: int = 0
    levels: list[LevelCoverage] = field(default_factory=list)
    source: str = "records"  # or "summary"
    computed_at: dt.datetime | None = None

    @property
    def villages_percent(self) -> float | None:
        return _percent(self.villages_reached, self.villages)

    @property
    def households_percent(self) -> float | None:
        return _percent(self.households_reached, self.households)

    @property
    def poor_percent(self) -> float | None:
        return _percent(self.poor_reached, self.poor)

    @property
    def needs_resolved_percent(self) -> float | None:
        return _percent(self.needs_resolved, self.needs_found)

    @property
    def not_reached(self) -> int:
        return self.households - self.households_reached

    def figures(self) -> dict:
        """The counted figures only (not the area, where they came from or when), e.g. to
        compare the summaries with the records."""
        skip = {"area", "source", "computed_at", "levels"}
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["levels"] = [(lv.level, lv.targets, lv.linked, lv.reached) for lv in self.levels]
        return out
