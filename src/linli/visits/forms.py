"""Forms of the visits pages 走访. They parse what a person typed; the services decide what is
allowed and valid (`add_service_errors` puts their messages under the fields they name).

The visit form is built for a phone on a doorstep: the channel as big buttons, today's date
already filled in, at most three needs, an optional photo taken with the phone's camera.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import periods
from linli.core.forms import BootstrapFormMixin
from linli.hall.models import ServiceItem

from .choices import IntervalUnit, LinkLevel, NeedCategory, VisitChannel

MAX_NEEDS = 3
NOTE_MAX_LENGTH = 1000
NEED_MAX_LENGTH = 300
CLOSING_NOTE_MAX_LENGTH = 300
ASSIGNMENT_NOTE_MAX_LENGTH = 200

# Words in a service item's name that suit a need of each category: the items offered first
# when a need is handed on (e.g. a schooling need → 助学贷款补助申请).
SUGGESTION_WORDS = {
    NeedCategory.SCHOOLING: ("助学", "教育", "学"),
    NeedCategory.MEDICAL: ("医", "病", "健康", "残"),
    NeedCategory.EMPLOYMENT: ("就业", "创业", "培训", "失业"),
    NeedCategory.LIVELIHOOD: ("救助", "低保", "补贴", "特困", "临时", "住房"),
    NeedCategory.DISPUTE: ("调解", "法律", "纠纷"),
    NeedCategory.OTHER: (),
}
CLOSE_CHOICES = [
    ("resolved", _("Resolved on the spot")),
    ("closed", _("Closed without action")),
]


def _date_widget(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


# --- the visit form -------------------------------------------------------------------------


class VisitForm(BootstrapFormMixin, forms.Form):
    """记录走访 — how, when, what was found (up to three needs), a note and a photo."""

    channel = forms.ChoiceField(
        label=_("Way of contact"),
        choices=VisitChannel.choices,
        initial=VisitChannel.HOME,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the contact was made.")},
    )
    visited_on = forms.DateField(
        label=_("Date of visit"),
        widget=_date_widget(),
        error_messages={
            "required": _("Enter the date of the visit."),
            "invalid": _("Enter the date as year-month-day."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("Optional: JPEG, PNG or WebP, at most 5 MB."),
    )

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        today = today or timezone.localdate()
        kwargs.setdefault("initial", {}).setdefault("visited_on", today)
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        for n in range(1, MAX_NEEDS + 1):
            self.fields[f"need{n}_category"] = forms.ChoiceField(
                label=_("Need %(n)s: category") % {"n": n},
                choices=[("", "—"), *NeedCategory.choices],
                required=False,
            )
            self.fields[f"need{n}_description"] = forms.CharField(
                label=_("Need %(n)s: description") % {"n": n},
                max_length=NEED_MAX_LENGTH,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        # The channel buttons are styled as big toggle buttons by the template.
        self.fields["channel"].widget.attrs["class"] = "btn-check"

    def need_rows(self) -> list[tuple]:
        """The need fields in pairs, for the template."""
        return [
            (n, self[f"need{n}_category"], self[f"need{n}_description"])
            for n in range(1, MAX_NEEDS + 1)
        ]

    def clean(self):
        data = super().clean()
        needs = []
        for n in range(1, MAX_NEEDS + 1):
            category = data.get(f"need{n}_category") or ""
            description = (data.get(f"need{n}_description") or "").strip()
            if not category and not description:
                continue
            if not category:
                self.add_error(f"need{n}_category", _("Choose the category of the need described."))
            elif not description:
                self.add_error(f"need{n}_description", _("Describe the need in a few words."))
            else:
                needs.append((category, description))
        data["needs"] = needs
        return data


# --- needs -----------------------------------------------------------------------------------


def suggested_items(items, category: str) -> list[ServiceItem]:
    """The items whose name holds one of the category's words, in catalogue order."""
    words = SUGGESTION_WORDS.get(category, ())
    return [item for item in items if any(w in item.name for w in words)]


def item_choices(items, suggested) -> list:
    """Suggested items first in their own group, then every item grouped by category."""
    groups: dict[str, list] = {}
    if suggested:
        groups[str(_("Suggested for this need"))] = [(i.pk, i.name) for i in suggested]
    for item in items:
        groups.setdefault(item.category.name, []).append((item.pk, item.name))
    return [("", "—"), *groups.items()]


