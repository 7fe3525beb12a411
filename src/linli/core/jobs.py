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
slot has come; a slot is queued once however many workers look. Between jobs it chains the
audit records written since the last look (`core.audit.seal`), every
`LINLI_AUDIT_SEAL_SECONDS`; one worker at a time does, the others skip the turn.

Retries and lost workers. A job declares how often it may be tried with `@retried(...)` above
its `@task()`. When such a job raises, its row goes back to the queue to run again after a
growing pause (`RetryPolicy.delay`), until its attempts are used up; then it stays failed
with the last traceback. Every long-running worker beats (core/heartbeat.py): a job still
"running" under a worker that has not beaten for `LINLI_WORKER_DEAD_AFTER` seconds (killed,
machine lost) is put back in the queue by the next look at the schedule, or marked failed
when it has had all its attempts; a job under a worker with no heartbeat is put back when it
has been running for longer than its `stale_after`. A job without `@retried` is tried once.

The database away. A worker does not stop when the database cannot be reached: it logs one
line, waits (1 s, doubling, up to 30 s) and tries again, logs one line when it answers, and
goes on. The run the outage cut short is recorded as failed and retried by its policy.

Either way a job may run more than once (the retry after a crash half-way, a recovered job
whose worker was only slow), so every job is written to be idempotent: running it twice has
the effect of running it once.

`run_pending_jobs()` runs whatever is ready, here and now (tests; `linli worker --batch` too);
it does not look at the schedule. A job that raises is recorded as failed with its traceback;
the worker goes on with the next. Each job runs in the audit context of the system channel,
with `job <path>` as its source.
"""

from __future__ import annotations

import contextlib
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
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
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
RECONNECT_FIRST = 1.0  # seconds a worker waits before it tries to reach the database again …
RECONNECT_MAX = 30.0  # … doubled after each failed try, up to this
# What a database that cannot be reached raises (refused, dropped, reset connections).
DATABASE_AWAY = (OperationalError, InterfaceError)

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


def _last_worker(worker_ids: list) -> str:
    return worker_ids[-1] if worker_ids else "?"


def recover_lost_jobs(now: dt.datetime | None = None, *, judge_heartbeats: bool = True) -> int:
    """Put the jobs whose worker died back in the queue (or mark them failed when they have
    had all their attempts); returns how many were put back or failed.

    A "running" job is taken for lost when the worker running it has stopped beating for
    `LINLI_WORKER_DEAD_AFTER` seconds (core/heartbeat.py), whatever the job's own limit; the
    dead worker's heartbeat row is deleted with it. A job whose worker has no heartbeat row (a
    batch run, a worker of an older release) is taken for lost when it has been running for
    longer than its policy's `stale_after`; one whose worker beats is never taken. With
    `judge_heartbeats` false (this worker has just come back from an outage, and the others
    may not have beaten again yet) only the time limits apply. Rows are locked, skipping those
    another worker is recovering."""
    from django_tasks_db.models import DBTaskResult

    from . import heartbeat

    now = now or timezone.now()
    silent = heartbeat.silent_workers(now) if judge_heartbeats else set()
    beating = heartbeat.beating_workers(now)
    recovered = 0
    running = DBTaskResult.objects.running().values_list(
        "pk", "task_path", "started_at", "worker_ids"
    )
    for pk, task_path, started_at, worker_ids in running:
        worker = _last_worker(worker_ids)
        policy = policy_for(task_path)
        if worker in silent:
            why = "its worker stopped beating"
        elif worker in beating:
            continue
        elif started_at is not None and started_at < now - dt.timedelta(seconds=policy.stale_after):
            why = "it ran longer than its time limit"
        else:
            continue
        recovered += _put_back(pk, started_at, policy, now, why)
    if silent:
        heartbeat.forget_silent(silent, now)
    return recovered


def _put_back(pk, started_at, policy: RetryPolicy, now: dt.datetime, why: str) -> int:
    """Queue the lost job `pk` again, or fail it when it has had all its attempts; 1 if this
    call did, 0 if the job finished meanwhile or another worker is recovering it."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        job = (
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
            .first()
        )
        if job is None:
            return 0
        made, worker = len(job.worker_ids), _last_worker(job.worker_ids)
        if made < policy.attempts:
            logger.warning(
                "Job %s (%s) was left running by worker %s (%s); queued again.",
                job.task_path,
                pk,
                worker,
                why,
            )
            job.status, job.run_after = TaskResultStatus.READY, now
            job.save(update_fields=["status", "run_after"])
        else:
            job.set_failed(
                WorkerLost(
                    f"worker {worker} stopped while running this job "
                    f"(attempt {made} of {policy.attempts}): {why}"
                )
            )
    return 1


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


