"""Writes to the catalogue 服务清单: categories, items and their versions.

An item's content is versioned: `item_create` makes version 1, `item_revise` makes the next
version from the current one with the given changes (materials and route copied unless new
ones are given) and points the item at it. Applications and outreach tasks keep the version
they were made under, so an edit never changes what a resident applied for.

The catalogue belongs to the whole deployment, not to an area: `catalogue.manage` (the
administrator) may change all of it. `actor=None` is a trusted system job (the demo builder).
Each change writes the item's timeline and the audit trail in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.core import audit
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import check_version
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation

from .. import events
from ..choices import HandlingMode, OfficeKind
from ..models import ItemMaterial, RouteStep, ServiceCategory, ServiceItem, ServiceItemVersion

MANAGE = "catalogue.manage"
VERSION_FIELDS = (
    "name",
    "category",
    "mode",
    "description",
    "legal_basis",
    "time_limit_days",
    "online",
    "eligibility",
    "outreach_role",
    "outreach_recent_days",
)
# The parts of a version that are not fields of its own row.
MATERIALS, ROUTE = "materials", "route"

# Timeline lines of an item (English msgids, translated when shown).


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    required: bool = True
    note: str = ""
    in_person: bool = False  # a photo will not do: the resident brings it


@dataclass(frozen=True)
class StepSpec:
    name: str
    office_kind: str
    time_limit_days: int
    department: Organisation | None = None


def _require_manager(actor: Actor | None) -> None:
    if actor is not None and not actor.has_permission(MANAGE):
        raise PermissionDenied


def _field_max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _check_materials(materials: Sequence[MaterialSpec]) -> None:
    seen: set[str] = set()
    name_max, note_max = _field_max(ItemMaterial, "name"), _field_max(ItemMaterial, "note")
    for position, material in enumerate(materials, start=1):
        name = material.name.strip()
        if not name:
            raise ValidationError({MATERIALS: _("Material %(n)s has no name.") % {"n": position}})
        if len(name) > name_max or len(material.note) > note_max:
            raise ValidationError(
                {
                    MATERIALS: _(
                        "Material “%(name)s” is too long: at most %(name_max)s characters for "
                        "the name and %(note_max)s for the note."
                    )
                    % {"name": name[:20], "name_max": name_max, "note_max": note_max}
                }
            )
        if name in seen:
            raise ValidationError(
                {MATERIALS: _("Material “%(name)s” is listed twice.") % {"name": name}}
            )
        seen.add(name)


def _check_step(position: int, step: StepSpec) -> None:
    name = step.name.strip()
    if not name:
        raise ValidationError({ROUTE: _("Step %(n)s has no name.") % {"n": position}})
    if len(name) > _field_max(RouteStep, "name"):
        raise ValidationError(
            {
                ROUTE: _("Step %(n)s: the name is longer than %(max)s characters.")
                % {"n": position, "max": _field_max(RouteStep, "name")}
            }
        )
    if step.office_kind not in OfficeKind.values:
        raise ValidationError(
            {ROUTE: _("Step “%(step)s”: choose the office that handles it.") % {"step": name}}
        )
    if step.office_kind == OfficeKind.DEPARTMENT and step.department is None:
        raise ValidationError(
            {
                ROUTE: _("Step “%(step)s” goes to a department: name the department.")
                % {"step": name}
            }
        )
    if step.office_kind != OfficeKind.DEPARTMENT and step.department is not None:
        raise ValidationError(
            {
                ROUTE: _(
                    "Step “%(step)s” is handled by the applicant's own %(office)s: it names no "
                    "department."
                )
                % {"step": name, "office": OfficeKind(step.office_kind).label}
            }
        )
    if step.department is not None and step.department.kind != OrganisationKind.DEPARTMENT:
        raise ValidationError(
            {
                ROUTE: _("Step “%(step)s”: %(organisation)s is not a district department.")
                % {"step": name, "organisation": step.department.name}
            }
        )
    if step.time_limit_days < 1:
        raise ValidationError(
            {
                ROUTE: _("Step “%(step)s” needs a time limit of at least one working day.")
                % {"step": name}
            }
        )


def _check_route(mode: str, time_limit_days: int, route: Sequence[StepSpec]) -> None:
    if mode == HandlingMode.PROXY and not route:
        raise ValidationError(
            {ROUTE: _("A proxy item needs a route: at least one step through an office.")}
        )
    if mode != HandlingMode.PROXY and route:
        raise ValidationError({ROUTE: _("Only a proxy item has a route of offices.")})
    for position, step in enumerate(route, start=1):
        _check_step(position, step)
    total = sum(s.time_limit_days for s in route)
    if route and total > time_limit_days:
        raise ValidationError(
            {
                "time_limit_days": _(
                    "The steps take %(steps)s working days together, more than the promised "
                    "%(limit)s."
                )
                % {"steps": total, "limit": time_limit_days}
            }
        )


def _material_rows(materials: Sequence[MaterialSpec]) -> list[tuple]:
    return [(m.name.strip(), m.required, m.note.strip(), bool(m.in_person)) for m in materials]


def _route_rows(route: Sequence[StepSpec]) -> list[tuple]:
    return [
        (
            s.name.strip(),
            s.office_kind,
            s.time_limit_days,
            s.department.pk if s.department else None,
        )
        for s in route
    ]


def _write_version(
    item: ServiceItem,
    number: int,
    fields: dict,
    materials: Sequence[MaterialSpec],
    route: Sequence[StepSpec],
    actor: Actor | None,
    note: str,
) -> ServiceItemVersion:
    _check_materials(materials)
    _check_route(fields["mode"], fields["time_limit_days"], route)
    version = ServiceItemVersion(item=item, number=number, note=note.strip(), **fields)
    version.created_by = actor if isinstance(actor, User) else None
    version.full_clean(exclude=["item", "created_by"])
    version.save()
    ItemMaterial.objects.bulk_create(
        ItemMaterial(
            version=version, order=i, name=name, required=required, note=m_note, in_person=brought
        )
        for i, (name, required, m_note, brought) in enumerate(_material_rows(materials), start=1)
    )
    RouteStep.objects.bulk_create(
        RouteStep(
            version=version,
            order=i,
            name=s.name.strip(),
            office_kind=s.office_kind,
            department=s.department,
            time_limit_days=s.time_limit_days,
        )
        for i, s in enumerate(route, start=1)
    )
    item.current, item.name, item.category = version, version.name, version.category
    item.save(update_fields=["current", "name", "category"])
    return version


# --- categories -------------------------------------------------------------------------------


@transaction.atomic
def category_create(
    *, actor: Actor | None, name: str, description: str = "", sort_order: int = 100
) -> ServiceCategory:
    _require_manager(actor)
    category = ServiceCategory(
        name=name.strip(), description=description.strip(), sort_order=sort_order
    )
    category.full_clean()
    category.save()
    audit.record_created(actor=actor, obj=category)
    return category


@transaction.atomic
def category_update(
    *,
    actor: Actor | None,
    category: ServiceCategory,
    name: str,
    description: str = "",
    sort_order: int = 100,
) -> ServiceCategory:
    """Rename or reorder a category. Items keep pointing at it; past versions name it too, so
    a rename shows in their history under the new name."""
    _require_manager(actor)
    category = ServiceCategory.objects.select_for_update().get(pk=category.pk)
    change = audit.audited_change(actor=actor, obj=category)
    category.name, category.description = name.strip(), description.strip()
    category.sort_order = sort_order
    category.full_clean()
    category.save()
    change.record()
    return category


# --- items ------------------------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    actor: Actor | None,
    code: str,
    materials: Sequence[MaterialSpec] = (),
    route: Sequence[StepSpec] = (),
    sort_order: int = 100,
    **fields,
) -> ServiceItem:
    """A new item with its first version. `fields` are the version's (see VERSION_FIELDS)."""
    _require_manager(actor)
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    defaults = {"description": "", "legal_basis": "", "online": False, "eligibility": {}}
    fields = {**defaults, **fields}
    item = ServiceItem(
        code=code.strip(), name=fields["name"], category=fields["category"], sort_order=sort_order
    )
    item.full_clean(exclude=["current"])
    item.save()
    version = _write_version(item, 1, fields, materials, route, actor, note="")
    events.ITEM_CREATED.add(
        subject=item, params={"code": item.code, "number": version.number}, actor=actor
    )
    audit.record(
        action=AuditAction.CREATE,
        actor=actor,
        obj=item,
        changes={"version": version.number, "code": item.code, "name": item.name},
    )
    return item


