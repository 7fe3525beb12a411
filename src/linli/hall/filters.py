"""Filters of the application lists, shared by the pages and the API (django-filter)."""

from __future__ import annotations

import re

import django_filters
from django.utils.translation import gettext_lazy as _

from linli.core.filters import AreaFilter, ScopedFilterSet
from linli.registry.filters import person_search

from .choices import ApplicationChannel, ApplicationState
from .models import Application, ServiceItem

_NUMBER = re.compile(r"^BJ\d{1,14}$", re.IGNORECASE)


class ApplicationFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    state = django_filters.ChoiceFilter(label=_("State"), choices=ApplicationState.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=ApplicationChannel.choices)
    item = django_filters.ModelChoiceFilter(
        label=_("Service item"), queryset=ServiceItem.objects.all()
    )
    area = AreaFilter(area_path="area__path")

    class Meta:
        model = Application
        fields = ["q", "state", "channel", "item", "area"]

    def filter_q(self, queryset, name, value):
        """An application number (BJ…), or the applicant as the registry finds people."""
        value = (value or "").strip().replace(" ", "")
        if not value:
            return queryset
        if _NUMBER.match(value):
            return queryset.filter(number__startswith=value.upper())
        return queryset.filter(person_search(value, prefix="resident__"))
