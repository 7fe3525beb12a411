"""What the pages offer is what the services allow: for applications in every state and handling
mode the hall reaches, each operation is on the application page exactly when its service
accepts it; for every state of a route's step, the result form is offered to the step's office
exactly when `step_finish` accepts a result. Each service is tried in a savepoint that is rolled
back, with input it would accept, so only the workflow's rules can refuse it."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from linli.core.scoping import OutOfScope
from linli.hall.applications import services
from linli.hall.choices import ApplicationState, StepState

from . import app_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(h.BEFORE_NATIONAL_DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hall(clock, world):
    return h.build_hall(world)


class _Undo(Exception):
    pass


def accepted(call) -> bool:
    """Whether the service accepts the call (a ValidationError: refused); nothing is kept."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return True
    except ValidationError:
        return False


# --- applications -------------------------------------------------------------------------


def _rated(hall, item):
    app = h.take(hall, item)
    services.rating_give(
        actor=hall.users["hall_worker"], application=app, score=5, source="return_call"
    )
    return app


def _guided_done(hall):
    app = h.take(hall, hall.items.guidance)
    return services.application_record_guidance(
        actor=hall.users["hall_worker"], application=app, guidance="指导", outcome="已落户"
    )


def _loan_done(hall):
    app = h.take(hall, hall.items.loan)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "education_staff")
    return app


def _step_result(hall, item, result: str):
    app = h.take(hall, item)
    step = h.active_step(app)
    services.step_finish(actor=hall.users["hall_worker"], step=step, result=result, note="缺材料")
    return app


def _withdrawn(hall, item):
    app = h.take(hall, item)
    return services.application_withdraw(
        actor=hall.users["hall_worker"], application=app, reason="本人撤回"
    )


def _rejected(hall, item):
    app = h.take(hall, item)
    return services.application_reject(
        actor=hall.users["hall_worker"], application=app, reason="不符合条件"
    )


S = ApplicationState
# Every state an application of each handling mode reaches (a proxy one is on its route as soon
# as it is received, an on-the-spot one completed): the state it is in, and how it got there.
SCENARIOS = {
    "draft, proxy": (S.DRAFT, lambda hall: h.take(hall, hall.items.illness, submit=False)),
    "draft, on the spot": (
        S.DRAFT,
        lambda hall: h.take(hall, hall.items.residence, submit=False),
    ),
    "draft, guided": (S.DRAFT, lambda hall: h.take(hall, hall.items.guidance, submit=False)),
    "submitted, guided": (S.SUBMITTED, lambda hall: h.take(hall, hall.items.guidance)),
    "returned at submission, proxy": (
        S.RETURNED,
        lambda hall: h.take(hall, hall.items.illness, materials=[]),
    ),
    "returned at submission, on the spot": (
        S.RETURNED,
        lambda hall: h.take(hall, hall.items.residence, materials=[]),
    ),
    "returned at submission, guided": (
        S.RETURNED,
        lambda hall: h.take(hall, hall.items.guidance, materials=[]),
    ),
    "returned by a step, proxy": (
        S.RETURNED,
        lambda hall: _step_result(hall, hall.items.illness, "return"),
    ),
    "in progress, proxy": (S.IN_PROGRESS, lambda hall: h.take(hall, hall.items.illness)),
    "completed, on the spot": (S.COMPLETED, lambda hall: h.take(hall, hall.items.residence)),
    "completed and rated, on the spot": (
        S.COMPLETED,
        lambda hall: _rated(hall, hall.items.residence),
    ),
    "completed, guided": (S.COMPLETED, _guided_done),
    "completed, proxy": (S.COMPLETED, _loan_done),
    "rejected by the hall, guided": (
        S.REJECTED,
        lambda hall: _rejected(hall, hall.items.guidance),
    ),
    "rejected by a step, proxy": (
        S.REJECTED,
        lambda hall: _step_result(hall, hall.items.illness, "reject"),
    ),
    "withdrawn, proxy": (S.WITHDRAWN, lambda hall: _withdrawn(hall, hall.items.illness)),
    "withdrawn, guided": (S.WITHDRAWN, lambda hall: _withdrawn(hall, hall.items.guidance)),
}


