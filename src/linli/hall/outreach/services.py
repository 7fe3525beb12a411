"""Proactive outreach 主动服务: the scan that finds eligible households, and the writes on
outreach tasks.

`scan()` runs as a periodic job (and from the command line and the benchmark). For each offered
item whose current version says who is eligible and which role does the outreach, it finds the
eligible households with one SQL query (see `eligibility.to_q`), leaves out those already being
served — an open task for the item, a task found within the item's "recent" days whatever came
of it, an open application or one made within those days — and makes one task for each of the
others, for the worker responsible for the household's area. Running it again creates nothing
new: the query leaves out households with an open task, and the database refuses a second open
task for the same item and household should two scans run at once.

`task_record_outcome()` is the worker's write: contacted, declined, not eligible. "Applied" is
set by the application service when an application is taken from the task. A task closed as
declined or not eligible can be reopened by a worker of its area for `REOPEN_DAYS` days
(`task_reopen()`), for the click that was a mistake; after that the household is left to the
next scan once the item's recent days are over. Which state may follow which is the table of
`workflow_outreach`.

A task is given to a worker when it is made; one whose area had nobody of the item's role then
goes to the first worker granted that role there: at once, by the job a grant queues
(`assign_tasks(area=…)`), and in any case at the next scan, which also passes on the open tasks
of a worker who no longer holds the role there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import Grant, User
from linli.accounts.roles import Role
from linli.core import audit
from linli.core.actors import Actor
from linli.core.bulk import column_of
from linli.core.choices import AuditAction
from linli.core.errors import check_version
from linli.core.lookups import starts_with
from linli.core.models import PATH_SEPARATOR, PATH_STEP, Area
from linli.core.scoping import OutOfScope, can
from linli.core.timeline import events_for
from linli.registry.models import Household

from .. import events, rules
from ..applications.workflow import OPEN_STATES
from ..catalogue import services as catalogue
from ..choices import OPEN_OUTREACH_STATES, OutreachState
from ..models import Application, OutreachTask, ServiceItem
from . import eligibility
from . import workflow as workflow_outreach
from .workflow import CLOSED_BY_OUTCOME, OUTCOME_ACTIONS, REOPEN_DAYS, Refusal

# The roles that do outreach: each holds outreach.work over its grant's area.
OUTREACH_ROLES = (Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.COMMUNITY_WORKER)
REASON_MAX_LENGTH = 200
RECENT_DAYS_MAX = 3650
NOTE_MAX_LENGTH = 500
CHUNK = 1000  # households whose facts are read at a time for the reasons
INSERT_ROWS = 1000  # tasks a statement inserts at most (fewer where parameters are limited)
STALE_TASK = gettext_lazy(
    "Someone else changed this task while you were looking at it. "
    "Reload the page to see what they recorded."
)


# --- who is responsible -----------------------------------------------------------------------


class Assigner:
    """The responsible worker for an area: a user holding an active grant of the outreach role
    whose area covers it — the deepest such grant first, then the lowest user id. The grants
    are read once; each look-up walks the area's ancestors in memory."""

    def __init__(self, today: dt.date, roles: Iterable[str] = OUTREACH_ROLES):
        self.by_role: dict[str, dict[str, int]] = {}
        self.holders: dict[str, dict[str, set[int]]] = {}  # role → grant area path → users
        grants = (
            Grant.objects.filter(role__in=list(roles), starts_on__lte=today, user__is_active=True)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .values_list("role", "area__path", "user_id")
        )
        for role, path, user_id in grants:
            table = self.by_role.setdefault(role, {})
            table[path] = min(user_id, table.get(path, user_id))
            self.holders.setdefault(role, {}).setdefault(path, set()).add(user_id)

    @staticmethod
    def _ancestry(area_path: str):
        """The area's own path, then its parent's, up to the top."""
        step = PATH_STEP + len(PATH_SEPARATOR)
        for end in range(len(area_path), 0, -step):
            yield area_path[:end]

    def assignee_id(self, role: str, area_path: str) -> int | None:
        table = self.by_role.get(role)
        if not table:
            return None
        for path in self._ancestry(area_path):
            user_id = table.get(path)
            if user_id is not None:
                return user_id
        return None

    def holds(self, role: str, area_path: str, user_id: int) -> bool:
        """Whether `user_id` holds `role` over the area today (through any grant above it)."""
        table = self.holders.get(role) or {}
        return any(user_id in table.get(path, ()) for path in self._ancestry(area_path))


