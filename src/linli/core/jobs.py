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

`run_pending_jobs()` runs whatever is ready, here and now (tests; `linli worker --batch` too).
A job that raises is recorded as failed with its traceback; the worker goes on with the next.
Each job runs in the audit context of the system channel, with `job <path>` as its source.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time

from django.db import connections, transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks.base import Task
from django_tasks.utils import normalize_json

from .context import acting

logger = logging.getLogger(__name__)

ALL_QUEUES = "*"
EMBEDDED_INTERVAL = 1.0  # seconds between looks at the queue when it is empty
MAX_BACKOFF = 60.0  # seconds to wait at most after the worker loop itself failed

_embedded: EmbeddedWorker | None = None
_embedded_lock = threading.Lock()


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


@functools.cache
def _worker_class() -> type:
    # Imported when first needed: the worker module loads django-tasks-db's model, and this
    # module is imported by services, possibly before the application registry is ready.
    from django.db import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class LinliWorker(Worker):
        """django-tasks-db's worker, running each job in the audit context of a system action;
        `jobs_run` counts the jobs it ran, failed ones included."""

        jobs_run = 0

        def run_task(self, db_task_result) -> None:
            source = f"job {db_task_result.task_path}"[:200]
            try:
                with acting(channel="system", address=self.worker_id, source=source):
                    super().run_task(db_task_result)
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
):
    """A worker for the default back-end, on every queue unless `queue_names` says otherwise."""
    return _worker_class()(
        queue_names=queue_names or [ALL_QUEUES],
        excluded_queue_names=excluded_queue_names or [],
        interval=interval,
        batch=batch,
        max_tasks=max_jobs,
        worker_id=worker_id,
        startup_delay=startup_delay,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
    )


def run_pending_jobs(max_jobs: int | None = None) -> int:
    """Run every job that is ready now (at most `max_jobs`), in this process; return how many
    ran, failed ones included. Jobs queued by the jobs themselves run too. It may be called
    inside a transaction (a test's): jobs then see that transaction's uncommitted work."""
    worker = make_worker(batch=True, max_jobs=max_jobs, worker_id=worker_id("batch"))
    worker.run_ready()
    return worker.jobs_run


class EmbeddedWorker(threading.Thread):
    """The worker thread inside the serving process. `stop()` ends it after the current job."""

    def __init__(self, interval: float = EMBEDDED_INTERVAL):
        super().__init__(name="linli-jobs", daemon=True)
        self.interval = interval
        self._stopping = threading.Event()
        self.worker = make_worker(interval=interval, worker_id=worker_id("embedded"))

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


def start_embedded_worker(interval: float = EMBEDDED_INTERVAL) -> EmbeddedWorker:
    """Start the serving process's job thread (one per process: a second call returns it)."""
    global _embedded
    with _embedded_lock:
        if _embedded is None or _embedded.stopping or not _embedded.is_alive():
            _embedded = EmbeddedWorker(interval=interval)
            _embedded.start()
        return _embedded
