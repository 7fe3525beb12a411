"""Forms of the application pages. They parse what a person typed; the services decide what is
allowed and valid (`add_service_errors` puts their messages under the fields they name)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

from .. import rules
from ..choices import ApplicationChannel, RatingSource, TripReason
from ..models import Application, ServiceItem

NOTE_MAX_LENGTH = 500
STEP_RESULT_CHOICES = [
    ("approve", _("Approve: pass it on")),
    ("return", _("Return for missing material")),
    ("reject", _("Reject")),
]
SCORE_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]
CAME_IN_PERSON_CHOICES = [
    ("yes", _("Yes, the resident came")),
    ("no", _("No (brought by someone else, or sent)")),
]


class _VersionedForm(BootstrapFormMixin, forms.Form):
    """A form acting on an application: carries the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, application: Application | None = None, **kwargs):
        if application is not None:
            kwargs.setdefault("initial", {}).setdefault("version", application.version)
        super().__init__(*args, **kwargs)
        self.application = application


def grouped_item_choices(items) -> list:
    """Items in <optgroup>s by category, in catalogue order."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.category.name, []).append((item.pk, item.name))
    return [("", "—"), *groups.items()]


def material_choices(item: ServiceItem | None) -> list[tuple[str, str]]:
    if item is None or item.current is None:
        return []
    return [
        (m.name, m.name if m.required else _("%(name)s (optional)") % {"name": m.name})
        for m in item.current.materials.all()
    ]


class CounterForm(BootstrapFormMixin, forms.Form):
    """窗口受理 — take an application: who, which item, how it came in, what was handed in."""

    resident = forms.IntegerField(widget=forms.HiddenInput)
    outreach = forms.IntegerField(widget=forms.HiddenInput, required=False)
    item = forms.ModelChoiceField(label=_("Service item"), queryset=ServiceItem.objects.none())
    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[
            (ApplicationChannel.COUNTER, ApplicationChannel.COUNTER.label),
            (ApplicationChannel.VISIT, ApplicationChannel.VISIT.label),
        ],
        initial=ApplicationChannel.COUNTER,
        widget=forms.RadioSelect,
    )
    materials = forms.MultipleChoiceField(
        label=_("Materials received"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, items, item: ServiceItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].choices = grouped_item_choices(items)
        self.fields["materials"].choices = material_choices(item)


class OnlineApplyForm(BootstrapFormMixin, forms.Form):
    """在线申办 — a resident applies for an online item, for himself or a household member."""

    item = forms.ModelChoiceField(label=_("Service item"), queryset=ServiceItem.objects.none())
    applicant = forms.TypedChoiceField(label=_("Applicant"), coerce=int)
    materials = forms.MultipleChoiceField(
        label=_("Materials I have ready"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, items, members, item: ServiceItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].choices = grouped_item_choices(items)
        self.fields["applicant"].choices = [(m.pk, m.name) for m in members]
        self.fields["materials"].choices = material_choices(item)


class StepFinishForm(BootstrapFormMixin, forms.Form):
    """The result of a step at its office."""

    result = forms.ChoiceField(
        label=_("Result"), choices=STEP_RESULT_CHOICES, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to return or reject: the resident is told."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, step=None, **kwargs):
        if step is not None:
            kwargs.setdefault("initial", {"version": step.version, "result": "approve"})
        super().__init__(*args, **kwargs)


class SubmitForm(_VersionedForm):
    """Confirm the submission of a draft."""


class ReasonForm(_VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResubmitForm(_VersionedForm):
    """补正 — the missing material handed in at the hall. Whether the resident came in person
    is asked every time, with no answer chosen beforehand: yes counts a trip."""

    materials = forms.MultipleChoiceField(
        label=_("Material handed in"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("What was brought"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    came_in_person = forms.TypedChoiceField(
        label=_("Did the resident come in person to bring it?"),
        choices=CAME_IN_PERSON_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the resident came in person to bring it.")},
        help_text=_(
            "Yes counts a trip for this application; a relative or worker bringing it does not."
        ),
    )
    extra_trip_reason = forms.CharField(
        label=_("Why more than one trip"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("If the resident came in person: the promise is at most one trip."),
    )

    def __init__(self, *args, application: Application, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "extra_trip_reason", application.extra_trip_reason
        )
        super().__init__(*args, application=application, **kwargs)
        self.fields["materials"].choices = [
            (m.name, m.name) for m in application.materials.all() if not m.received
        ]
        # Coming in person now would be a trip beyond the promise: the reason is asked for then.
        if not rules.over_trip_promise(application.trip_count + 1):
            del self.fields["extra_trip_reason"]


class PhotoInput(forms.FileInput):
    """The phone's camera straight away (`capture`); several pictures where the phone allows."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "capture": "environment", **(attrs or {})})


