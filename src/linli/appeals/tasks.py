"""Background jobs of the appeals module, and their place on the periodic schedule.

- `escalate_overdue_appeals` — escalation 超时上报 (hourly; it acts from 08:00 local time, so
  nobody is messaged at night): hands up each appeal whose tier's time limit has passed and
  tells the next tier and the supervisors (see `appeals.escalation`).
- `raise_open311_intakes` — queued by each Open311 post (once while a run waits): raises the
  posts accepted into the intake queue as appeals (`appeals.open311.queue`).
- `refresh_appeal_deadlines` — queued whenever the working-day calendar changes: moves the
  deadlines of the open steps the change affects, and clears their "provisional" mark once the
  years they reach into are entered (`core.workdays.move_deadline`).

Each is idempotent — running it twice has the effect of running it once — and so may be
retried after a failure or a lost worker (`core.jobs.retried`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from linli.core import audit, periodic, workdays
from linli.core.jobs import retried

from . import events
from .models import Appeal, AppealStep

ESCALATE_FROM_HOUR = 8  # local time; earlier runs leave the day's escalation to later ones


@retried(attempts=5, backoff=60, stale_after=1800)
@task()
def escalate_overdue_appeals() -> dict:
    """Hand up the appeals past their tier's time limit; returns the run's figures."""
    from .escalation import escalate_overdue

    now = timezone.localtime()
    if now.hour < ESCALATE_FROM_HOUR:
        return {"handed_up": 0, "notifications": 0, "waiting_until": f"{ESCALATE_FROM_HOUR:02d}:00"}
    report = escalate_overdue(today=now.date())
    return {
        "handed_up": report.handed_up,
        "overdue_at_top": report.overdue_at_top,
        "notifications": report.notifications,
    }


@retried(attempts=5, backoff=10, stale_after=600)
@task()
def raise_open311_intakes() -> dict:
    """Raise the Open311 posts waiting in the intake queue; returns how many."""
    from .open311 import queue

    return queue.raise_waiting()


@retried(attempts=5, backoff=60, stale_after=1800)
@task()
def refresh_appeal_deadlines(changed: dict, years: list) -> dict:
    """Move the deadlines of open steps that a change of the calendar affects."""
    first = min(
        [dt.date.fromisoformat(d) for d in changed] + [dt.date(y, 1, 1) for y in years],
        default=None,
    )
    if first is None:
        return {"steps": 0}
    steps = AppealStep.objects.filter(ended_at__isnull=True, due_on__gte=first)
    moved = 0
    for pk in steps.values_list("pk", flat=True).iterator():
        moved += _refresh_step(pk, changed)
    return {"steps": moved}


@transaction.atomic
def _refresh_step(pk: int, changed: dict) -> bool:
    step = AppealStep.objects.filter(pk=pk, ended_at__isnull=True).first()
    if step is None:
        return False
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("tier_area", "department")
        .filter(pk=step.appeal_id)
        .first()
    )
    step = AppealStep.objects.filter(pk=pk, ended_at__isnull=True).first()  # under the lock
    if appeal is None or step is None:
        return False
    start = timezone.localtime(step.started_at).date()
    moved = workdays.move_deadline(start, step.time_limit_days, step.due_on, changed)
    if moved is None or moved == (step.due_on, step.due_assumed):
        return False
    due, assumed = moved
    old_due = step.due_on
    step_change = audit.audited_change(actor=None, obj=step)
    step.due_on, step.due_assumed = due, assumed
    step.save(update_fields=["due_on", "due_assumed"])
    step_change.record()
    change = audit.audited_change(actor=None, obj=appeal)
    appeal.due_on, appeal.due_assumed = due, assumed
    appeal.version += 1
    appeal.save(update_fields=["due_on", "due_assumed", "version"])
    change.record()
    if due != old_due:
        events.DEADLINE_MOVED.add(
            subject=appeal,
            params={
                "place": appeal.place_name,
                "before": old_due.isoformat(),
                "after": due.isoformat(),
            },
            data={"step": step.pk},
        )
    else:
        events.DEADLINE_CONFIRMED.add(subject=appeal, params={"due": due.isoformat()})
    return True


# --- the schedule ------------------------------------------------------------------------------

periodic.register(
    "appeals.escalate_overdue_appeals", escalate_overdue_appeals, every=dt.timedelta(hours=1)
)
workdays.when_calendar_changes(refresh_appeal_deadlines)
