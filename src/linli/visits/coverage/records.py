"""Counting coverage from the records: the figures of every unit under an area."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.registry.choices import TagTarget
from linli.registry.figures import PARTY_MEMBER_TAG, POOR_HOUSEHOLD_TAG
from linli.registry.models import Household, HouseholdTag, Resident, Tag

from ..choices import LinkLevel, NeedStatus
from ..models import ContactAssignment, Need, Visit
from .base import _active_in, _grouped, _in_period, _under
from .overdue import _overdue_condition


def _tag_ids(name: str, target: str) -> list[int]:
    return list(Tag.objects.filter(name=name, target=target).values_list("pk", flat=True)) or [0]


def _rows_from_records(
    prefix: str, length: int, start: dt.date, end: dt.date, today: dt.date
) -> dict[str, Counter]:
    """The figures of every unit under `prefix`, counted from the records, by the first
    `length` characters of the path each record sits at. Also `level3_visits` (visits made
    under a level-3 link), from which the villages reached at level 3 follow."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for query in (
        _household_counts(prefix, length, start, end, today),
        _member_counts(prefix, length, start, end),
        _visit_counts(prefix, length, start, end),
        _need_counts(prefix, length, start, end),
    ):
        for row in query:
            key = row.pop("key")
            rows[key].update({k: v for k, v in row.items() if v})
    return rows


def _household_counts(prefix, length, start, end, today) -> QuerySet:
    households = Household.objects.filter(_under("area__path", prefix))
    visited = Visit.objects.filter(_in_period(start, end), household=OuterRef("pk"))
    poor = Exists(
        HouseholdTag.objects.filter(
            household=OuterRef("pk"), tag_id__in=_tag_ids(POOR_HOUSEHOLD_TAG, TagTarget.HOUSEHOLD)
        )
    )
    links = ContactAssignment.objects.filter(
        _active_in(start, end), level=LinkLevel.CENTRAL_HOUSEHOLD
    )
    linked = Exists(links.filter(household=OuterRef("pk"))) | Exists(
        links.filter(contact_household=OuterRef("pk"))
    )
    return _grouped(households, "area__path", length).annotate(
        households=Count("pk"),
        households_reached=Count("pk", filter=Exists(visited)),
        poor=Count("pk", filter=poor),
        poor_reached=Count("pk", filter=poor & Exists(visited)),
        households_linked=Count("pk", filter=linked),
        households_reached_by_link=Count(
            "pk", filter=Exists(visited.filter(link_level=LinkLevel.CENTRAL_HOUSEHOLD))
        ),
        overdue=Count("pk", filter=_overdue_condition(end, today)),
    )


def _member_counts(prefix, length, start, end) -> QuerySet:
    """Party members 党员 (residents tagged so) where they live now."""
    members = Resident.objects.filter(
        _under("household__area__path", prefix),
        tag_links__tag_id__in=_tag_ids(PARTY_MEMBER_TAG, TagTarget.RESIDENT),
    )
    linked = ContactAssignment.objects.filter(
        _active_in(start, end), level=LinkLevel.VILLAGE_CADRE, resident=OuterRef("pk")
    )
    reached = Visit.objects.filter(
        _in_period(start, end),
        link_level=LinkLevel.VILLAGE_CADRE,
        household=OuterRef("household_id"),
    )
    return _grouped(members, "household__area__path", length).annotate(
        party_members=Count("pk", distinct=True),
        party_members_linked=Count("pk", filter=Exists(linked), distinct=True),
        party_members_reached=Count("pk", filter=Exists(reached), distinct=True),
    )


def _visit_counts(prefix, length, start, end) -> QuerySet:
    visits = Visit.objects.filter(_in_period(start, end), _under("area__path", prefix))
    return _grouped(visits, "area__path", length).annotate(
        visits=Count("pk"), level3_visits=Count("pk", filter=Q(link_level=LinkLevel.CADRE))
    )


def _need_counts(prefix, length, start, end) -> QuerySet:
    from ..needs import need_status_expression

    needs = Need.objects.filter(
        _in_period(start, end, "found_on"), _under("visit__area__path", prefix)
    ).alias(effective=need_status_expression())
    return _grouped(needs, "visit__area__path", length).annotate(
        needs_found=Count("pk"),
        needs_resolved=Count("pk", filter=Q(effective=NeedStatus.RESOLVED)),
    )


def _villages(prefix: str) -> list[str]:
    return list(
        Area.objects.filter(_under("path", prefix), kind=AreaKind.VILLAGE).values_list(
            "path", flat=True
        )
    )


def _villages_linked(prefix: str, start: dt.date, end: dt.date) -> set[str]:
    return set(
        ContactAssignment.objects.filter(
            _active_in(start, end),
            _under("area__path", prefix),
            level=LinkLevel.CADRE,
            area__kind=AreaKind.VILLAGE,
        ).values_list("area__path", flat=True)
    )
