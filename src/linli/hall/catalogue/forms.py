"""Forms of the catalogue administration: an item with its rows of materials and route steps,
and a category. They parse what the administrator typed; the catalogue services decide what is
valid (a proxy item needs a route, the steps may not take longer than the promise …) and
`apply_item_errors` puts each of their messages where it belongs.

Rows are added, removed and moved by buttons named `op` (e.g. `material-add`, `step-up-2`):
the page comes back with the rows rearranged and nothing saved. That works without JavaScript;
with HTMX only the form is swapped, so the page keeps its scroll position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin
from linli.registry.models import Organisation

from ..choices import HandlingMode, OfficeKind
from ..models import ItemMaterial, RouteStep, ServiceCategory, ServiceItem, ServiceItemVersion
from .services import MATERIALS, ROUTE, MaterialSpec, StepSpec

MAX_ROWS = 40  # materials or steps an item may list
MAX_DAYS = 365
MATERIAL_PREFIX, STEP_PREFIX = "materials", "steps"
OP = re.compile(r"^(material|step)-(add|remove|up|down)(?:-(\d{1,3}))?$")


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class CategoryForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=_max(ServiceCategory, "name"))
    description = forms.CharField(
        label=_("Description"), max_length=_max(ServiceCategory, "description"), required=False
    )
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100)

    def __init__(self, *args, category: ServiceCategory | None = None, **kwargs):
        if category is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": category.name,
                    "description": category.description,
                    "sort_order": category.sort_order,
                },
            )
        super().__init__(*args, **kwargs)


class ItemForm(BootstrapFormMixin, forms.Form):
    """服务事项 — the fields of an item's version; the code and order only when it is made,
    the note on what changed and the version it started from only when it is edited."""

    code = forms.CharField(
        label=_("Item code"),
        max_length=_max(ServiceItem, "code"),
        help_text=_("A short unique code, e.g. MZ-04. It cannot be changed later."),
    )
    name = forms.CharField(label=_("Name"), max_length=_max(ServiceItemVersion, "name"))
    category = forms.ModelChoiceField(label=_("Category"), queryset=ServiceCategory.objects.none())
    mode = forms.ChoiceField(label=_("Handling mode"), choices=HandlingMode.choices)
    time_limit_days = forms.IntegerField(
        label=_("Promised time limit (working days)"),
        min_value=0,
        max_value=MAX_DAYS,
        help_text=_("0 means it is settled at the counter the same day."),
    )
    online = forms.BooleanField(label=_("Can be applied for online"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sort_order = forms.IntegerField(
        label=_("Order in its category"), min_value=0, max_value=32767, initial=100
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=_max(ServiceItemVersion, "note"),
        help_text=_("Kept with the new version, e.g. “承诺时限由20个工作日缩短为15个”."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, categories, item: ServiceItem | None = None, **kwargs):
        if item is not None:
            current = item.current
            kwargs.setdefault(
                "initial",
                {
                    "name": current.name,
                    "category": current.category_id,
                    "mode": current.mode,
                    "time_limit_days": current.time_limit_days,
                    "online": current.online,
                    "description": current.description,
                    "legal_basis": current.legal_basis,
                    "version": current.number,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        if item is None:
            del self.fields["note"], self.fields["version"]
        else:
            del self.fields["code"], self.fields["sort_order"]

    def clean_description(self) -> str:
        return self.cleaned_data["description"].replace("\r\n", "\n")

    def clean_legal_basis(self) -> str:
        return self.cleaned_data["legal_basis"].replace("\r\n", "\n")

    def version_fields(self) -> dict:
        data = self.cleaned_data
        names = (
            "name",
            "category",
            "mode",
            "time_limit_days",
            "online",
            "description",
            "legal_basis",
        )
        return {name: data[name] for name in names}

    def raw_values(self) -> dict:
        """What was typed, unvalidated, to show the form again after a row was moved."""
        return {name: self[name].value() for name in self.fields}


class MaterialRowForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Material"), max_length=_max(ItemMaterial, "name"), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=_max(ItemMaterial, "note"), required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    in_person = forms.BooleanField(label=_("Bring in person"), required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("name") or "").strip() and not (data.get("note") or "").strip()

    def clean(self):
        data = super().clean()
        if not (data.get("name") or "").strip() and (data.get("note") or "").strip():
            self.add_error("name", _("Name the material this note belongs to."))
        return data

    def spec(self) -> MaterialSpec:
        data = self.cleaned_data
        return MaterialSpec(
            data["name"].strip(),
            bool(data["required"]),
            data["note"].strip(),
            bool(data["in_person"]),
        )


class StepRowForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Step"), max_length=_max(RouteStep, "name"), required=False)
    office_kind = forms.ChoiceField(
        label=_("Office"), choices=[("", "—"), *OfficeKind.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Organisation.objects.none(), required=False
    )
    time_limit_days = forms.IntegerField(
        label=_("Working days"), min_value=1, max_value=MAX_DAYS, required=False
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(
            (
                (data.get("name") or "").strip(),
                data.get("office_kind"),
                data.get("department"),
                data.get("time_limit_days"),
            )
        )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        for name in ("name", "office_kind", "time_limit_days"):
            if name not in self.errors and not data.get(name):
                self.add_error(name, _("Every step needs this."))
        return data

    def spec(self) -> StepSpec:
        data = self.cleaned_data
        return StepSpec(
            data["name"].strip(), data["office_kind"], data["time_limit_days"], data["department"]
        )


MaterialFormSet = formset_factory(
    MaterialRowForm, extra=0, max_num=MAX_ROWS, validate_max=True, absolute_max=MAX_ROWS
)
StepFormSet = formset_factory(
    StepRowForm, extra=0, max_num=MAX_ROWS, validate_max=True, absolute_max=MAX_ROWS
)


def material_rows(version: ServiceItemVersion | None) -> list[dict]:
    if version is None:
        return [{"required": True}]
    return [
        {"name": m.name, "note": m.note, "required": m.required, "in_person": m.in_person}
        for m in version.materials.all()
    ]


def step_rows(version: ServiceItemVersion | None) -> list[dict]:
    if version is None:
        return []
    return [
        {
            "name": s.name,
            "office_kind": s.office_kind,
            "department": s.department_id,
            "time_limit_days": s.time_limit_days,
        }
        for s in version.route.all()
    ]


@dataclass
class ItemForms:
    """The item form and its two row sets, with the service's messages about the rows."""

    item: ItemForm
    materials: forms.BaseFormSet
    steps: forms.BaseFormSet
    material_errors: list[str]
    step_errors: list[str]

    def is_valid(self) -> bool:
        # Every part is validated, so every mistake shows at once.
        results = [self.item.is_valid(), self.materials.is_valid(), self.steps.is_valid()]
        return all(results)

    def material_specs(self) -> list[MaterialSpec]:
        return [f.spec() for f in self.materials.forms if not f.is_blank()]

    def step_specs(self) -> list[StepSpec]:
        return [f.spec() for f in self.steps.forms if not f.is_blank()]

    # To the form page (`core.web.submit`) the three are one form: the item form's fields and
    # data, and a service's messages about the rows above their rows.

    @property
    def fields(self) -> dict:
        return self.item.fields

    @property
    def cleaned_data(self) -> dict:
        return self.item.cleaned_data

    @property
    def error_lists(self) -> dict[str, list[str]]:
        return {MATERIALS: self.material_errors, ROUTE: self.step_errors}

    def add_error(self, field: str | None, error) -> None:
        self.item.add_error(field, error)


