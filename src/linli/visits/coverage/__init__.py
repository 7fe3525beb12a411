"""Coverage 走访覆盖 of an area in a period, counted from the records or read from the kept
summaries.

What is counted (issue 5):
- households live where the register puts them today, and one is *reached* when it had at least
  one visit in [start, end], wherever it lived then (a household that moved is reached by a
  visit made before the move); poor households are those tagged 困难户 today;
- a village is reached when a visit in the period took place there (`Visit.area` under it);
  visits and the needs they found are counted where the visit took place, and a need is
  resolved when its effective status is (`needs.need_status_expression`: a need handed on to an
  application follows the application);
- the five levels: streets (1), communities (2), villages (3), party members (4) and households
  (5) — the targets, those *linked* (an assignment of the level in force at some time in the
  period; for level 5 also the central households themselves, as the gap list counts them) and
  those *reached* (a visit with that link level in the period: under the area, to the member's
  household, to the household);
- overdue: households whose next visit was overdue at the end of the period (today, for a period
  still running, from the kept visit states).

Everything is grouped by the *unit* a record sits in: the ancestor at the villages' depth
(district / street / community / village), or the area itself when it is higher. A household
on a grid is counted in its village. The summaries (`CoverageSummary`) are one row per unit and
calendar period, written by `summaries_refresh` from the very same grouped counts, so adding up
the rows under an area gives what counting that area from the records gives — which is why a
whole district at city size (12,000 villages, 3 million households) costs one aggregate over its
villages' rows. `coverage_for` reads them when the period is a calendar month, quarter or year,
every unit under the area has its row and the rows are fresh; otherwise it counts live.

The modules: `base` (the units, the summed figures, the shared filters), `result` (what a
coverage holds), `periods`, `overdue` (at the end of a past period), `records` (counting one
unit's figures), `upper` (levels 1 and 2), `totals` (adding the figures up: `coverage_live`),
`reading` (`coverage_for` and the other figures a page asks for) and `writing`
(`summaries_refresh`).
"""

from .base import (
    SEGMENT,
    SUMMARY_MAX_AGE,
    SUMMED,
    TREND_MONTHS,
    UPPER_LEVELS,
    VILLAGE_LEVEL,
    VISIT_BACKDATE_DAYS,
)
from .overdue import latest_base_overdue
from .periods import (
    calendar_period,
    current_periods,
    history_periods,
    incomplete_periods,
    month_starts,
    period_bounds,
    recent_periods,
)
from .reading import (
    coverage_by_child,
    coverage_for,
    households_not_reached,
    overdue_live,
    overdue_trend,
)
from .result import Coverage, LevelCoverage
from .totals import coverage_live
from .writing import summaries_refresh, units_of

__all__ = [
    "SEGMENT",
    "SUMMARY_MAX_AGE",
    "SUMMED",
    "TREND_MONTHS",
    "VILLAGE_LEVEL",
    "UPPER_LEVELS",
    "VISIT_BACKDATE_DAYS",
    "Coverage",
    "LevelCoverage",
    "calendar_period",
    "coverage_by_child",
    "coverage_for",
    "coverage_live",
    "current_periods",
    "history_periods",
    "households_not_reached",
    "incomplete_periods",
    "latest_base_overdue",
    "month_starts",
    "overdue_live",
    "overdue_trend",
    "period_bounds",
    "recent_periods",
    "summaries_refresh",
    "units_of",
]
