"""The periodic schedule 定时任务: jobs that run every minute, hour or day by themselves.

A module registers its periodic jobs in its `tasks.py`:

    periodic.register("services.escalate_overdue_steps", escalate_overdue_steps,
                      every=dt.timedelta(hours=1))

Time is cut into slots of `every`, counted from local midnight plus `at` (a daily job with
`at=dt.timedelta(hours=2)` has one slot a day, from 02:00 to 02:00 the next day). Every
long-running worker — the thread inside `linli serve`, each `linli worker` on every machine —
calls `tick()` every few seconds. For each job whose current slot has no `PeriodicRun` yet,
`tick()` inserts one and queues the job in the same transaction. The pair (name, slot) is
unique in the database, so when several workers tick at the same moment one insert wins and
the others roll back: each slot is queued exactly once, with no leader to elect and nothing
to configure.

A slot missed while no worker was running is not made up: the next tick queues the current
slot only. The jobs are written for this: each one does whatever is due at the time it runs
(every overdue step, every pending message), so running late or twice has the effect of
running once.

Operators see the schedule with `linli jobs list` (`job_states`: each job's last run, read
from the job table, and its next slot) and run a job out of turn with `linli jobs run NAME`
(`queue_by_hand`: queued for the workers, or run in place with `--now`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks import TaskResultStatus
from django_tasks.base import Task

from .models import PeriodicRun

if TYPE_CHECKING:
    from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# Slots are counted from this local midnight (any fixed day would do).
EPOCH = dt.datetime(2000, 1, 3)  # a Monday, so weekly slots start on Mondays
KEEP_RUNS = dt.timedelta(days=14)  # how long the record of a queued slot is kept


@dataclass(frozen=True)
class PeriodicJob:
    """One entry of the schedule: a job, how often, and at what time of the slot."""

    name: str
    task: Task
    every: dt.timedelta
    at: dt.timedelta = dt.timedelta(0)

    def slot_start(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot `now` falls in, in local time."""
        epoch = timezone.make_aware(EPOCH) + self.at
        slots = (timezone.localtime(now) - epoch) // self.every
        return timezone.localtime(epoch + slots * self.every)

    def slot(self, now: dt.datetime) -> str:
        """The slot's name, e.g. "2026-11-28T02:00" (local time, to the minute)."""
        return self.slot_start(now).strftime("%Y-%m-%dT%H:%M")


_schedule: dict[str, PeriodicJob] = {}


def register(
    name: str, task: Task, *, every: dt.timedelta, at: dt.timedelta = dt.timedelta(0)
) -> PeriodicJob:
    """Put `task` on the schedule under `name` (registering the same name again replaces it)."""
    if every < dt.timedelta(minutes=1) or every % dt.timedelta(minutes=1):
        raise ValueError("a periodic job runs every whole number of minutes")
    if not dt.timedelta(0) <= at < every:
        raise ValueError("`at` is an offset inside the slot: 0 ≤ at < every")
    if len(name) > 100:
        raise ValueError("a periodic job's name has at most 100 characters")
    job = PeriodicJob(name=name, task=task, every=every, at=at)
    _schedule[name] = job
    return job


@functools.cache
def _discover() -> None:
    # Each module registers its jobs in its tasks.py; import them all once.
    autodiscover_modules("tasks")


def schedule() -> list[PeriodicJob]:
    """Every periodic job of every module, by name."""
    _discover()
    return [_schedule[name] for name in sorted(_schedule)]


def tick(now: dt.datetime | None = None) -> list[str]:
    """Queue each periodic job whose current slot has not been queued by anyone yet; returns
    the names this call queued. Safe to call from any number of workers at once."""
    now = now or timezone.now()
    due = {job.name: (job, job.slot(now)) for job in schedule()}
    if not due:
        return []
    taken = set(
        PeriodicRun.objects.filter(
            name__in=list(due), slot__in={slot for _job, slot in due.values()}
        ).values_list("name", "slot")
    )
    queued = []
    for name, (job, slot) in due.items():
        if (name, slot) not in taken and _queue_once(job, slot, now):
            queued.append(name)
    _prune(now)
    return queued