def enqueue_once_on_commit(task: Task, *args, **kwargs) -> None:
    """Like `enqueue_on_commit`, for a job that recomputes something from what is stored
    (a refresh): when the transaction commits, a run of `task` with the same arguments that
    is already waiting and due is enough, and none is added. That run has not started, so it
    reads this transaction's writes when it does; a run already started is not counted.

    A busy village records a visit every few seconds: without this each one queued its own
    refresh of the whole village, and the worker spent a core redoing the same sums."""
    payload = normalize_json({"args": list(args), "kwargs": kwargs})
    transaction.on_commit(functools.partial(_enqueue_unless_waiting, task, payload))


def _enqueue_unless_waiting(task: Task, payload: dict) -> None:
    from django_tasks_db.models import DBTaskResult

    # ready(): waiting, and due now or with no time set (a retry's later time is not due).
    waiting = DBTaskResult.objects.ready().filter(task_path=task.module_path, args_kwargs=payload)
    if not waiting.exists():
        task.enqueue(*payload["args"], **payload["kwargs"])


# --- workers --------------------------------------------------------------------------------


def reconnect_delay(
    failures: int,
    *,
    first: float = RECONNECT_FIRST,
    cap: float = RECONNECT_MAX,
    jitter=random.random,
) -> float:
    """Seconds a worker waits after `failures` failed tries in a row to reach the database:
    1, 2, 4 … up to 30, each shortened by up to a quarter at random, so that workers cut off
    together do not all knock at the same moment when it comes back."""
    base = min(cap, first * 2 ** min(max(failures - 1, 0), 32))
    return base * (1 - 0.25 * jitter())


