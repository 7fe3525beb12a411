"""A worker outlives the database (core/jobs.py): when it cannot be reached — claiming a job,
running one, looking at the schedule — `linli worker` drops its connections, logs one line,
waits (1 s doubling up to 30 s, with jitter) and tries again, logs one line when it answers,
and goes on; the run the outage cut short is recorded as failed and retried by its policy,
once, and never over another worker's run of the same job."""

from __future__ import annotations

import logging
from collections import Counter
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connections
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from linli.core import jobs, periodic

from . import jobs_for_tests as t

ADD = "tests.core.jobs_for_tests.add"
RUNS: Counter = Counter()
AWAY = "The database cannot be reached"
BACK = "The database answers again"


@jobs.retried(attempts=3, backoff=0, stale_after=3600)
@task()
def cut_short(key: str) -> str:
    """Its first run ends as a job does when the database goes away in the middle of it."""
    RUNS[key] += 1
    if RUNS[key] == 1:
        raise OperationalError("server closed the connection unexpectedly")
    return f"{key} done"


@jobs.retried(attempts=3, stale_after=3600)
@task()
def steady(a: int, b: int) -> int:
    return a + b


@pytest.fixture(autouse=True)
def fresh_runs():
    RUNS.clear()


def worker(worker_id: str, **options):
    """A worker that waits 10 ms instead of seconds, and looks at no schedule unless asked."""
    options.setdefault("periodic", False)
    made = jobs.make_worker(worker_id=worker_id, interval=0.01, **options)
    made.reconnect_first = made.reconnect_max = 0.01
    return made


def failing_first(real, errors: list[BaseException], calls: list):
    """`real`, raising each of `errors` on the calls before it is really called."""

    def call(*args, **kwargs):
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return real(*args, **kwargs)

    return call


@pytest.fixture
def refusals(monkeypatch):
    """The database server refusing the next `refusals["left"]` connections, as a server
    that is down does; every try is counted in `refusals["tries"]`."""
    state = {"left": 0, "tries": 0}
    wrapper = type(connections["default"])
    real_connect = wrapper.connect

    def connect(self):
        state["tries"] += 1
        if state["left"]:
            state["left"] -= 1
            raise OperationalError('connection to server at "127.0.0.1" failed: refused')
        return real_connect(self)

    monkeypatch.setattr(wrapper, "connect", connect)
    return state


def outage_lines(caplog) -> tuple[int, int]:
    text = caplog.text
    return text.count(AWAY), text.count(BACK)


def test_a_worker_survives_an_outage_and_runs_the_next_job(transactional_db, caplog, refusals):
    """The connection drops as the worker claims a job, and the server refuses the next three
    connections: the worker waits longer each time, then takes the job."""
    caplog.set_level(logging.WARNING, logger="linli.core.jobs")
    t.add.enqueue(20, 22)
    survivor = worker("w-claim", max_jobs=1)
    survivor.reconnect_max = 0.04
    claims: list = []
    dropped = OperationalError("server closed the connection unexpectedly")
    waits: list[float] = []
    with (
        mock.patch.object(
            survivor, "claim_next", failing_first(survivor.claim_next, [dropped], claims)
        ),
        mock.patch.object(survivor, "_pause", waits.append),
    ):
        refusals["left"] = 3
        survivor.run()  # returns after its one job: it did not stop at the outage
    done = DBTaskResult.objects.get(task_path=ADD)
    assert (done.status, done.return_value, done.worker_ids) == ("SUCCESSFUL", 42, ["w-claim"])
    assert len(claims) == 2 and refusals["left"] == 0  # it knocked until the server answered
    assert refusals["tries"] >= 4  # a new connection each time: the broken one was dropped
    assert len(waits) == 4 and all(0 < wait <= 0.04 for wait in waits)
    assert waits[-1] > waits[0]  # longer and longer, up to the cap
    assert outage_lines(caplog) == (1, 1)  # one line when it went away, one when it came back
    assert "Traceback" not in caplog.text
    assert survivor.away_since is None and survivor.failures == 0