def _queue_once(job: PeriodicJob, slot: str, now: dt.datetime) -> bool:
    """Record the slot and queue the job, both or neither; False if another worker has."""
    try:
        with transaction.atomic():
            run = PeriodicRun.objects.create(name=job.name, slot=slot, queued_at=now)
            result = job.task.enqueue()
            run.task_result_id = str(result.id)[:64]
            run.save(update_fields=["task_result_id"])
    except IntegrityError:  # the same slot, inserted by another worker first
        return False
    logger.info("Periodic job %s queued for %s.", job.name, slot)
    return True


def _prune(now: dt.datetime) -> None:
    """Forget slots older than KEEP_RUNS (and longer than the longest period), once an hour."""
    longest = max((job.every for job in _schedule.values()), default=dt.timedelta(0))
    keep = max(KEEP_RUNS, 2 * longest)
    if timezone.localtime(now).minute == 0:
        PeriodicRun.objects.filter(queued_at__lt=now - keep).delete()


# --- what operators see and do ------------------------------------------------------------


def job_named(name: str) -> PeriodicJob | None:
    """The periodic job of that name, or None."""
    return {job.name: job for job in schedule()}.get(name.strip())


def _results(job: PeriodicJob):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=job.task.module_path)


@dataclass(frozen=True)
class JobState:
    """A periodic job as the operator sees it: its latest run in the job table (however it was
    queued; None when there is none, e.g. after old rows were pruned) and its next slot
    (`due` when the current slot is not queued yet: a worker's next look queues it)."""

    job: PeriodicJob
    last: DBTaskResult | None  # the latest row of the job's task
    next_at: dt.datetime
    due: bool


def job_states(now: dt.datetime | None = None) -> list[JobState]:
    """Every periodic job with its latest run and its next slot, by name."""
    now = now or timezone.now()
    jobs = schedule()
    taken = set(
        PeriodicRun.objects.filter(
            name__in=[job.name for job in jobs], slot__in={job.slot(now) for job in jobs}
        ).values_list("name", "slot")
    )
    states = []
    for job in jobs:
        start = job.slot_start(now)
        due = (job.name, job.slot(now)) not in taken
        last = _results(job).order_by("-enqueued_at").first()
        states.append(JobState(job, last, start if due else start + job.every, due))
    return states


def pending_run(job: PeriodicJob):
    """A run of `job` waiting in the queue or running now (the oldest), or None."""
    waiting = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    return _results(job).filter(status__in=waiting).order_by("enqueued_at").first()


def queue_by_hand(job: PeriodicJob, now: dt.datetime | None = None):
    """Queue a run of `job` now, as an operator asks (`linli jobs run`). Safe to repeat: a run
    already waiting or running is returned instead of queuing a second one (a run waiting to be
    tried again is brought forward to now). Returns (the run's row, whether it is new); the
    operator's request is in the audit trail."""
    from django_tasks_db.models import DBTaskResult

    from . import audit
    from .choices import AuditAction

    now = now or timezone.now()
    with transaction.atomic():
        run = pending_run(job)
        if run is not None:
            if run.status == TaskResultStatus.READY and run.run_after > now:
                DBTaskResult.objects.filter(pk=run.pk).update(run_after=now)
                run.refresh_from_db()
            return run, False
        result = job.task.enqueue()
        run = DBTaskResult.objects.get(pk=result.id)
        audit.record(
            action=AuditAction.CREATE,
            obj=run,
            object_repr=f"job {job.name} queued by hand",
            changes={"job": job.name, "task": job.task.module_path},
        )
    logger.info("Periodic job %s queued by hand.", job.name)
    return run, True