def close_connections() -> None:
    """Drop this thread's database connections, broken ones included: the next query opens
    a new one."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):  # it may be broken already
            connection.close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _record_interrupted(job) -> None:
    """The database went away while `job` ran, or before its end was written: record the run
    as failed, with the error it ended on, and queue it again if its policy allows. Nothing
    happens when the run's end was written after all (the row is no longer "running") or
    another worker took the job meanwhile (its row then has another start)."""
    from django_tasks_db.models import DBTaskResult

    this_run = DBTaskResult.objects.filter(pk=job.pk, started_at=job.started_at)
    this_run.filter(status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        return_value=None,
        exception_class_path=job.exception_class_path or "django.db.OperationalError",
        traceback=job.traceback or "the database went away while the job ran",
    )
    if this_run.filter(status=TaskResultStatus.FAILED).exists():
        _retry_or_give_up(job)


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
        failed ones included.

        `run()` outlives the database: when it cannot be reached (claiming, running a job,
        looking at the schedule) the worker drops its connections, logs one line, waits
        (`reconnect_delay`) and tries again, and logs one line when it answers again. Then it
        first settles the jobs the table says it runs: the run the outage cut short is
        recorded as failed and retried by its policy; any other is queued again."""

        jobs_run = 0
        periodic = False
        _next_look = 0.0
        reconnect_first = RECONNECT_FIRST
        reconnect_max = RECONNECT_MAX
        connected_since = 0.0  # time.monotonic() since which the database has answered
        away_since: float | None = None  # time.monotonic() it went away, during an outage
        failures = 0  # failed tries to reach it, in a row
        unsettled = None  # the job whose run the outage cut short, until its end is written

        def run_task(self, db_task_result) -> None:
            source = f"job {db_task_result.task_path}"[:200]
            try:
                with acting(channel="system", address=self.worker_id, source=source):
                    super().run_task(db_task_result)
                if db_task_result.status == TaskResultStatus.FAILED:
                    _retry_or_give_up(db_task_result)
            except DATABASE_AWAY:
                # The job's end could not be written: written once the database is back.
                self.unsettled = db_task_result
                raise
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
            every PERIODIC_TICK seconds. A busy SQLite database is tried again next time.

            Other workers' heartbeats are judged only once this worker has itself reached
            the database for as long as a worker may be silent: after an outage every
            worker's beat is old, and the live ones need a moment to beat again."""
            if not self.periodic or time.monotonic() < self._next_look:
                return
            self._next_look = time.monotonic() + PERIODIC_TICK
            from . import periodic

            settled = time.monotonic() - self.connected_since >= settings.LINLI_WORKER_DEAD_AFTER
            try:
                with acting(channel="system", address=self.worker_id, source="schedule"):
                    periodic.tick()
                    recover_lost_jobs(judge_heartbeats=settled)
            except OperationalError as e:
                if not is_locked_database_exception(e):
                    raise
                self._next_look = time.monotonic() + (self.interval or 0.1)

        _next_seal = 0.0

        def seal_audit(self) -> None:
            """Chain the audit records written since the last seal, at most once every
            LINLI_AUDIT_SEAL_SECONDS; a turn another worker is taking is skipped. A failure is
            logged and the next turn comes a minute later: the records wait, signed."""
            if not self.periodic or time.monotonic() < self._next_seal:
                return
            self._next_seal = time.monotonic() + settings.LINLI_AUDIT_SEAL_SECONDS
            from . import audit

            try:
                audit.seal(wait=False)
            except DATABASE_AWAY as e:
                if not (isinstance(e, OperationalError) and is_locked_database_exception(e)):
                    raise
            except Exception:
                logger.exception("Chaining the audit records failed; trying again in a minute.")
                self._next_seal = time.monotonic() + 60

        def run(self) -> None:
            """Run jobs until stopped (or `max_tasks` ran), looking at the schedule between,
            and waiting out the database's outages."""
            logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, self.queue_names)
            if self.startup_delay and self.interval:
                time.sleep(random.random())  # noqa: S311 — workers started together spread out
            self.connected_since = time.monotonic()
            settle = True  # at the start too: an earlier process may have used this worker id
            while self.running:
                try:
                    if self.away_since is not None:
                        connections[DBTaskResult.objects.db].ensure_connection()
                        self._database_back()
                    if settle:
                        self.settle_own_jobs()
                        settle = False
                    if self._one_round():
                        return
                except DATABASE_AWAY as error:
                    self._database_away(error)
                    settle = True
                    self._pause(
                        reconnect_delay(
                            self.failures, first=self.reconnect_first, cap=self.reconnect_max
                        )
                    )

        def _one_round(self) -> bool:
            """Look at the schedule, run the next job if there is one, wait if there was
            none; True when the worker is done (`max_tasks` ran, or a batch found no job)."""
            close_old_connections()
            self.look_at_schedule()
            self.seal_audit()
            job = self.claim_next()
            if job is not None:
                self.run_task(job)
            if self.max_tasks is not None and self.jobs_run >= self.max_tasks:
                return True
            if self.batch and job is None:
                return True
            close_old_connections()
            if self.running and job is None:
                time.sleep(self.interval)
            return False

        def settle_own_jobs(self) -> None:
            """The jobs the table says this worker runs, while it runs none: the run an
            outage cut short is recorded as failed and retried by its policy; any other (left
            by an earlier process with this worker id, or claimed just as the database went
            away) is queued again, or failed when it has had all its attempts."""
            if self.unsettled is not None:
                _record_interrupted(self.unsettled)
                self.unsettled = None
            now = timezone.now()
            running = DBTaskResult.objects.running().values_list(
                "pk", "task_path", "started_at", "worker_ids"
            )
            for pk, task_path, started_at, worker_ids in running:
                if _last_worker(worker_ids) == self.worker_id:
                    _put_back(pk, started_at, policy_for(task_path), now, "its worker lost it")

        def _database_away(self, error: BaseException) -> None:
            close_connections()
            self.failures += 1
            if self.away_since is None:
                self.away_since = time.monotonic()
                logger.warning(
                    "The database cannot be reached (%s); worker %s waits and tries again "
                    "(every %g s at most).",
                    _first_line(error),
                    self.worker_id,
                    self.reconnect_max,
                )

        def _database_back(self) -> None:
            logger.warning(
                "The database answers again after %.0f s; worker %s goes on.",
                time.monotonic() - (self.away_since or 0.0),
                self.worker_id,
            )
            self.away_since, self.failures = None, 0
            self.connected_since = time.monotonic()

        def _pause(self, seconds: float) -> None:
            """Wait `seconds`, or less when the worker is asked to stop."""
            deadline = time.monotonic() + seconds
            while self.running and (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, 0.5))

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
    """The worker thread inside the serving process. It beats like any worker (its heartbeat
    thread beside it) and waits out the database's outages. `stop()` ends it after the current
    job."""

    def __init__(self, interval: float = EMBEDDED_INTERVAL, periodic: bool | None = None):
        super().__init__(name="linli-jobs", daemon=True)
        self.interval = interval
        self._stopping = threading.Event()
        self.worker = make_worker(
            interval=interval, worker_id=worker_id("embedded"), periodic=periodic
        )

    def run(self) -> None:
        from . import heartbeat

        failures = 0
        try:
            with heartbeat.beating(self.worker.worker_id):
                while not self._stopping.is_set():
                    started = time.monotonic()
                    try:
                        self.worker.run()  # returns once stop() is called
                    except Exception:
                        # The queue itself failed (not migrated yet …), not a job: a job's own
                        # error is recorded on the job, and the worker waits out the database's
                        # outages itself. Try again, less and less often.
                        logger.exception("The job worker failed; trying again.")
                        close_connections()
                        failures = 1 if time.monotonic() - started > MAX_BACKOFF else failures + 1
                        self._stopping.wait(min(MAX_BACKOFF, self.interval * 2**failures))
        finally:
            close_connections()

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
