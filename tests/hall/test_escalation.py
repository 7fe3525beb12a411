"""Deadline escalation (hall/applications/escalation.py, hall/tasks.py): an overdue step's handler
— or, when nobody has taken it, the staff of its office — and the handler's supervisors are
notified once per step per day, whatever runs the job and however often."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django_tasks_db.models import DBTaskResult

from linli.accounts import services as account_services
from linli.core import jobs, workdays
from linli.core.models import AuditRecord, Notification, TimelineEvent
from linli.hall.applications.escalation import escalate_overdue
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import StepSpec
from linli.hall.models import Application, ApplicationStep, ServiceCategory
from linli.hall.tasks import escalate_overdue_steps
from linli.registry import services as registry_services

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 25)  # a Wednesday
ESCALATION = "services.escalate_overdue_steps"


def _org(name, kind, area, parent=None):
    return registry_services.organisation_create(
        actor=None, name=name, kind=kind, area=area, parent=parent
    )


def build_offices(world) -> SimpleNamespace:
    """The offices of the first street and community of `world`, two district departments, and
    their staff (besides world's community worker, street cadre and district leader)."""
    street, community = world.streets[0], world.communities[0]
    o = SimpleNamespace(world=world)
    o.civil = _org("峡山区民政局", "department", world.district)
    o.health = _org("峡山区卫健局", "department", world.district)
    o.street_office = _org(f"{street.name}办事处", "street_office", street)
    o.hall = _org(f"{community.name}便民服务大厅", "service_hall", community, o.street_office)
    other_street = world.streets[1]
    o.other_street_office = _org(f"{other_street.name}办事处", "street_office", other_street)
    o.other_hall = _org(
        "东朱社区便民服务大厅", "service_hall", world.communities[2], o.other_street_office
    )
    o.civil_staff = f.user_with("department_staff", world.district, organisation=o.civil)
    o.health_staff = f.user_with("department_staff", world.district, organisation=o.health)
    o.hall_worker_2 = f.user_with("community_worker", community)
    o.other_community_worker = f.user_with("community_worker", world.communities[1])
    o.other_street_cadre = f.user_with("street_cadre", other_street)
    category = ServiceCategory.objects.create(name="社会救助类", sort_order=1)
    o.item = catalogue.item_create(
        actor=None,
        code="MZ-DB",
        name="大病救助",
        category=category,
        mode="proxy",
        time_limit_days=15,
        route=[
            StepSpec("社区受理", "hall", 1),
            StepSpec("街道审核", "street", 3),
            StepSpec("区民政局审批", "department", 5, o.civil),
        ],
    )
    return o


def make_application(
    o, *, number: str, household=None, received: dt.date, state: str = "in_progress"
) -> Application:
    household = household or o.world.households[0]
    return Application.objects.create(
        number=number,
        item=o.item,
        item_version=o.item.current,
        resident=household.head,
        household=household,
        area=household.area,
        hall=o.hall,
        state=state,
        received_on=received,
        promised_days=15,
        due_on=workdays.add_working_days(received, 15).date,
    )


def make_step(
    application, office, *, order: int, kind: str, due: dt.date, handler=None, state="active"
) -> ApplicationStep:
    received = dt.datetime.combine(due - dt.timedelta(days=3), dt.time(9), tzinfo=SHANGHAI)
    return ApplicationStep.objects.create(
        application=application,
        order=order,
        name={"hall": "社区受理", "street": "街道审核", "department": "区民政局审批"}[kind],
        office_kind=kind,
        organisation=office,
        time_limit_days=3,
        state=state,
        handler=handler,
        received_at=received,
        due_on=due,
    )


@pytest.fixture(autouse=True)
def on_the_day():
    """The morning of TODAY, from before the world's accounts are made (grants start today)."""
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, tzinfo=SHANGHAI)):
        yield


@pytest.fixture
def offices(world):
    return build_offices(world)


def told(step) -> dict[str, str]:
    """Who was told about the step, and with which message (office / supervisor)."""
    rows = Notification.objects.filter(dedupe_key__startswith=f"escalate:{step.pk}:")
    return {
        row.recipient_user.username: "supervisor"
        if "For your attention" in row.message
        else "office"
        for row in rows.select_related("recipient_user")
    }


