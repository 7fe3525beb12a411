"""What the pages offer on an appeal (`selectors.appeal_actions`) is what the services accept:
for an appeal in every state and at every kind of tier, each operation is offered to a user
exactly when its service, called by that user with input it would accept, goes through. Each
call runs in a savepoint that is rolled back."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from linli.appeals import selectors, services
from linli.appeals.choices import AppealState
from linli.appeals.workflow import Operation
from linli.core.scoping import OutOfScope

from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


class _Undo(Exception):
    pass


def _accepted(call) -> bool:
    """Whether the service accepts the call; nothing is kept. Refused: bad input or a conflict
    (a ValidationError), not allowed (403) or not there for the user (404)."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return True
    except (ValidationError, PermissionDenied, OutOfScope):
        return False


def _settled(a, appeal):
    return services.appeal_settle(actor=None, appeal=appeal, what_was_done="已处理")


SCENARIOS = {
    "waiting at the village": lambda a: h.raise_appeal(a),
    "taken at the village": lambda a: services.appeal_take(
        actor=a.users["village_cadre"], appeal=h.raise_appeal(a)
    ),
    "waiting at the community": lambda a: h.raise_appeal(a, area=a.community),
    "waiting at the street, no department": lambda a: h.raise_appeal(
        a, category=a.categories.safety
    ),
    "waiting at the department": lambda a: h.raise_appeal(a, category=a.categories.policy),
    "settled": lambda a: _settled(a, h.raise_appeal(a)),
    "closed": lambda a: (
        services.return_visit_record(
            actor=None,
            appeal=_settled(a, h.raise_appeal(a)),
            satisfaction="satisfied",
            method="phone",
        ).appeal
    ),
}
USERS = (
    "grid_worker",
    "village_cadre",
    "community_worker",
    "street_cadre",
    "housing_staff",
    "district_leader",
    "resident",
    "sibling_cadre",
)


def _calls(user, appeal) -> dict:
    method = "phone" if user.is_staff_member else "resident_phone"
    return {
        Operation.TAKE: lambda: services.appeal_take(actor=user, appeal=appeal),
        Operation.SETTLE: lambda: services.appeal_settle(
            actor=user, appeal=appeal, what_was_done="已处理"
        ),
        Operation.HAND_UP: lambda: services.appeal_hand_up(
            actor=user, appeal=appeal, reason="需上级协调"
        ),
        Operation.SEND_TO_DEPARTMENT: lambda: services.appeal_send_to_department(
            actor=user, appeal=appeal, reason="属部门职责"
        ),
        Operation.RETURN_VISIT: lambda: services.return_visit_record(
            actor=user, appeal=appeal, satisfaction="satisfied", method=method
        ),
    }


def test_the_scenarios_reach_every_state(a):
    states = {h.fresh(build(a)).state for build in SCENARIOS.values()}
    assert states == set(AppealState.values)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_what_is_offered_is_what_the_services_accept(a, scenario):
    appeal = h.fresh(SCENARIOS[scenario](a))
    for name in USERS:
        user = a.users[name]
        offered = set(selectors.appeal_actions(user=user, appeal=appeal))
        accepted = {op for op, call in _calls(user, appeal).items() if _accepted(call)}
        assert offered == accepted, (scenario, name)
