"""Reads of the catalogue 服务清单: the public catalogue anyone may read, and the
administrator's lists, item pages and version history.

The catalogue belongs to the whole deployment rather than to an area, so there is no area scope
to restrict by: the public reads show offered items only, and every other read requires
`catalogue.manage` (whoever lacks it gets 403 whatever they ask for). Lists cost a fixed number
of queries: the current version, its materials and its route come in three prefetches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Field, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.accounts.roles import Role
from linli.core.actors import Actor
from linli.registry import selectors as registry_selectors
from linli.registry.choices import OrganisationKind

from .. import rules
from ..choices import HandlingMode
from ..models import RouteStep, ServiceCategory, ServiceItem, ServiceItemVersion
from ..outreach import eligibility
from .services import MANAGE

SEARCH_MAX_LENGTH = 50


def require_manager(user: Actor) -> None:
    if not (user.is_authenticated and user.has_permission(MANAGE)):
        raise PermissionDenied


def _with_content(items: QuerySet) -> QuerySet:
    """Items with their current version, its materials and its route (departments joined)."""
    return items.select_related("category", "current", "current__category").prefetch_related(
        "current__materials",
        Prefetch("current__route", queryset=RouteStep.objects.select_related("department")),
    )


# --- the public catalogue -----------------------------------------------------------------------


@dataclass
class CategoryGroup:
    category: ServiceCategory
    items: list[ServiceItem] = field(default_factory=list)


def _offered() -> QuerySet:
    return ServiceItem.objects.filter(rules.OFFERED)


def public_catalogue(q: str = "") -> list[CategoryGroup]:
    """Every offered item with its content (those whose name or code contain `q`, if given),
    grouped by category in catalogue order; categories with nothing offered are left out."""
    groups: dict[int, CategoryGroup] = {}
    items = _offered()
    q = q.strip()[:SEARCH_MAX_LENGTH]
    if q:
        items = items.filter(Q(current__name__contains=q) | Q(code__icontains=q))
    for item in _with_content(items).order_by(
        "category__sort_order", "category__name", "sort_order", "code"
    ):
        group = groups.setdefault(item.category_id, CategoryGroup(item.category))
        group.items.append(item)
    return list(groups.values())


def public_item_get(*, pk: int) -> ServiceItem:
    """One offered item with its content; 404 for an unknown or withdrawn one."""
    item = _with_content(_offered()).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


# --- administration -----------------------------------------------------------------------------


def item_list(*, user: Actor, filters: Mapping[str, str]) -> QuerySet:
    """Every item, offered or withdrawn, filtered by search text (name or code), category,
    handling mode and whether it is offered."""
    require_manager(user)
    items = ServiceItem.objects.select_related("category", "current")
    q = (filters.get("q") or "").strip()[:SEARCH_MAX_LENGTH]
    if q:
        items = items.filter(Q(name__contains=q) | Q(code__icontains=q))
    category = filters.get("category") or ""
    if category.isdigit():
        items = items.filter(category_id=int(category))
    mode = filters.get("mode") or ""
    if mode in HandlingMode.values:
        items = items.filter(current__mode=mode)
    offered = filters.get("offered") or ""
    if offered in ("1", "0"):
        items = items.filter(active=offered == "1")
    return items.order_by("category__sort_order", "category__name", "sort_order", "code")


def item_get(*, user: Actor, pk: int) -> ServiceItem:
    require_manager(user)
    item = _with_content(ServiceItem.objects.all()).filter(pk=pk).first()
    if item is None or item.current is None:
        raise Http404
    return item


def category_list(*, user: Actor) -> QuerySet:
    require_manager(user)
    return ServiceCategory.objects.annotate(
        item_count=Count("items"), offered_count=Count("items", filter=Q(items__active=True))
    ).order_by("sort_order", "name")


def category_get(*, user: Actor, pk: int) -> ServiceCategory:
    require_manager(user)
    category = ServiceCategory.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    return category


def category_choices() -> QuerySet:
    return ServiceCategory.objects.order_by("sort_order", "name")


def department_choices(*, user: Actor) -> QuerySet:
    """The district departments a route step may go to, as far as the user may see them."""
    return (
        registry_selectors.organisation_list(user=user)
        .filter(kind=OrganisationKind.DEPARTMENT)
        .order_by("name")
    )


# --- reading an item out ------------------------------------------------------------------------


def describe_eligibility(version: ServiceItemVersion) -> str:
    """Who outreach seeks out, as a sentence (the rule itself is edited elsewhere)."""
    return eligibility.describe(version.eligibility)


def outreach_role_label(value: str) -> str:
    if not value:
        return _("Nobody (no outreach)")
    return str(Role(value).label) if value in Role.values else value


def eligibility_json(version: ServiceItemVersion) -> str:
    return json.dumps(version.eligibility, ensure_ascii=False, indent=2, sort_keys=True)


def route_text(steps) -> str:
    """A route on one line: 社区受理（社区便民服务大厅，1个工作日）→ …"""
    return " → ".join(
        ngettext(
            "%(step)s (%(office)s, %(days)s working day)",
            "%(step)s (%(office)s, %(days)s working days)",
            s.time_limit_days,
        )
        % {
            "step": s.name,
            "office": s.department.name if s.department_id else s.get_office_kind_display(),
            "days": s.time_limit_days,
        }
        for s in steps
    )


# --- version history ----------------------------------------------------------------------------


@dataclass
class Change:
    """One difference between a version and the one before it, ready to show."""

    label: str
    before: str = ""
    after: str = ""


@dataclass
class VersionEntry:
    version: ServiceItemVersion
    changes: list[Change]
    is_current: bool


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _field_text(version: ServiceItemVersion, name: str) -> str:
    value = getattr(version, name)
    if name == "category":
        return value.name
    if name == "mode":
        return str(version.get_mode_display())
    if name == "online":
        return _yes_no(value)
    if name == "eligibility":
        return eligibility.describe(value)
    if name == "outreach_role":
        return outreach_role_label(value)
    return str(value)


# The fields a history shows, in the order the item page shows them.
HISTORY_FIELDS = (
    "name",
    "category",
    "mode",
    "time_limit_days",
    "online",
    "description",
    "legal_basis",
    "eligibility",
    "outreach_role",
    "outreach_recent_days",
)


def _material_text(material) -> str:
    parts = [material.name]
    if not material.required:
        parts.append(_("(if applicable)"))
    if material.in_person:
        parts.append(_("(bring in person)"))
    if material.note:
        parts.append(f"— {material.note}")
    return " ".join(parts)


def _material_terms(material) -> tuple:
    return material.required, material.note, material.in_person


def _material_changes(older, newer) -> list[Change]:
    before = {m.name: m for m in older.materials.all()}
    after = {m.name: m for m in newer.materials.all()}
    changes = []
    for name, material in after.items():
        if name not in before:
            changes.append(Change(_("Material added"), after=_material_text(material)))
        elif _material_terms(material) != _material_terms(before[name]):
            changes.append(
                Change(
                    _("Material changed"),
                    before=_material_text(before[name]),
                    after=_material_text(material),
                )
            )
    for name, material in before.items():
        if name not in after:
            changes.append(Change(_("Material removed"), before=_material_text(material)))
    kept_before = [n for n in before if n in after]
    kept_after = [n for n in after if n in before]
    if not changes and kept_before != kept_after:
        changes.append(
            Change(_("Order of materials"), before="、".join(before), after="、".join(after))
        )
    return changes


def version_changes(older: ServiceItemVersion, newer: ServiceItemVersion) -> list[Change]:
    """What `newer` changed against `older`: fields with their old and new values, materials
    added, removed or changed, and the route before and after."""
    changes = [
        Change(
            str(cast(Field, ServiceItemVersion._meta.get_field(name)).verbose_name),
            _field_text(older, name),
            _field_text(newer, name),
        )
        for name in HISTORY_FIELDS
        if getattr(older, name) != getattr(newer, name)
    ]
    changes.extend(_material_changes(older, newer))
    old_route, new_route = route_text(older.route.all()), route_text(newer.route.all())
    if old_route != new_route:
        changes.append(
            Change(
                _("Route"),
                old_route or _("(no route)"),
                new_route or _("(no route)"),
            )
        )
    return changes


def item_history(*, user: Actor, item: ServiceItem) -> list[VersionEntry]:
    """Every version of the item, newest first, each with what it changed."""
    require_manager(user)
    versions = list(
        item.versions.select_related("category", "created_by")
        .prefetch_related(
            "materials",
            Prefetch("route", queryset=RouteStep.objects.select_related("department")),
        )
        .order_by("-number")
    )
    entries = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes = version_changes(older, newer) if older is not None else []
        entries.append(VersionEntry(newer, changes, newer.pk == item.current_id))
    return entries