# --- who is told --------------------------------------------------------------------------------


def test_an_untaken_hall_step_goes_to_the_hall_staff_and_the_street_cadres(offices, world):
    application = make_application(offices, number="BJ001", received=dt.date(2026, 11, 16))
    step = make_step(application, offices.hall, order=1, kind="hall", due=dt.date(2026, 11, 24))
    report = escalate_overdue(today=TODAY)
    assert (report.steps, report.notifications) == (1, 3)
    assert told(step) == {
        world.users["community_worker"].username: "office",
        offices.hall_worker_2.username: "office",
        world.users["street_cadre"].username: "supervisor",
    }
    step.refresh_from_db()
    assert step.escalated_on == TODAY
    row = Notification.objects.get(recipient_user=world.users["street_cadre"])
    assert row.dedupe_key == f"escalate:{step.pk}:2026-11-25:{world.users['street_cadre'].pk}"
    assert row.params == {
        "step": "社区受理",
        "number": "BJ001",
        "item": "大病救助",
        "office": offices.hall.name,
        "due": "2026-11-24",
    }
    assert (row.subject_type, row.subject_id) == ("services.application", str(application.pk))
    event = TimelineEvent.objects.get(verb="escalated", object_id=application.pk)
    assert event.params == {"step": "社区受理", "due": "2026-11-24", "count": 3}
    trail = AuditRecord.objects.get(object_type="services.applicationstep", object_id=str(step.pk))
    assert trail.changes == {
        "before": {"escalated_on": None},
        "after": {"escalated_on": "2026-11-25"},
    }


def test_a_taken_street_step_goes_to_its_handler_and_the_district_leaders(offices, world):
    application = make_application(offices, number="BJ002", received=dt.date(2026, 11, 10))
    handler = world.users["street_cadre"]
    step = make_step(
        application,
        offices.street_office,
        order=2,
        kind="street",
        due=dt.date(2026, 11, 20),
        handler=handler,
    )
    escalate_overdue(today=TODAY)
    assert told(step) == {
        handler.username: "office",
        world.users["district_leader"].username: "supervisor",
    }


def test_a_department_step_goes_to_that_departments_staff_only(offices, world):
    application = make_application(offices, number="BJ003", received=dt.date(2026, 11, 2))
    step = make_step(
        application, offices.civil, order=3, kind="department", due=dt.date(2026, 11, 24)
    )
    escalate_overdue(today=TODAY)
    assert told(step) == {
        offices.civil_staff.username: "office",
        world.users["district_leader"].username: "supervisor",
    }  # not the health bureau's staff, not the street


def test_a_hall_with_no_street_cadre_goes_up_to_the_district(offices, world):
    household = world.households[4]  # in 东朱社区, under the second street
    account_services.grant_end(actor=None, grant=offices.other_street_cadre.grants.get())
    application = make_application(
        offices, number="BJ004", household=household, received=dt.date(2026, 11, 16)
    )
    step = make_step(
        application, offices.other_hall, order=1, kind="hall", due=dt.date(2026, 11, 23)
    )
    escalate_overdue(today=TODAY)
    assert told(step) == {world.users["district_leader"].username: "supervisor"}


def test_an_inactive_handler_is_replaced_by_the_office_staff(offices, world):
    application = make_application(offices, number="BJ005", received=dt.date(2026, 11, 2))
    step = make_step(
        application,
        offices.civil,
        order=3,
        kind="department",
        due=dt.date(2026, 11, 24),
        handler=offices.health_staff,
    )
    account_services.user_set_active(actor=None, user=offices.health_staff, active=False)
    escalate_overdue(today=TODAY)
    assert told(step) == {
        offices.civil_staff.username: "office",
        world.users["district_leader"].username: "supervisor",
    }


