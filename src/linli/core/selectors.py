"""Reads for the shell, the workbench, the area tree and the audit trail."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.core.models import Area, AuditRecord

from .choices import ALLOWED_PARENT_KINDS
from .scoping import OutOfScope, covers, refuse

# Modules add their own tiles (callables taking user and area) from their AppConfig.ready,
# so the workbench needs to know no module but the registry.
TILE_PROVIDERS: list = []


def register_tiles(provider) -> None:
    if provider not in TILE_PROVIDERS:
        TILE_PROVIDERS.append(provider)


def workbench_tiles(*, user, area: Area | None) -> list[dict]:
    """The workbench's tiles: counts within the current area, each linking to its list, then
    the tiles of the modules."""
    tiles = _registry_tiles(user, area)
    for provider in TILE_PROVIDERS:
        tiles += provider(user=user, area=area)
    return tiles


def _registry_tiles(user, area: Area | None) -> list[dict]:
    from linli.registry.models import Household, Resident

    tiles = []
    if area is None:
        return tiles
    if user.is_staff_member and user.has_permission("registry.view"):
        households = Household.objects.restrict(user, "view").under(area)
        residents = Resident.objects.restrict(user, "view").under(area)
        url = reverse("registry:household_list") + f"?area={area.pk}"
        tiles.append({"label": _("Households"), "value": households.count(), "url": url})
        url = reverse("registry:resident_list") + f"?area={area.pk}"
        tiles.append({"label": _("Residents"), "value": residents.count(), "url": url})
    if user.has_permission("area.view"):
        below = Area.objects.restrict(user, "view").under(area, include_self=False)
        tiles.append(
            {
                "label": _("Villages and compounds"),
                "value": below.filter(kind__in=["village", "compound"]).count(),
                "url": reverse("core:area_tree") + f"?area={area.pk}",
            }
        )
    return tiles


# --- the area tree page ---------------------------------------------------------------------


def area_get(*, user, pk, action: str = "view") -> Area:
    """One area the user may `action`, or 404 (`OutOfScope`) — also when it exists elsewhere."""
    area = Area.objects.restrict(user, action).select_related("parent").filter(pk=pk).first()
    if area is None:
        raise OutOfScope(Area, pk)
    return area


def area_for_list(*, user, pk) -> Area | None:
    """The area a list is narrowed to (`?area=`): one in `user`'s scope, or one above it (the
    list then shows what the user sees under it). Any other id — an area elsewhere, or none at
    all — gets None: the list shows nothing, as for an empty area, and the attempt is noted as
    refused, so the audit trail records it as a denial as it does a 404 for another area's
    record. The area may lie above the scope: show it only where `covers` says so."""
    area = Area.objects.filter(pk=pk).first()
    if area is not None and _meets_scope(user, area):
        return area
    refuse(Area, pk)
    return None


def _meets_scope(user, area: Area) -> bool:
    """Whether `area` lies in or above one of the areas `user` sees (area.view)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(
        area.path.startswith(path) or path.startswith(area.path)
        for path in user.scope_paths("area.view")
    )


def area_breadcrumb(*, user, area: Area) -> list[Area]:
    """The ancestors of `area` the user may see, top first (nothing above their scope)."""
    return list(
        Area.objects.restrict(user, "view")
        .filter(path__in=area.ancestor_paths())
        .exclude(pk=area.pk)
        .order_by("depth")
    )


def area_nodes(*, user, parent: Area | None) -> list[Area]:
    """One level of the tree as the user sees it: the areas directly below `parent` (the tops
    of the user's scope when None), each with `child_count` and — for roles that see the
    registry — `household_count` under it. The counts cost one GROUP BY query each for the
    whole level, however many areas it holds."""
    if parent is None:
        nodes = [a for a in user.scope_areas() if covers(user, a, "area.view")]
    else:
        nodes = list(Area.objects.restrict(user, "view").filter(parent=parent).order_by("name"))
    if not nodes:
        return nodes
    children = (
        Area.objects.restrict(user, "view")
        .filter(parent_id__in=[n.pk for n in nodes])
        .values("parent_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    child_counts = {row["parent_id"]: row["n"] for row in children}
    household_counts = None
    if user.has_permission("registry.view"):
        from linli.registry.models import Household

        households = Household.objects.restrict(user, "view")
        household_counts = _count_by_branch(households, "area__path", nodes, parent)
    for node in nodes:
        node.child_count = child_counts.get(node.pk, 0)
        node.household_count = (
            None if household_counts is None else household_counts.get(node.path, 0)
        )
    return nodes


def _count_by_branch(qs, path_field: str, nodes: list[Area], parent: Area | None) -> dict:
    """Rows of `qs` under each node, keyed by the node's path. Siblings share one path length,
    so the first that many characters of a row's path name its branch: one GROUP BY."""
    counts: dict[str, int] = {}
    by_length: dict[int, list[str]] = {}
    for node in nodes:
        by_length.setdefault(len(node.path), []).append(node.path)
    for length, paths in by_length.items():
        if parent is not None:
            within = Q(**{f"{path_field}__startswith": parent.path})
        else:
            within = Q()
            for path in paths:
                within |= Q(**{f"{path_field}__startswith": path})
        rows = (
            qs.filter(within)
            .annotate(branch=Substr(path_field, 1, length))
            .values("branch")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({row["branch"]: row["n"] for row in rows})
    return counts


def area_move_targets(*, user, area: Area):
    """Where `area` may be moved: areas of an allowed parent kind that the user may change,
    not below `area` itself and not its present parent."""
    return (
        Area.objects.restrict(user, "change")
        .filter(kind__in=ALLOWED_PARENT_KINDS[area.kind])
        .exclude(path__startswith=area.path)
        .exclude(pk=area.parent_id)
        .select_related("parent")
        .order_by("path")
    )


# --- the audit trail page -------------------------------------------------------------------


def audit_list(*, user, filters: dict | None = None):
    """The audit trail, newest first, for auditors only (审计员); anyone else is refused."""
    from .filters import AuditFilter

    if not user.has_permission("audit.view"):
        raise PermissionDenied
    qs = AuditRecord.objects.order_by("-pk")
    if filters:
        form = AuditFilter(filters, queryset=qs)
        qs = form.qs if form.is_valid() else qs.none()
    return qs
