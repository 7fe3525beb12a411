"""The dispute pages' forms: they parse what was typed; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

from ..choices import DisputeSide, Fulfilment, Referral


class _Versioned(BootstrapFormMixin, forms.Form):
    """The dispute's version the page showed (the optimistic check)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class PartyForm(_Versioned):
    side = forms.ChoiceField(label=_("Side"), choices=DisputeSide.choices)
    resident = forms.TypedChoiceField(
        label=_("Person in the registry"), required=False, coerce=int, empty_value=None
    )
    resident_id_number = forms.CharField(
        label=_("Or: the ID number of a person in the registry"), required=False, max_length=18
    )
    name = forms.CharField(label=_("Or an outsider: name"), required=False, max_length=50)
    mobile = forms.CharField(label=_("Outsider's mobile"), required=False, max_length=20)
    id_number = forms.CharField(
        label=_("Outsider's ID number (optional)"), required=False, max_length=18
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [("", "—")] + [(p.pk, label) for p, label in candidates]


class MediatorForm(_Versioned):
    mediator = forms.TypedChoiceField(
        label=_("Staff mediator"), required=False, coerce=int, empty_value=None
    )
    mediator_name = forms.CharField(
        label=_("Or a people's mediator (name)"), required=False, max_length=50
    )
    committee = forms.CharField(label=_("Mediation committee"), required=False, max_length=100)

    def __init__(self, *args, mediators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].choices = [("", "—")] + [(u.pk, str(u)) for u in mediators]


class SessionForm(_Versioned):
    held_at = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Where"), max_length=200)
    attended = forms.TypedMultipleChoiceField(
        label=_("Who came"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Notes"), max_length=4000, widget=forms.Textarea({"rows": 5}))

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(p.pk, p.display_name) for p in parties]


class AgreementForm(_Versioned):
    facts = forms.CharField(
        label=_("The facts"), max_length=4000, widget=forms.Textarea({"rows": 5})
    )
    terms = forms.CharField(
        label=_("The agreed terms"), max_length=4000, widget=forms.Textarea({"rows": 6})
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput({"type": "date"}))
    follow_up_on = forms.DateField(
        label=_("Check its keeping on"),
        required=False,
        help_text=_("30 days after signing if left empty."),
        widget=forms.DateInput({"type": "date"}),
    )
    committee = forms.CharField(label=_("Mediation committee"), required=False, max_length=100)


class ScanForm(BootstrapFormMixin, forms.Form):
    scan = forms.FileField(
        label=_("Signed agreement (picture or PDF)"),
        widget=forms.ClearableFileInput(
            {"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )


class ReferForm(_Versioned):
    referred_to = forms.ChoiceField(label=_("Referred to"), choices=Referral.choices)
    reason = forms.CharField(
        label=_("Why mediation failed"), max_length=2000, widget=forms.Textarea({"rows": 4})
    )


class CheckForm(_Versioned):
    result = forms.ChoiceField(label=_("Found"), choices=Fulfilment.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea({"rows": 3})
    )
    checked_on = forms.DateField(
        label=_("Checked on"), required=False, widget=forms.DateInput({"type": "date"})
    )
    next_check_on = forms.DateField(
        label=_("Check again on (when partly kept)"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )

    def clean_checked_on(self) -> dt.date:
        return self.cleaned_data.get("checked_on") or timezone.localdate()


class RevealForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why the full numbers are needed"), max_length=200)
