"""Filters shared by the registry pages and the API (django-filter)."""

from __future__ import annotations

import re

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core.filters import AreaFilter, ScopedFilterSet
from linli.core.lookups import starts_with

from .models import Household, Resident, Tag

_DIGITS = re.compile(r"^\d{3,18}[xX]?$")
_LATIN = re.compile(r"^[a-zA-Z]+$")


def person_search(q: str, prefix: str = "") -> Q:
    """One search box for people: a name, its full pinyin or initials (lzh → 刘志辉), or the last
    digits of an ID or mobile number. Each form uses an index (reversed numbers for suffixes)."""
    q = (q or "").strip().replace(" ", "")
    if not q:
        return Q()
    if _DIGITS.match(q):
        tail = q.upper()[::-1]
        return starts_with(f"{prefix}id_number_reversed", tail) | starts_with(
            f"{prefix}mobile_reversed", tail
        )
    if _LATIN.match(q):
        q = q.lower()
        return starts_with(f"{prefix}name_pinyin", q) | starts_with(f"{prefix}name_initials", q)
    return Q(**{f"{prefix}name__contains": q})


class ResidentFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    area = AreaFilter(area_path="household__area__path")
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Tags"), queryset=Tag.objects.filter(active=True), method="filter_tag"
    )

    class Meta:
        model = Resident
        fields = ["q", "area", "tag"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(person_search(value))

    def filter_tag(self, queryset, name, value):
        # Household tags count for the person too: "residents of poor households".
        for tag in value:
            queryset = queryset.filter(Q(tag_links__tag=tag) | Q(household__tag_links__tag=tag))
        return queryset.distinct() if value else queryset


class HouseholdFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    area = AreaFilter(area_path="area__path")
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Tags"), queryset=Tag.objects.filter(active=True), method="filter_tag"
    )

    class Meta:
        model = Household
        fields = ["q", "area", "tag"]

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        members = Resident.objects.filter(person_search(value)).values("household_id")
        return queryset.filter(Q(pk__in=members) | Q(number=value) | Q(address__contains=value))

    def filter_tag(self, queryset, name, value):
        for tag in value:
            queryset = queryset.filter(Q(tag_links__tag=tag) | Q(members__tag_links__tag=tag))
        return queryset.distinct() if value else queryset
