"""A task nobody was responsible for goes to whoever is granted the role later: at once, by the
job a new grant queues, and in any case at the next outreach scan, which also passes on the
open tasks of a worker who no longer holds the role there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from linli.accounts import services as account_services
from linli.accounts.models import Grant
from linli.core import jobs
from linli.core.models import AuditRecord
from linli.hall.models import OutreachTask
from linli.hall.outreach import selectors
from linli.hall.outreach import services as outreach

from .. import factories as f
from .test_outreach import build_outreach, make_item
from .test_outreach import w as w  # noqa: F401 — the fixture, shared

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
SHARED = {"w": build_outreach}  # built once for the module (tests/sharing.py)


@pytest.fixture
def orphan(w):  # noqa: F811
    """李四's household in 营辉社区 is eligible for 低保复核; the community's only worker left
    before the scan, so the task has nobody."""
    item = make_item("DB-02", "低保复核", {"household_tag": "低保"})
    Grant.objects.filter(user=w.users.cw_other).update(ends_on=YESTERDAY)
    outreach.scan()
    task = OutreachTask.objects.get(item=item)
    assert task.household == w.student and task.assignee is None
    return task


def newcomer(username: str = "新社工"):
    return account_services.user_create(
        actor=None, username=username, password="x", display_name="周新", check_password=False
    )


def grant(user, role, area):
    return account_services.grant_create(actor=None, user=user, role=role, area=area)


def test_granting_the_role_gives_the_waiting_tasks_to_the_new_worker(
    w,  # noqa: F811
    orphan,
    django_capture_on_commit_callbacks,
):
    worker = newcomer()
    with django_capture_on_commit_callbacks(execute=True):
        grant(worker, "community_worker", w.yinghui)
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "linli.hall.tasks.assign_outreach_tasks"
    assert jobs.run_pending_jobs() == 1
    orphan.refresh_from_db()
    assert orphan.assignee == worker and orphan.version == 2
    assert [t.pk for t in selectors.task_list(user=worker, filters={"who": "mine"})] == [orphan.pk]
    [line] = selectors.task_timeline(task=orphan)
    assert (line.verb, line.text) == ("assigned", "Given to 周新, now responsible for the area")
    record = AuditRecord.objects.filter(object_type="services.outreachtask").latest("pk")
    assert record.changes == {"assigned": 1, "by_worker": {str(worker.pk): 1}}
    # Done once: the job run again (a retry) changes nothing.
    assert outreach.assign_tasks() == 0


def test_no_job_is_queued_where_no_task_waits(
    w,  # noqa: F811
    orphan,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        grant(newcomer("甲"), "community_worker", w.wenling)  # 文岭社区: nothing waits there
        grant(newcomer("乙"), "grid_worker", w.yingcun)  # another role than the item's
        grant(newcomer("丙"), "street_cadre", w.street)  # no outreach role
    assert not DBTaskResult.objects.exists()
    orphan.refresh_from_db()
    assert orphan.assignee is None


def test_the_next_scan_gives_them_out_anyway(w, orphan):  # noqa: F811
    worker = newcomer()
    grant(worker, "community_worker", w.yinghui)  # the job is never run
    result = outreach.scan()
    assert result.assigned == 1 and result.created == 0
    orphan.refresh_from_db()
    assert orphan.assignee == worker
    assert outreach.scan().assigned == 0


def test_a_grant_above_the_community_takes_them_too(w, orphan):  # noqa: F811
    worker = newcomer()
    grant(worker, "community_worker", w.street)
    assert outreach.assign_tasks(area=w.street) == 1
    orphan.refresh_from_db()
    assert orphan.assignee == worker


def test_a_grant_that_starts_later_takes_them_when_it_starts(w, orphan):  # noqa: F811
    worker = newcomer()
    account_services.grant_create(
        actor=None,
        user=worker,
        role="community_worker",
        area=w.yinghui,
        starts_on=timezone.localdate() + dt.timedelta(days=3),
    )
    assert outreach.assign_tasks() == 0
    later = timezone.localdate() + dt.timedelta(days=3)
    assert outreach.assign_tasks(today=later) == 1
    orphan.refresh_from_db()
    assert orphan.assignee == worker


def test_a_leavers_open_tasks_pass_on_closed_ones_stay(w):  # noqa: F811
    outreach.scan()
    task = OutreachTask.objects.get(item=w.loan)  # 刘志辉's, with 文岭社区's worker
    assert task.assignee == w.users.cw
    closed_item = make_item("GL-09", "高龄慰问", {"member": {"age_min": 80}})
    outreach.scan()
    closed = OutreachTask.objects.get(item=closed_item)
    outreach.task_record_outcome(actor=w.users.cw, task=closed, outcome="not_eligible")
    successor = newcomer()
    grant(successor, "community_worker", w.wenling)
    assert outreach.scan().assigned == 0  # the first worker still holds the role
    Grant.objects.filter(user=w.users.cw).update(ends_on=YESTERDAY)
    assert outreach.scan().assigned == 1
    task.refresh_from_db()
    closed.refresh_from_db()
    assert task.assignee == successor
    assert closed.assignee == w.users.cw  # a closed task keeps who closed it


def test_a_disabled_account_passes_its_tasks_on(w):  # noqa: F811
    outreach.scan()
    successor = newcomer()
    grant(successor, "community_worker", w.wenling)
    account_services.user_set_active(actor=None, user=w.users.cw, active=False)
    assert outreach.assign_tasks() == 1
    assert OutreachTask.objects.get(item=w.loan).assignee == successor


def test_with_nobody_to_take_them_tasks_keep_their_worker(w):  # noqa: F811
    outreach.scan()
    Grant.objects.filter(user=w.users.cw).update(ends_on=YESTERDAY)
    assert outreach.assign_tasks() == 0
    assert OutreachTask.objects.get(item=w.loan).assignee == w.users.cw


def test_a_grant_in_another_community_takes_nothing(w, orphan):  # noqa: F811
    grant(f.user_with("community_worker", w.wenling), "community_worker", w.wangjia)
    assert outreach.assign_tasks() == 0
    orphan.refresh_from_db()
    assert orphan.assignee is None
