"""The one restriction every user-facing queryset goes through: `restrict(user, action)`.

A model opts in by using `RestrictedQuerySet` and naming, in `ScopeSpec`, the permission family
it belongs to and the path from the model to the area tree (and, for residents' own data, to
the household). A user's grants say which permissions they hold over which subtrees; this module
turns that into one `WHERE path LIKE 'prefix%' OR …` filter. Anything not granted is `.none()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class ScopeSpec:
    family: str  # permission family, e.g. "registry" → "registry.view"
    area_path: str  # lookup from the model to the area path, e.g. "household__area__path"
    household: str | None = None  # lookup to the household id, for residents' own records


def permission(family: str, action: str) -> str:
    return f"{family}.{action}"


def _collapse(paths: list[str]) -> list[str]:
    """Drop paths already covered by a shorter prefix, so the filter stays small."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def scope_filter(user, spec: ScopeSpec, action: str) -> Q | None:
    """The Q that limits `spec`'s model to what `user` may `action`; None means nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    perm = permission(spec.family, action)
    condition: Q | None = None
    for path in _collapse(user.scope_paths(perm)):
        clause = Q(**{f"{spec.area_path}__startswith": path})
        condition = clause if condition is None else condition | clause
    if spec.household:
        household_id = user.own_household_id(perm)
        if household_id is not None:
            clause = Q(**{spec.household: household_id})
            condition = clause if condition is None else condition | clause
    return condition


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        spec: ScopeSpec = self.model.scope
        condition = scope_filter(user, spec, action)
        if condition is None:
            return self.none()
        return self.filter(condition)


def can(user, obj, action: str) -> bool:
    """Whether `user` may `action` this one object (the same rule as the querysets)."""
    model = type(obj)
    return model._default_manager.restrict(user, action).filter(pk=obj.pk).exists()


def covers(user, area, perm: str) -> bool:
    """Whether one of `user`'s grants gives `perm` over `area` (for creating things there)."""
    return any(area.path.startswith(p) for p in user.scope_paths(perm))
