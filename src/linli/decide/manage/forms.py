"""Forms of the manage 民主管理 and supervise 民主监督 pages. They parse what a person typed; the
services decide what is allowed (`add_service_errors` puts their messages under the fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

from ..choices import Rating
from .services import NOTE_LENGTH, TEXT_LENGTH, TITLE_LENGTH


class PhotoInput(forms.FileInput):
    """The phone's camera straight away (`capture`); several pictures where the phone allows."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "capture": "environment", **(attrs or {})})


class PhotosField(forms.FileField):
    """Zero or more uploaded pictures (what they are is checked by the service, by their bytes)."""

    widget = PhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class OrganisationField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class TaskAssignForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Task"), max_length=TITLE_LENGTH)
    organisation = OrganisationField(label=_("Responsible organisation"), queryset=None)
    owner = OwnerField(
        label=_("Owner's account"),
        queryset=None,
        required=False,
        help_text=_("Someone who works there; or leave it empty and write a name below."),
    )
    owner_name = forms.CharField(label=_("Owner's name"), max_length=50, required=False)
    due_on = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organisations, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["owner"].queryset = owners


class TaskReportForm(BootstrapFormMixin, forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"))
    text = forms.CharField(label=_("What was done"), max_length=TEXT_LENGTH, widget=_textarea(4))
    setback = forms.BooleanField(label=_("Progress went back (say why above)"), required=False)
    photos = PhotosField(label=_("Photos"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InspectionForm(BootstrapFormMixin, forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=(("yes", _("Passed")), ("no", _("Not passed"))),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("What you found"), max_length=TEXT_LENGTH, widget=_textarea(4))
    photos = PhotosField(label=_("Photos"), required=False)


class NoteForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=NOTE_LENGTH, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RatingForm(BootstrapFormMixin, forms.Form):
    """由民评定 on the phone: three big choices and a note."""

    rating = forms.ChoiceField(
        label=_("Your rating"), choices=Rating.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anything to add"), max_length=NOTE_LENGTH, required=False, widget=_textarea(3)
    )
