"""Filters of the audit trail 审计日志, shared by the page and the API (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from .actors import Actor
from .choices import AuditAction, AuditOutcome
from .forms import BootstrapFormMixin
from .models import AuditRecord
from .scoping import under_area
from .selectors import area_for_list

# The apps whose records the trail talks about; their models name the object types offered.
_AUDITED_APPS = ("core", "accounts", "registry")


def object_type_choices() -> list[tuple[str, str]]:
    """Object types as `label (app.model)`, from the installed models: no query needed."""
    choices = []
    for model in apps.get_models():
        if model._meta.app_label in _AUDITED_APPS or model._meta.app_label.startswith("linli"):
            label = model._meta.label_lower
            choices.append((label, f"{model._meta.verbose_name} ({label})"))
    return sorted(choices, key=lambda c: c[0])


class ScopedFilterSet(django_filters.FilterSet):
    """A filter set over one user's list: its filters may check the ids they are given
    against that user's scope (`AreaFilter`)."""

    def __init__(self, data=None, queryset=None, *, user: Actor, **kwargs):
        self.user = user
        super().__init__(data, queryset, **kwargs)


class AreaFilter(django_filters.Filter):
    """`?area=` — the rows in this area and below, for an area in or above the user's scope.
    Another id lists nothing and is recorded as a denial (`selectors.area_for_list`), whether
    the list is a page or the API. `area_path` leads from a row to its area's path."""

    field_class = forms.IntegerField
    parent: ScopedFilterSet  # the filter set holding the filter (django-filter's; not in the stubs)

    def __init__(self, *, area_path: str, **kwargs):
        kwargs.setdefault("label", _("Area"))
        super().__init__(**kwargs)
        self.area_path = area_path

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        area = area_for_list(user=self.parent.user, pk=value)
        return qs.none() if area is None else under_area(qs, self.area_path, area)


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, local time (Asia/Shanghai), as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class _DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    widget_size = "sm"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date must not be before the start date."))
        return data


class AuditFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(
        label=_("From (date)"), method="filter_since", widget=_DateInput
    )
    until = django_filters.DateFilter(
        label=_("Until (date)"), method="filter_until", widget=_DateInput
    )
    actor = django_filters.CharFilter(
        label=_("Actor (user name)"), field_name="actor_label", lookup_expr="icontains"
    )
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditAction.choices)
    object_type = django_filters.ChoiceFilter(label=_("Object type"), choices=object_type_choices)
    object_id = django_filters.CharFilter(label=_("Object id"), field_name="object_id")
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=AuditOutcome.choices)
    address = django_filters.CharFilter(
        label=_("Address"), field_name="address", lookup_expr="startswith"
    )

    class Meta:
        model = AuditRecord
        form = AuditFilterForm
        fields = ["since", "until", "actor", "action", "object_type", "object_id", "outcome"]

    def filter_since(self, queryset, name, value):
        # A bound on the indexed column itself (not on its date), so the index does the work.
        return queryset.filter(at__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + dt.timedelta(days=1)))
