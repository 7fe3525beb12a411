"""The one restriction every user-facing queryset goes through: `restrict(user, action)`.

A model opts in by using `RestrictedQuerySet` and naming, in `ScopeSpec`, the permission family
it belongs to and the path from the model to the area tree (and, for residents' own data, to
the household). A user's grants say which permissions they hold over which subtrees; this module
turns that into one `WHERE path LIKE 'prefix%' OR …` filter. Anything not granted is `.none()`.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.http import Http404

from .lookups import starts_with


@dataclass(frozen=True)
class ScopeSpec:
    family: str  # permission family, e.g. "registry" → "registry.view"
    area_path: str  # lookup from the model to the area path, e.g. "household__area__path"
    household: str | None = None  # lookup to the household id, for residents' own records


class OutOfScope(Http404):
    """A record that does not exist *for this user*: outside their scope, or not there at all.

    Selectors raise it instead of a bare Http404 so that the page still answers 404 (nothing
    is given away) while the audit trail records the attempt as a denial
    (see `core.middleware.DenialAuditMiddleware`)."""

    def __init__(self, model=None, pk=None):
        self.object_type = model._meta.label_lower if model is not None else ""
        self.object_id = "" if pk is None else str(pk)[:64]
        super().__init__(f"{self.object_type} {self.object_id}".strip())
        _note(self)


# The out-of-scope misses of the current request. An API framework may turn the exception into
# a 404 response itself, so the middleware looks here as well as at the exceptions it sees.
_misses: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "linli_out_of_scope", default=None
)


def _note(miss: OutOfScope) -> None:
    misses = _misses.get()
    if misses is not None:
        misses.append(miss)


@contextmanager
def collecting_misses():
    """Collect the OutOfScope raised while the block runs (one request)."""
    misses: list = []
    token = _misses.set(misses)
    try:
        yield misses
    finally:
        _misses.reset(token)


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
        clause = starts_with(spec.area_path, path)
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