def test_steps_that_are_not_overdue_are_left_alone(offices):
    a = make_application(offices, number="BJ006", received=dt.date(2026, 11, 16))
    due_today = make_step(a, offices.hall, order=1, kind="hall", due=TODAY)
    done = make_step(
        a, offices.street_office, order=2, kind="street", due=dt.date(2026, 11, 2), state="done"
    )
    waiting = make_step(
        a, offices.civil, order=3, kind="department", due=dt.date(2026, 11, 2), state="waiting"
    )
    withdrawn = make_application(
        offices, number="BJ007", received=dt.date(2026, 11, 2), state="withdrawn"
    )
    make_step(withdrawn, offices.hall, order=1, kind="hall", due=dt.date(2026, 11, 3))
    report = escalate_overdue(today=TODAY)
    assert (report.steps, report.notifications) == (0, 0)
    assert not Notification.objects.exists()
    for step in (due_today, done, waiting):
        step.refresh_from_db()
        assert step.escalated_on is None


# --- once per step per day ---------------------------------------------------------------------


def test_running_twice_the_same_day_notifies_nobody_twice(offices):
    application = make_application(offices, number="BJ010", received=dt.date(2026, 11, 16))
    step = make_step(application, offices.hall, order=1, kind="hall", due=dt.date(2026, 11, 24))
    first = escalate_overdue(today=TODAY)
    second = escalate_overdue(today=TODAY)
    assert first.notifications == 3 and (second.steps, second.notifications) == (0, 0)
    # Even a step whose mark was lost (a restored backup) writes nothing new that day.
    ApplicationStep.objects.filter(pk=step.pk).update(escalated_on=None)
    third = escalate_overdue(today=TODAY)
    assert (third.steps, third.notifications) == (1, 0)
    assert Notification.objects.count() == 3
    # The next day it is escalated again.
    assert escalate_overdue(today=TODAY + dt.timedelta(days=1)).notifications == 3
    assert Notification.objects.count() == 6


def test_the_periodic_job_waits_for_the_working_day_and_runs_once(offices, world):
    application = make_application(offices, number="BJ011", received=dt.date(2026, 11, 16))
    step = make_step(application, offices.hall, order=1, kind="hall", due=dt.date(2026, 11, 24))
    with time_machine.travel(dt.datetime(2026, 11, 25, 6, 30, tzinfo=SHANGHAI), tick=False) as t:
        escalate_overdue_steps.enqueue()
        jobs.run_pending_jobs()
        result = DBTaskResult.objects.get()
        assert result.return_value["notifications"] == 0  # nobody is messaged at 06:30
        t.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
        escalate_overdue_steps.enqueue()
        escalate_overdue_steps.enqueue()  # a second worker's run, or a retry
        assert jobs.run_pending_jobs() == 2
    returns = sorted(
        r["notifications"] for r in DBTaskResult.objects.values_list("return_value", flat=True)
    )
    assert returns == [0, 0, 3]
    assert len(told(step)) == 3


def test_two_workers_escalating_at_once_notify_each_person_once(transactional_db, world):
    o = build_offices(world)
    steps = []
    for n in range(6):
        application = make_application(o, number=f"BJ1{n:02d}", received=dt.date(2026, 11, 16))
        steps.append(
            make_step(application, o.hall, order=1, kind="hall", due=dt.date(2026, 11, 24))
        )
    start = threading.Barrier(2)
    reports = {}

    def worker(n):
        try:
            start.wait(30)
            reports[n] = escalate_overdue(today=TODAY)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.steps for r in reports.values()) == 6
    assert sum(r.notifications for r in reports.values()) == 18
    assert Notification.objects.count() == 18  # 6 steps × 3 people, each once
    assert TimelineEvent.objects.filter(verb="escalated").count() == 6


# --- the outreach job -------------------------------------------------------------------------


def test_the_outreach_scan_job_runs_the_scan_and_is_on_the_schedule(world):
    from linli.core import periodic
    from linli.hall.tasks import scan_outreach

    scan_outreach.enqueue()
    scan_outreach.enqueue()  # twice: the second finds nothing new
    assert jobs.run_pending_jobs() == 2
    results = list(DBTaskResult.objects.values_list("status", "return_value"))
    assert [status for status, _value in results] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert all(value["households"] == len(world.households) for _status, value in results)
    names = {job.name for job in periodic.schedule()}
    assert {ESCALATION, "services.scan_outreach"} <= names
