"""Every read of appeals 诉求 and their categories starts from what the user may see.

An appeal is visible through `appeals.view` over its place (or to the reporter's own household:
a resident sees the appeals they raised), and to a department's staff once one of its steps has
reached their department. A tier's queue is the appeals waiting where the user handles them
(`tiers.AppealDesk`), the nearest deadline first. Lists load their relations in a fixed number of
queries, however many rows they have.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from linli.core.actors import Actor
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers, scope_filter, under_area
from linli.core.timeline import events_for

from . import workflow
from .choices import AppealChannel, AppealState, Tier
from .models import Appeal, AppealCategory, AppealPhoto, AppealStep, ReturnVisit
from .tiers import appeal_desk
from .workflow import HANDLER_OPERATIONS, OPERATIONS, Operation

VIEW = "appeals.view"
RETURN_VISIT = "appeals.return_visit"
LIST_RELATED = ("category_version", "area", "tier_area", "department", "handler")


def _signed_in(user: Actor | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


# --- who may see and do what ------------------------------------------------------------------


def visible_appeals(user: Actor | None) -> QuerySet[Appeal]:
    """The appeals `user` may see: `appeals.view` over their place or the reporter's own
    household, and those one of whose steps reached the user's department."""
    condition = scope_filter(user, Appeal.scope, "view", model=Appeal)
    if condition is not None and not condition:  # every appeal there is (the whole tree)
        return Appeal.objects.all()
    departments = appeal_desk(user).department_ids
    if departments:
        reached = Q(
            pk__in=AppealStep.objects.filter(department_id__in=departments).values("appeal_id")
        )
        condition = reached if condition is None else condition | reached
    if condition is None:
        return Appeal.objects.none()
    return Appeal.objects.filter(condition)


def may_see(user: Actor | None, appeal: Appeal) -> bool:
    return visible_appeals(user).filter(pk=appeal.pk).exists()


def may_return_visit(user: Actor | None, appeal: Appeal) -> bool:
    """Staff holding `appeals.return_visit` over the appeal's place, or the reporter's own
    household (the resident judging on their phone). None: a trusted system job."""
    if user is None:
        return True
    if not _signed_in(user):
        return False
    if user.is_staff_member and covers(user, appeal.area, RETURN_VISIT):
        return True
    return appeal.household_id is not None and (
        user.own_household_id(RETURN_VISIT) == appeal.household_id
    )


def may_do(user: Actor, appeal: Appeal, operation: str) -> bool:
    """Whether the user's permissions allow `operation` on the appeal as it is placed now,
    whatever its state: a handler's operation at its tier, or the return visit."""
    if operation in HANDLER_OPERATIONS:
        return appeal_desk(user).covers(appeal)
    if operation == Operation.RETURN_VISIT:
        return may_return_visit(user, appeal)
    raise ValueError(f"unknown operation {operation!r}")


def appeal_actions(*, user: Actor, appeal: Appeal) -> list[str]:
    """The operations the pages offer this user now (`workflow.Operation`): possible in the
    workflow (`workflow.possible`, whose rules the services enforce) and allowed to the user
    where the appeal waits."""
    named = appeal.category_version.department_id is not None
    return [
        operation
        for operation in OPERATIONS
        if workflow.possible(
            operation, state=appeal.state, tier=appeal.tier, department_named=named
        )
        and may_do(user, appeal, operation)
    ]


# --- appeals ----------------------------------------------------------------------------------


def _apply_filters(qs: QuerySet[Appeal], filters: dict) -> QuerySet[Appeal]:
    state = filters.get("state")
    if state in AppealState.values:
        qs = qs.filter(state=state)
    tier = filters.get("tier")
    if tier in Tier.values:
        qs = qs.filter(tier=tier)
    channel = filters.get("channel")
    if channel in AppealChannel.values:
        qs = qs.filter(channel=channel)
    category = filters.get("category")
    if category is not None:
        qs = qs.filter(category_id=category)
    area = filters.get("area")
    if isinstance(area, Area):
        qs = under_area(qs, "area__path", area)
    return qs


def appeal_list(*, user: Actor, filters: dict | None = None) -> QuerySet[Appeal]:
    """诉求 — the appeals the user may see, newest first. Filters: state, tier, channel,
    category (id), area (an `Area` the caller has checked)."""
    qs = visible_appeals(user).select_related(*LIST_RELATED)
    if filters:
        qs = _apply_filters(qs, filters)
    return qs.order_by("-created_at", "-id")


def appeal_queue(*, user: Actor, tier: str | None = None) -> QuerySet[Appeal]:
    """待办 — the appeals waiting or being handled where the user handles them (at `tier` only,
    if given), the nearest deadline first."""
    desk = appeal_desk(user)
    if not desk:
        return Appeal.objects.none()
    return (
        Appeal.objects.filter(desk.queue_filter(tier), state__in=workflow.RUNNING_STATES)
        .select_related(*LIST_RELATED)
        .order_by("due_on", "created_at", "id")
    )


def _detail_queryset(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    return qs.select_related(
        *LIST_RELATED,
        "category",
        "category_version__department",
        "reporter",
        "household",
        "created_by",
    ).prefetch_related(
        Prefetch(
            "steps",
            queryset=AppealStep.objects.select_related("area", "department", "handler").order_by(
                "order"
            ),
        ),
        Prefetch("photos", queryset=AppealPhoto.objects.order_by("sent_at", "id")),
        Prefetch(
            "return_visits",
            queryset=ReturnVisit.objects.select_related("visited_by").order_by("visited_at", "id"),
        ),
    )


def appeal_get(*, user: Actor, pk) -> Appeal:
    """One appeal with its steps, photos and return visits, or 404 — also when it exists
    outside what the user may see."""
    appeal = _detail_queryset(visible_appeals(user)).filter(pk=pk).first()
    if appeal is None:
        raise OutOfScope(Appeal, pk)
    return appeal


def appeal_timeline(*, appeal: Appeal, limit: int = 200) -> list:
    """The appeal's timeline, newest first."""
    return list(events_for([appeal]).order_by("-at", "-id")[:limit])


def photo_get(*, user: Actor, appeal_pk, pk) -> AppealPhoto:
    """A photo of an appeal, to whoever sees the appeal; 404 otherwise."""
    appeal = appeal_get(user=user, pk=appeal_pk)
    photo = next((p for p in appeal.photos.all() if p.pk == pk), None)
    if photo is None:
        raise OutOfScope(AppealPhoto, pk)
    photo.appeal = appeal
    return photo


# --- categories -------------------------------------------------------------------------------


def category_list() -> QuerySet[AppealCategory]:
    """Every category, offered or not, in order, with its current version (the
    administrator's list)."""
    return AppealCategory.objects.select_related("current__department").order_by(
        "sort_order", "code"
    )


def offered_categories(*, public_only: bool = False) -> QuerySet[AppealCategory]:
    """The categories a new appeal may be raised in (`public_only`: those that may be listed
    without login, such as Open311's service list)."""
    qs = category_list().filter(active=True, current__isnull=False)
    if public_only:
        qs = qs.filter(current__public=True)
    return qs


def category_get(*, pk) -> AppealCategory:
    category = category_list().filter(pk=pk).first()
    if category is None:
        raise OutOfScope(AppealCategory, pk)
    return category
