"""Worker heartbeats 心跳: how the workers know that one of them has died.

Every long-running worker — each `linli worker`, the job thread inside `linli serve` — runs a
small thread, `Heartbeat`, that writes the worker's row in `WorkerHeartbeat` (worker id, host,
process id, when it started) with the time, every `LINLI_WORKER_HEARTBEAT` seconds (10): one
short UPDATE. A worker that stops cleanly deletes its row. A worker killed (SIGKILL, the
machine lost) stops beating; when its last beat is older than `LINLI_WORKER_DEAD_AFTER`
seconds (60), the next worker to look at the schedule (every 15 s) queues its running jobs
again — whatever their own time limit — and deletes its row (core/jobs.py,
`recover_lost_jobs`). The thread beats while the worker runs a job, so a long job is not
taken for lost; it beats on its own database connection and says nothing when the database
is away (the worker's loop reports the outage).

`linli jobs list` shows the workers and when each last beat (`worker_list`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from .jobs import close_connections
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

FIRST_BEAT_WAIT = 5.0  # seconds a worker waits for its first beat before it takes jobs


def beat_interval() -> float:
    """Seconds between two beats of a worker."""
    return settings.LINLI_WORKER_HEARTBEAT


def dead_after() -> dt.timedelta:
    """How long a worker may be silent before it is taken for dead."""
    return dt.timedelta(seconds=settings.LINLI_WORKER_DEAD_AFTER)


def beat(worker_id: str, *, started_at: dt.datetime, now: dt.datetime | None = None) -> None:
    """Write that `worker_id` is alive now (its row made again if someone deleted it)."""
    now = now or timezone.now()
    if WorkerHeartbeat.objects.filter(pk=worker_id).update(last_beat=now):
        return
    with contextlib.suppress(IntegrityError):  # made meanwhile: by this worker's last beat
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            last_beat=now,
        )


def forget(worker_id: str) -> None:
    """The worker stopped cleanly: it has no job running, nothing to recover."""
    WorkerHeartbeat.objects.filter(pk=worker_id).delete()


def silent_workers(now: dt.datetime | None = None) -> set[str]:
    """The ids of the workers whose last beat is older than the limit: taken for dead."""
    now = now or timezone.now()
    limit = now - dead_after()
    return set(WorkerHeartbeat.objects.filter(last_beat__lt=limit).values_list("pk", flat=True))


def beating_workers(now: dt.datetime | None = None) -> set[str]:
    """The ids of the workers that beat within the limit."""
    now = now or timezone.now()
    limit = now - dead_after()
    return set(WorkerHeartbeat.objects.filter(last_beat__gte=limit).values_list("pk", flat=True))


def forget_silent(worker_ids: set[str], now: dt.datetime | None = None) -> int:
    """Delete the rows of these dead workers, unless one beat again meanwhile."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(
        pk__in=worker_ids, last_beat__lt=now - dead_after()
    ).delete()
    return deleted


def worker_list() -> list[WorkerHeartbeat]:
    """Every worker with a row, the most recently started first."""
    return list(WorkerHeartbeat.objects.order_by("-started_at", "worker_id"))


class Heartbeat(threading.Thread):
    """The thread that beats for one worker until `stop()`, which deletes the worker's row."""

    def __init__(self, worker_id: str, interval: float | None = None):
        super().__init__(name=f"linli-heartbeat-{worker_id}"[:60], daemon=True)
        self.worker_id = worker_id
        self.interval = beat_interval() if interval is None else interval
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        self._failing = False
        self.first_beat = threading.Event()  # set once the first beat was tried

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._beat_once()
                self.first_beat.set()
                self._stopping.wait(self.interval)
            self._forget_once()
        finally:
            close_connections()  # this thread's connection only

    def _beat_once(self) -> None:
        try:
            beat(self.worker_id, started_at=self.started_at)
            self._failing = False
        except DatabaseError as error:
            # The database is away or busy: the worker's loop says so; beat again next time,
            # on a new connection.
            logger.debug("Heartbeat of %s not written: %s", self.worker_id, error)
            close_connections()
        except Exception:
            # Not the database: a fault to report (once), but the thread must outlive it.
            if not self._failing:
                logger.exception("Heartbeat of %s not written; trying again.", self.worker_id)
            self._failing = True
            close_connections()

    def _forget_once(self) -> None:
        try:
            forget(self.worker_id)
        except Exception as error:
            # Left behind, the row is deleted by the next worker that finds it silent.
            logger.debug("Heartbeat of %s not deleted: %s", self.worker_id, error)

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop beating and delete the worker's row; wait up to `timeout` for it."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


@contextlib.contextmanager
def beating(worker_id: str, interval: float | None = None):
    """Beat for `worker_id` while the block runs; delete its row when the block ends. The
    block starts once the first beat was tried, so a worker is listed before its first job."""
    heartbeat = Heartbeat(worker_id, interval)
    heartbeat.start()
    heartbeat.first_beat.wait(FIRST_BEAT_WAIT)
    try:
        yield heartbeat
    finally:
        heartbeat.stop()