def assign_tasks(
    *, today: dt.date | None = None, area: Area | None = None, assigner: Assigner | None = None
) -> int:
    """Give each open task (under `area`, or anywhere) that has no responsible worker — nobody
    held the item's role over its area when it was made, or its worker no longer holds it
    there (the grant ended, the account was disabled) — to the worker responsible now. Each
    task's timeline says so; one audit record counts them. Returns how many changed hands.
    Running it again changes nothing."""
    assigner = assigner or Assigner(today or timezone.localdate())
    open_tasks = OutreachTask.objects.filter(state__in=OPEN_OUTREACH_STATES)
    if area is not None:
        open_tasks = open_tasks.filter(starts_with("area__path", area.path))
    # One row per role, area and worker: a district's open tasks come down to a few thousand.
    groups = (
        open_tasks.values_list(
            "item_version__outreach_role", "area_id", "area__path", "assignee_id"
        )
        .distinct()
        .order_by()
    )
    handovers: dict[tuple[int | None, int], list[tuple[str, int]]] = {}
    for role, area_id, path, current in groups:
        if current is not None and assigner.holds(role, path, current):
            continue
        new = assigner.assignee_id(role, path)
        if new is not None and new != current:
            handovers.setdefault((current, new), []).append((role, area_id))
    if not handovers:
        return 0
    by_worker: dict[int, int] = {}
    with transaction.atomic():
        for (current, new), places in handovers.items():
            by_worker[new] = by_worker.get(new, 0) + _hand_over(open_tasks, current, new, places)
    changed = sum(by_worker.values())
    if changed:
        audit.record(
            action=AuditAction.UPDATE,
            object_type=audit.object_type_of(OutreachTask),
            object_repr="outreach tasks given to the workers now responsible",
            changes={"assigned": changed, "by_worker": by_worker},
        )
    return changed


def unassigned_under(area: Area, role: str):
    """Open tasks of items `role` seeks out, under `area`, that nobody is responsible for."""
    return OutreachTask.objects.filter(
        starts_with("area__path", area.path),
        state__in=OPEN_OUTREACH_STATES,
        assignee__isnull=True,
        item_version__outreach_role=role,
    )


def on_grant(grant) -> None:
    """A new grant of an outreach role (accounts.services.when_granted): if open tasks under
    its area wait for someone of that role, queue the job that gives them out once the grant
    is committed. One indexed look-up; nothing is queued when there is nothing to give."""
    from linli.core.jobs import enqueue_on_commit

    from ..tasks import assign_outreach_tasks

    if grant.role in OUTREACH_ROLES and unassigned_under(grant.area, grant.role).exists():
        enqueue_on_commit(assign_outreach_tasks, grant_id=grant.pk)


def _hand_over(open_tasks, current: int | None, new: int, places: list[tuple[str, int]]) -> int:
    """Give the open tasks of `current` (None: nobody) in `places` (role, area id) to `new`."""
    where = Q(pk__in=[])
    for role, area_id in places:
        where |= Q(item_version__outreach_role=role, area_id=area_id)
    tasks = list(
        open_tasks.select_for_update(of=("self",))
        .filter(where)
        .filter(Q(assignee__isnull=True) if current is None else Q(assignee_id=current))
        .only("pk")
    )
    ids = [task.pk for task in tasks]
    for start in range(0, len(ids), INSERT_ROWS):
        OutreachTask.objects.filter(pk__in=ids[start : start + INSERT_ROWS]).update(
            assignee_id=new, version=F("version") + 1
        )
    worker = User.objects.filter(pk=new).first()
    events.TASK_ASSIGNED.add_to_each(subjects=tasks, params={"worker": str(worker)})
    return len(tasks)


