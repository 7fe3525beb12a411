"""Writes to the area tree: create, rename, move. Each one transaction, audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from . import audit, events
from .actors import Actor
from .choices import ALLOWED_PARENT_KINDS, ROOT_KINDS, AreaKind
from .models import Area, path_segment
from .scoping import can


def _check_parent(kind: str, parent: Area | None) -> None:
    allowed = ALLOWED_PARENT_KINDS[kind]
    if parent is None and kind not in ROOT_KINDS:
        raise ValidationError({"parent": _("This kind of area needs a parent area.")})
    if parent is not None and parent.kind not in allowed:
        raise ValidationError(
            {
                "parent": _("A %(kind)s cannot be placed under a %(parent)s.")
                % {"kind": AreaKind(kind).label, "parent": AreaKind(parent.kind).label}
            }
        )


@transaction.atomic
def area_create(
    *, actor: Actor | None, name: str, kind: str, parent: Area | None, code: str = ""
) -> Area:
    if parent is not None and actor is not None and not can(actor, parent, "change"):
        raise PermissionDenied
    _check_parent(kind, parent)
    area = Area(name=name.strip(), kind=kind, parent=parent, code=code.strip())
    area.full_clean(exclude=["path", "depth"])
    area.save()
    area.path = (parent.path if parent else "") + path_segment(area.pk)
    area.depth = parent.depth + 1 if parent else 0
    Area.objects.filter(pk=area.pk).update(path=area.path, depth=area.depth)
    audit.record_created(actor=actor, obj=area)
    return area


@transaction.atomic
def area_update(*, actor: Actor | None, area: Area, name: str, code: str) -> Area:
    area = Area.objects.select_for_update().get(pk=area.pk)
    if actor is not None and not can(actor, area, "change"):
        raise PermissionDenied
    change = audit.audited_change(actor=actor, obj=area)
    area.name, area.code = name.strip(), code.strip()
    area.full_clean(exclude=["path", "depth", "parent"])
    area.version = F("version") + 1
    area.save(update_fields=["name", "code", "version"])
    area.refresh_from_db()
    change.record()
    return area


@transaction.atomic
def area_move(*, actor: Actor | None, area: Area, new_parent: Area, reason: str = "") -> Area:
    """Re-parent `area` (e.g. a village into another community). Everything below it — grids,
    households, residents, their history — follows, because they hang off the area, and only the
    subtree's path prefix changes."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    new_parent = Area.objects.get(pk=new_parent.pk)
    if actor is not None and not (can(actor, area, "change") and can(actor, new_parent, "change")):
        raise PermissionDenied
    if new_parent.path.startswith(area.path):
        raise ValidationError({"parent": _("An area cannot be moved under itself.")})
    _check_parent(area.kind, new_parent)
    old_parent_id, old_prefix = area.parent_id, area.path
    new_prefix = new_parent.path + path_segment(area.pk)
    depth_change = new_parent.depth + 1 - area.depth
    Area.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1, Length("path"))),
        depth=F("depth") + depth_change,
    )
    Area.objects.filter(pk=area.pk).update(parent=new_parent, version=F("version") + 1)
    area.refresh_from_db()
    audit.record(
        action="move",
        actor=actor,
        obj=area,
        reason=reason,
        changes={
            "before": {"parent_id": old_parent_id, "path": old_prefix},
            "after": {"parent_id": new_parent.pk, "path": new_prefix},
        },
    )
    events.AREA_MOVED.add(
        subject=area,
        params={"parent": new_parent.name},
        actor=actor,
        data={"from": old_parent_id, "to": new_parent.pk},
    )
    return area