class PhotosField(forms.FileField):
    """Zero or more uploaded pictures (what they are is checked by the service, by their
    bytes)."""

    widget = PhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class HandInForm(_VersionedForm):
    """补正 from the phone — a photo (or several) for each missing material that a photo can
    stand for. `entries` are the selectors' `MissingMaterial`s."""

    def __init__(self, *args, application: Application, entries, **kwargs):
        super().__init__(*args, application=application, **kwargs)
        self.entries = list(entries)
        self.photo_fields = []
        for entry in self.entries:
            if not entry.by_photo or entry.done:
                continue
            name = photo_field_name(entry.key)
            self.fields[name] = PhotosField(label=entry.name, required=False)
            self.fields[name].widget.attrs["class"] = "form-control form-control-lg photo-input"
            self.photo_fields.append((entry, name))

    def photos_sent(self) -> list[tuple[int | None, object]]:
        """(material id or None, upload) for every picture chosen."""
        return [
            (entry.key, upload)
            for entry, name in self.photo_fields
            for upload in self.cleaned_data.get(name) or []
        ]

    def rows(self) -> list[tuple]:
        """Each missing thing with its photo field (None: received, or to be brought)."""
        names = {id(entry): name for entry, name in self.photo_fields}
        return [
            (entry, self[names[id(entry)]] if id(entry) in names else None)
            for entry in self.entries
        ]


def photo_field_name(key: int | None) -> str:
    return f"photo_{key}" if key is not None else "photo_note"


class GuidanceForm(_VersionedForm):
    """指导办理 — the guidance given and what came of it."""

    guidance = forms.CharField(
        label=_("Guidance given"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.CharField(
        label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(_VersionedForm):
    outcome = forms.CharField(
        label=_("Result"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TripForm(_VersionedForm):
    """跑腿 — one more time the resident had to come in person."""

    on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.ChoiceField(label=_("Why the resident came"), choices=TripReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    extra_trip_reason = forms.CharField(
        label=_("Why more than one trip"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The promise is at most one trip: say why the resident had to come again."),
    )

    def __init__(self, *args, application: Application, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("on", timezone.localdate())
        initial.setdefault("extra_trip_reason", application.extra_trip_reason)
        super().__init__(*args, application=application, **kwargs)
        # A trip beyond the promise needs its reason (the service checks it too).
        self.asks_reason = rules.over_trip_promise(application.trip_count + 1)
        if not self.asks_reason:
            del self.fields["extra_trip_reason"]


class RatingForm(_VersionedForm):
    """评价 — 1 to 5 and a comment; staff rate on a return call 回访."""

    score = forms.TypedChoiceField(
        label=_("Score"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source = forms.ChoiceField(label=_("Given"), choices=RatingSource.choices)

    def __init__(self, *args, application: Application, sources: list[str], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("source", sources[0] if sources else "")
        super().__init__(*args, application=application, **kwargs)
        self.fields["source"].choices = [
            (value, label) for value, label in RatingSource.choices if value in sources
        ]
        if len(sources) == 1:
            self.fields["source"].widget = forms.HiddenInput()