# --- the scan ---------------------------------------------------------------------------------


@dataclass
class ItemScan:
    item_id: int
    code: str
    name: str
    eligible: int = 0  # households the rule finds
    new: int = 0  # of those, not yet served (tasks to make)
    created: int = 0


@dataclass
class ScanResult:
    """What one scan did: the figures of its audit record."""

    today: dt.date
    households: int = 0  # households in the registry, each checked against every item
    items: list[ItemScan] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # item code → rule problems
    moved: int = 0  # open tasks that followed their household to another area
    assigned: int = 0  # open tasks given to a worker who became responsible since
    seconds: float = 0.0

    @property
    def eligible(self) -> int:
        return sum(i.eligible for i in self.items)

    @property
    def created(self) -> int:
        return sum(i.created for i in self.items)

    @property
    def households_checked(self) -> int:
        return self.households * len(self.items)

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "households": self.households,
            "items": len(self.items),
            "eligible": self.eligible,
            "created": self.created,
            "moved": self.moved,
            "assigned": self.assigned,
            "seconds": round(self.seconds, 3),
            "by_item": {i.code: [i.eligible, i.created] for i in self.items},
            "skipped": self.skipped,
        }


def scanned_items(items: Iterable | None = None) -> list[ServiceItem]:
    """Items the scan looks at: offered, with a current version that names who is eligible and
    which role does the outreach."""
    qs = (
        ServiceItem.objects.filter(rules.OFFERED)
        .exclude(current__outreach_role="")
        .select_related("current")
        .order_by("pk")
    )
    if items is not None:
        qs = qs.filter(pk__in=[getattr(i, "pk", i) for i in items])
    return [item for item in qs if item.current_version.eligibility]


def _new_households(item: ServiceItem, rule_q: Q, now: dt.datetime) -> tuple[int, list[int]]:
    """How many households the rule finds, and those of them not already being served."""
    version = item.current_version
    since = now - dt.timedelta(days=version.outreach_recent_days)
    eligible = Household.objects.filter(rule_q).order_by()
    served_by_task = OutreachTask.objects.filter(item=item).filter(
        Q(state__in=OPEN_OUTREACH_STATES) | Q(found_at__gte=since)
    )
    served_by_application = Application.objects.filter(item=item).filter(
        Q(state__in=OPEN_STATES) | Q(created_at__gte=since)
    )
    new = (
        eligible.exclude(pk__in=served_by_task.values("household_id"))
        .exclude(pk__in=served_by_application.values("household_id"))
        .values_list("pk", flat=True)
    )
    return eligible.count(), list(new)


def _follow_moves(assigner: Assigner) -> int:
    """Open tasks whose household moved since they were made go with it: the new area, and
    the worker responsible there."""
    with transaction.atomic():
        moved = list(
            OutreachTask.objects.select_for_update(of=("self",))
            .filter(state__in=OPEN_OUTREACH_STATES)
            .exclude(area_id=F("household__area_id"))
            .select_related("household__area", "item_version")
        )
        for task in moved:
            area = task.household.area
            task.area_id = area.pk
            task.assignee_id = assigner.assignee_id(task.item_version.outreach_role, area.path)
            task.version += 1
            events.TASK_MOVED.add(subject=task, params={"area": area.name})
        OutreachTask.objects.bulk_update(moved, ["area", "assignee", "version"], batch_size=500)
    return len(moved)


_INSERTED = ("item", "item_version", "household", "resident", "area", "assignee", "reasons")


