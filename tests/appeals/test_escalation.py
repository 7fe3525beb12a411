"""Escalation 超时上报 (appeals/escalation.py, appeals/tasks.py): an appeal past its tier's time
limit is handed up once by the periodic job, whatever runs it and however often; the next tier
and the supervisors are told; the timeline says why. At the top, with no tier above, the people
concerned are told once. The calendar's changes move the steps' deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from linli.appeals import services
from linli.appeals.escalation import escalate_overdue
from linli.appeals.models import AppealStep
from linli.appeals.tasks import escalate_overdue_appeals, refresh_appeal_deadlines
from linli.core import jobs, periodic, workdays
from linli.core.models import AuditRecord, Notification, TimelineEvent

from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}
DUE = dt.date(2026, 11, 30)  # a sanitation appeal raised on WORLD_CLOCK, at the village
AFTER = dt.date(2026, 12, 1)  # the first day it is overdue


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


def _at(clock, day: dt.date, hour: int = 10) -> None:
    clock.move_to(dt.datetime.combine(day, dt.time(hour, 0), tzinfo=h.SHANGHAI))


def _told(appeal) -> dict[str, str]:
    rows = Notification.objects.filter(subject_id=str(appeal.pk), recipient_user__isnull=False)
    return {row.recipient_user.username: row.message for row in rows}


def test_nothing_is_overdue_on_the_due_day(a, clock):
    appeal = h.raise_appeal(a)
    _at(clock, DUE)
    report = escalate_overdue(today=DUE)
    assert (report.handed_up, report.notifications) == (0, 0)
    assert h.fresh(appeal).tier == "village"


def test_an_overdue_appeal_is_handed_up_once_and_the_timeline_says_why(a, clock):
    appeal = h.raise_appeal(a)
    services.appeal_take(actor=a.users["village_cadre"], appeal=appeal)
    _at(clock, AFTER)
    report = escalate_overdue(today=AFTER)
    assert (report.handed_up, report.overdue_at_top) == (1, 0)
    again = escalate_overdue(today=AFTER)  # a second worker, a retry
    assert (again.handed_up, again.notifications) == (0, 0)
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.tier, appeal.tier_area, appeal.handler) == (
        "waiting",
        "community",
        a.community,
        None,
    )
    assert appeal.due_on == dt.date(2026, 12, 8)  # the community's five days, from 1 December
    steps = list(AppealStep.objects.filter(appeal=appeal).order_by("order"))
    assert [(s.tier, s.outcome) for s in steps] == [("village", "escalated"), ("community", "")]
    assert steps[0].handler == a.users["village_cadre"]
    # The community is told it arrived; the street cadre supervises the village's tier.
    told = _told(appeal)
    community, street = a.users["community_worker"], a.users["street_cadre"]
    assert set(told) == {community.username, street.username}
    assert told[community.username].startswith("Appeal %(number)s")
    assert told[street.username].startswith("For your attention")
    line = TimelineEvent.objects.filter(object_id=appeal.pk, verb="escalated").get()
    assert line.params == {"place": "文岭一村", "next": "文岭社区", "due": "2026-11-30", "count": 2}
    assert line.actor is None
    assert (
        AuditRecord.objects.filter(object_type="appeals.appeal", object_id=str(appeal.pk))
        .filter(action="update")
        .exists()
    )


def test_overdue_again_at_the_community_goes_to_the_street_and_the_district(a, clock):
    appeal = h.raise_appeal(a, area=a.community)  # community, due 2 December
    _at(clock, dt.date(2026, 12, 3))
    escalate_overdue(today=dt.date(2026, 12, 3))
    appeal = h.fresh(appeal)
    assert (appeal.tier, appeal.tier_area) == ("street", a.street)
    told = _told(appeal)
    # The street cadre is told as the next tier's handler; the district leaders supervise.
    assert set(told) == {a.users["street_cadre"].username, a.users["district_leader"].username}


def test_at_the_top_the_people_concerned_are_told_once(a, clock):
    appeal = h.raise_appeal(a, category=a.categories.policy)  # the department, five days
    services.appeal_take(actor=a.users["housing_staff"], appeal=appeal)
    day = dt.date(2026, 12, 3)
    _at(clock, day)
    report = escalate_overdue(today=day)
    assert (report.handed_up, report.overdue_at_top, report.notifications) == (0, 1, 2)
    _at(clock, day + dt.timedelta(days=1))
    assert escalate_overdue(today=day + dt.timedelta(days=1)).notifications == 0
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.tier) == ("taken", "department")
    assert set(_told(appeal)) == {
        a.users["housing_staff"].username,
        a.users["district_leader"].username,
    }
    step = AppealStep.objects.get(appeal=appeal)
    assert step.overdue_told_on == day and step.ended_at is None
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="overdue").count() == 1


def test_a_settled_appeal_is_not_escalated(a, clock):
    appeal = h.raise_appeal(a)
    services.appeal_settle(actor=a.users["village_cadre"], appeal=appeal, what_was_done="已处理")
    _at(clock, AFTER)
    assert escalate_overdue(today=AFTER).handed_up == 0
    assert h.fresh(appeal).state == "settled"


def test_the_job_twice_hands_up_once_and_is_on_the_schedule(a, clock):
    appeal = h.raise_appeal(a)
    _at(clock, AFTER, hour=7)
    escalate_overdue_appeals.enqueue()
    assert jobs.run_pending_jobs() == 1  # before 08:00 it leaves the day's work for later
    assert h.fresh(appeal).tier == "village"
    _at(clock, AFTER, hour=9)
    escalate_overdue_appeals.enqueue()
    escalate_overdue_appeals.enqueue()  # a second worker's run, or a retry
    assert jobs.run_pending_jobs() == 2
    results = [r for r in DBTaskResult.objects.values_list("return_value", flat=True) if r]
    assert sorted(r.get("handed_up", 0) for r in results) == [0, 0, 1]
    assert AppealStep.objects.filter(appeal=appeal).count() == 2
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="escalated").count() == 1
    names = {job.name for job in periodic.schedule()}
    assert "appeals.escalate_overdue_appeals" in names


def test_a_calendar_change_moves_an_open_steps_deadline(
    a, clock, django_capture_on_commit_callbacks
):
    appeal = h.raise_appeal(a)  # due Monday 30 November
    assert appeal.due_on == DUE
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workdays.calendar_day_create(
            actor=None, year=2026, date=dt.date(2026, 11, 27), working=False, name="临时休息日"
        )
    queued = {c.func.__self__.module_path for c in callbacks if hasattr(c.func, "__self__")}
    assert "linli.appeals.tasks.refresh_appeal_deadlines" in queued
    change = {"changed": {"2026-11-27": None}, "years": [2026]}
    assert refresh_appeal_deadlines.call(**change) == {"steps": 1}
    assert refresh_appeal_deadlines.call(**change) == {"steps": 0}  # moving twice moves once
    appeal = h.fresh(appeal)
    assert appeal.due_on == dt.date(2026, 12, 1)
    assert AppealStep.objects.get(appeal=appeal).due_on == dt.date(2026, 12, 1)
    line = TimelineEvent.objects.filter(object_id=appeal.pk, verb="deadline_moved").get()
    assert line.params == {"place": "文岭一村", "before": "2026-11-30", "after": "2026-12-01"}
