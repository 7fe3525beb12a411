"""Forms of the area tree pages: create a child area, rename / set the division code, move.

They only parse and check input; the writes are `core.services.area_create / area_update /
area_move`, whose own checks (kind of parent, scope, not under itself) stay authoritative.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from .choices import ALLOWED_PARENT_KINDS, AreaKind
from .models import Area
from .validators import validate_division_code

if TYPE_CHECKING:
    _Form = forms.BaseForm  # what the mixin is mixed into
else:
    _Form = object


class BootstrapFormMixin(_Form):
    """Bootstrap's classes on every widget of the form, so templates render fields plainly:
    checkboxes and radio buttons `form-check-input`, selects `form-select`, the rest
    `form-control`, each with `is-invalid` once its field has an error. Styled as the field is
    rendered, so fields a form adds in `__init__` are styled too; a class a form sets itself
    is kept. `widget_size = "sm"` gives the small variants (filter bars)."""

    widget_size = ""
    _errors: ErrorDict | None  # BaseForm's, None until the form is validated; not in the stubs

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        # Rendering alone does not validate the form: before it is validated, no field is invalid.
        invalid = self._errors is not None and name in self._errors
        style_widget(bound.field.widget, size=self.widget_size, invalid=invalid)
        return bound


def style_widget(widget: forms.Widget, *, size: str = "", invalid: bool = False) -> None:
    if isinstance(widget, forms.HiddenInput):
        return
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):  # and CheckboxSelectMultiple
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = f"form-select form-select-{size}" if size else "form-select"
    else:
        css = f"form-control form-control-{size}" if size else "form-control"
    classes = widget.attrs.setdefault("class", css).split()
    if invalid and "is-invalid" not in classes:
        widget.attrs["class"] = " ".join([*classes, "is-invalid"])


def add_service_errors(
    form: forms.Form, error: ValidationError, *, names: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: under the field it names (`names` maps a
    service's name to the form's where they differ), in the list the form keeps for a part
    that is not a field (`form.error_lists`, e.g. {"tags": form.tag_errors}), otherwise at
    the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    lists = getattr(form, "error_lists", {})
    for name, errors in error.error_dict.items():
        name = (names or {}).get(name, name)
        if name in lists:
            lists[name].extend(ValidationError(errors).messages)
        else:
            form.add_error(name if name in form.fields else None, errors)


class _AreaFieldsForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(
        label=_("Division code"),
        max_length=12,
        required=False,
        validators=[validate_division_code],
        help_text=_("12-digit national statistical division code, if known."),
    )

    def __init__(self, *args, area: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.area = area  # the area being edited (None when creating)
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please enter a name."), code="required")
        return name

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        others = Area.objects.filter(code=code)
        if self.area is not None:
            others = others.exclude(pk=self.area.pk)
        if code and others.exists():
            raise ValidationError(
                _("Another area already has this division code."), code="division_code_taken"
            )
        return code


class AreaEditForm(_AreaFieldsForm):
    """Rename an area or set its division code."""


class AreaCreateForm(_AreaFieldsForm):
    """A new area directly below `parent`; only the kinds that may sit there are offered."""

    kind = forms.ChoiceField(label=_("Kind"))

    field_order = ["name", "kind", "code"]

    def __init__(self, *args, parent: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (value, label)
            for value, label in AreaKind.choices
            if parent.kind in ALLOWED_PARENT_KINDS[value]
        ]
        self.order_fields(self.field_order)


class _ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        above = f" · {obj.parent.name}" if obj.parent is not None else ""
        return f"{obj.name}（{obj.get_kind_display()}）{above}"


class AreaMoveForm(BootstrapFormMixin, forms.Form):
    """Move an area under another parent, with the reason that goes into the audit trail."""

    parent = _ParentChoiceField(
        label=_("New parent area"),
        queryset=Area.objects.none(),
        empty_label=_("Choose an area"),
        error_messages={
            "invalid_choice": _("Choose one of the listed areas; this area cannot go there.")
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the area moves (e.g. the regrouping decision); kept in the audit trail."),
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = targets

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise ValidationError(_("Please state why the area moves."), code="reason")
        return reason
