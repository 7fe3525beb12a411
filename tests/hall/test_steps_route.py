"""A proxy application's route 办理流程: each step at its office, deadlines in working days
across the 2026 National Day holiday, returns to the same step, rejection, and who may act."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from linli.core.models import Notification
from linli.core.scoping import OutOfScope
from linli.hall.applications import offices, services
from linli.hall.models import Application, ApplicationStep

from .. import factories as f
from . import app_helpers as h

# The module's tests run with the clock stopped here, and their world is built at that time.
WORLD_CLOCK = h.BEFORE_NATIONAL_DAY


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(clock, shared):
    # The clock is set first: grants start on the (travelled) day the world is built.
    return shared("hall")


def _move_to(clock, day: dt.date) -> None:
    clock.move_to(dt.datetime.combine(day, dt.time(10, 0), tzinfo=h.SHANGHAI))


def test_deadlines_count_working_days_across_national_day(hall):
    app = h.take(hall, hall.items.illness)  # received Monday 28 September 2026
    assert app.received_on == dt.date(2026, 9, 28)
    # 29, 30 Sep; 8, 9, 10 (make-up Saturday), 12–16, 19–23 Oct: the 15th is 23 October.
    assert app.due_on == dt.date(2026, 10, 23) and not app.due_assumed
    assert h.active_step(app).due_on == dt.date(2026, 9, 29)  # one working day at the hall


def test_zhang_binglis_illness_application_finishes_on_working_day_ten(hall, clock):
    """The source's story: promised 15 working days, a holiday inside, done on day 10."""
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker", "材料齐全")
    step = h.active_step(app)
    assert step.organisation == hall.street_office
    assert step.due_on == dt.date(2026, 10, 8)  # three working days from 28 Sep, after the holiday
    _move_to(clock, dt.date(2026, 10, 9))
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)
    assert step.organisation == hall.departments["health"]
    assert step.received_at.date() == dt.date(2026, 10, 9)
    assert step.due_on == dt.date(2026, 10, 14)  # 10 (a worked Saturday), 12, 13, 14
    _move_to(clock, dt.date(2026, 10, 13))
    h.approve(hall, app, "health_staff")
    _move_to(clock, dt.date(2026, 10, 16))
    h.approve(hall, app, "civil_staff", "同意救助")
    app.refresh_from_db()
    assert app.state == "completed" and app.current_step is None
    assert app.working_days_used == 10 and app.promised_days == 15
    assert app.outcome == "同意救助"
    steps = list(app.steps.order_by("order").select_related("handler"))
    assert [s.state for s in steps] == ["done"] * 4
    assert [s.handler for s in steps] == [
        hall.users[k] for k in ("hall_worker", "street_cadre", "health_staff", "civil_staff")
    ]
    assert all(s.finished_at and s.received_at for s in steps)
    assert Notification.objects.filter(dedupe_key=f"application:{app.pk}:completed").exists()


def test_step_returned_comes_back_to_the_same_step(hall):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)
    services.step_finish(
        actor=hall.users["health_staff"], step=step, result="return", note="需补充近三个月病历"
    )
    app.refresh_from_db()
    step.refresh_from_db()
    assert app.state == "returned" and app.return_note == "需补充近三个月病历"
    assert step.state == "returned" and step.handler == hall.users["health_staff"]
    assert Notification.objects.filter(
        dedupe_key__startswith=f"application:{app.pk}:returned"
    ).exists()
    services.application_resubmit(
        actor=hall.users["hall_worker"], application=app, came_in_person=False, note="病历已补交"
    )
    app.refresh_from_db()
    again = h.active_step(app)
    assert app.state == "in_progress" and again.pk == step.pk and app.current_step == 3
    assert again.handler is None and again.result_note == ""
    assert app.received_on == dt.date(2026, 9, 28)  # the promise started at the first receipt


def test_step_rejected_ends_the_application(hall):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    services.step_finish(
        actor=hall.users["street_cadre"],
        step=h.active_step(app),
        result="reject",
        note="不符合条件",
    )
    app.refresh_from_db()
    assert app.state == "rejected" and app.finished_at is not None
    states = list(app.steps.order_by("order").values_list("state", flat=True))
    assert states == ["done", "rejected", "skipped", "skipped"]
    assert Notification.objects.filter(dedupe_key=f"application:{app.pk}:rejected").exists()


def test_return_and_reject_need_a_note_and_results_are_known(hall):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    worker = hall.users["hall_worker"]
    for result, note, field in (
        ("return", "", "note"),
        ("reject", " ", "note"),
        ("ok", "", "result"),
    ):
        with pytest.raises(ValidationError) as e:
            services.step_finish(actor=worker, step=step, result=result, note=note)
        assert field in e.value.message_dict
    step.refresh_from_db()
    assert step.state == "active" and step.version == 2


def test_finished_step_cannot_be_finished_again(hall):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    h.approve(hall, app, "hall_worker")
    with pytest.raises(ValidationError) as e:
        services.step_finish(actor=hall.users["hall_worker"], step=step, result="reject", note="x")
    assert e.value.code == "already_finished"
    assert hall.users["hall_worker"].display_name in e.value.messages[0]
    waiting = app.steps.get(order=4)
    with pytest.raises(ValidationError) as e:
        services.step_finish(actor=hall.users["civil_staff"], step=waiting, result="approve")
    assert e.value.code == "not_reached"


def test_stale_step_version_is_refused(hall):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    with pytest.raises(ValidationError) as e:
        services.step_finish(
            actor=hall.users["hall_worker"], step=step, result="approve", expected_version=1
        )
    assert e.value.code == "stale"
    services.step_finish(
        actor=hall.users["hall_worker"], step=step, result="approve", expected_version=step.version
    )


# --- who may act on a step ----------------------------------------------------------------


@pytest.mark.parametrize(
    "user_key", ["sibling_worker", "far_worker", "street_cadre", "civil_staff", "grid_worker"]
)
def test_only_the_hall_of_the_community_acts_on_its_step(hall, user_key):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    with pytest.raises(OutOfScope):
        services.step_finish(actor=hall.users[user_key], step=step, result="approve")
    step.refresh_from_db()
    assert step.state == "active"


@pytest.mark.parametrize("user_key", ["education_staff", "civil_staff", "far_street_cadre"])
def test_another_department_gets_not_found_on_the_step(hall, user_key):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)
    assert step.organisation == hall.departments["health"]
    with pytest.raises(OutOfScope):
        services.step_finish(actor=hall.users[user_key], step=step, result="approve")
    assert Application.objects.get(pk=app.pk).current_step == 3


def test_step_desk_of_each_kind_of_user(hall):
    app = h.take(hall, hall.items.illness)
    steps = {s.order: s for s in app.steps.select_related("organisation")}
    acts = {
        key: [o for o, s in steps.items() if offices.may_act_on_step(hall.users[key], s)]
        for key in ("hall_worker", "street_cadre", "health_staff", "civil_staff", "resident")
    }
    assert acts == {
        "hall_worker": [1],
        "street_cadre": [2],
        "health_staff": [3],
        "civil_staff": [4],
        "resident": [],
    }


def test_a_department_grant_without_its_organisation_acts_on_nothing(hall, world):
    # A district-wide grant does not make a department's steps everyone's at the district.
    cadre = f.user_with("street_cadre", world.district)
    app = h.take(hall, hall.items.illness)
    for step in ApplicationStep.objects.filter(application=app, office_kind="department"):
        assert not offices.may_act_on_step(cadre, step)
