"""Forms of the residents-decide pages 由民做主 (proposing and deliberating). They parse what a
person typed; the services decide what is allowed and valid (`add_service_errors` puts their
messages under the fields they name)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin
from linli.core.models import Area

from .choices import AttendeeRole, MeetingKind
from .models import Matter, MatterCategory
from .services import (
    AGENDA_LENGTH,
    DESCRIPTION_LENGTH,
    MINUTES_LENGTH,
    NOTE_LENGTH,
    OPINION_LENGTH,
    OPTION_LENGTH,
    TITLE_LENGTH,
)


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class VersionedForm(BootstrapFormMixin, forms.Form):
    """A form acting on a matter: carries the version the page showed, so that a second person
    acting at the same time is told the first came before."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, matter: Matter | None = None, **kwargs):
        if matter is not None:
            kwargs.setdefault("initial", {}).setdefault("version", matter.version)
        super().__init__(*args, **kwargs)
        self.matter = matter


class TakeUpForm(VersionedForm):
    """受理议事 — a note for the proposer (optional)."""

    note = forms.CharField(
        label=_("Note"), max_length=NOTE_LENGTH, required=False, widget=_textarea(2)
    )


class DropForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_LENGTH, widget=_textarea())


class MergeForm(VersionedForm):
    into = forms.ModelChoiceField(label=_("Merge into"), queryset=Matter.objects.none())
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_LENGTH, required=False, widget=_textarea(2)
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = targets


class OpinionForm(BootstrapFormMixin, forms.Form):
    """民意 — what a neighbour said; named (a name) or not."""

    text = forms.CharField(label=_("What was said"), max_length=OPINION_LENGTH, widget=_textarea())
    name = forms.CharField(
        label=_("Said by"),
        max_length=50,
        required=False,
        help_text=_("Leave empty for a neighbour who would rather not be named."),
    )


class OptionForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Option"), max_length=100)
    description = forms.CharField(
        label=_("Details"), max_length=OPTION_LENGTH, required=False, widget=_textarea(4)
    )


class MeetingForm(BootstrapFormMixin, forms.Form):
    """议事会 — when, where, the agenda and who is invited: residents of the community (building
    heads, representatives), departments, and others by name (one a line)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=100)
    starts_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("Where"), max_length=100)
    agenda = forms.CharField(label=_("Agenda"), max_length=AGENDA_LENGTH, widget=_textarea(4))
    building_heads = forms.CharField(
        label=_("Building heads"),
        required=False,
        widget=_textarea(2),
        help_text=_("One name a line; a resident of the community is found by their name."),
    )
    representatives = forms.CharField(
        label=_("Resident representatives"),
        required=False,
        widget=_textarea(2),
        help_text=_("One name a line; a resident of the community is found by their name."),
    )
    departments = forms.MultipleChoiceField(
        label=_("Departments concerned"), required=False, widget=forms.CheckboxSelectMultiple
    )
    panel = forms.MultipleChoiceField(
        label=_("Advisory panel"), required=False, widget=forms.CheckboxSelectMultiple
    )
    others = forms.CharField(
        label=_("Others invited"),
        required=False,
        widget=_textarea(2),
        help_text=_("One name a line (community staff, guests)."),
    )

    def __init__(self, *args, departments, panel, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [(str(o.pk), o.name) for o in departments]
        self.fields["panel"].choices = [(str(m.pk), f"{m.name} · {m.background}") for m in panel]


def names(text: str) -> list[str]:
    """The names typed one a line (、 and commas separate too), blanks left out."""
    for mark in ("、", ",", "，", ";", "；"):
        text = text.replace(mark, "\n")
    return [n.strip() for n in text.splitlines() if n.strip()]


class RollForm(BootstrapFormMixin, forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Who came"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, invitees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (str(i.pk), f"{i.name} · {i.get_role_display()}") for i in invitees
        ]
        self.fields["present"].initial = [str(i.pk) for i in invitees if i.present]


class MinutesForm(BootstrapFormMixin, forms.Form):
    minutes = forms.CharField(label=_("Minutes"), max_length=MINUTES_LENGTH, widget=_textarea(8))


class ProposeForm(BootstrapFormMixin, forms.Form):
    """我要提事 — the resident's own matter, on the phone: big and simple."""

    category = forms.ModelChoiceField(
        label=_("What kind of matter"),
        queryset=MatterCategory.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    title = forms.CharField(label=_("In a few words"), max_length=TITLE_LENGTH)
    description = forms.CharField(
        label=_("What is wrong, and what would you like done"),
        max_length=DESCRIPTION_LENGTH,
        widget=_textarea(5),
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        for name in ("title", "description"):  # big, for an elderly thumb
            self.fields[name].widget.attrs["class"] = "form-control form-control-lg"


class StaffProposeForm(BootstrapFormMixin, forms.Form):
    """A matter raised by an opinion collector or staff on a resident's behalf."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=MatterCategory.objects.none())
    area = AreaChoiceField(label=_("Place"), queryset=Area.objects.none())
    resident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_LENGTH, widget=_textarea(4)
    )

    def __init__(self, *args, categories, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["area"].queryset = areas


class FromAppealForm(BootstrapFormMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=MatterCategory.objects.none())
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_LENGTH, widget=_textarea(4)
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class CategoryForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=40)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)


ROLE_CHOICES = AttendeeRole.choices
