"""`linli jobs list` and `linli jobs run NAME [--now]`: operators see each periodic job's
schedule, last run, next run and state, and run one out of turn — queued once however often
they ask, or run in place with its result printed; a wrong name or a failed run exits 1."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linli import cli
from linli.core import jobs, periodic
from linli.core.models import AuditRecord
from linli.hall.models import OutreachTask

from . import jobs_for_tests

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 28, 10, 0, 5, tzinfo=SHANGHAI)
SCAN = "services.scan_outreach"
SCAN_TASK = "linli.hall.tasks.scan_outreach"


def jobs_command(*args, language: str = "en") -> str:
    out = io.StringIO()
    with translation.override(language):
        call_command("jobs", *args, stdout=out)
    return out.getvalue()


def line_of(output: str, name: str) -> str:
    [line] = [row for row in output.splitlines() if row.startswith(name + " ")]
    return line


def test_list_shows_each_job_before_and_after_its_runs():
    with time_machine.travel(NOW, tick=False):
        before = jobs_command("list", language="zh-hans")
        names = [job.name for job in periodic.schedule()]
        assert {SCAN, "core.audit_checkpoint", "core.send_notifications"} <= set(names)
        for name in names:
            assert line_of(before, name).split()[-3:] == ["—", "现在", "未运行过"]
        assert "每天 01:30" in line_of(before, SCAN)
        assert "每 15 分钟" in line_of(before, "visits.refresh_coverage")
        assert "每分钟" in line_of(before, "core.send_notifications")
        periodic.tick()  # the workers' look at the schedule queues every slot
        assert jobs.run_pending_jobs() == len(names)
        after = jobs_command("list", language="zh-hans")
    scan = line_of(after, SCAN)
    assert "2026-11-28 10:00" in scan  # when it ran
    assert "2026-11-29 01:30" in scan  # its next slot
    assert scan.endswith("成功")
    assert "2026-11-28 10:15" in line_of(after, "visits.refresh_coverage")
    assert "状态" in after.splitlines()[0] and "下次运行" in after.splitlines()[0]


def test_list_says_when_a_run_failed_or_waits_for_its_retry():
    periodic.job_named(SCAN).task.enqueue()
    DBTaskResult.objects.update(
        status=TaskResultStatus.FAILED, exception_class_path="builtins.TimeoutError"
    )
    assert line_of(jobs_command("list"), SCAN).endswith("failed: TimeoutError")
    later = timezone.now() + dt.timedelta(minutes=5)
    DBTaskResult.objects.update(status=TaskResultStatus.READY, run_after=later)
    expected = f"to be tried again at {timezone.localtime(later):%Y-%m-%d %H:%M}"
    assert line_of(jobs_command("list"), SCAN).endswith(expected)


def test_run_queues_the_job_once_however_often_it_is_asked():
    first = jobs_command("run", SCAN)
    [queued] = DBTaskResult.objects.all()
    assert (queued.task_path, queued.status) == (SCAN_TASK, TaskResultStatus.READY)
    assert f"Queued {SCAN} (job {queued.pk})" in first
    second = jobs_command("run", SCAN)
    assert "already queued" in second and "not queued again" in second
    assert DBTaskResult.objects.count() == 1
    [record] = AuditRecord.objects.filter(object_id=str(queued.pk))
    assert record.object_repr == f"job {SCAN} queued by hand" and record.changes["job"] == SCAN
    assert jobs.run_pending_jobs() == 1  # a worker runs it
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    jobs_command("run", SCAN)  # done: asking again queues a new run
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


def test_run_brings_a_retry_forward_instead_of_queuing_another():
    periodic.job_named(SCAN).task.enqueue()
    DBTaskResult.objects.update(run_after=timezone.now() + dt.timedelta(hours=1))
    jobs_command("run", SCAN)
    [run] = DBTaskResult.objects.all()
    assert run.run_after <= timezone.now()


def test_run_now_runs_the_scan_here_and_prints_what_it_did():
    from tests.hall.test_eligibility import LIU_RULE, build_registry
    from tests.hall.test_outreach import make_item

    build_registry()
    make_item("JY-01", "助学贷款补助申请", LIU_RULE)
    output = jobs_command("run", SCAN, "--now")
    assert f"{SCAN} succeeded in" in output
    printed = json.loads(output[output.index("{") :])
    assert printed["created"] == 1 and printed["by_item"] == {"JY-01": [1, 1]}
    assert OutreachTask.objects.count() == 1
    [run] = DBTaskResult.objects.all()
    assert run.status == TaskResultStatus.SUCCESSFUL and run.return_value["created"] == 1
    assert run.worker_ids[0].endswith("-cli")
    assert line_of(jobs_command("list"), SCAN).endswith("succeeded")


def test_run_now_takes_the_run_already_queued():
    jobs_command("run", SCAN)
    jobs_command("run", SCAN, "--now")
    [run] = DBTaskResult.objects.all()
    assert run.status == TaskResultStatus.SUCCESSFUL


def test_run_now_does_not_start_a_job_that_is_running():
    periodic.job_named(SCAN).task.enqueue()
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["host-1"]
    )
    with pytest.raises(CommandError) as e:
        jobs_command("run", SCAN, "--now")
    assert e.value.returncode == 1
    assert DBTaskResult.objects.count() == 1
    assert "is running now" in jobs_command("run", SCAN)


def test_a_run_here_that_fails_exits_1_and_keeps_the_traceback(monkeypatch):
    periodic.schedule()
    monkeypatch.setattr(periodic, "_schedule", dict(periodic._schedule))
    periodic.register("test.broken", jobs_for_tests.broken_nightly, every=dt.timedelta(days=1))
    with pytest.raises(CommandError) as e:
        jobs_command("run", "test.broken", "--now")
    assert e.value.returncode == 1 and "test.broken failed" in str(e.value)
    [run] = DBTaskResult.objects.all()
    assert run.status == TaskResultStatus.FAILED
    assert "the gateway did not answer" in run.traceback


def test_an_unknown_job_is_named_and_exits_1(capsys, monkeypatch):
    monkeypatch.setattr(connections, "close_all", lambda: None)  # as the command line does
    with pytest.raises(SystemExit) as e:
        cli.main(["jobs", "run", "services.scan"])
    assert e.value.code == 1
    error = capsys.readouterr().err
    assert "There is no periodic job named “services.scan”" in error
    assert SCAN in error  # the names to choose from
    assert not DBTaskResult.objects.exists()


def test_the_command_is_in_the_usage():
    assert "jobs run NAME [--now]" in cli.usage() and "jobs list" in cli.usage()
