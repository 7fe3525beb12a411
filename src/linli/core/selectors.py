"""Reads for the shell, the workbench, the area tree and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.core.models import Area, AuditRecord

from .actors import Actor
from .choices import ALLOWED_PARENT_KINDS
from .lookups import starts_with
from .scoping import OutOfScope, covers, refuse

# Modules add their own tiles (callables taking user and area) from their AppConfig.ready, so
# the workbench knows no module. `place` orders the providers (stable within one place).
TILE_PROVIDERS: list[tuple[int, Callable[..., list[dict]]]] = []


def register_tiles(provider, *, place: int = 50) -> None:
    if all(provider is not known for _, known in TILE_PROVIDERS):
        TILE_PROVIDERS.append((place, provider))
        TILE_PROVIDERS.sort(key=lambda entry: entry[0])


def workbench_tiles(*, user: Actor, area: Area | None) -> list[dict]:
    """The workbench's tiles: counts within the current area, each linking to its list, from
    every module that registered tiles."""
    tiles: list[dict] = []
    for _place, provider in TILE_PROVIDERS:
        tiles += provider(user=user, area=area)
    return tiles


def area_tiles(*, user: Actor, area: Area | None) -> list[dict]:
    """The core's own tile: the villages and compounds below the current area."""
    if area is None or not user.has_permission("area.view"):
        return []
    below = Area.objects.restrict(user, "view").under(area, include_self=False)
    return [
        {
            "label": _("Villages and compounds"),
            "value": below.filter(kind__in=["village", "compound"]).count(),
            "url": reverse("core:area_tree") + f"?area={area.pk}",
        }
    ]


# Modules add figures to each node of the area tree (the registry: households under it) with
# callables taking user, nodes and parent that set attributes on the nodes.
AREA_NODE_ANNOTATORS: list = []


def register_area_node_annotator(annotator) -> None:
    if annotator not in AREA_NODE_ANNOTATORS:
        AREA_NODE_ANNOTATORS.append(annotator)


# --- the area tree page ---------------------------------------------------------------------


def area_get(*, user: Actor, pk, action: str = "view") -> Area:
    """One area the user may `action`, or 404 (`OutOfScope`) — also when it exists elsewhere."""
    area = Area.objects.restrict(user, action).select_related("parent").filter(pk=pk).first()
    if area is None:
        raise OutOfScope(Area, pk)
    return area


def area_list(*, user: Actor, action: str = "view"):
    """The areas the user may `action`."""
    return Area.objects.restrict(user, action)


def area_children(*, user: Actor, area: Area | None) -> list[Area]:
    """The areas directly below `area` that the user may see; the tops of their scope if None."""
    if area is None:
        return sorted(user.scope_areas(), key=lambda a: a.path)
    return list(Area.objects.restrict(user, "view").filter(parent=area).order_by("name"))


def area_for_list(*, user: Actor, pk) -> Area | None:
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


def _meets_scope(user: Actor, area: Area) -> bool:
    """Whether `area` lies in or above one of the areas `user` sees (area.view)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(
        area.path.startswith(path) or path.startswith(area.path)
        for path in user.scope_paths("area.view")
    )


def area_breadcrumb(*, user: Actor, area: Area) -> list[Area]:
    """The ancestors of `area` the user may see, top first (nothing above their scope)."""
    return list(
        Area.objects.restrict(user, "view")
        .filter(path__in=area.ancestor_paths())
        .exclude(pk=area.pk)
        .order_by("depth")
    )


def area_nodes(*, user: Actor, parent: Area | None) -> list[Area]:
    """One level of the tree as the user sees it: the areas directly below `parent` (the tops
    of the user's scope when None), each with `child_count` and what the modules add (the
    registry: `household_count` for roles that see it). The counts cost one GROUP BY query each
    for the whole level, however many areas it holds."""
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
    for node in nodes:
        node.child_count = child_counts.get(node.pk, 0)
    for annotator in AREA_NODE_ANNOTATORS:
        annotator(user=user, nodes=nodes, parent=parent)
    return nodes


def count_by_branch(qs, area_field: str, nodes: list[Area], parent: Area | None) -> dict:
    """Rows of `qs` under each node, keyed by the node's path: counted area by area below the
    level (each count one look into the index of `area_field`, never a pass over the whole
    table), then added up by branch. Siblings share one path length, so the first that many
    characters of an area's path name its branch. One query, however many rows."""
    by_length: dict[int, set[str]] = {}
    for node in nodes:
        by_length.setdefault(len(node.path), set()).add(node.path)
    if parent is not None:
        areas = Area.objects.filter(starts_with("path", parent.path))
    else:
        within = Q()
        for node in nodes:
            within |= starts_with("path", node.path)
        areas = Area.objects.filter(within)
    per_area = (
        qs.filter(**{area_field: OuterRef("pk")})
        .order_by()
        .values(area_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    counts: dict[str, int] = {}
    for path, n in areas.annotate(n=Subquery(per_area)).order_by().values_list("path", "n"):
        if not n:
            continue
        for length, paths in by_length.items():
            branch = path[:length]
            if branch in paths:
                counts[branch] = counts.get(branch, 0) + n
    return counts


def area_move_targets(*, user: Actor, area: Area):
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


def audit_list(*, user: Actor, filters: dict | None = None):
    """The audit trail, newest first, for auditors only (审计员); anyone else is refused."""
    from .filters import AuditFilter

    if not user.has_permission("audit.view"):
        raise PermissionDenied
    qs = AuditRecord.objects.order_by("-pk")
    if filters:
        form = AuditFilter(filters, queryset=qs)
        qs = form.qs if form.is_valid() else qs.none()
    return qs
