"""The application workflow table, exhaustively: every (state, action) pair is either the one
transition the table allows or refused with a message naming the state and the action; every
operation the pages offer in every state and handling mode; and the table of the route's steps."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from linli.hall.applications import workflow
from linli.hall.applications.workflow import Action
from linli.hall.choices import ApplicationState as S
from linli.hall.choices import HandlingMode, StepState

ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]
EXPECTED = {
    (S.DRAFT, Action.SUBMIT): S.SUBMITTED,
    (S.DRAFT, Action.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, Action.START): S.IN_PROGRESS,
    (S.SUBMITTED, Action.RETURN): S.RETURNED,
    (S.SUBMITTED, Action.COMPLETE): S.COMPLETED,
    (S.SUBMITTED, Action.REJECT): S.REJECTED,
    (S.SUBMITTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.IN_PROGRESS, Action.ADVANCE): S.IN_PROGRESS,
    (S.IN_PROGRESS, Action.RETURN): S.RETURNED,
    (S.IN_PROGRESS, Action.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Action.REJECT): S.REJECTED,
    (S.IN_PROGRESS, Action.WITHDRAW): S.WITHDRAWN,
    (S.RETURNED, Action.RESUBMIT): S.SUBMITTED,
    (S.RETURNED, Action.WITHDRAW): S.WITHDRAWN,
}
PAIRS = list(itertools.product(S.values, ACTIONS))


def test_every_action_is_named():
    assert set(ACTIONS) == set(workflow.ACTION_LABELS)
    assert len(ACTIONS) == 8


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in EXPECTED])
def test_allowed_transition(state, action):
    assert workflow.APPLICATION_TABLE.next(state, action) == EXPECTED[(state, action)]
    assert action in workflow.APPLICATION_TABLE.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in EXPECTED])
def test_refused_transition_names_state_and_action(state, action):
    with pytest.raises(ValidationError) as e:
        workflow.APPLICATION_TABLE.next(state, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(S(state).label) in message
    assert str(workflow.ACTION_LABELS[action]) in message
    assert action not in workflow.APPLICATION_TABLE.allowed_actions(state)


def test_final_states_allow_nothing():
    for state in workflow.FINAL_STATES:
        assert workflow.APPLICATION_TABLE.allowed_actions(state) == []
    assert set(S.values) == workflow.OPEN_STATES | workflow.FINAL_STATES
    assert workflow.APPLICATION_TABLE.final_states() == workflow.FINAL_STATES
    # A resident may withdraw an application in any open state.
    assert workflow.APPLICATION_TABLE.states_from(Action.WITHDRAW) == workflow.OPEN_STATES


# --- operations: what the pages offer and the services do -----------------------------------

Op = workflow.Operation
M = HandlingMode
OPEN = {S.DRAFT, S.SUBMITTED, S.IN_PROGRESS, S.RETURNED}
# The states and handling modes in which each operation can be done (a rated application is
# not rated again): the rules of the hall, written out once more to hold the code to them.
EXPECTED_OPERATIONS = {
    Op.SUBMIT: ({S.DRAFT}, set(M.values)),
    Op.RESUBMIT: ({S.RETURNED}, set(M.values)),
    Op.WITHDRAW: (OPEN, set(M.values)),
    Op.REJECT: ({S.SUBMITTED}, set(M.values)),  # in progress: the step's office decides
    Op.COMPLETE: ({S.SUBMITTED, S.IN_PROGRESS}, {M.ON_THE_SPOT}),
    Op.GUIDANCE: ({S.SUBMITTED, S.IN_PROGRESS}, {M.GUIDED}),
    Op.TRIP: (set(S.values) - {S.DRAFT}, set(M.values)),
    Op.RATE: ({S.COMPLETED}, set(M.values)),
}


def test_every_operation_is_listed_once_in_page_order():
    assert workflow.OPERATIONS == (
        "submit",
        "resubmit",
        "withdraw",
        "reject",
        "complete",
        "guidance",
        "trip",
        "rate",
    )
    assert set(workflow.OPERATIONS) == set(EXPECTED_OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "state"), list(itertools.product(EXPECTED_OPERATIONS, S.values))
)
def test_operation_possible_in_every_state_and_mode(operation, state):
    states, modes = EXPECTED_OPERATIONS[operation]
    for mode, rated in itertools.product(M.values, (False, True)):
        expected = state in states and mode in modes and not (operation == Op.RATE and rated)
        facts = {"state": state, "mode": mode, "rated": rated}
        assert workflow.possible(operation, **facts) is expected, (mode, rated)
        action = workflow.OPERATION_ACTIONS[operation]
        in_table = action is None or action in workflow.APPLICATION_TABLE.allowed_actions(state)
        # What the pages do not offer, the services refuse: by the table, or by a named rule.
        assert expected or not in_table or workflow.refusal(operation, **facts) is not None


@pytest.mark.parametrize(
    ("operation", "state", "mode", "rated", "reason"),
    [
        (Op.REJECT, S.IN_PROGRESS, M.PROXY, False, workflow.Refusal.IN_ROUTE),
        (Op.COMPLETE, S.SUBMITTED, M.PROXY, False, workflow.Refusal.PROXY),
        (Op.COMPLETE, S.SUBMITTED, M.GUIDED, False, workflow.Refusal.GUIDED),
        (Op.GUIDANCE, S.SUBMITTED, M.ON_THE_SPOT, False, workflow.Refusal.NOT_GUIDED),
        (Op.GUIDANCE, S.IN_PROGRESS, M.PROXY, False, workflow.Refusal.NOT_GUIDED),
        (Op.TRIP, S.DRAFT, M.PROXY, False, workflow.Refusal.DRAFT),
        (Op.RATE, S.REJECTED, M.GUIDED, False, workflow.Refusal.NOT_DONE),
        (Op.RATE, S.COMPLETED, M.ON_THE_SPOT, True, workflow.Refusal.RATED),
        (Op.REJECT, S.SUBMITTED, M.PROXY, False, None),
        (Op.COMPLETE, S.IN_PROGRESS, M.ON_THE_SPOT, False, None),
        (Op.TRIP, S.WITHDRAWN, M.PROXY, False, None),
    ],
)
def test_the_rules_beyond_the_table_name_their_reason(operation, state, mode, rated, reason):
    assert workflow.refusal(operation, state=state, mode=mode, rated=rated) == reason


# --- the route's steps ---------------------------------------------------------------------

T = StepState
StepA = workflow.StepAction
STEP_ACTIONS = [v for k, v in vars(StepA).items() if k.isupper()]
EXPECTED_STEPS = {
    (T.WAITING, StepA.RECEIVE): T.ACTIVE,
    (T.RETURNED, StepA.RECEIVE): T.ACTIVE,
    (T.ACTIVE, StepA.APPROVE): T.DONE,
    (T.ACTIVE, StepA.RETURN): T.RETURNED,
    (T.ACTIVE, StepA.REJECT): T.REJECTED,
    (T.WAITING, StepA.SKIP): T.SKIPPED,
    (T.ACTIVE, StepA.SKIP): T.SKIPPED,
    (T.RETURNED, StepA.SKIP): T.SKIPPED,
}
STEP_PAIRS = list(itertools.product(T.values, STEP_ACTIONS))


def test_every_step_action_is_named():
    assert set(STEP_ACTIONS) == set(workflow.STEP_ACTION_LABELS)
    assert set(workflow.STEP_RESULTS) == {"approve", "return", "reject"}


@pytest.mark.parametrize(("state", "action"), [p for p in STEP_PAIRS if p in EXPECTED_STEPS])
def test_allowed_step_transition(state, action):
    assert workflow.STEP_TABLE.next(state, action) == EXPECTED_STEPS[(state, action)]
    assert action in workflow.STEP_TABLE.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), [p for p in STEP_PAIRS if p not in EXPECTED_STEPS])
def test_refused_step_transition_names_state_and_action(state, action):
    with pytest.raises(ValidationError) as e:
        workflow.STEP_TABLE.next(state, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(T(state).label) in message
    assert str(workflow.STEP_ACTION_LABELS[action]) in message
    assert action not in workflow.STEP_TABLE.allowed_actions(state)


def test_only_the_step_at_its_office_awaits_a_result():
    assert [s for s in T.values if workflow.step_awaits_result(s)] == [T.ACTIVE]
    assert {T.WAITING, T.ACTIVE, T.RETURNED} == workflow.UNFINISHED_STEP_STATES
    for state in (T.DONE, T.REJECTED, T.SKIPPED):
        assert workflow.STEP_TABLE.allowed_actions(state) == []