@transaction.atomic
def item_revise(
    *,
    actor: Actor | None,
    item: ServiceItem,
    note: str = "",
    materials: Sequence[MaterialSpec] | None = None,
    route: Sequence[StepSpec] | None = None,
    expected_version: int | None = None,
    **changes,
) -> ServiceItemVersion:
    """Make the item's next version: the current one with `changes` (version fields),
    and new `materials` / `route` if given. Returns the new current version.

    `expected_version` is the version number the editor started from: if someone saved a
    newer one meanwhile the edit is refused (code "stale") rather than silently undoing theirs.
    A revision that changes nothing is refused too: it would only add an empty version."""
    _require_manager(actor)
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    current = item.current_version
    check_version(current.number, expected_version)
    fields = {name: getattr(current, name) for name in VERSION_FIELDS}
    fields.update(changes)
    old_materials = [
        MaterialSpec(m.name, m.required, m.note, m.in_person) for m in current.materials.all()
    ]
    old_route = [
        StepSpec(s.name, s.office_kind, s.time_limit_days, s.department)
        for s in current.route.select_related("department")
    ]
    materials = old_materials if materials is None else list(materials)
    route = old_route if route is None else list(route)
    changed = [n for n in VERSION_FIELDS if fields[n] != getattr(current, n)]
    if _material_rows(materials) != _material_rows(old_materials):
        changed.append(MATERIALS)
    if _route_rows(route) != _route_rows(old_route):
        changed.append(ROUTE)
    if not changed:
        raise ValidationError(
            _("Nothing has changed, so no new version was made."), code="unchanged"
        )
    version = _write_version(item, current.number + 1, fields, materials, route, actor, note)
    (events.ITEM_REVISED if version.note else events.ITEM_REVISED_WITHOUT_NOTE).add(
        subject=item,
        params={"number": version.number, "note": version.note},
        actor=actor,
        data={"fields": changed, "from": current.number},
    )
    audit.record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=item,
        changes={"version": [current.number, version.number], "fields": changed},
        reason=version.note,
    )
    return version


@transaction.atomic
def item_set_offered(*, actor: Actor | None, item: ServiceItem, offered: bool) -> ServiceItem:
    """Withdraw an item from the catalogue (or offer it again); its history stays. Applications
    already made go on; a withdrawn item takes no new ones."""
    _require_manager(actor)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.active == offered:
        return item
    change = audit.audited_change(actor=actor, obj=item)
    item.active = offered
    item.save(update_fields=["active"])
    (events.ITEM_OFFERED if offered else events.ITEM_WITHDRAWN).add(subject=item, actor=actor)
    change.record()
    return item
