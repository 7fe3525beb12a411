"""Jobs for tests/core/test_jobs.py and drills/worker_survival.py: tasks must be module-level
functions, so they live here."""

from __future__ import annotations

import time

from django_tasks import task

from linli.core.context import current
from linli.core.jobs import retried


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def where_am_i() -> dict:
    """The audit context the job runs in."""
    context = current()
    return {"channel": context.channel, "address": context.address, "source": context.source}


class JobFailed(Exception):
    pass


@task
def fail(message: str) -> None:
    raise JobFailed(message)


@task
def broken_nightly() -> None:
    """A periodic job that always fails (for `linli jobs run --now`)."""
    raise JobFailed("the gateway did not answer")


@task
def workers_beating() -> list[str]:
    """The workers with a heartbeat row while this job runs."""
    from linli.core.models import WorkerHeartbeat

    return sorted(WorkerHeartbeat.objects.values_list("worker_id", flat=True))


@retried(attempts=3, backoff=1, stale_after=3600)
@task(takes_context=True)
def pause(context, seconds: float, label: str = "") -> str:
    """Waits `seconds` on its first try, long enough to kill its worker in the middle of it; a
    later try gives back `label` at once. Its own time limit is an hour, so only the heartbeat
    brings it back sooner."""
    if context.attempt == 1:
        time.sleep(seconds)
    return label
