"""Background jobs: Linli's one place for them.

A job is a module-level function decorated with `django_tasks.task` (in the module's
`tasks.py`). Services queue it with `enqueue_on_commit(task, ...)`, so it is queued only when
the work that asked for it is committed, and never for work that was rolled back.

Jobs are rows in the database (django-tasks-db) on SQLite and PostgreSQL alike, so the same
code runs in both set-ups:

- embedded (the default): `linli serve` starts one thread, `start_embedded_worker()`, that
  runs the jobs inside the serving process; no other service is needed;
- production (`LINLI_EMBEDDED_WORKER=0` on the web processes): any number of machines each run
  `linli worker`; a worker claims a job by locking its row (`SELECT … FOR UPDATE SKIP LOCKED`
  on PostgreSQL), so several workers share one queue and each job runs once.

Every long-running worker (the embedded thread and each `linli worker`) also looks at the
periodic schedule (`core.periodic`) every `PERIODIC_TICK` seconds and queues the jobs whose
slot has come; a slot is queued once however many workers look.

Retries and lost workers. A job declares how often it may be tried with `@retried(...)` above
its `@task()`. When such a job raises, its row goes back to the queue to run again after a
growing pause (`RetryPolicy.delay`), until its attempts are used up; then it stays failed
with the last traceback. A job whose row has said "running" for longer than its
`stale_after` belongs to a worker that died (killed, machine lost): the next look at the
schedule puts it back in the queue, or marks it failed when it has had all its attempts.
A job without `@retried` is tried once. Either way a job may run more than once (the retry
after a crash half-way, a recovered job whose worker was only slow), so every job is written
to be idempotent: running it twice has the effect of running it once.

`run_pending_jobs()` runs whatever is ready, here and now (tests; `linli worker --batch` too);
it does not look at the schedule. A job that raises is recorded as failed with its traceback;
the worker goes on with the next. Each job runs in the audit context of the system channel,
with `job <path>` as its source.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks.base import Task
from django_tasks.utils import normalize_json

from .context import acting

logger = logging.getLogger(__name__)

ALL_QUEUES = "*"
EMBEDDED_INTERVAL = 1.0  # seconds between looks at the queue when it is empty
MAX_BACKOFF = 60.0  # seconds to wait at most after the worker loop itself failed
PERIODIC_TICK = 15.0  # seconds between a worker's looks at the periodic schedule

_embedded: EmbeddedWorker | None = None
_embedded_lock = threading.Lock()


# --- retries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often a job may be tried, how long to wait between tries, and after how long a
    "running" job is taken for lost (its worker died)."""

    attempts: int = 1
    backoff: float = 30.0  # seconds before the second try; doubled for each try after it
    max_backoff: float = 3600.0
    stale_after: float = 3600.0  # longer than the job can really take

    def delay(self, attempts_made: int) -> float:
        """Seconds to wait before the next try, after `attempts_made` tries failed."""
        return min(self.max_backoff, self.backoff * 2 ** max(attempts_made - 1, 0))


DEFAULT_POLICY = RetryPolicy()
_policies: dict[str, RetryPolicy] = {}


def retried(
    *,
    attempts: int = 5,
    backoff: float = 30.0,
    max_backoff: float = 3600.0,
    stale_after: float = 1800.0,
):
    """Declare a job's retry policy; put it above `@task()`:

        @retried(attempts=5, stale_after=600)
        @task()
        def send_notifications(): ...

    Only for idempotent jobs: a retried job may have done part of its work before it failed."""
    if attempts < 1 or backoff < 0 or stale_after <= 0:
        raise ValueError("attempts ≥ 1, backoff ≥ 0 and stale_after > 0, please")
    policy = RetryPolicy(attempts, backoff, max_backoff, stale_after)

    def register(job: Task) -> Task:
        _policies[job.module_path] = policy
        return job

    return register


def policy_for(task_path: str) -> RetryPolicy:
    """The policy of the job at `task_path` (importing its module declares it)."""
    if task_path not in _policies:
        try:
            import_string(task_path)
        except ImportError:
            return DEFAULT_POLICY  # the job is gone: nothing to retry
    return _policies.get(task_path, DEFAULT_POLICY)


def _retry_or_give_up(job) -> bool:
    """After `job` failed: put it back in the queue for its next try if its policy allows
    one; True if it did. The traceback of the failure stays on the row until the next end."""
    from django_tasks_db.models import DBTaskResult

    policy = policy_for(job.task_path)
    made = len(job.worker_ids)
    if made >= policy.attempts:
        if policy.attempts > 1:
            logger.error("Job %s (%s) failed %d times; giving up.", job.task_path, job.pk, made)
        return False
    delay = policy.delay(made)
    requeued = DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        run_after=timezone.now() + dt.timedelta(seconds=delay),
        finished_at=None,
    )
    if requeued:
        logger.warning(
            "Job %s (%s) failed (attempt %d of %d); trying again in %d s.",
            job.task_path,
            job.pk,
            made,
            policy.attempts,
            delay,
        )
    return bool(requeued)


