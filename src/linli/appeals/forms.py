"""Forms of the appeals pages 诉求. They parse what a person typed; the services decide what is
allowed and valid (`add_service_errors` puts their messages under the fields they name)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin
from linli.core.models import Area
from linli.registry.models import Organisation

from .choices import AppealChannel, ReturnVisitMethod, Satisfaction, Tier
from .models import Appeal, AppealCategory
from .services import (
    ADDRESS_LENGTH,
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    NOTE_LENGTH,
    RETURN_VISIT_NOTE_LENGTH,
)

REPORTER_REGISTRY, REPORTER_OUTSIDER, REPORTER_ANONYMOUS = "registry", "outsider", "anonymous"


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


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AppealCategory) -> str:
        return obj.current.name if obj.current_id else obj.name


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        # "第1网格" alone is ambiguous; the parent's name tells which village it is in.
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class VersionedForm(BootstrapFormMixin, forms.Form):
    """A form acting on an appeal: carries the version the page showed, so that a second
    handler acting at the same time is told what the first did."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, appeal: Appeal | None = None, **kwargs):
        if appeal is not None:
            kwargs.setdefault("initial", {}).setdefault("version", appeal.version)
        super().__init__(*args, **kwargs)
        self.appeal = appeal


class TakeForm(VersionedForm):
    """受理 — nothing to say: the button takes it."""


class SettleForm(VersionedForm):
    what_was_done = forms.CharField(
        label=_("What was done"), max_length=NOTE_LENGTH, widget=_textarea(4)
    )


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_LENGTH, widget=_textarea())


class ReturnVisitForm(VersionedForm):
    """回访 by staff: the reporter's satisfaction, how it was asked, and a note."""

    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[
            (ReturnVisitMethod.PHONE, ReturnVisitMethod.PHONE.label),
            (ReturnVisitMethod.VISIT, ReturnVisitMethod.VISIT.label),
        ],
        initial=ReturnVisitMethod.PHONE,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=RETURN_VISIT_NOTE_LENGTH,
        required=False,
        widget=_textarea(2),
        help_text=_("Needed when the reporter is dissatisfied: say with what."),
    )


class ResidentReturnVisitForm(VersionedForm):
    """The resident's own judgement, on the phone."""

    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anything to add"),
        max_length=RETURN_VISIT_NOTE_LENGTH,
        required=False,
        widget=_textarea(2),
    )


class IntakeForm(BootstrapFormMixin, forms.Form):
    """窗口受理 / 12345 — an appeal recorded by staff."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[
            (AppealChannel.COUNTER, AppealChannel.COUNTER.label),
            (AppealChannel.HOTLINE, AppealChannel.HOTLINE.label),
        ],
        initial=AppealChannel.COUNTER,
        widget=forms.RadioSelect,
    )
    category = CategoryChoiceField(label=_("Category"), queryset=AppealCategory.objects.none())
    area = AreaChoiceField(label=_("Place"), queryset=Area.objects.none())
    address = forms.CharField(label=_("Address"), max_length=ADDRESS_LENGTH, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=10, decimal_places=6
    )
    description = forms.CharField(
        label=_("What it is about"), max_length=DESCRIPTION_LENGTH, widget=_textarea(4)
    )
    reporter_kind = forms.ChoiceField(
        label=_("Reporter"),
        choices=[
            (REPORTER_REGISTRY, _("A person in the registry")),
            (REPORTER_OUTSIDER, _("Someone not in the registry (name and mobile)")),
            (REPORTER_ANONYMOUS, _("Anonymous (where the category allows)")),
        ],
        initial=REPORTER_OUTSIDER,
        widget=forms.RadioSelect,
    )
    resident = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reporter_name = forms.CharField(
        label=_("Reporter's name"), max_length=NAME_LENGTH, required=False
    )
    reporter_mobile = forms.CharField(label=_("Reporter's mobile"), max_length=20, required=False)
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args, categories, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["area"].queryset = areas

    def clean(self):
        data = super().clean()
        if data.get("reporter_kind") == REPORTER_REGISTRY and not data.get("resident"):
            self.add_error(None, _("Find the reporter in the registry and choose them."))
        return data


class ResidentRaiseForm(BootstrapFormMixin, forms.Form):
    """我要反映 — the resident's own appeal, on the phone."""

    category = CategoryChoiceField(
        label=_("What kind of matter"),
        queryset=AppealCategory.objects.none(),
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What happened"), max_length=DESCRIPTION_LENGTH, widget=_textarea(4)
    )
    address = forms.CharField(label=_("Where"), max_length=ADDRESS_LENGTH, required=False)
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        for name in ("description", "address", "photos"):  # big, for an elderly thumb
            self.fields[name].widget.attrs["class"] = "form-control form-control-lg"


class CategoryForm(BootstrapFormMixin, forms.Form):
    """诉求类别 — a category and its time limits (a change makes its next version)."""

    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    default_tier = forms.ChoiceField(
        label=_("Starting tier"), choices=Tier.choices, initial=Tier.VILLAGE
    )
    village_days = forms.IntegerField(label=_("Village (working days)"), min_value=1, initial=5)
    community_days = forms.IntegerField(label=_("Community (working days)"), min_value=1, initial=5)
    street_days = forms.IntegerField(label=_("Street (working days)"), min_value=1, initial=10)
    department_days = forms.IntegerField(
        label=_("Department (working days)"), min_value=1, initial=15
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Organisation.objects.none(), required=False
    )
    public = forms.BooleanField(label=_("Public (listed without login)"), required=False)
    anonymous_allowed = forms.BooleanField(label=_("May be raised anonymously"), required=False)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, initial=100)
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, departments, category: AppealCategory | None = None, **kwargs):
        if category is not None:
            current = category.current_version
            initial = {name: getattr(current, name) for name in EDITABLE}
            initial.update(
                code=category.code,
                department=current.department_id,
                sort_order=category.sort_order,
                version=current.number,
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if category is None:
            del self.fields["note"]
            del self.fields["version"]
        else:
            del self.fields["code"]
            del self.fields["sort_order"]


EDITABLE = (
    "name",
    "description",
    "default_tier",
    "village_days",
    "community_days",
    "street_days",
    "department_days",
    "public",
    "anonymous_allowed",
)
