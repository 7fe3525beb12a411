"""Background jobs (core/jobs.py): queued only when the work commits, run once, a failing job
recorded as failed without stopping the others, the embedded worker thread inside the serving
process, and `linli worker` for production."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.utils import translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linli import cli
from linli.core import jobs

from . import jobs_for_tests as t

ADD = "tests.core.jobs_for_tests.add"
FAIL = "tests.core.jobs_for_tests.fail"


def wait_for(predicate, timeout: float = 30.0):
    """Poll until `predicate()` is true (a thread's work is not instant); fail after `timeout`.

    SQLite's test database lives in memory, shared between threads with table locks that do
    not wait (the data file Linli runs on waits up to 20 s): a locked table means "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := predicate():
                return value
        except OperationalError as e:
            if "locked" not in str(e):
                raise
        time.sleep(0.05)
    pytest.fail(f"still waiting after {timeout} s")


def retrying(action) -> None:
    """Do `action()` from the test's thread while a worker thread may hold a table lock."""
    wait_for(lambda: action() or True)


def database_sessions() -> int | None:
    """Open connections to the test database (PostgreSQL; None on SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def linli(capsys, *args) -> tuple[int, str]:
    """`linli <args>` in this process, without closing the test's database connection and
    without setting Django up again (that would point logging at this test's captured output)."""
    with (
        translation.override("en"),
        mock.patch.object(connections, "close_all"),
        mock.patch("django.setup"),
    ):
        try:
            cli.main(list(args))
            status = 0
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    out = capsys.readouterr()
    return status, out.out + out.err


# --- queueing -----------------------------------------------------------------------------------


def test_a_job_is_queued_only_when_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue_on_commit(t.add, 2, b=3)
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1
    job = DBTaskResult.objects.get()
    assert (job.task_path, job.status) == (ADD, TaskResultStatus.READY)
    assert job.args_kwargs == {"args": [2], "kwargs": {"b": 3}}


def test_work_rolled_back_queues_nothing(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        jobs.enqueue_on_commit(t.add, 1, 1)
        raise RuntimeError("the service failed")
    assert callbacks == []
    assert not DBTaskResult.objects.exists()


def test_arguments_that_are_not_json_fail_at_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TypeError):
        jobs.enqueue_on_commit(t.add, object(), 1)
    assert callbacks == []


def test_a_refresh_waiting_in_the_queue_is_not_queued_twice(db, django_capture_on_commit_callbacks):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.enqueue_once_on_commit(t.add, 2, b=3)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_once_on_commit(t.add, 2, b=4)  # other arguments: a run of its own
    rows = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.args_kwargs for r in rows] == [
        {"args": [2], "kwargs": {"b": 3}},
        {"args": [2], "kwargs": {"b": 4}},
    ]


def test_a_refresh_already_running_does_not_stand_for_the_next(
    db, django_capture_on_commit_callbacks
):
    """A run that has started may have read the data before this commit: queue another."""
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_once_on_commit(t.add, 1, 1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_once_on_commit(t.add, 1, 1)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert DBTaskResult.objects.count() == 2


def test_a_refresh_rolled_back_queues_nothing(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        jobs.enqueue_once_on_commit(t.add, 1, 1)
        raise RuntimeError("the service failed")
    assert callbacks == []
    assert not DBTaskResult.objects.exists()


# --- running ------------------------------------------------------------------------------------


def test_run_pending_jobs_runs_each_job_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_on_commit(t.add, 2, 3)
    assert jobs.run_pending_jobs() == 1
    job = DBTaskResult.objects.get()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.return_value == 5
    assert len(job.worker_ids) == 1 and job.worker_ids[0].endswith("-batch")
    assert jobs.run_pending_jobs() == 0
    job.refresh_from_db()
    assert (job.status, len(job.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 1)


def test_max_jobs_leaves_the_rest_for_later(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            jobs.enqueue_on_commit(t.add, n, n)
    assert jobs.run_pending_jobs(max_jobs=2) == 2
    assert DBTaskResult.objects.ready().count() == 1
    assert jobs.run_pending_jobs() == 1
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [0, 2, 4]


def test_a_failing_job_is_recorded_and_the_next_one_still_runs(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_on_commit(t.fail, "no such household")
        # A lower priority: it runs after the failing one.
        jobs.enqueue_on_commit(t.add.using(priority=-1), 1, 2)
    assert jobs.run_pending_jobs() == 2
    failed = DBTaskResult.objects.get(task_path=FAIL)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "tests.core.jobs_for_tests.JobFailed"
    assert "no such household" in failed.traceback
    done = DBTaskResult.objects.get(task_path=ADD)
    assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, 3)
    assert failed.finished_at <= done.started_at
    assert jobs.run_pending_jobs() == 0  # a failed job is not run again by itself


def test_a_job_runs_as_a_system_action_named_after_the_job(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_on_commit(t.where_am_i)
    jobs.run_pending_jobs()
    job = DBTaskResult.objects.get()
    assert job.return_value == {
        "channel": "system",
        "address": job.worker_ids[0],
        "source": "job tests.core.jobs_for_tests.where_am_i",
    }


def test_worker_ids_are_host_and_process(db):
    import os
    import socket

    assert jobs.worker_id() == f"{socket.gethostname()}-{os.getpid()}"[-64:]
    with mock.patch("socket.gethostname", return_value="h" * 100):
        long = jobs.worker_id("embedded")
    assert len(long) == 64 and long.endswith(f"-{os.getpid()}-embedded")


# --- the embedded worker ------------------------------------------------------------------------


def test_the_embedded_worker_runs_jobs_queued_after_it_started(transactional_db):
    sessions = database_sessions()
    worker = jobs.start_embedded_worker(interval=0.1)
    try:
        assert jobs.start_embedded_worker() is worker  # one per process
        assert worker.daemon and worker.is_alive()
        retrying(lambda: jobs.enqueue_on_commit(t.fail, "first"))
        retrying(lambda: jobs.enqueue_on_commit(t.add.using(priority=-1), 20, 22))
        done = wait_for(lambda: DBTaskResult.objects.filter(task_path=ADD).finished().first())
        assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, 42)
        assert done.worker_ids[0].endswith("-embedded")
        failed = DBTaskResult.objects.get(task_path=FAIL)
        assert failed.status == TaskResultStatus.FAILED
        assert worker.is_alive()  # the failing job did not end the thread
    finally:
        worker.stop(timeout=30)
    assert not worker.is_alive()
    restarted = jobs.start_embedded_worker(interval=0.1)
    try:
        assert restarted is not worker and restarted.is_alive()
    finally:
        restarted.stop(timeout=30)
    assert not restarted.is_alive()
    wait_for(lambda: database_sessions() == sessions)  # the threads closed their connections


def test_the_embedded_worker_survives_a_failing_queue(transactional_db, caplog):
    """The database away for a moment: the thread logs it and tries again."""
    worker = jobs.EmbeddedWorker(interval=0.05)
    real_run = worker.worker.run
    calls = []

    def flaky_run():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real_run()

    worker.worker.run = flaky_run
    worker.start()
    try:
        retrying(lambda: jobs.enqueue_on_commit(t.add, 1, 1))
        done = wait_for(lambda: DBTaskResult.objects.filter(task_path=ADD).finished().first())
        assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, 2)
        assert len(calls) == 2
        assert "The job worker failed; trying again." in caplog.text
    finally:
        worker.stop(timeout=30)
    assert not worker.is_alive()


def test_serve_starts_the_embedded_worker_when_asked(db, settings):
    wsgi = SimpleNamespace(application=object())  # not the real one: it freezes the collector
    for embedded in (True, False):
        settings.LINLI_EMBEDDED_WORKER = embedded
        started = mock.Mock()
        with (
            mock.patch.dict(sys.modules, {"linli.wsgi": wsgi}),
            mock.patch("waitress.serve") as serve,
            mock.patch.object(jobs, "start_embedded_worker", return_value=started) as start,
        ):
            call_command("serve", "--port", "8765", stdout=mock.Mock())
        assert serve.call_args.args == (wsgi.application,)
        assert start.called is embedded
        assert started.stop.called is embedded  # stopped when serving ends


# --- linli worker -------------------------------------------------------------------------------


def test_linli_worker_is_listed_and_explains_itself(db, capsys):
    status, out = linli(capsys)
    assert status == 0 and "linli worker" in out
    status, out = linli(capsys, "worker", "--help")
    assert status == 0
    for option in ("--queue", "--interval", "--batch", "--max-jobs", "--worker-id"):
        assert option in out


def test_linli_worker_batch_runs_the_ready_jobs(
    transactional_db, capsys, django_capture_on_commit_callbacks
):
    import signal

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_on_commit(t.add, 1, 2)
        jobs.enqueue_on_commit(t.where_am_i)
    status, out = linli(capsys, "worker", "--batch", "--worker-id", "test-worker")
    assert status == 0, out
    assert "Worker test-worker ran 2 jobs." in out
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    context = DBTaskResult.objects.get(task_path__endswith="where_am_i").return_value
    assert context["channel"] == "system"  # not the command line: the worker runs jobs itself
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # given back


def test_linli_worker_refuses_bad_options(db, capsys):
    status, out = linli(capsys, "worker", "--max-jobs", "0")
    assert status == 2 and "--max-jobs" in out
    status, out = linli(capsys, "worker", "--batch", "--worker-id", "x" * 65)
    assert status == 1 and "64" in out