class WorkerLost(Exception):
    """Recorded as the error of a job whose worker stopped while running it."""


def recover_stale_jobs(now: dt.datetime | None = None) -> int:
    """Put the jobs whose worker died back in the queue (or mark them failed when they have
    had all their attempts); returns how many were put back or failed.

    A job is taken for lost when it has been "running" for longer than its policy's
    `stale_after`. Rows are locked, skipping those another worker is recovering."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    shortest = min([p.stale_after for p in _policies.values()] + [DEFAULT_POLICY.stale_after])
    candidates = DBTaskResult.objects.running().filter(
        started_at__lt=now - dt.timedelta(seconds=shortest)
    )
    recovered = 0
    for pk, task_path, started_at in candidates.values_list("pk", "task_path", "started_at"):
        policy = policy_for(task_path)
        if started_at >= now - dt.timedelta(seconds=policy.stale_after):
            continue
        with transaction.atomic():
            job = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
                .first()
            )
            if job is None:  # finished meanwhile, or another worker has it
                continue
            recovered += 1
            made = len(job.worker_ids)
            if made < policy.attempts:
                logger.warning(
                    "Job %s (%s) was left running by worker %s; queued again.",
                    task_path,
                    pk,
                    job.worker_ids[-1] if job.worker_ids else "?",
                )
                job.status, job.run_after = TaskResultStatus.READY, now
                job.save(update_fields=["status", "run_after"])
            else:
                job.set_failed(
                    WorkerLost(
                        f"worker {job.worker_ids[-1] if job.worker_ids else '?'} stopped while "
                        f"running this job (attempt {made} of {policy.attempts})"
                    )
                )
    return recovered


# --- queueing -------------------------------------------------------------------------------


def worker_id(kind: str = "") -> str:
    """A worker id unique across the pool: host name and process id (at most 64 characters)."""
    suffix = f"-{os.getpid()}" + (f"-{kind}" if kind else "")
    return socket.gethostname()[: 64 - len(suffix)] + suffix


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits (at once outside one).

    The arguments must be JSON values (ids, strings, numbers …), never model instances; they
    are checked now, so a mistake fails inside the caller's transaction rather than after it."""
    normalize_json({"args": args, "kwargs": kwargs})  # raises TypeError on anything else
    transaction.on_commit(functools.partial(task.enqueue, *args, **kwargs))


# --- workers --------------------------------------------------------------------------------


@functools.cache
def _worker_class() -> type:
    # Imported when first needed: the worker module loads django-tasks-db's model, and this
    # module is imported by services, possibly before the application registry is ready.
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class LinliWorker(Worker):
        """django-tasks-db's worker, running each job in the audit context of a system action,
        retrying failed jobs by their policy and, when `periodic`, looking at the schedule
        and for lost jobs every `PERIODIC_TICK` seconds; `jobs_run` counts the jobs it ran,
        failed ones included."""

        jobs_run = 0
        periodic = False
        _next_look = 0.0

        def run_task(self, db_task_result) -> None:
            source = f"job {db_task_result.task_path}"[:200]
            try:
                with acting(channel="system", address=self.worker_id, source=source):
                    super().run_task(db_task_result)
                if db_task_result.status == TaskResultStatus.FAILED:
                    _retry_or_give_up(db_task_result)
            finally:
                self.jobs_run += 1

        def claim_next(self):
            """Lock the next ready job's row and mark it running by this worker; None if there
            is none. A locked SQLite database is waited for, as `run()` does."""
            ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                ready = ready.filter(queue_name__in=self.queue_names)
            if self.excluded_queue_names:
                ready = ready.exclude(queue_name__in=self.excluded_queue_names)
            while True:
                try:
                    with exclusive_transaction(ready.db):
                        job = ready.get_locked()
                        if job is not None:
                            job.claim(self.worker_id)
                    return job
                except OperationalError as e:
                    if not is_locked_database_exception(e):
                        raise
                    time.sleep(self.interval or 0.1)

        def look_at_schedule(self) -> None:
            """Queue the periodic jobs whose slot has come and recover lost jobs, at most once
            every PERIODIC_TICK seconds. A busy or absent database is tried again next time."""
            if not self.periodic or time.monotonic() < self._next_look:
                return
            self._next_look = time.monotonic() + PERIODIC_TICK
            from . import periodic

            try:
                with acting(channel="system", address=self.worker_id, source="schedule"):
                    periodic.tick()
                    recover_stale_jobs()
            except OperationalError as e:
                if not is_locked_database_exception(e):
                    raise
                self._next_look = time.monotonic() + (self.interval or 0.1)

        def run(self) -> None:
            """Run jobs until stopped (or `max_tasks` ran), looking at the schedule between."""
            logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, self.queue_names)
            if self.startup_delay and self.interval:
                time.sleep(random.random())  # noqa: S311 — workers started together spread out
            while self.running:
                close_old_connections()
                self.look_at_schedule()
                job = self.claim_next()
                if job is not None:
                    self.run_task(job)
                if self.max_tasks is not None and self.jobs_run >= self.max_tasks:
                    return
                if self.batch and job is None:
                    return
                close_old_connections()
                if self.running and job is None:
                    time.sleep(self.interval)

        def run_ready(self) -> None:
            """Batch mode that leaves the database connections alone, unlike `run()` (which
            closes them between jobs, and with them a transaction it is called in)."""
            while self.running and (self.max_tasks is None or self.jobs_run < self.max_tasks):
                job = self.claim_next()
                if job is None:
                    return
                self.run_task(job)

    return LinliWorker


