"""Every read of manage 民主管理 and supervise 民主监督: the tasks one may see (the community's
staff by their grant, department staff their organisation's, an owner their own), a matter's
tasks of a round with what is overdue, the on-time share, and who a resident is in a community.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.roles import ROLE_PERMISSIONS
from linli.core.actors import Actor, account_id
from linli.core.choices import AreaKind
from linli.core.dates import is_overdue
from linli.core.models import Area
from linli.core.scoping import OutOfScope, scope_filter
from linli.registry.models import Household

from ..choices import TaskState
from ..models import MATTER_SCOPE, Matter, MatterTask, TaskReport

VIEW = "decide.view"
REPORT_TASK = "decide.task"
PARTICIPATE = "decide.participate"


def community_of(area: Area) -> Area:
    """The community a place belongs to (itself when it is one; the place when none is above)."""
    if area.kind == AreaKind.COMMUNITY:
        return area
    found = (
        Area.objects.filter(path__in=area.ancestor_paths(), kind=AreaKind.COMMUNITY)
        .order_by("-depth")
        .first()
    )
    return found or area


def resident_household_in(user: Actor | None, community: Area) -> Household | None:
    """The user's own household when they take part as a resident (decide.participate) and it
    lies in `community`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    household_id = user.own_household_id(PARTICIPATE)
    if household_id is None:
        return None
    return (
        Household.objects.select_related("area")
        .filter(pk=household_id, area__path__startswith=community.path)
        .first()
    )


def task_organisations(user: Actor | None) -> frozenset[int]:
    """The organisations whose tasks the user reports on (grants naming one, with decide.task)."""
    if not isinstance(user, User) or not user.is_active:
        return frozenset()
    return frozenset(
        g.organisation_id
        for g in user.active_grants
        if g.organisation_id and REPORT_TASK in ROLE_PERMISSIONS[g.role]
    )


def _task_filter(user: Actor | None) -> Q | None:
    condition = scope_filter(user, MATTER_SCOPE, "view", model=MatterTask)
    if condition is not None and not condition:
        return condition  # every task (an empty Q, which an OR would narrow to the other side)
    organisations = task_organisations(user)
    if organisations:
        clause = Q(organisation_id__in=organisations)
        condition = clause if condition is None else condition | clause
    owner = account_id(user) if user is not None else None
    if owner is not None:
        clause = Q(owner_id=owner)
        condition = clause if condition is None else condition | clause
    return condition


def task_queryset(user: Actor | None) -> QuerySet[MatterTask]:
    """The tasks the user may see: decide.view over the matter's place, their organisation's
    (department staff), or their own (the owner)."""
    condition = _task_filter(user)
    if condition is None:
        return MatterTask.objects.none()
    return MatterTask.objects.filter(condition)


def may_see_task(user: Actor, task: MatterTask) -> bool:
    return task_queryset(user).filter(pk=task.pk).exists()


@dataclass(frozen=True)
class TaskFilters:
    state: str = ""  # "open", "done", "overdue" or "" for all
    matter: int | None = None


def task_list(*, user: Actor, filters: TaskFilters | None = None) -> QuerySet[MatterTask]:
    """The tasks the user may see, the nearest deadline first, with the matter and the
    organisation read in the same query."""
    filters = filters or TaskFilters()
    tasks = task_queryset(user).select_related("matter", "matter__area", "organisation")
    if filters.state == "overdue":
        tasks = tasks.filter(state=TaskState.OPEN, due_on__lt=timezone.localdate())
    elif filters.state in TaskState.values:
        tasks = tasks.filter(state=filters.state)
    if filters.matter is not None:
        tasks = tasks.filter(matter_id=filters.matter)
    return tasks.order_by("state", "due_on", "id")


def task_get(*, user: Actor, pk: int) -> MatterTask:
    task = (
        task_queryset(user)
        .select_related("matter", "matter__area", "organisation", "owner")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=TaskReport.objects.select_related("reported_by").prefetch_related(
                    "photos"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise OutOfScope(MatterTask, pk)
    return task


def task_overdue(task: MatterTask, today: dt.date | None = None) -> bool:
    """Past its deadline and not done (a task done late is late, not overdue)."""
    return task.state != TaskState.DONE and is_overdue(task.due_on, today or timezone.localdate())


def task_on_time(task: MatterTask) -> bool:
    """Done by the end of its deadline day."""
    return (
        task.state == TaskState.DONE
        and task.done_at is not None
        and timezone.localtime(task.done_at).date() <= task.due_on
    )


def on_time_share(tasks) -> Fraction | None:
    """The share of the tasks done on time among those done or past their deadline (None when
    none is either yet)."""
    today = timezone.localdate()
    judged = [t for t in tasks if t.state == TaskState.DONE or is_overdue(t.due_on, today)]
    if not judged:
        return None
    return Fraction(sum(1 for t in judged if task_on_time(t)), len(judged))


def matter_for_manage(*, user: Actor, pk: int) -> Matter:
    """A matter the user sees as staff (decide.view), for the manage and supervise pages."""
    matter = (
        Matter.objects.restrict(user, "view")
        .select_related("area", "category")
        .filter(pk=pk)
        .first()
    )
    if matter is None:
        raise OutOfScope(Matter, pk)
    return matter