def test_a_worker_survives_an_error_looking_at_the_schedule(transactional_db, caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="linli.core.jobs")
    calls: list = []
    monkeypatch.setattr(
        periodic, "tick", failing_first(periodic.tick, [InterfaceError("closed")], calls)
    )
    t.add.enqueue(1, 1)
    survivor = worker("w-schedule", max_jobs=1, periodic=True)
    survivor.run()
    assert calls and DBTaskResult.objects.get(task_path=ADD).return_value == 2
    assert outage_lines(caplog) == (1, 1)


def test_a_run_cut_short_by_the_outage_is_retried_by_its_policy_once(transactional_db, caplog):
    """The job fails because the database went away, and its failure cannot be written either:
    once the database is back, the run is recorded as failed and the job tried again."""
    caplog.set_level(logging.WARNING, logger="linli.core.jobs")
    cut_short.enqueue("a")
    survivor = worker("w-mid", max_jobs=2)
    calls: list = []
    record_failure = failing_first(
        DBTaskResult.set_failed, [OperationalError("the connection is lost")], calls
    )
    with mock.patch.object(DBTaskResult, "set_failed", record_failure):
        survivor.run()
    job = DBTaskResult.objects.get(task_path__endswith=".cut_short")
    assert (job.status, job.return_value) == (TaskResultStatus.SUCCESSFUL, "a done")
    assert RUNS["a"] == 2  # run twice: the cut-short run and its retry, no more
    assert job.worker_ids == ["w-mid", "w-mid"]
    assert outage_lines(caplog) == (1, 1)


def test_a_run_cut_short_is_recorded_once_and_never_over_another_workers_run(transactional_db):
    cut_short.enqueue("b")
    first = worker("w-first", batch=True)
    claimed = first.claim_next()  # in w-first's hands when the database goes away …
    stale = DBTaskResult.objects.get(pk=claimed.pk)
    stale.status, stale.exception_class_path = TaskResultStatus.FAILED, "x.OperationalError"
    # … meanwhile its job is queued again and taken by another worker, which runs it now
    DBTaskResult.objects.filter(pk=claimed.pk).update(status=TaskResultStatus.READY)
    second = worker("w-second", batch=True)
    assert second.claim_next().pk == claimed.pk
    first.unsettled = stale
    first.settle_own_jobs()  # what w-first does once the database is back
    job = DBTaskResult.objects.get(pk=claimed.pk)
    assert job.status == TaskResultStatus.RUNNING and job.worker_ids == ["w-first", "w-second"]
    assert first.unsettled is None

    second.unsettled = job  # w-second's run cut short too: recorded as failed and retried …
    second.settle_own_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY and len(job.worker_ids) == 2
    second.unsettled = job
    second.settle_own_jobs()  # … once, however often it is settled
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY and len(job.worker_ids) == 2


def test_a_worker_queues_again_at_start_the_jobs_an_earlier_process_left_under_its_id(
    transactional_db,
):
    """`--worker-id w-fixed`: the process was killed with its job in hand and started again."""
    steady.enqueue(2, 3)
    assert worker("w-fixed", batch=True).claim_next() is not None  # then killed
    worker("w-fixed", max_jobs=1).run()
    job = DBTaskResult.objects.get(task_path__endswith=".steady")
    assert (job.status, job.return_value) == (TaskResultStatus.SUCCESSFUL, 5)
    assert job.worker_ids == ["w-fixed", "w-fixed"]


def test_the_wait_doubles_up_to_its_cap_shortened_at_random():
    longest = [jobs.reconnect_delay(n, jitter=lambda: 0.0) for n in range(1, 9)]
    assert longest == [1, 2, 4, 8, 16, 30, 30, 30]
    shortest = [jobs.reconnect_delay(n, jitter=lambda: 1.0) for n in range(1, 9)]
    assert shortest == [0.75 * s for s in longest]
    assert jobs.reconnect_delay(10_000) <= jobs.RECONNECT_MAX  # no overflow, still capped