@transaction.atomic
def _insert_tasks(rows: list[tuple], found_at: dt.datetime) -> None:
    """Insert new open tasks, one tuple of `_INSERTED` values each: plain rows in multi-row
    statements rather than model instances, as a first scan of a district inserts tens of
    thousands. A task the database refuses — a scan running at the same time made it first
    (one open task per item and household) — is skipped (ON CONFLICT DO NOTHING, which both
    SQLite and PostgreSQL understand)."""
    if not rows:
        return
    meta = OutreachTask._meta
    reasons = meta.get_field("reasons")
    fixed = {
        "state": OutreachState.OPEN.value,
        "found_at": meta.get_field("found_at").get_db_prep_save(found_at, connection),
        "outcome_note": "",
        "version": 1,
    }
    columns = [column_of(OutreachTask, name) for name in (*_INSERTED, *fixed)]
    # Only the model's own table and column names go into the statement; values are parameters.
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    row_marks = "({})".format(", ".join(["%s"] * len(columns)))
    limit = connection.features.max_query_params or INSERT_ROWS * len(columns)
    batch = max(1, min(INSERT_ROWS, limit // len(columns)))
    tail = tuple(fixed.values())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            marks = ", ".join([row_marks] * len(part))
            params = [
                value
                for row in part
                for value in (*row[:-1], reasons.get_db_prep_save(row[-1], connection), *tail)
            ]
            sql = f"INSERT INTO {table} ({names}) VALUES {marks} ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql, params)


def _path_of(area_id: int) -> str:
    """An area made after the scan read the tree."""
    return Area.objects.filter(pk=area_id).values_list("path", flat=True).first() or ""


def scan(*, today: dt.date | None = None, items: Iterable | None = None) -> ScanResult:
    """Find eligible households not yet served and make an outreach task for each (see the
    module's docstring). `items` limits the scan to those items. Returns the figures, which
    also go to one audit record."""
    started = time.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate()
    result = ScanResult(today=today)
    vocabulary = eligibility.Vocabulary.load()
    assigner = Assigner(today)
    paths = dict(Area.objects.values_list("pk", "path"))
    result.moved = _follow_moves(assigner)
    result.assigned = assign_tasks(assigner=assigner)
    result.households = Household.objects.count()

    wanted: dict[int, list[ServiceItem]] = {}  # household → items it gets a task for
    for item in scanned_items(items):
        rule = item.current_version.eligibility
        problems = eligibility.validate(rule, vocabulary=vocabulary)
        if problems:
            result.skipped[item.code] = problems
            continue
        rule_q = eligibility.to_q(rule, today, vocabulary=vocabulary)
        counts = ItemScan(item_id=item.pk, code=item.code, name=item.name)
        counts.eligible, new = _new_households(item, rule_q, now)
        counts.new = len(new)
        result.items.append(counts)
        for pk in new:
            wanted.setdefault(pk, []).append(item)

    pks = sorted(wanted)
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        facts = eligibility.facts_of(chunk, today, vocabulary)
        rows = []
        for pk in chunk:
            household = facts.get(pk)
            if household is None:
                continue  # removed from the register since the query found it
            area_id = household.area_id
            assert area_id is not None  # read from the register with the household (`facts_of`)
            for item in wanted[pk]:
                version = item.current_version
                path = paths.get(area_id) or _path_of(area_id)
                rows.append(
                    (
                        item.pk,
                        version.pk,
                        pk,
                        household.head_id,
                        area_id,
                        assigner.assignee_id(version.outreach_role, path),
                        eligibility.explain(version.eligibility, household),
                    )
                )
        _insert_tasks(rows, now)

    created = dict(
        OutreachTask.objects.filter(found_at=now)
        .values_list("item_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for counts in result.items:
        counts.created = created.get(counts.item_id, 0)
    result.seconds = time.perf_counter() - started
    audit.record(
        action=AuditAction.CREATE,
        object_type=audit.object_type_of(OutreachTask),
        object_repr=f"outreach scan {today.isoformat()}",
        changes=result.as_dict(),
    )
    return result


# --- the worker's outcome ---------------------------------------------------------------------


def _locked_for_work(task: OutreachTask, *, actor: Actor | None, expected_version) -> OutreachTask:
    """The task again, row-locked, once the actor may work on it (another area's task is
    out of scope, a viewer's attempt is refused) and nobody changed it since the page was read."""
    task = OutreachTask.objects.select_for_update().get(pk=task.pk)
    if actor is not None:
        if not can(actor, task, "view"):
            raise OutOfScope(OutreachTask, task.pk)
        if not can(actor, task, "work"):
            raise PermissionDenied
    check_version(task.version, expected_version, STALE_TASK)
    return task


def _check_outcome(task: OutreachTask, action: str) -> None:
    """The workflow allows the outcome's action in the task's state (the task page offers only
    those); else why not, in words."""
    if workflow_outreach.OUTREACH_TABLE.allows(task.state, action):
        return
    if task.state not in workflow_outreach.OPEN_STATES:
        raise ValidationError(
            {
                "outcome": _("This task is closed (%(state)s); nothing more can be recorded.")
                % {"state": task.get_state_display()}
            }
        )
    raise ValidationError(
        {
            "outcome": _(
                "The household is already recorded as contacted: record whether they "
                "applied, declined or are not eligible."
            )
        }
    )


@transaction.atomic
def task_record_outcome(
    *,
    actor: Actor | None,
    task: OutreachTask,
    outcome: str,
    note: str = "",
    expected_version: int | None = None,
) -> OutreachTask:
    """Record what came of contacting the household: contacted (the task stays open until an
    application or a refusal), declined, or not eligible after all (both close it)."""
    if outcome not in OUTCOME_ACTIONS:
        raise ValidationError(
            {"outcome": _("Choose what came of it: contacted, declined or not eligible.")}
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": _("The note is at most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}}
        )
    task = _locked_for_work(task, actor=actor, expected_version=expected_version)
    action = OUTCOME_ACTIONS[outcome]
    _check_outcome(task, action)
    change = audit.audited_change(actor=actor, obj=task)
    now = timezone.now()
    task.state = workflow_outreach.OUTREACH_TABLE.next(task.state, action)
    if outcome in (OutreachState.CONTACTED, OutreachState.DECLINED) and task.contacted_at is None:
        task.contacted_at = now  # a refusal is heard from the household
    if outcome in CLOSED_BY_OUTCOME:
        task.closed_at = now
    if note:
        task.outcome_note = note
    task.version += 1
    task.save(update_fields=["state", "contacted_at", "closed_at", "outcome_note", "version"])
    change.record()
    plain, with_note = events.OUTCOMES[outcome]
    (with_note if note else plain).add(
        subject=task, params={"note": note} if note else None, actor=actor
    )
    return task


def reopen_until(task: OutreachTask) -> dt.datetime | None:
    """Until when a closed task can be reopened; None if it cannot be (open, or applied)."""
    return workflow_outreach.reopen_until(task.state, task.closed_at)


def _state_reopened(task: OutreachTask) -> str:
    """Back to open (to contact) — and on to contacted if the household was recorded as
    contacted before the task was closed: a refusal recorded by mistake reached nobody."""
    state = workflow_outreach.OUTREACH_TABLE.next(task.state, workflow_outreach.Action.REOPEN)
    contacted = events_for([task]).filter(verb=events.Verb.CONTACTED)
    if contacted.exists():
        state = workflow_outreach.OUTREACH_TABLE.next(state, workflow_outreach.Action.CONTACT)
    return state


def _check_reopen(task: OutreachTask, now: dt.datetime) -> None:
    """Whether the task can be reopened now (`workflow_outreach.reopen_refusal`, which the task
    page asks too), and has no open twin; else why not, in words."""
    refused = workflow_outreach.reopen_refusal(task.state, task.closed_at, now)
    if refused == Refusal.OPEN:
        raise ValidationError(_("This task is open; there is nothing to reopen."), code="open")
    if refused == Refusal.APPLIED:
        raise ValidationError(
            _("This task was closed by an application (%(state)s); it cannot be reopened.")
            % {"state": task.get_state_display()},
            code="applied",
        )
    if refused == Refusal.EXPIRED:
        raise ValidationError(
            _(
                "This task was closed on %(closed)s, more than %(days)s days ago: it can no "
                "longer be reopened. The outreach scan finds the household again once the "
                "item's waiting time is over."
            )
            % {
                "closed": timezone.localtime(task.closed_at).strftime("%Y-%m-%d %H:%M"),
                "days": REOPEN_DAYS,
            },
            code="expired",
        )
    other = (
        OutreachTask.objects.filter(
            item_id=task.item_id, household_id=task.household_id, state__in=OPEN_OUTREACH_STATES
        )
        .exclude(pk=task.pk)
        .first()
    )
    if other is not None:
        raise ValidationError(
            _(
                "The household already has an open task for this item (found on %(found)s): "
                "work on that one."
            )
            % {"found": timezone.localtime(other.found_at).strftime("%Y-%m-%d")},
            code="duplicate",
        )


@transaction.atomic
def task_reopen(
    *, actor: Actor | None, task: OutreachTask, reason: str, expected_version: int | None = None
) -> OutreachTask:
    """重新打开 — reopen a task closed as declined or not eligible, within `REOPEN_DAYS` days
    of its closing, with the reason: it goes back to where it stood before it was closed
    (contacted, or to contact). Recorded on its timeline and in the audit trail."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the task is reopened.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("The reason is at most %(max)s characters.") % {"max": REASON_MAX_LENGTH}}
        )
    task = _locked_for_work(task, actor=actor, expected_version=expected_version)
    _check_reopen(task, timezone.now())
    change = audit.audited_change(actor=actor, obj=task)
    task.state = _state_reopened(task)
    if task.state == OutreachState.OPEN:
        task.contacted_at = None  # set by the refusal that is taken back
    task.closed_at = None
    task.version += 1
    task.save(update_fields=["state", "contacted_at", "closed_at", "version"])
    change.record(reason=reason)
    events.TASK_REOPENED.add(subject=task, params={"reason": reason}, actor=actor)
    return task


# --- who is eligible for an item: the editor's write -----------------------------------------


@transaction.atomic
def item_outreach_update(
    *,
    actor: Actor | None,
    item: ServiceItem,
    eligibility_rule: dict,
    outreach_role: str,
    outreach_recent_days: int,
    note: str = "",
    expected_version: int | None = None,
):
    """Save who is eligible for `item` and who seeks them out, as the item's next version
    (`catalogue.item_revise`). A bad rule, role or number of days changes nothing."""
    if actor is not None and not actor.has_permission(catalogue.MANAGE):
        raise PermissionDenied
    item = (
        ServiceItem.objects.select_for_update(of=("self",))
        .select_related("current")
        .get(pk=item.pk)
    )
    stale = _(
        "Someone else changed this item while you were editing it (it is now version "
        "%(number)s). Reload the page to see their change, then edit again."
    )
    current = item.current_version
    check_version(current.number, expected_version, stale % {"number": current.number})
    errors: dict[str, list[str]] = {}
    problems = eligibility.validate(eligibility_rule)
    if problems:
        errors["eligibility"] = problems
    if outreach_role and outreach_role not in OUTREACH_ROLES:
        errors["outreach_role"] = [
            _("Outreach is done by a grid worker, a village cadre or a community worker.")
        ]
    if not 1 <= outreach_recent_days <= RECENT_DAYS_MAX:
        errors["outreach_recent_days"] = [
            _("Give a number of days from 1 to %(max)s.") % {"max": RECENT_DAYS_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    if (
        current.eligibility == eligibility_rule
        and current.outreach_role == outreach_role
        and current.outreach_recent_days == outreach_recent_days
    ):
        return current
    return catalogue.item_revise(
        actor=actor,
        item=item,
        note=note.strip()[:300],
        eligibility=eligibility_rule,
        outreach_role=outreach_role,
        outreach_recent_days=outreach_recent_days,
    )
