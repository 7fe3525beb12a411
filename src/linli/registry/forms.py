"""Forms of the registry pages. They parse what a person typed; the services decide what is
allowed and valid, and `core.forms.add_service_errors` puts each of their messages under its own
field (those about tags next to the tag choices)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.forms import BootstrapFormMixin
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.validators import validate_id_number, validate_mobile

from .choices import OrganisationKind, PostKind, Relation, TagTarget
from .models import Organisation, Tag

# A household is registered in one of these; communities are left to imports and the API.
HOUSEHOLD_FORM_AREA_KINDS = ("village", "compound", "grid", "building")
DETAIL_MAX_LENGTH = 60  # HouseholdTag.detail / ResidentTag.detail


def areas_for(user, perm: str, *, include: Area | None = None):
    """Areas where `user` holds `perm` (e.g. registry.add) that can hold households."""
    condition = Q(pk__in=[])
    for path in user.scope_paths(perm):
        condition |= Q(path__startswith=path)
    condition &= Q(kind__in=HOUSEHOLD_FORM_AREA_KINDS)
    if include is not None:
        # Keep a household's present area selectable even if it is of another kind.
        condition |= Q(pk=include.pk)
    return Area.objects.filter(condition).select_related("parent").order_by("path")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        # "第1网格" alone is ambiguous; the parent's name tells which village it is in.
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class TagFieldsMixin:
    """One checkbox per tag of the vocabulary, with a detail field where the tag asks for one
    (a fixed list becomes a select, a label without a list a short text box)."""

    def add_tag_fields(self, tags: Iterable[Tag], links=()) -> None:
        self.tag_errors: list[str] = []
        self.error_lists = {"tags": self.tag_errors}  # a service's errors about the tags
        self.offered_tags = list(tags)
        current = {link.tag_id: link.detail for link in links}
        for tag in self.offered_tags:
            key = f"tag_{tag.pk}"
            self.fields[key] = forms.BooleanField(
                label=tag.name, required=False, initial=tag.pk in current
            )
            detail = self._detail_field(tag)
            if detail is not None:
                detail.initial = current.get(tag.pk, "")
                self.fields[f"{key}_detail"] = detail

    @staticmethod
    def _detail_field(tag: Tag) -> forms.Field | None:
        label = tag.detail_label or _("Detail")
        if tag.detail_choices:
            choices = [("", "—")] + [(c, c) for c in tag.detail_choices]
            return forms.ChoiceField(label=label, required=False, choices=choices)
        if tag.detail_label:
            return forms.CharField(label=label, required=False, max_length=DETAIL_MAX_LENGTH)
        return None

    def tag_rows(self) -> list[dict]:
        rows = []
        for tag in self.offered_tags:
            key = f"tag_{tag.pk}"
            detail = f"{key}_detail"
            rows.append(
                {
                    "tag": tag,
                    "checkbox": self[key],
                    "detail": self[detail] if detail in self.fields else None,
                }
            )
        return rows

    def chosen_tags(self, *, keep=()) -> list[tuple[Tag, str]]:
        """The ticked tags with their details, plus `keep`: existing links to tags this form
        did not offer (inactive ones, or sensitive ones the user may not see), so saving the
        form never drops what the user could not see."""
        offered = {tag.pk for tag in self.offered_tags}
        chosen = [(link.tag, link.detail) for link in keep if link.tag_id not in offered]
        for tag in self.offered_tags:
            key = f"tag_{tag.pk}"
            if self.cleaned_data.get(key):
                chosen.append((tag, self.cleaned_data.get(f"{key}_detail") or ""))
        return chosen


class HouseholdForm(TagFieldsMixin, BootstrapFormMixin, forms.Form):
    """户 — register a household or change its area, number, address and tags."""

    area = AreaChoiceField(label=_("Area"), queryset=Area.objects.none())
    number = forms.CharField(label=_("Household number"), max_length=32)
    address = forms.CharField(label=_("Address"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, areas, tags, household=None, **kwargs):
        if household is not None:
            kwargs.setdefault(
                "initial",
                {
                    "area": household.area_id,
                    "number": household.number,
                    "address": household.address,
                    "version": household.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        # An edit must say which version it started from, so a stale one is refused.
        self.fields["version"].required = household is not None
        self.add_tag_fields(tags, household.tag_links.all() if household else ())


class ResidentForm(TagFieldsMixin, BootstrapFormMixin, forms.Form):
    """居民 — add a member to a household or change a member's details.

    When editing, the ID and mobile fields start empty (the page never holds the full values
    unless revealed); left empty they keep the current number."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    # The model's own validators, so every bad field is reported at once (the service checks
    # again and stops at the first). Longer than 18, so the validator, not a length check,
    # explains what an ID number looks like.
    id_number = forms.CharField(
        label=_("ID number"), max_length=32, validators=[validate_id_number]
    )
    mobile = forms.CharField(
        label=_("Mobile number"), max_length=20, required=False, validators=[validate_mobile]
    )
    relation = forms.ChoiceField(label=_("Relation to head"), choices=Relation.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, tags, resident=None, **kwargs):
        if resident is not None:
            kwargs.setdefault(
                "initial",
                {"name": resident.name, "relation": resident.relation, "version": resident.version},
            )
        super().__init__(*args, **kwargs)
        if resident is not None:
            self._keep_numbers_hint(resident)
        self.fields["version"].required = resident is not None
        self.add_tag_fields(tags, resident.tag_links.all() if resident else ())

    def _keep_numbers_hint(self, resident) -> None:
        id_field, mobile_field = self.fields["id_number"], self.fields["mobile"]
        id_field.required = False
        id_field.widget.attrs["placeholder"] = mask(resident.id_number, ID_NUMBER)
        id_field.help_text = _("Leave empty to keep the current ID number.")
        if resident.mobile:
            mobile_field.widget.attrs["placeholder"] = mask(resident.mobile, MOBILE)
            mobile_field.help_text = _("Leave empty to keep the current mobile number.")


