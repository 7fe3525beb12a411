"""The units coverage is counted by, the figures a unit adds up, and the filters every count
shares (see the package's docstring)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr

from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import PATH_SEPARATOR, PATH_STEP, Area

from ..choices import LinkLevel

SEGMENT = PATH_STEP + len(PATH_SEPARATOR)
# Villages sit three levels below their district (street, community, village:
# core.choices.ALLOWED_PARENT_KINDS): at depth 3 under a district at the root, 4 under a city, so
# the first 32 (or 40) characters of any path below name its village.
VILLAGE_LEVEL = 3
# Levels 1 and 2 link areas above the villages: (level, kind of the target, its levels below
# the district).
UPPER_LEVELS = (
    (LinkLevel.DISTRICT_LEADER, AreaKind.STREET, 1),
    (LinkLevel.DEPARTMENT, AreaKind.COMMUNITY, 2),
)


def unit_depth() -> int:
    """The depth of the units coverage is counted by (one query: is a city the root?)."""
    return Area.objects.district_depth() + VILLAGE_LEVEL


def unit_length(depth: int) -> int:
    """How many characters of a path name the unit at `depth` (see `unit_depth`)."""
    return (depth + 1) * SEGMENT


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
