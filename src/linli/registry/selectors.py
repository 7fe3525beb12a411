"""Every read of the registry starts from what the user may see (`restrict`)."""

from __future__ import annotations

from django.db.models import Prefetch

from linli.core.actors import Actor
from linli.core.scoping import OutOfScope
from linli.core.timeline import events_for

from .filters import HouseholdFilter, ResidentFilter
from .models import Household, HouseholdTag, Organisation, Post, Resident, ResidentTag, Tag


def resident_list(*, user: Actor, filters: dict | None = None, action: str = "view"):
    qs = (
        Resident.objects.restrict(user, action)
        .select_related("household", "household__area")
        .prefetch_related(Prefetch("tag_links", queryset=ResidentTag.objects.select_related("tag")))
        .order_by("household__number", "id")
    )
    if filters:
        form = ResidentFilter(filters, queryset=qs, user=user)
        qs = form.qs if form.is_valid() else qs.none()
    return qs


def household_list(*, user: Actor, filters: dict | None = None, action: str = "view"):
    qs = (
        Household.objects.restrict(user, action)
        .select_related("area", "area__parent", "head")
        .prefetch_related(
            Prefetch("tag_links", queryset=HouseholdTag.objects.select_related("tag")),
        )
        .order_by("number")
    )
    if filters:
        form = HouseholdFilter(filters, queryset=qs, user=user)
        qs = form.qs if form.is_valid() else qs.none()
    return qs


def list_action(filters) -> str:
    """The action a filtered list or export is restricted by: "reveal" when the filters name a
    sensitive tag, so that who carries it (困难户 …) shows only where the user may reveal."""
    chosen = [v for v in filters.getlist("tag") if v.isdigit() and len(v) <= 18]
    sensitive = chosen and Tag.objects.filter(pk__in=chosen, sensitive=True).exists()
    return "reveal" if sensitive else "view"


def household_get(*, user: Actor, pk, action: str = "view") -> Household:
    """One household with members and tags, or 404 — also when it exists outside the scope."""
    household = (
        Household.objects.restrict(user, action)
        .select_related("area", "head")
        .prefetch_related(
            Prefetch("tag_links", queryset=HouseholdTag.objects.select_related("tag")),
            Prefetch(
                "members",
                queryset=Resident.objects.order_by("id").prefetch_related(
                    Prefetch("tag_links", queryset=ResidentTag.objects.select_related("tag"))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise OutOfScope(Household, pk)
    return household


def resident_get(*, user: Actor, pk, action: str = "view") -> Resident:
    person = (
        Resident.objects.restrict(user, action)
        .select_related("household", "household__area")
        .prefetch_related(Prefetch("tag_links", queryset=ResidentTag.objects.select_related("tag")))
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise OutOfScope(Resident, pk)
    return person


def household_timeline(*, household: Household, limit: int = 100):
    """The household's own events and its members' events, newest first."""
    return list(events_for([household, *household.members.all()])[:limit])


def tag_vocabulary(*, target: str | None = None, active_only: bool = True):
    qs = Tag.objects.all()
    if target:
        qs = qs.filter(target=target)
    if active_only:
        qs = qs.filter(active=True)
    return qs


def organisation_list(*, user: Actor):
    return Organisation.objects.restrict(user, "view").select_related("area", "parent")


def post_list(*, user: Actor):
    return Post.objects.restrict(user, "view").select_related("area", "organisation")


def organisation_get(*, user: Actor, pk, action: str = "view") -> Organisation:
    """One organisation, or 404 — also when it exists outside the user's scope."""
    org = (
        Organisation.objects.restrict(user, action)
        .select_related("area", "parent")
        .filter(pk=pk)
        .first()
    )
    if org is None:
        raise OutOfScope(Organisation, pk)
    return org


def organisation_subtree_ids(organisation: Organisation) -> set[int]:
    """The organisation and every one below it, level by level (trees are a few levels deep)."""
    found, level = {organisation.pk}, {organisation.pk}
    while level:
        level = set(
            Organisation.objects.filter(parent_id__in=level)
            .exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found |= level
    return found


def post_get(*, user: Actor, pk, action: str = "view") -> Post:
    """One post, or 404 — also when it exists outside the user's scope."""
    post = (
        Post.objects.restrict(user, action)
        .select_related("area", "organisation")
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise OutOfScope(Post, pk)
    return post
