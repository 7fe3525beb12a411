"""Reads of outreach tasks 主动服务任务: every one starts from what the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone

from linli.core.actors import Actor
from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers, under_area
from linli.core.selectors import area_for_list
from linli.core.timeline import events_for
from linli.registry.models import Household, HouseholdTag, Resident, ResidentTag

from ..choices import OPEN_OUTREACH_STATES, OutreachState
from ..models import OutreachTask, ServiceItem
from . import eligibility
from . import workflow as workflow_outreach
from .workflow import Action

WHO_MINE, WHO_UNASSIGNED, WHO_ALL = "mine", "unassigned", "all"
STATE_TO_CONTACT, STATE_ANY = "open", "any"

# To contact first, then contacted (waiting for a decision), then the closed ones.
_STATE_ORDER = Case(
    When(state=OutreachState.OPEN, then=Value(0)),
    When(state=OutreachState.CONTACTED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _int(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def task_list(*, user: Actor, filters: dict | None = None, action: str = "view"):
    """The tasks `user` may see, to contact first. Filters (all optional, unknown values are
    ignored): who = mine | unassigned | all; state = open (to contact: open or contacted) |
    any | one state; item = item id; area = area id (the task's area is under it)."""
    filters = filters or {}
    qs = (
        OutreachTask.objects.restrict(user, action)
        .select_related("item", "household", "resident", "area", "area__parent", "assignee")
        .annotate(state_order=_STATE_ORDER)
        .order_by("state_order", "-found_at", "-id")
    )
    who = filters.get("who")
    if who == WHO_MINE:
        qs = qs.filter(assignee=user)
    elif who == WHO_UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    state = filters.get("state")
    if state in OutreachState.values:
        qs = qs.filter(state=state)
    elif state != STATE_ANY:
        qs = qs.filter(state__in=OPEN_OUTREACH_STATES)
    item_id = _int(filters.get("item"))
    if item_id is not None:
        qs = qs.filter(item_id=item_id)
    area_id = _int(filters.get("area"))
    if area_id is not None:
        # Another area lists nothing and is recorded as a denial.
        area = area_for_list(user=user, pk=area_id)
        qs = under_area(qs, "area__path", area) if area else qs.none()
    return qs


def task_get(*, user: Actor, pk, action: str = "view") -> OutreachTask:
    """One task with its household, members and tags, or 404 — also outside the scope."""
    task = (
        OutreachTask.objects.restrict(user, action)
        .select_related(
            "item",
            "item_version",
            "resident",
            "area",
            "assignee",
            "application",
            "household",
            "household__area",
            "household__head",
        )
        .prefetch_related(
            Prefetch("household__tag_links", queryset=HouseholdTag.objects.select_related("tag")),
            Prefetch(
                "household__members",
                queryset=Resident.objects.order_by("id").prefetch_related(
                    Prefetch("tag_links", queryset=ResidentTag.objects.select_related("tag"))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise OutOfScope(OutreachTask, pk)
    return task


def task_actions(*, user: Actor, task: OutreachTask, now: dt.datetime | None = None) -> list[str]:
    """The actions the task page offers `user` now (`workflow_outreach.Action`): allowed by the
    workflow for the task's state (reopening: within its days, `reopen_refusal`) — the checks
    the services make — and by the user's permissions over the task's area (outreach.work;
    taking the application, services.apply too)."""
    if not covers(user, task.area, "outreach.work"):
        return []
    now = now or timezone.now()
    actions = []
    for action in workflow_outreach.OUTREACH_TABLE.allowed_actions(task.state):
        if action == Action.REOPEN and workflow_outreach.reopen_refusal(
            task.state, task.closed_at, now
        ):
            continue
        if action == Action.APPLY and not covers(user, task.area, "services.apply"):
            continue
        actions.append(action)
    return actions


def task_timeline(*, task: OutreachTask, limit: int = 50):
    return list(events_for([task])[:limit])


def outreach_items():
    """Items the outreach looks for households for (for the list's filter)."""
    return (
        ServiceItem.objects.filter(current__isnull=False)
        .exclude(current__outreach_role="")
        .only("pk", "name", "code")
        .order_by("code")
    )


def outreach_counts(
    *,
    user: Actor | None = None,
    area: Area | None = None,
    since: dt.datetime | dt.date | None = None,
) -> dict[str, int]:
    """Outreach figures over the tasks found since `since` (all if None), as `user` may see
    them (all if None) and under `area`: found, still to contact, contacted (the household
    was reached, whatever came of it), applied, declined, not eligible."""
    tasks = OutreachTask.objects.all() if user is None else OutreachTask.objects.restrict(user)
    if area is not None:
        tasks = tasks.filter(starts_with("area__path", area.path))
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        tasks = tasks.filter(found_at__gte=since)
    return tasks.aggregate(
        found=Count("pk"),
        to_contact=Count("pk", filter=Q(state=OutreachState.OPEN)),
        contacted=Count("pk", filter=Q(contacted_at__isnull=False)),
        applied=Count("pk", filter=Q(state=OutreachState.APPLIED)),
        declined=Count("pk", filter=Q(state=OutreachState.DECLINED)),
        not_eligible=Count("pk", filter=Q(state=OutreachState.NOT_ELIGIBLE)),
    )


def eligibility_preview(*, user: Actor, rule: dict, today: dt.date | None = None) -> int:
    """How many households in `user`'s catalogue scope the rule finds today (a count only:
    the editor shows no household)."""
    paths = user.scope_paths("catalogue.manage")
    if not paths or not rule:
        return 0
    where = Q(pk__in=[])
    for path in paths:
        where |= starts_with("area__path", path)
    today = today or timezone.localdate()
    return Household.objects.filter(where).filter(eligibility.to_q(rule, today)).count()