def item_forms(
    data, *, categories, departments, item: ServiceItem | None = None, rows=None
) -> ItemForms:
    """The forms bound to `data` (a POST), or unbound showing `item` (or `rows`: the rows
    rearranged by a button, with the typed values of the item form as its initial values)."""
    step_kwargs = {"departments": departments}
    if rows is not None:
        values, materials, steps = rows
        return ItemForms(
            ItemForm(categories=categories, item=item, initial=values),
            MaterialFormSet(initial=materials, prefix=MATERIAL_PREFIX),
            StepFormSet(initial=steps, prefix=STEP_PREFIX, form_kwargs=step_kwargs),
            [],
            [],
        )
    if data is None:
        current = item.current if item is not None else None
        return ItemForms(
            ItemForm(categories=categories, item=item),
            MaterialFormSet(initial=material_rows(current), prefix=MATERIAL_PREFIX),
            StepFormSet(initial=step_rows(current), prefix=STEP_PREFIX, form_kwargs=step_kwargs),
            [],
            [],
        )
    return ItemForms(
        ItemForm(data, categories=categories, item=item),
        MaterialFormSet(data, prefix=MATERIAL_PREFIX),
        StepFormSet(data, prefix=STEP_PREFIX, form_kwargs=step_kwargs),
        [],
        [],
    )


def _raw_rows(formset: forms.BaseFormSet) -> list[dict]:
    """The rows as typed (unvalidated). The row count is read from the management form and
    capped, so a tampered count cannot make thousands of rows."""
    try:
        total = int(formset.data.get(f"{formset.prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        total = 0
    total = max(0, min(total, MAX_ROWS))
    rows = []
    for i in range(total):
        form = formset.form(formset.data, prefix=f"{formset.prefix}-{i}", **formset.form_kwargs)
        rows.append({name: form[name].value() for name in form.fields})
    return rows


def _move(rows: list[dict], action: str, index: int | None, blank: dict) -> list[dict]:
    rows = list(rows)
    if action == "add":
        if len(rows) < MAX_ROWS:
            rows.append(dict(blank))
    elif index is not None and 0 <= index < len(rows):
        if action == "remove":
            rows.pop(index)
        elif action == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif action == "down" and index < len(rows) - 1:
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


def rearranged(forms_: ItemForms, op: str):
    """The rows after the row button `op` was pressed, as (item values, materials, steps);
    None if `op` is not a row button."""
    match = OP.match(op or "")
    if match is None:
        return None
    kind, action, index = match.group(1), match.group(2), match.group(3)
    materials, steps = _raw_rows(forms_.materials), _raw_rows(forms_.steps)
    position = int(index) if index is not None else None
    if kind == "material":
        materials = _move(materials, action, position, {"required": True})
    else:
        steps = _move(steps, action, position, {})
    return forms_.item.raw_values(), materials, steps
