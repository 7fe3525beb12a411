"""The periodic schedule (core/periodic.py): slots, queuing each slot once however many
workers tick at the same moment (real threads and transactions, on SQLite and PostgreSQL),
the workers that tick it, and the jobs Linli puts on it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from linli.core import jobs, periodic
from linli.core.models import PeriodicRun

SHANGHAI = ZoneInfo("Asia/Shanghai")
RAN: Counter = Counter()


@task()
def heartbeat() -> str:
    RAN["heartbeat"] += 1
    return "beat"


@task()
def nightly() -> str:
    RAN["nightly"] += 1
    return "night"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def schedule(monkeypatch):
    """A schedule of two test jobs instead of Linli's own."""
    periodic.schedule()  # Linli's own modules register theirs first, into the real schedule
    monkeypatch.setattr(periodic, "_schedule", {})
    RAN.clear()
    periodic.register("test.heartbeat", heartbeat, every=dt.timedelta(minutes=1))
    periodic.register(
        "test.nightly", nightly, every=dt.timedelta(days=1), at=dt.timedelta(hours=1, minutes=30)
    )
    return periodic


# --- slots ----------------------------------------------------------------------------------


def test_slots_are_cut_from_local_midnight():
    daily = periodic.PeriodicJob(
        "d", nightly, dt.timedelta(days=1), dt.timedelta(hours=1, minutes=30)
    )
    hourly = periodic.PeriodicJob("h", heartbeat, dt.timedelta(hours=1))
    minutely = periodic.PeriodicJob("m", heartbeat, dt.timedelta(minutes=1))
    assert daily.slot(at(2026, 11, 28, 1, 29)) == "2026-11-27T01:30"
    assert daily.slot(at(2026, 11, 28, 1, 30)) == "2026-11-28T01:30"
    assert daily.slot(at(2026, 11, 28, 23, 59)) == "2026-11-28T01:30"
    # 17:40 UTC is 01:40 the next day in Shanghai.
    assert daily.slot(dt.datetime(2026, 11, 27, 17, 40, tzinfo=dt.UTC)) == "2026-11-28T01:30"
    assert hourly.slot(at(2026, 11, 28, 10, 59, 59)) == "2026-11-28T10:00"
    assert minutely.slot(at(2026, 11, 28, 10, 17, 42)) == "2026-11-28T10:17"


def test_a_schedule_entry_must_make_sense(schedule):
    with pytest.raises(ValueError):
        periodic.register("x", heartbeat, every=dt.timedelta(seconds=30))
    with pytest.raises(ValueError):
        periodic.register("x", heartbeat, every=dt.timedelta(hours=1), at=dt.timedelta(hours=1))
    with pytest.raises(ValueError):
        periodic.register("x" * 101, heartbeat, every=dt.timedelta(hours=1))


def test_linli_puts_its_jobs_on_the_schedule():
    entries = {job.name: job for job in periodic.schedule()}
    assert entries["core.send_notifications"].every == dt.timedelta(minutes=1)
    assert entries["services.escalate_overdue_steps"].every == dt.timedelta(hours=1)
    assert entries["services.scan_outreach"].every == dt.timedelta(days=1)
    for job in entries.values():  # each may be retried, and so is written to be idempotent
        assert jobs.policy_for(job.task.module_path).attempts > 1


# --- ticking --------------------------------------------------------------------------------