class TagForm(BootstrapFormMixin, forms.Form):
    """标签 — one entry of a tag vocabulary."""

    name = forms.CharField(label=_("Name"), max_length=40)
    target = forms.ChoiceField(label=_("Applies to"), choices=TagTarget.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    detail_label = forms.CharField(
        label=_("Detail label"),
        max_length=40,
        required=False,
        help_text=_("e.g. 残疾等级, 学段; leave empty if the tag needs no detail."),
    )
    detail_choices = forms.CharField(
        label=_("Detail choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Allowed details, one per line; empty means free text."),
    )
    sensitive = forms.BooleanField(
        label=_("Sensitive"),
        required=False,
        help_text=_(
            "Poverty, disability, health and the like: shown only to roles that may reveal."
        ),
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)

    def __init__(self, *args, tag: Tag | None = None, **kwargs):
        if tag is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": tag.name,
                    "target": tag.target,
                    "description": tag.description,
                    "detail_label": tag.detail_label,
                    "detail_choices": "\n".join(tag.detail_choices),
                    "sensitive": tag.sensitive,
                    "active": tag.active,
                    "sort_order": tag.sort_order,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_detail_choices(self) -> list[str]:
        choices: list[str] = []
        for line in self.cleaned_data["detail_choices"].splitlines():
            line = line.strip()
            if len(line) > DETAIL_MAX_LENGTH:
                raise ValidationError(
                    _("Each choice may have at most %(n)d characters: %(choice)s"),
                    params={"n": DETAIL_MAX_LENGTH, "choice": line},
                )
            if line and line not in choices:
                choices.append(line)
        return choices


# --- organisations and posts --------------------------------------------------------------


def organisation_areas_for(user, *, include: Area | None = None):
    """Areas where `user` holds organisation.change, in tree order, for the area choices of
    the organisation and post forms (`include` keeps a record's present area selectable)."""
    condition = Q(pk__in=[])
    for path in user.scope_paths("organisation.change"):
        condition |= Q(path__startswith=path)
    if include is not None:
        condition |= Q(pk=include.pk)
    return Area.objects.filter(condition).order_by("path")


class TreeAreaChoiceField(forms.ModelChoiceField):
    """Areas in tree order, indented by depth and named with their kind: 甲村（村）."""

    def label_from_instance(self, obj: Area) -> str:
        indent = "\u3000" * obj.depth  # an ideographic space a level
        return f"{indent}{obj.name}（{obj.get_kind_display()}）"


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        # Two villages may each have a "卫生室": the area tells them apart.
        return f"{obj.name}（{obj.area.name}）"


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name}（{obj.username}）" if obj.display_name else obj.username


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class OrganisationForm(BootstrapFormMixin, forms.Form):
    """组织 — register an organisation or change its name, kind, area and parent.

    The parent field is not called "parent": on these pages that name means an area."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *OrganisationKind.choices])
    area = TreeAreaChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        empty_label=_("Choose an area"),
        error_messages={
            "invalid_choice": _("Choose one of the listed areas (those inside your own grant).")
        },
    )
    parent_organisation = OrganisationChoiceField(
        label=_("Parent organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Optional: e.g. the community's general party branch for a village branch."),
        error_messages={"invalid_choice": _("Choose a parent organisation from the list.")},
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_(
            "Where residents find it: a service hall's address is shown to residents asked to "
            "bring material."
        ),
    )

    def __init__(self, *args, areas, parents, organisation: Organisation | None = None, **kwargs):
        if organisation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": organisation.name,
                    "kind": organisation.kind,
                    "area": organisation.area_id,
                    "parent_organisation": organisation.parent_id,
                    "address": organisation.address,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["parent_organisation"].queryset = parents


class PostForm(BootstrapFormMixin, forms.Form):
    """职务 — who holds a post, serving which area, at which organisation, from when."""

    holder_name = forms.CharField(label=_("Holder"), max_length=50)
    account = AccountChoiceField(
        label=_("Login account"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Optional: the holder's own login account, if they have one."),
        error_messages={"invalid_choice": _("Choose an active login account from the list.")},
    )
    kind = forms.ChoiceField(label=_("Post"), choices=[("", "—"), *PostKind.choices])
    title = forms.CharField(
        label=_("Title"),
        max_length=100,
        required=False,
        help_text=_("Optional: the title as written locally, e.g. 村党支部书记兼村委会主任."),
    )
    organisation = OrganisationChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("Choose an organisation from the list.")},
    )
    area = TreeAreaChoiceField(
        label=_("Area served"),
        queryset=Area.objects.none(),
        empty_label=_("Choose an area"),
        error_messages={
            "invalid_choice": _("Choose one of the listed areas (those inside your own grant).")
        },
    )
    starts_on = forms.DateField(label=_("From"), widget=_DateInput())
    ends_on = forms.DateField(
        label=_("Until"),
        widget=_DateInput(),
        required=False,
        help_text=_("Last day in the post; leave empty while the post is held."),
    )

    def __init__(self, *args, areas, organisations, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["organisation"].queryset = organisations
        self.fields["account"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("A post cannot end before it starts."))
        return data


class PostEndForm(BootstrapFormMixin, forms.Form):
    """卸任 — the last day of a post."""

    ends_on = forms.DateField(
        label=_("Last day in the post"),
        widget=_DateInput(),
        error_messages={"required": _("Give the last day of the post.")},
    )

    def __init__(self, *args, post, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("ends_on", post.ends_on or timezone.localdate())
        super().__init__(*args, **kwargs)
