"""Retries and lost workers (core/jobs.py): a job that raises is tried again after a growing
pause until its attempts are used up; a job left "running" by a worker that died is queued
again (or failed when it has had all its attempts); a job without a policy is tried once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from linli.core import jobs

TRIES: Counter = Counter()


class Flaky(Exception):
    pass


@jobs.retried(attempts=3, backoff=10, stale_after=60)
@task()
def flaky(key: str, failures: int) -> str:
    """Fails its first `failures` runs, then succeeds."""
    TRIES[key] += 1
    if TRIES[key] <= failures:
        raise Flaky(f"{key}: try {TRIES[key]} failed")
    return f"{key} done after {TRIES[key]} tries"


@task()
def once(key: str) -> str:
    """No policy: tried once."""
    TRIES[key] += 1
    raise Flaky(key)


@pytest.fixture(autouse=True)
def fresh_tries():
    TRIES.clear()


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


def job_of(path_end: str) -> DBTaskResult:
    return DBTaskResult.objects.get(task_path__endswith=path_end)


def test_a_crashing_job_is_retried_with_backoff_and_then_succeeds(db, clock):
    flaky.enqueue("a", 2)
    assert jobs.run_pending_jobs() == 1
    job = job_of(".flaky")
    assert job.status == TaskResultStatus.READY  # back in the queue …
    assert job.run_after == timezone.now() + dt.timedelta(seconds=10)  # … after a pause
    assert "a: try 1 failed" in job.traceback  # the last error stays visible
    assert jobs.run_pending_jobs() == 0  # not before its time
    clock.shift(dt.timedelta(seconds=10))
    assert jobs.run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY
    assert job.run_after == timezone.now() + dt.timedelta(seconds=20)  # the pause doubles
    clock.shift(dt.timedelta(seconds=20))
    assert jobs.run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.return_value == "a done after 3 tries"
    assert len(job.worker_ids) == 3 and job.traceback == ""
    assert DBTaskResult.objects.count() == 1  # one job, tried three times


def test_a_job_that_keeps_failing_stops_after_its_attempts(db, clock):
    flaky.enqueue("b", 10)
    for pause in (0, 10, 20):
        clock.shift(dt.timedelta(seconds=pause))
        assert jobs.run_pending_jobs() == 1
    job = job_of(".flaky")
    assert job.status == TaskResultStatus.FAILED
    assert "b: try 3 failed" in job.traceback
    clock.shift(dt.timedelta(hours=2))
    assert jobs.run_pending_jobs() == 0
    assert TRIES["b"] == 3


def test_a_job_without_a_policy_is_tried_once(db, clock):
    once.enqueue("c")
    assert jobs.run_pending_jobs() == 1
    clock.shift(dt.timedelta(hours=2))
    assert jobs.run_pending_jobs() == 0
    assert job_of(".once").status == TaskResultStatus.FAILED and TRIES["c"] == 1


def test_the_pause_grows_to_its_limit():
    policy = jobs.RetryPolicy(attempts=10, backoff=30, max_backoff=300)
    assert [policy.delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    with pytest.raises(ValueError):
        jobs.retried(attempts=0)


def _claimed_by_a_worker_that_dies() -> DBTaskResult:
    """A worker claims the job (marks it running), then its process is killed."""
    dead = jobs.make_worker(worker_id="host-a-4242", batch=True)
    job = dead.claim_next()
    assert job is not None and job.status == TaskResultStatus.RUNNING
    return job


def test_a_job_left_running_by_a_dead_worker_is_queued_again(db, clock):
    flaky.enqueue("d", 0)
    job = _claimed_by_a_worker_that_dies()
    assert jobs.run_pending_jobs() == 0  # running: nobody else takes it
    clock.shift(dt.timedelta(seconds=59))
    assert jobs.recover_lost_jobs() == 0  # not yet stale: it may still be running
    clock.shift(dt.timedelta(seconds=2))
    assert jobs.recover_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY
    assert jobs.run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.worker_ids[0] == "host-a-4242" and job.worker_ids[1].endswith("-batch")
    assert jobs.recover_lost_jobs() == 0


def test_a_lost_job_that_had_all_its_attempts_is_failed(db, clock):
    flaky.enqueue("e", 10)
    for pause in (0, 10):  # two tries fail …
        clock.shift(dt.timedelta(seconds=pause))
        jobs.run_pending_jobs()
    clock.shift(dt.timedelta(seconds=20))
    job = _claimed_by_a_worker_that_dies()  # … and the worker of the third dies
    clock.shift(dt.timedelta(minutes=5))
    assert jobs.recover_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "linli.core.jobs.WorkerLost"
    assert "host-a-4242 stopped while running this job (attempt 3 of 3)" in job.traceback
    assert jobs.run_pending_jobs() == 0


def test_a_lost_job_without_a_policy_fails_after_an_hour(db, clock):
    once.enqueue("f")
    job = _claimed_by_a_worker_that_dies()
    clock.shift(dt.timedelta(minutes=59))
    assert jobs.recover_lost_jobs() == 0
    clock.shift(dt.timedelta(minutes=2))
    assert jobs.recover_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED and TRIES["f"] == 0


def test_the_worker_loop_recovers_lost_jobs_when_it_looks_at_the_schedule(db, clock, monkeypatch):
    from linli.core import periodic

    periodic.schedule()  # Linli's own modules register theirs first, into the real schedule
    monkeypatch.setattr(periodic, "_schedule", {})  # nothing periodic: only the recovery
    flaky.enqueue("g", 0)
    job = _claimed_by_a_worker_that_dies()
    clock.shift(dt.timedelta(minutes=2))
    worker = jobs.make_worker(worker_id="host-b-1", batch=True, periodic=True)
    worker.look_at_schedule()  # what `run()` does between jobs, every PERIODIC_TICK seconds
    worker.run_ready()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.worker_ids == ["host-a-4242", "host-b-1"]