def _calls(user, app) -> dict:
    """Each operation through its service, with input it accepts."""
    materials = h.material_names(app.item)
    return {
        "submit": lambda: services.application_submit(actor=user, application=app),
        "resubmit": lambda: services.application_resubmit(
            actor=user,
            application=app,
            came_in_person=False,
            materials_received=materials,
            note="补齐",
        ),
        "withdraw": lambda: services.application_withdraw(
            actor=user, application=app, reason="本人撤回"
        ),
        "reject": lambda: services.application_reject(
            actor=user, application=app, reason="不符合条件"
        ),
        "complete": lambda: services.application_complete(actor=user, application=app),
        "guidance": lambda: services.application_record_guidance(
            actor=user, application=app, guidance="指导", outcome="办结"
        ),
        "trip": lambda: services.trip_record(
            actor=user,
            application=app,
            on=timezone.localdate(),
            reason="sign",
            extra_trip_reason="需本人签字",
        ),
        "rate": lambda: services.rating_give(
            actor=user, application=app, score=5, source="return_call"
        ),
    }


def test_the_scenarios_reach_every_state():
    assert {state for state, _build in SCENARIOS.values()} == set(S.values)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_application_page_offers_what_the_services_allow(hall, scenario):
    state, build = SCENARIOS[scenario]
    app = build(hall)
    app.refresh_from_db()
    assert app.state == state
    worker = hall.users["hall_worker"]  # may apply, handle and rate in the area
    response = h.client_for(worker).get(reverse("services:application_detail", args=[app.pk]))
    assert response.status_code == 200
    offered = set(response.context["actions"])
    allowed = {name for name, call in _calls(worker, app).items() if accepted(call)}
    assert offered == allowed


# --- route steps --------------------------------------------------------------------------

OFFICE_USERS = {  # the user at each office of the 大病救助 and 助学贷款 routes
    "service_hall": "hall_worker",
    "street_office": "street_cadre",
    "峡山区卫健局": "health_staff",
    "峡山区民政局": "civil_staff",
    "峡山区教育局": "education_staff",
}


def _office_user(hall, step):
    key = OFFICE_USERS.get(step.organisation.name) or OFFICE_USERS[step.organisation.kind]
    return hall.users[key]


def _steps_in_every_state(hall) -> list:
    on_route = h.take(hall, hall.items.illness)  # active, then waiting
    returned = h.take(hall, hall.items.illness, resident=hall.world.households[1].head)
    h.approve(hall, returned, "hall_worker")
    services.step_finish(
        actor=hall.users["street_cadre"],
        step=h.active_step(returned),
        result="return",
        note="缺医疗费用票据",
    )  # done, returned, waiting
    rejected = h.take(hall, hall.items.loan, resident=hall.world.households[1].head)
    services.step_finish(
        actor=hall.users["hall_worker"],
        step=h.active_step(rejected),
        result="reject",
        note="不符合条件",
    )  # rejected, skipped
    return [s for a in (on_route, returned, rejected) for s in a.steps.order_by("order")]


def _offered_on_page(user, step) -> bool:
    response = h.client_for(user).get(
        reverse("services:application_detail", args=[step.application_id])
    )
    if response.status_code == 404:  # the step has not reached the office: nothing offered
        return False
    assert response.status_code == 200
    [shown] = [s for s in response.context["steps"] if s.pk == step.pk]
    return shown.can_act


def _finish(user, step, result: str):
    def call():
        try:
            services.step_finish(actor=user, step=step, result=result, note="说明")
        except (OutOfScope, PermissionDenied) as e:
            raise ValidationError("not at this office") from e

    return call


def test_a_step_offers_its_result_to_its_office_exactly_when_it_can_be_given(hall):
    steps = _steps_in_every_state(hall)
    assert {s.state for s in steps} == set(StepState.values)
    for step in steps:
        user = _office_user(hall, step)
        offered = _offered_on_page(user, step)
        for result in ("approve", "return", "reject"):
            assert accepted(_finish(user, step, result)) is offered, (step.name, step.state)
        assert offered is (step.state == StepState.ACTIVE)