def test_each_slot_is_queued_once(db, schedule):
    assert sorted(periodic.tick(at(2026, 11, 28, 10, 0, 5))) == ["test.heartbeat", "test.nightly"]
    assert periodic.tick(at(2026, 11, 28, 10, 0, 50)) == []  # the same slots
    assert periodic.tick(at(2026, 11, 28, 10, 1, 0)) == ["test.heartbeat"]  # the next minute
    runs = set(PeriodicRun.objects.values_list("name", "slot"))
    assert runs == {
        ("test.heartbeat", "2026-11-28T10:00"),
        ("test.heartbeat", "2026-11-28T10:01"),
        ("test.nightly", "2026-11-28T01:30"),
    }
    queued = Counter(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == {
        "tests.core.test_periodic.heartbeat": 2,
        "tests.core.test_periodic.nightly": 1,
    }
    run = PeriodicRun.objects.get(name="test.nightly")
    assert run.task_result_id == str(DBTaskResult.objects.get(task_path__endswith="nightly").pk)
    assert jobs.run_pending_jobs() == 3
    assert RAN == {"heartbeat": 2, "nightly": 1}


def test_a_missed_slot_is_not_made_up(db, schedule):
    periodic.tick(at(2026, 11, 25, 2, 0))
    periodic.tick(at(2026, 11, 28, 9, 0))  # the workers were stopped for three days
    slots = list(PeriodicRun.objects.filter(name="test.nightly").values_list("slot", flat=True))
    assert sorted(slots) == ["2026-11-25T01:30", "2026-11-28T01:30"]


def test_old_slots_are_forgotten(db, schedule):
    periodic.tick(at(2026, 11, 1, 10, 30))
    periodic.tick(at(2026, 11, 14, 10, 0))  # on the hour: prunes, but keeps fourteen days
    assert PeriodicRun.objects.filter(slot__startswith="2026-11-01").count() == 2
    periodic.tick(at(2026, 11, 15, 11, 0))
    assert not PeriodicRun.objects.filter(slot__startswith="2026-11-01").exists()
    assert PeriodicRun.objects.filter(slot__startswith="2026-11-15").count() == 2


def test_a_batch_run_does_not_tick_but_a_long_running_worker_does(db, schedule):
    with time_machine.travel(at(2026, 11, 28, 10, 0, 5), tick=False):
        assert jobs.run_pending_jobs() == 0
        assert not PeriodicRun.objects.exists()
        worker = jobs.make_worker(worker_id="host-c-7")
        assert worker.periodic
        worker.look_at_schedule()
        worker.look_at_schedule()  # again at once: the worker waits PERIODIC_TICK seconds
        assert PeriodicRun.objects.count() == 2
        worker.run_ready()
    assert RAN == {"heartbeat": 1, "nightly": 1}
    runs = DBTaskResult.objects.values_list("worker_ids", flat=True)
    assert all(ids == ["host-c-7"] for ids in runs)


def _in_thread(target, results: dict, key: str) -> threading.Thread:
    def run():
        try:
            results[key] = target()
        except Exception as e:  # reported by the assertions on `results`
            results[key] = e
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_workers_ticking_at_the_same_moment_queue_one_run(transactional_db, schedule):
    """Worker A has inserted the slot but not committed when worker B ticks: B sees no slot
    yet, tries to insert it, waits for A (the unique index on PostgreSQL, the write lock on
    SQLite), then finds it taken and queues nothing."""
    now = at(2026, 11, 28, 10, 0, 5)
    a_ticked, release = threading.Event(), threading.Event()
    results: dict = {}

    def worker_a():
        with transaction.atomic():
            queued = periodic.tick(now)
            a_ticked.set()
            release.wait(30)  # the transaction stays open while B ticks
        return queued

    def worker_b():
        assert a_ticked.wait(30)
        return periodic.tick(now)

    a = _in_thread(worker_a, results, "a")
    b = _in_thread(worker_b, results, "b")
    assert a_ticked.wait(30)
    time.sleep(0.5)
    assert b.is_alive()  # waiting for A's uncommitted slot
    release.set()
    a.join(30)
    b.join(30)
    assert sorted(results["a"]) == ["test.heartbeat", "test.nightly"]
    assert results["b"] == []
    assert PeriodicRun.objects.count() == 2
    assert DBTaskResult.objects.count() == 2


def test_many_workers_ticking_together_queue_each_slot_once(transactional_db, schedule):
    now = at(2026, 11, 28, 10, 0, 5)
    start = threading.Barrier(4)
    results: dict = {}

    def ticker():
        start.wait(30)
        return periodic.tick(now)

    threads = [_in_thread(ticker, results, f"w{i}") for i in range(4)]
    for thread in threads:
        thread.join(60)
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    queued = Counter(name for names in results.values() for name in names)
    assert queued == {"test.heartbeat": 1, "test.nightly": 1}
    assert PeriodicRun.objects.count() == 2 and DBTaskResult.objects.count() == 2


def test_the_embedded_worker_runs_the_schedule(transactional_db, schedule):
    with time_machine.travel(at(2026, 11, 28, 10, 0, 5), tick=False):
        worker = jobs.start_embedded_worker(interval=0.05)
        _wait_for_two_jobs(worker)
    assert RAN == {"heartbeat": 1, "nightly": 1}
    assert set(PeriodicRun.objects.values_list("name", flat=True)) == {
        "test.heartbeat",
        "test.nightly",
    }


def _wait_for_two_jobs(worker) -> None:
    try:
        deadline = time.monotonic() + 30
        done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
        while time.monotonic() < deadline and done.count() != 2:
            time.sleep(0.05)
    finally:
        worker.stop(timeout=30)
