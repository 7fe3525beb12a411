"""Worker heartbeats (core/heartbeat.py): every long-running worker beats; a job left
"running" by a worker that stopped beating is queued again at the next look at the schedule,
whatever its own time limit, within its attempts; a beating worker's job is left alone however
long it runs; a worker that stops cleanly deletes its row; `linli jobs list` shows them."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from linli.core import heartbeat, jobs, periodic
from linli.core.models import WorkerHeartbeat

from . import jobs_for_tests as t
from .test_jobs import linli, wait_for

LONG = 3 * 3600  # the job's own limit: three hours, like the outreach scan's


@jobs.retried(attempts=2, backoff=0, stale_after=LONG)
@task()
def long_scan(key: str) -> str:
    return f"{key} scanned"


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def no_periodic_jobs(monkeypatch):
    periodic.schedule()  # Linli's own modules register theirs first, into the real schedule
    monkeypatch.setattr(periodic, "_schedule", {})  # nothing periodic: only the recovery


def claimed_by(worker_id: str) -> DBTaskResult:
    job = jobs.make_worker(worker_id=worker_id, batch=True).claim_next()
    assert job is not None and job.status == TaskResultStatus.RUNNING
    return job


def beat(worker_id: str) -> None:
    heartbeat.beat(worker_id, started_at=timezone.now())


def looking_worker(worker_id: str):
    """A worker that has reached the database for long enough to judge the others' beats."""
    worker = jobs.make_worker(worker_id=worker_id, batch=True, periodic=True)
    worker.connected_since = time.monotonic() - 3600
    return worker


def test_a_job_of_a_worker_that_stopped_beating_is_queued_again_at_the_next_look(
    db, clock, no_periodic_jobs
):
    long_scan.enqueue("a")
    job = claimed_by("host-a-1")
    beat("host-a-1")  # … then the process is killed: no more beats
    clock.shift(dt.timedelta(seconds=60))
    assert jobs.recover_lost_jobs() == 0  # silent for the limit, not longer: still alive
    clock.shift(dt.timedelta(seconds=15))  # the next look, 75 s after the last beat
    survivor = looking_worker("host-b-1")
    survivor.look_at_schedule()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY  # not three hours later: now
    assert not WorkerHeartbeat.objects.filter(pk="host-a-1").exists()  # forgotten
    survivor.run_ready()
    job.refresh_from_db()
    assert (job.status, job.return_value) == (TaskResultStatus.SUCCESSFUL, "a scanned")
    assert job.worker_ids == ["host-a-1", "host-b-1"]


def test_a_job_of_a_beating_worker_is_left_running_past_its_time_limit(db, clock):
    long_scan.enqueue("b")
    job = claimed_by("host-a-2")
    for _ in range(4 * 60):  # four hours of beats every minute
        clock.shift(dt.timedelta(seconds=60))
        beat("host-a-2")
        assert jobs.recover_lost_jobs() == 0
    job.refresh_from_db()
    assert job.status == TaskResultStatus.RUNNING and job.worker_ids == ["host-a-2"]
    assert WorkerHeartbeat.objects.filter(pk="host-a-2").exists()


def test_a_lost_job_that_had_all_its_attempts_is_failed(db, clock):
    long_scan.enqueue("c")
    claimed_by("host-a-3")  # the first try's worker is killed …
    beat("host-a-3")
    clock.shift(dt.timedelta(minutes=2))
    assert jobs.recover_lost_jobs() == 1
    job = claimed_by("host-a-4")  # … and so is the second's
    beat("host-a-4")
    clock.shift(dt.timedelta(minutes=2))
    assert jobs.recover_lost_jobs() == 1
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "linli.core.jobs.WorkerLost"
    assert "host-a-4 stopped while running this job (attempt 2 of 2)" in job.traceback
    assert "stopped beating" in job.traceback
    assert jobs.run_pending_jobs() == 0  # not tried a third time


def test_a_worker_just_back_from_an_outage_waits_before_judging_the_others(
    db, clock, no_periodic_jobs
):
    """After an outage every beat is old: the live workers need a moment to beat again."""
    long_scan.enqueue("d")
    job = claimed_by("host-a-5")
    beat("host-a-5")
    clock.shift(dt.timedelta(minutes=5))
    back = jobs.make_worker(worker_id="host-b-2", batch=True, periodic=True)
    back.connected_since = time.monotonic()  # it has just reached the database again
    back.look_at_schedule()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.RUNNING
    looking_worker("host-b-3").look_at_schedule()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY


def test_a_worker_beats_while_it_runs_and_deletes_its_row_when_it_stops(transactional_db):
    with heartbeat.beating("w-beats", interval=0.05):
        first = wait_for(lambda: WorkerHeartbeat.objects.filter(pk="w-beats").first())
        assert first.pid > 0 and first.host
        wait_for(lambda: WorkerHeartbeat.objects.get(pk="w-beats").last_beat > first.last_beat)
        WorkerHeartbeat.objects.filter(pk="w-beats").delete()  # taken for dead by another …
        wait_for(lambda: WorkerHeartbeat.objects.filter(pk="w-beats").exists())  # … it beats on
    assert not WorkerHeartbeat.objects.filter(pk="w-beats").exists()


def test_linli_worker_is_listed_while_it_runs_a_job_and_not_after(transactional_db, capsys):
    t.workers_beating.enqueue()
    status, out = linli(capsys, "worker", "--batch", "--worker-id", "w-command")
    assert status == 0, out
    job = DBTaskResult.objects.get(task_path__endswith="workers_beating")
    assert job.return_value == ["w-command"]  # its row was there while the job ran
    assert not WorkerHeartbeat.objects.exists()  # and gone once it stopped


def test_the_embedded_worker_beats(transactional_db):
    worker = jobs.start_embedded_worker(interval=0.05)
    try:
        beating = wait_for(lambda: WorkerHeartbeat.objects.first())
        assert beating.worker_id == worker.worker.worker_id
        assert beating.worker_id.endswith("-embedded")
    finally:
        worker.stop(timeout=30)
    assert not WorkerHeartbeat.objects.exists()


def jobs_list(language: str = "en") -> str:
    out = io.StringIO()
    with translation.override(language):
        call_command("jobs", "list", stdout=out)
    return out.getvalue()


def test_jobs_list_shows_the_workers_and_their_last_beat(db, clock):
    assert "No worker is running" in jobs_list()
    beat("web1-4711-embedded")
    beat("job1-812")
    clock.shift(dt.timedelta(seconds=50))
    beat("job1-812")
    clock.shift(dt.timedelta(seconds=20))
    out = jobs_list()
    [silent] = [line for line in out.splitlines() if line.startswith("web1-4711-embedded ")]
    [live] = [line for line in out.splitlines() if line.startswith("job1-812 ")]
    assert "70 s ago" in silent and "silent: taken for stopped" in silent
    assert "20 s ago" in live and live.endswith("running")
    assert "上次心跳" in jobs_list("zh-hans")
