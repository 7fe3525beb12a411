"""The units coverage is counted by, the figures a unit adds up, and the filters every count
shares (see the package's docstring)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr

from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import PATH_SEPARATOR, PATH_STEP

from ..choices import LinkLevel

SEGMENT = PATH_STEP + len(PATH_SEPARATOR)
# Villages sit at depth 3 (district 0, street 1, community 2: core.choices.ALLOWED_PARENT_KINDS),
# so the first 32 characters of any path below name its village.
UNIT_DEPTH = 3
UNIT_LENGTH = (UNIT_DEPTH + 1) * SEGMENT
# Levels 1 and 2 link areas above the villages: (level, kind of the target, its depth).
UPPER_LEVELS = (
    (LinkLevel.DISTRICT_LEADER, AreaKind.STREET, 1),
    (LinkLevel.DEPARTMENT, AreaKind.COMMUNITY, 2),
)
# A running period's summary older than this is not trusted (the refresh job runs every 15
# minutes, and each recorded visit refreshes its village at once).
SUMMARY_MAX_AGE = dt.timedelta(hours=1)
# A visit may be recorded up to 90 days after it took place (services.visit_record), so the
# periods it can change reach that far back.
VISIT_BACKDATE_DAYS = 90
TREND_MONTHS = 12  # the overdue trend on the leader's page

# The figures one unit (or one group of units) adds up: the CoverageSummary columns.
SUMMED = (
    "households",
    "households_reached",
    "poor",
    "poor_reached",
    "visits",
    "needs_found",
    "needs_resolved",
    "party_members",
    "party_members_linked",
    "party_members_reached",
    "households_linked",
    "households_reached_by_link",
    "overdue",
)


def _active_in(start: dt.date, end: dt.date) -> Q:
    """Assignments in force at some time in [start, end]."""
    return Q(starts_on__lte=end) & (Q(ends_on__isnull=True) | Q(ends_on__gte=start))


def _in_period(start: dt.date, end: dt.date, field_name: str = "visited_on") -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lte": end})


def _under(field_name: str, prefix: str) -> Q:
    """Rows under the area of path `prefix` ("" is everything)."""
    return starts_with(field_name, prefix) if prefix else Q()


def _grouped(qs: QuerySet, path: str, length: int) -> QuerySet:
    return qs.annotate(key=Substr(path, 1, length)).values("key").order_by()
