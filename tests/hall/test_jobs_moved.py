"""Jobs queued before the service hall's code moved from `linli.services` to `linli.hall`: the
migration points their rows at the new dotted path, so they still run after the upgrade, and
points them back when it is reversed. Other modules' jobs are left as they are."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from linli.hall import tasks

moving = importlib.import_module("linli.hall.migrations.0005_queued_jobs_follow_the_hall")

pytestmark = pytest.mark.django_db


def _queued(task_path: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )


def _path(job: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=job.pk).task_path


def test_a_job_queued_under_the_old_path_runs_the_hall_job_after_the_move():
    escalation = _queued("linli.services.tasks.escalate_overdue_steps")
    scan = _queued("linli.services.tasks.scan_outreach")
    other = _queued("linli.visits.tasks.refresh_visit_states")

    moving.forwards(apps, None)

    assert _path(escalation) == "linli.hall.tasks.escalate_overdue_steps"
    assert _path(scan) == "linli.hall.tasks.scan_outreach"
    assert _path(other) == "linli.visits.tasks.refresh_visit_states"
    job = DBTaskResult.objects.get(pk=escalation.pk)
    assert job.task.func is tasks.escalate_overdue_steps.func

    moving.forwards(apps, None)  # run again: nothing more changes
    assert _path(escalation) == "linli.hall.tasks.escalate_overdue_steps"


def test_reversing_the_migration_points_the_jobs_back():
    job = _queued("linli.hall.tasks.refresh_deadlines")
    other = _queued("linli.visits.tasks.refresh_coverage")

    moving.backwards(apps, None)

    assert _path(job) == "linli.services.tasks.refresh_deadlines"
    assert _path(other) == "linli.visits.tasks.refresh_coverage"
