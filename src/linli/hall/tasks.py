"""Background jobs of the service hall, and their place on the periodic schedule.

- `scan_outreach` — the outreach scan 主动服务 (daily, from 01:30): finds eligible households
  and makes outreach tasks; a second run makes none (see `hall.outreach.services`).
- `assign_outreach_tasks(grant_id)` — queued by a new grant of an outreach role when open tasks
  under its area have nobody: gives them to the worker now responsible (the scan does the same
  for every area each night).
- `escalate_overdue_steps` — deadline escalation 超期督办 (hourly; it writes from 08:00 local
  time, so nobody is messaged at night): notifies once per step per day (see
  `hall.applications.escalation`).
- `refresh_deadlines` — queued whenever the working-day calendar changes: moves the due dates
  of open applications and steps the change affects, and clears their "provisional" mark once
  the years they reach into are entered.

Each is idempotent — running it twice has the effect of running it once — and so may be
retried after a failure or a lost worker (`core.jobs.retried`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from linli.core import audit, periodic, workdays
from linli.core.choices import AuditAction
from linli.core.jobs import retried
from linli.core.workdays import move_deadline

from . import events
from .choices import ApplicationState, StepState
from .models import Application, ApplicationStep

# Applications whose promise is running or paused (returned for missing material).
DEADLINE_STATES = (
    ApplicationState.SUBMITTED,
    ApplicationState.IN_PROGRESS,
    ApplicationState.RETURNED,
)
ESCALATE_FROM_HOUR = 8  # local time; earlier runs leave the day's escalation to later ones


@retried(attempts=3, backoff=300, stale_after=3 * 3600)
@task()
def scan_outreach() -> dict:
    """The outreach scan over the whole registry; returns its figures."""
    from linli.hall.outreach.services import scan

    return scan().as_dict()


@retried(attempts=5, backoff=60, stale_after=1800)
@task()
def assign_outreach_tasks(grant_id: int) -> dict:
    """Give the open tasks nobody is responsible for under a new grant's area to the worker
    responsible now (whoever that is by then: the grant may have ended, or a deeper one come)."""
    from linli.accounts.models import Grant
    from linli.hall.outreach.services import assign_tasks

    grant = Grant.objects.select_related("area").filter(pk=grant_id).first()
    if grant is None:
        return {"assigned": 0}
    return {"assigned": assign_tasks(area=grant.area)}


@retried(attempts=5, backoff=60, stale_after=1800)
@task()
def escalate_overdue_steps() -> dict:
    """Escalate the steps past their deadline; returns how many steps and messages."""
    from .applications.escalation import escalate_overdue

    now = timezone.localtime()
    if now.hour < ESCALATE_FROM_HOUR:
        return {"steps": 0, "notifications": 0, "waiting_until": f"{ESCALATE_FROM_HOUR:02d}:00"}
    report = escalate_overdue(today=now.date())
    return {"steps": report.steps, "notifications": report.notifications}


# --- moving deadlines when the calendar changes ----------------------------------------------


@retried(attempts=5, backoff=60, stale_after=1800)
@task()
def refresh_deadlines(changed: dict, years: list) -> dict:
    """Move the deadlines a change of the calendar affects (see `move_deadline`)."""
    first = min(
        [dt.date.fromisoformat(d) for d in changed] + [dt.date(y, 1, 1) for y in years],
        default=None,
    )
    if first is None:
        return {"applications": 0, "steps": 0}
    moved = {"applications": 0, "steps": 0}
    applications = Application.objects.filter(
        state__in=DEADLINE_STATES, due_on__gte=first, received_on__isnull=False
    )
    for pk in applications.values_list("pk", flat=True).iterator():
        moved["applications"] += _refresh_application(pk, changed)
    steps = ApplicationStep.objects.filter(
        state=StepState.ACTIVE, due_on__gte=first, received_at__isnull=False
    )
    for pk in steps.values_list("pk", flat=True).iterator():
        moved["steps"] += _refresh_step(pk, changed)
    return moved


@transaction.atomic
def _refresh_application(pk: int, changed: dict) -> bool:
    application = Application.objects.select_for_update().filter(pk=pk).first()
    if application is None or application.due_on is None or application.received_on is None:
        return False
    moved = move_deadline(
        application.received_on, application.promised_days, application.due_on, changed
    )
    if moved is None or moved == (application.due_on, application.due_assumed):
        return False
    due, assumed = moved
    change = audit.audited_change(actor=None, obj=application)
    old_due = application.due_on
    application.due_on, application.due_assumed = due, assumed
    application.version += 1
    application.save(update_fields=["due_on", "due_assumed", "version"])
    change.record()
    event, params = (
        (events.DEADLINE_MOVED, {"before": old_due.isoformat(), "after": due.isoformat()})
        if due != old_due
        else (events.DEADLINE_CONFIRMED, {"due": due.isoformat()})
    )
    event.add(subject=application, params=params)
    return True


@transaction.atomic
def _refresh_step(pk: int, changed: dict) -> bool:
    step = (
        ApplicationStep.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(pk=pk, state=StepState.ACTIVE)
        .first()
    )
    if step is None or step.due_on is None or step.received_at is None:
        return False
    start = timezone.localtime(step.received_at).date()
    moved = move_deadline(start, step.time_limit_days, step.due_on, changed)
    if moved is None or moved == (step.due_on, step.due_assumed):
        return False
    due, assumed = moved
    before = audit.snapshot(step)
    old_due = step.due_on
    step.due_on, step.due_assumed = due, assumed
    step.version += 1
    step.save(update_fields=["due_on", "due_assumed", "version"])
    audit.record(  # both halves of the deadline, whichever of them moved
        action=AuditAction.UPDATE,
        obj=step,
        changes={
            "before": {k: before[k] for k in ("due_on", "due_assumed")},
            "after": {"due_on": due, "due_assumed": assumed},
        },
    )
    if due != old_due:
        events.STEP_DEADLINE_MOVED.add(
            subject=step.application,
            params={"step": step.name, "before": old_due.isoformat(), "after": due.isoformat()},
            data={"step": step.pk},
        )
    return True


# --- the schedule --------------------------------------------------------------------------

periodic.register(
    "services.scan_outreach",
    scan_outreach,
    every=dt.timedelta(days=1),
    at=dt.timedelta(hours=1, minutes=30),
)
periodic.register(
    "services.escalate_overdue_steps", escalate_overdue_steps, every=dt.timedelta(hours=1)
)
workdays.when_calendar_changes(refresh_deadlines)