def make_worker(
    *,
    worker_id: str,
    queue_names: list[str] | None = None,
    excluded_queue_names: list[str] | None = None,
    interval: float = EMBEDDED_INTERVAL,
    batch: bool = False,
    max_jobs: int | None = None,
    startup_delay: bool = False,
    periodic: bool | None = None,
):
    """A worker for the default back-end, on every queue unless `queue_names` says otherwise.
    A long-running worker looks at the periodic schedule (`periodic`, by default unless
    `batch` or the setting LINLI_PERIODIC_JOBS is off); a batch worker only runs what is ready."""
    worker = _worker_class()(
        queue_names=queue_names or [ALL_QUEUES],
        excluded_queue_names=excluded_queue_names or [],
        interval=interval,
        batch=batch,
        max_tasks=max_jobs,
        worker_id=worker_id,
        startup_delay=startup_delay,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
    )
    if periodic is None:
        periodic = not batch and getattr(settings, "LINLI_PERIODIC_JOBS", True)
    worker.periodic = periodic
    return worker


def run_pending_jobs(max_jobs: int | None = None) -> int:
    """Run every job that is ready now (at most `max_jobs`), in this process; return how many
    ran, failed ones included. Jobs queued by the jobs themselves run too, and so does a failed
    job's retry once its pause is over. It may be called inside a transaction (a test's): jobs
    then see that transaction's uncommitted work."""
    worker = make_worker(batch=True, max_jobs=max_jobs, worker_id=worker_id("batch"))
    worker.run_ready()
    return worker.jobs_run


def run_here(task_result_id: str):
    """Claim the queued job `task_result_id` and run it in this process, as a worker would:
    its row in the job table, the audit context of a system action, its retry policy if it
    fails (`linli jobs run --now`). Returns the row as the run left it, or None when the job
    is no longer waiting (a worker took it first)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = make_worker(batch=True, max_jobs=1, worker_id=worker_id("cli"))
    waiting = DBTaskResult.objects.filter(pk=task_result_id, status=TaskResultStatus.READY)
    with exclusive_transaction(waiting.db):
        job = waiting.get_locked()
        if job is not None:
            job.claim(worker.worker_id)
    if job is None:
        return None
    worker.run_task(job)
    job.refresh_from_db()
    return job


class EmbeddedWorker(threading.Thread):
    """The worker thread inside the serving process. `stop()` ends it after the current job."""

    def __init__(self, interval: float = EMBEDDED_INTERVAL, periodic: bool | None = None):
        super().__init__(name="linli-jobs", daemon=True)
        self.interval = interval
        self._stopping = threading.Event()
        self.worker = make_worker(
            interval=interval, worker_id=worker_id("embedded"), periodic=periodic
        )

    def run(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    self.worker.run()  # returns once stop() is called
                except Exception:
                    # The queue itself failed (database away, not migrated yet …), not a job:
                    # a job's own error is recorded on the job. Try again, less and less often.
                    logger.exception("The job worker failed; trying again.")
                    connections.close_all()  # this thread's connections only
                    failures = 1 if time.monotonic() - started > MAX_BACKOFF else failures + 1
                    self._stopping.wait(min(MAX_BACKOFF, self.interval * 2**failures))
        finally:
            connections.close_all()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end once the job it runs (if any) is done; wait up to `timeout`."""
        self._stopping.set()
        self.worker.running = False
        if self.is_alive():
            self.join(timeout)


def start_embedded_worker(
    interval: float = EMBEDDED_INTERVAL, periodic: bool | None = None
) -> EmbeddedWorker:
    """Start the serving process's job thread (one per process: a second call returns it)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None or _embedded.stopping or not _embedded.is_alive():
            _embedded = EmbeddedWorker(interval=interval, periodic=periodic)
            _embedded.start()
        return _embedded
