"""Deadlines already set move with the calendar: a step received in December 2026 whose limit
reaches into 2027 is provisional (Monday to Friday counted); when the administrator enters
2027's New Year's Day its due date moves, and when the arrangement is marked as entered the
warning goes — in the records and on the page (partials/due.html)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django_tasks_db.models import DBTaskResult

from linli.core import jobs, workdays
from linli.core.models import AuditRecord, TimelineEvent
from linli.hall.models import ApplicationStep
from linli.hall.tasks import refresh_deadlines
from tests.hall.test_escalation import build_offices, make_application

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
WARNING = "provisional: holidays not yet published"
# Each change of the calendar queues one job per module that keeps deadlines: the hall's and the
# appeals' (`workdays.when_calendar_changes`).
DEADLINE_JOBS = 2


@pytest.fixture(autouse=True)
def end_of_december():
    with time_machine.travel(dt.datetime(2026, 12, 28, 9, tzinfo=SHANGHAI)):
        yield


@pytest.fixture
def case(world):
    workdays.calendar_seed(years=[2026])
    offices = build_offices(world)
    application = make_application(offices, number="BJ2026120001", received=D(2026, 12, 21))
    step = ApplicationStep.objects.create(
        application=application,
        order=2,
        name="街道审核",
        office_kind="street",
        organisation=offices.street_office,
        time_limit_days=5,
        state="active",
        received_at=dt.datetime(2026, 12, 28, 9, tzinfo=SHANGHAI),
        **dict(zip(("due_on", "due_assumed"), _deadline(D(2026, 12, 28), 5), strict=True)),
    )
    return application, step, world.users["administrator"]


def _deadline(start, days):
    deadline = workdays.add_working_days(start, days)
    return deadline.date, deadline.assumed


def due_html(record) -> str:
    return render_to_string(
        "partials/due.html",
        {
            "due": record.due_on,
            "assumed": record.due_assumed,
            "open": True,
            "today": D(2026, 12, 28),
        },
    )


def test_deadlines_move_when_2027_is_entered_and_stop_warning_when_it_is_published(
    case, django_capture_on_commit_callbacks
):
    application, step, admin = case
    application.due_on, application.due_assumed = _deadline(D(2026, 12, 21), 15)
    application.save()
    assert (step.due_on, step.due_assumed) == (D(2027, 1, 4), True)
    assert (application.due_on, application.due_assumed) == (D(2027, 1, 11), True)
    assert WARNING in due_html(step)

    with django_capture_on_commit_callbacks(execute=True):
        workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 1, 1), working=False, name="元旦"
        )
    assert jobs.run_pending_jobs() == DEADLINE_JOBS
    step.refresh_from_db()
    application.refresh_from_db()
    assert (step.due_on, step.due_assumed) == (D(2027, 1, 5), True)  # moved, still provisional
    assert (application.due_on, application.due_assumed) == (D(2027, 1, 12), True)
    lines = [e.text for e in TimelineEvent.objects.filter(verb="deadline_moved").order_by("id")]
    assert lines == [
        "Deadline moved from 2027-01-11 to 2027-01-12: the working-day calendar changed",
        "Deadline of step “街道审核” moved from 2027-01-04 to 2027-01-05: the working-day "
        "calendar changed",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        workdays.calendar_year_publish(actor=admin, year=2027, source="国办发明电〔2026〕7号")
    assert jobs.run_pending_jobs() == DEADLINE_JOBS
    step.refresh_from_db()
    application.refresh_from_db()
    assert (step.due_on, step.due_assumed) == (D(2027, 1, 5), False)
    assert (application.due_on, application.due_assumed) == (D(2027, 1, 12), False)
    assert WARNING not in due_html(step) and "2027-01-05" in due_html(step)
    assert TimelineEvent.objects.filter(verb="deadline_moved").latest("id").text == (
        "Deadline 2027-01-12 confirmed: the official holidays of the years it reaches are now "
        "entered"
    )
    trail = AuditRecord.objects.filter(
        object_type="services.applicationstep", object_id=str(step.pk)
    )
    assert [r.changes["after"] for r in trail.order_by("pk")] == [
        {"due_on": "2027-01-05", "due_assumed": True},
        {"due_on": "2027-01-05", "due_assumed": False},
    ]


def test_moving_deadlines_twice_has_the_effect_of_moving_them_once(case):
    application, step, admin = case
    workdays.calendar_day_create(
        actor=admin, year=2027, date=D(2027, 1, 1), working=False, name="元旦"
    )
    change = {"changed": {"2027-01-01": None}, "years": [2027]}
    refresh_deadlines.enqueue(**change)
    refresh_deadlines.enqueue(**change)
    assert jobs.run_pending_jobs() == 2
    returns = [r["steps"] for r in DBTaskResult.objects.values_list("return_value", flat=True)]
    assert sorted(returns) == [0, 1]
    step.refresh_from_db()
    assert step.due_on == D(2027, 1, 5)
    assert TimelineEvent.objects.filter(verb="deadline_moved", data__step=step.pk).count() == 1


def test_a_removed_holiday_brings_a_deadline_back(case, django_capture_on_commit_callbacks):
    application, step, admin = case
    with django_capture_on_commit_callbacks(execute=True):
        day = workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 1, 1), working=False, name="元旦"
        )
    jobs.run_pending_jobs()
    with django_capture_on_commit_callbacks(execute=True):
        workdays.calendar_day_delete(actor=admin, day=day)
    jobs.run_pending_jobs()
    step.refresh_from_db()
    assert step.due_on == D(2027, 1, 4)