class NeedApplicationForm(BootstrapFormMixin, forms.Form):
    """转为服务申请 — the service item, the applicant (a member of the household) and the
    materials the visitor has already collected."""

    item = forms.ModelChoiceField(
        label=_("Service item"),
        queryset=ServiceItem.objects.none(),
        error_messages={
            "required": _("Choose the service item to apply for."),
            "invalid_choice": _("Choose one of the listed service items."),
        },
    )
    applicant = forms.TypedChoiceField(
        label=_("Applicant"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose a member of this household.")},
    )
    materials = forms.MultipleChoiceField(
        label=_("Materials received"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, items, suggested, members, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].choices = item_choices(items, suggested)
        self.fields["applicant"].choices = [(m.pk, m.name) for m in members]
        self.fields["materials"].choices = _material_choices(item)


def _material_choices(item) -> list[tuple[str, str]]:
    if item is None or item.current is None:
        return []
    return [
        (m.name, m.name if m.required else _("%(name)s (optional)") % {"name": m.name})
        for m in item.current.materials.all()
    ]


class NeedCloseForm(BootstrapFormMixin, forms.Form):
    """Close a need: resolved on the spot, or closed without action; a note either way."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CLOSE_CHOICES, initial="resolved", widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=CLOSING_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what was done or why nothing is done.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, need=None, **kwargs):
        if need is not None:
            kwargs.setdefault("initial", {}).setdefault("version", need.version)
        super().__init__(*args, **kwargs)

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("Say what was done or why nothing is done."), code="required")
        return note


# --- contact assignments ------------------------------------------------------------------


class _AssignmentFields(BootstrapFormMixin, forms.Form):
    """What the single and the bulk assignment forms share. `target_field` names the field that
    lists the targets: a drop-down with an empty first choice, or a list of checkboxes."""

    target_field = "target"

    level = forms.TypedChoiceField(
        label=_("Link level"), choices=LinkLevel.choices, coerce=int, widget=forms.HiddenInput
    )
    contact = forms.ChoiceField(
        label=_("Contact"),
        error_messages={
            "required": _("Choose who keeps in touch."),
            "invalid_choice": _("Choose one of the listed contacts."),
        },
    )
    starts_on = forms.DateField(label=_("From"), widget=_date_widget())
    ends_on = forms.DateField(label=_("Until"), required=False, widget=_date_widget())

    def __init__(self, *args, contacts: list, targets: list, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", "—"), *contacts]
        field = self.fields[self.target_field]
        multiple = isinstance(field, forms.MultipleChoiceField)
        field.choices = targets if multiple else [("", "—"), *targets]

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class AssignmentForm(_AssignmentFields):
    """One contact assignment: who keeps in touch with whom, from when."""

    target = forms.ChoiceField(
        label=_("Contacted"),
        error_messages={
            "required": _("Choose whom the contact keeps in touch with."),
            "invalid_choice": _("Choose one of the listed targets."),
        },
    )
    note = forms.CharField(label=_("Note"), max_length=ASSIGNMENT_NOTE_MAX_LENGTH, required=False)


class AssignmentBulkForm(_AssignmentFields):
    """Several assignments of one contact at once (a cadre's villages, a central household's
    neighbours): all are made or none."""

    target_field = "targets"
    targets = forms.MultipleChoiceField(
        label=_("Contacted"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one target."),
            "invalid_choice": _("Choose only listed targets."),
        },
    )


class AssignmentEndForm(BootstrapFormMixin, forms.Form):
    ends_on = forms.DateField(label=_("Ends on"), widget=_date_widget())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assignment=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("ends_on", timezone.localdate())
        if assignment is not None:
            initial.setdefault("version", assignment.version)
        super().__init__(*args, **kwargs)


# --- visit policies -----------------------------------------------------------------------


class PolicyForm(BootstrapFormMixin, forms.Form):
    """走访频次 — how often households with a tag (or all others) must be visited."""

    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=None,
        required=False,
        empty_label=_("— none: the default policy —"),
        error_messages={"invalid_choice": _("Choose one of the listed tags.")},
    )
    is_default = forms.BooleanField(label=_("Default for all other households"), required=False)
    every = forms.IntegerField(label=_("Every"), min_value=1, max_value=366)
    unit = forms.ChoiceField(label=_("Unit"), choices=IntervalUnit.choices)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, tags, policy=None, **kwargs):
        if policy is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    "tag": policy.tag_id,
                    "is_default": policy.is_default,
                    "every": policy.every,
                    "unit": policy.unit,
                    "active": policy.active,
                    "version": policy.version,
                }
            )
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags
        self.fields["tag"].label_from_instance = lambda t: f"{t.name}（{t.get_target_display()}）"
        self.fields["every"].widget.attrs["inputmode"] = "numeric"

    def clean(self):
        data = super().clean()
        if data.get("is_default") and data.get("tag"):
            self.add_error("tag", _("The default policy has no tag: leave the tag empty."))
        elif not data.get("is_default") and "tag" in data and not data.get("tag"):
            self.add_error("tag", _("Choose a tag, or make this the default policy."))
        return data


# --- the coverage page's period -----------------------------------------------------------

PERIOD_CHOICES = [
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("12m", _("Past 12 months")),
    ("custom", _("Custom dates")),
]


class PeriodForm(periods.PeriodForm):
    """The period of the coverage page: a calendar period (whole), the past 12 months, or two
    dates — the dashboards' form with the calendar periods first."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)


def period_dates(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a named period: this calendar month, quarter or year (whole,
    so that the kept summaries serve it: no visit lies in the days still to come), or the
    past 12 months up to today."""
    if kind == "month":
        start = today.replace(day=1)
        return start, _month_end(start)
    if kind == "quarter":
        start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return start, _month_end(start.replace(month=start.month + 2))
    if kind == "12m":
        try:
            start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            start = dt.date(today.year - 1, 3, 1)
        return start, today
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


class NeedAppealForm(BootstrapFormMixin, forms.Form):
    """转为诉求 — the need raised as an appeal: its category, and the description (the need's,
    which the worker may complete)."""

    category = forms.ModelChoiceField(label=_("Appeal category"), queryset=None)
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].label_from_instance = lambda c: (
            c.current.name if c.current_id else c.name
        )
