"""Forms of the area tree pages: create a child area, rename / set the division code, move.

They only parse and check input; the writes are `core.services.area_create / area_update /
area_move`, whose own checks (kind of parent, scope, not under itself) stay authoritative.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import ALLOWED_PARENT_KINDS, AreaKind
from .models import Area
from .validators import validate_division_code


class BootstrapFormMixin:
    """Gives every widget Bootstrap's class, so templates render fields plainly."""

    def _style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names where the form has
    that field, otherwise at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


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
        self._style_widgets()
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
        self.fields["kind"].choices = [
            (value, label)
            for value, label in AreaKind.choices
            if parent.kind in ALLOWED_PARENT_KINDS[value]
        ]
        self.order_fields(self.field_order)


class _ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        above = f" · {obj.parent.name}" if obj.parent_id else ""
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
        self.fields["parent"].queryset = targets
        self._style_widgets()

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 2:
            raise ValidationError(_("Please state why the area moves."), code="reason")
        return reason
