"""Writes to the catalogue 服务清单: categories, items and their versions.

An item's content is versioned: `item_create` makes version 1, `item_revise` makes the next
version from the current one with the given changes (materials and route copied unless new
ones are given) and points the item at it. Applications and outreach tasks keep the version
they were made under, so an edit never changes what a resident applied for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.choices import AuditAction
from linli.registry.models import Organisation

from .choices import HandlingMode, OfficeKind
from .models import ItemMaterial, RouteStep, ServiceCategory, ServiceItem, ServiceItemVersion

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


@dataclass(frozen=True)
class MaterialSpec:
    name: str
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class StepSpec:
    name: str
    office_kind: str
    time_limit_days: int
    department: Organisation | None = None


def _require_manager(actor) -> None:
    if actor is not None and not actor.has_permission(MANAGE):
        raise PermissionDenied


def _check_route(mode: str, time_limit_days: int, route: Sequence[StepSpec]) -> None:
    if mode == HandlingMode.PROXY and not route:
        raise ValidationError(
            {"route": _("A proxy item needs a route: at least one step through an office.")}
        )
    if mode != HandlingMode.PROXY and route:
        raise ValidationError({"route": _("Only a proxy item has a route of offices.")})
    for step in route:
        if step.office_kind == OfficeKind.DEPARTMENT and step.department is None:
            raise ValidationError(
                {
                    "route": _("Step “%(step)s” goes to a department: name the department.")
                    % {"step": step.name}
                }
            )
        if step.time_limit_days < 1:
            raise ValidationError(
                {
                    "route": _("Step “%(step)s” needs a time limit of at least one working day.")
                    % {"step": step.name}
                }
            )
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


def _write_version(
    item: ServiceItem,
    number: int,
    fields: dict,
    materials: Sequence[MaterialSpec],
    route: Sequence[StepSpec],
    actor,
    note: str,
) -> ServiceItemVersion:
    _check_route(fields["mode"], fields["time_limit_days"], route)
    version = ServiceItemVersion(item=item, number=number, note=note, **fields)
    version.created_by = actor if getattr(actor, "is_authenticated", False) else None
    version.full_clean(exclude=["item", "created_by"])
    version.save()
    ItemMaterial.objects.bulk_create(
        ItemMaterial(version=version, order=i, name=m.name, required=m.required, note=m.note)
        for i, m in enumerate(materials, start=1)
    )
    RouteStep.objects.bulk_create(
        RouteStep(
            version=version,
            order=i,
            name=s.name,
            office_kind=s.office_kind,
            department=s.department,
            time_limit_days=s.time_limit_days,
        )
        for i, s in enumerate(route, start=1)
    )
    item.current, item.name, item.category = version, version.name, version.category
    item.save(update_fields=["current", "name", "category"])
    return version


@transaction.atomic
def category_create(
    *, actor, name: str, description: str = "", sort_order: int = 100
) -> ServiceCategory:
    _require_manager(actor)
    category = ServiceCategory(name=name.strip(), description=description, sort_order=sort_order)
    category.full_clean()
    category.save()
    audit.record_change(actor=actor, obj=category, before=None, after=audit.snapshot(category))
    return category


@transaction.atomic
def item_create(
    *,
    actor,
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
    actor,
    item: ServiceItem,
    note: str = "",
    materials: Sequence[MaterialSpec] | None = None,
    route: Sequence[StepSpec] | None = None,
    **changes,
) -> ServiceItemVersion:
    """Make the item's next version: the current one with `changes` (version fields),
    and new `materials` / `route` if given. Returns the new current version."""
    _require_manager(actor)
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    current = item.current
    fields = {name: getattr(current, name) for name in VERSION_FIELDS}
    fields.update(changes)
    if materials is None:
        materials = [MaterialSpec(m.name, m.required, m.note) for m in current.materials.all()]
    if route is None:
        route = [
            StepSpec(s.name, s.office_kind, s.time_limit_days, s.department)
            for s in current.route.select_related("department")
        ]
    changed = sorted(n for n in VERSION_FIELDS if fields[n] != getattr(current, n))
    version = _write_version(item, current.number + 1, fields, materials, route, actor, note)
    audit.record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=item,
        changes={"version": [current.number, version.number], "fields": changed},
        reason=note,
    )
    return version


@transaction.atomic
def item_set_offered(*, actor, item: ServiceItem, offered: bool) -> ServiceItem:
    """Withdraw an item from the catalogue (or offer it again); its history stays."""
    _require_manager(actor)
    before = audit.snapshot(item)
    item.active = offered
    item.save(update_fields=["active"])
    audit.record_change(actor=actor, obj=item, before=before, after=audit.snapshot(item))
    return item
