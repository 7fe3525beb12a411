"""The one restriction every user-facing queryset goes through: `restrict(user, action)`.

A model opts in by using `RestrictedQuerySet` and naming, in `ScopeSpec`, the permission family
it belongs to and the path from the model to the area tree (and, for residents' own data, to
the household). A user's grants say which permissions they hold over which subtrees; this module
turns that into one `WHERE path LIKE 'prefix%' OR …` filter (on SQLite: the row's area is among
the areas whose path is so, see `under_paths`). Anything not granted is `.none()`.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Q
from django.http import Http404

from .actors import Actor
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

    # True for an attempt answered without an error (see `refuse`): recorded whatever the answer.
    answered = False

    def __init__(self, model=None, pk=None):
        self.object_type = model._meta.label_lower if model is not None else ""
        self.object_id = "" if pk is None else str(pk)[:64]
        super().__init__(f"{self.object_type} {self.object_id}".strip())
        _note(self)


# The out-of-scope misses of the current request. An API framework may turn the exception into
# a 404 response itself, and an endpoint into a field error (422: "no such household in your
# scope"), so the middleware looks here rather than at the exceptions it sees.
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


def refuse(model, pk) -> OutOfScope:
    """Note an out-of-scope attempt that gets an ordinary answer rather than an error — a list
    asked for another area lists nothing, as it would for an area with no records — so that the
    audit trail still records it as a denial, as it does a 404 for another area's record."""
    miss = OutOfScope(model, pk)
    miss.answered = True
    return miss


def permission(family: str, action: str) -> str:
    return f"{family}.{action}"


def _collapse(paths: list[str]) -> list[str]:
    """Drop paths already covered by a shorter prefix, so the filter stays small."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


@functools.cache
def _always_in_tree(model, area_path: str) -> bool:
    """Whether every row of `model` reaches an area through `area_path`: no link on the way
    may be empty (a nullable foreign key would let rows outside every area through)."""
    current = model
    for name in area_path.split("__")[:-1]:
        field = current._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or field.null:
            return False
        current = field.related_model
    return True


def _whole_tree(paths: list[str], holder) -> bool:
    """Whether these (collapsed) paths are the tops of every tree of areas there is. The tops
    are looked up once for `holder` (the user or the area of one request), not once a list."""
    from .models import PATH_SEPARATOR, PATH_STEP, Area

    if not any(len(path) == PATH_STEP + len(PATH_SEPARATOR) for path in paths):
        return False  # no path is the top of a tree: nothing to look up
    roots = holder.__dict__.get("_linli_tree_tops")
    if roots is None:
        roots = frozenset(Area.objects.filter(parent__isnull=True).values_list("path", flat=True))
        holder.__dict__["_linli_tree_tops"] = roots
    return bool(roots) and roots <= set(paths)


def under_paths(area_path: str, paths: list[str]) -> Q:
    """Rows whose area (`area_path` leads from a row to its area's path) lies under one of
    `paths`.

    On SQLite, reached through a foreign key, the test is on the key: the row's area is among
    the areas under those paths (one indexed prefix query on the area tree). SQLite knows
    little of how rows spread over the tree and would otherwise read every row of the table,
    join it to its area and test the path; this way a count or a page starts from the few
    areas in question and reads the rows through the key's index. PostgreSQL plans the join
    from its statistics, and a list that joins many tables for display plans better with the
    test on the area it joins anyway."""
    link = area_path.removesuffix("__path")
    if link == area_path or connection.vendor != "sqlite":
        condition = Q()
        for path in paths:
            condition |= starts_with(area_path, path)
        return condition
    from .models import Area

    within = Q()
    for path in paths:
        within |= starts_with("path", path)
    return Q(**{f"{link}__in": Area.objects.filter(within).values("pk")})


def under_area(queryset, area_path: str, area):
    """The rows of `queryset` under `area` (`area_path` leads from a row to its area's path).
    The top of the only tree holds every row, so there the test is left out (see scope_filter)."""
    if (
        area.parent_id is None
        and _always_in_tree(queryset.model, area_path)
        and _whole_tree([area.path], area)
    ):
        return queryset
    return queryset.filter(under_paths(area_path, [area.path]))


def scope_filter(user: Actor | None, spec: ScopeSpec, action: str, model=None) -> Q | None:
    """The Q that limits `spec`'s model to what `user` may `action`; None means nothing.

    Given the `model`, a user whose grants cover every tree of areas (a district leader of the
    only district) gets an empty Q for a model whose rows all lie in the tree: the path test
    would pass every row, and leaving it out spares lists and counts the joins up to the area
    of each row."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    perm = permission(spec.family, action)
    paths = _collapse(user.scope_paths(perm))
    if (
        model is not None
        and paths
        and _always_in_tree(model, spec.area_path)
        and _whole_tree(paths, user)
    ):
        return Q()
    condition: Q | None = under_paths(spec.area_path, paths) if paths else None
    if spec.household:
        household_id = user.own_household_id(perm)
        if household_id is not None:
            clause = Q(**{spec.household: household_id})
            condition = clause if condition is None else condition | clause
    return condition


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: Actor, action: str = "view"):
        spec: ScopeSpec = self.model.scope
        condition = scope_filter(user, spec, action, model=self.model)
        if condition is None:
            return self.none()
        return self.filter(condition)


def can(user: Actor, obj, action: str) -> bool:
    """Whether `user` may `action` this one object (the same rule as the querysets)."""
    model = type(obj)
    return model._default_manager.restrict(user, action).filter(pk=obj.pk).exists()


def covers(user: Actor, area, perm: str) -> bool:
    """Whether one of `user`'s grants gives `perm` over `area` (for creating things there)."""
    return any(area.path.startswith(p) for p in user.scope_paths(perm))
