"""Forms of the board pages 公开栏 / 党员公开承诺榜."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

from ..choices import CommitmentPlace
from ..manage.forms import RatingForm
from .services import RECORD_LENGTH, STREET_LENGTH, TEXT_LENGTH

__all__ = ["CommitmentForm", "CommitmentRecordForm", "RatingForm"]


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class AreaField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class CommitmentForm(BootstrapFormMixin, forms.Form):
    resident = PersonField(label=_("Party member"), queryset=None)
    place = forms.ChoiceField(label=_("Posted for"), choices=CommitmentPlace.choices)
    building = AreaField(label=_("Building"), queryset=None, required=False)
    business_street = forms.CharField(
        label=_("Business street"), max_length=STREET_LENGTH, required=False
    )
    text = forms.CharField(
        label=_("Commitment"), max_length=TEXT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, members, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = members
        self.fields["building"].queryset = buildings


class CommitmentRecordForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=_("What was done"),
        max_length=RECORD_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    done_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
