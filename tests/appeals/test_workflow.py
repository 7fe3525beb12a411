"""The appeal workflow table, exhaustively: every (state, action) pair is either the one
transition the table allows or refused with a message naming the state and the action; the
operations the pages offer in every state and at every tier; the tier above each tier; and what
a return visit does."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from linli.appeals import rules, workflow
from linli.appeals.choices import AppealState as S
from linli.appeals.choices import Satisfaction, Tier
from linli.appeals.workflow import Action, Operation, Refusal

ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]
EXPECTED = {
    (S.WAITING, Action.TAKE): S.TAKEN,
    (S.WAITING, Action.SETTLE): S.SETTLED,
    (S.WAITING, Action.HAND_UP): S.WAITING,
    (S.WAITING, Action.SEND_TO_DEPARTMENT): S.WAITING,
    (S.WAITING, Action.ESCALATE): S.WAITING,
    (S.TAKEN, Action.SETTLE): S.SETTLED,
    (S.TAKEN, Action.HAND_UP): S.WAITING,
    (S.TAKEN, Action.SEND_TO_DEPARTMENT): S.WAITING,
    (S.TAKEN, Action.ESCALATE): S.WAITING,
    (S.SETTLED, Action.CLOSE): S.CLOSED,
    (S.SETTLED, Action.REOPEN): S.WAITING,
    (S.SETTLED, Action.HAND_UP_DISSATISFIED): S.WAITING,
}
PAIRS = list(itertools.product(S.values, ACTIONS))


def test_the_table_is_a_transition_table_with_every_action_named():
    assert workflow.TABLE.transitions == EXPECTED
    assert set(ACTIONS) == set(workflow.ACTION_LABELS)
    assert len(ACTIONS) == 8
    assert set(workflow.TIER_CHANGES) | set(workflow.RETURN_VISIT_ACTIONS) | {
        Action.TAKE,
        Action.SETTLE,
    } == set(ACTIONS)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in EXPECTED])
def test_allowed_transition(state, action):
    assert workflow.TABLE.next(state, action) == EXPECTED[(state, action)]
    assert action in workflow.TABLE.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in EXPECTED])
def test_refused_transition_names_state_and_action(state, action):
    with translation.override("en"), pytest.raises(ValidationError) as e:
        workflow.TABLE.next(state, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(S(state).label) in message
    assert str(workflow.ACTION_LABELS[action]) in message
    assert action not in workflow.TABLE.allowed_actions(state)


def test_the_refusal_is_said_in_chinese_too():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as e:
        workflow.TABLE.next(S.CLOSED, Action.TAKE)
    message = e.value.messages[0]
    assert "is not possible" not in message
    assert "已办结" in message


def test_states_open_running_and_final():
    assert {S.CLOSED} == workflow.FINAL_STATES
    assert {S.WAITING, S.TAKEN} == workflow.RUNNING_STATES
    assert set(S.values) == workflow.OPEN_STATES | workflow.FINAL_STATES
    for state in workflow.FINAL_STATES:
        assert workflow.TABLE.allowed_actions(state) == []
    # A tier change always lands in the queue of the new tier.
    for (state, action), after in EXPECTED.items():
        if action in workflow.TIER_CHANGES:
            assert after == S.WAITING, (state, action)


def test_every_state_has_a_label_in_both_languages():
    for state in S:
        with translation.override("en"):
            english = str(state.label)
        with translation.override("zh-hans"):
            chinese = str(state.label)
        assert english and chinese and english != chinese


# --- the tier above -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "named", "above"),
    [
        (Tier.VILLAGE, False, Tier.COMMUNITY),
        (Tier.VILLAGE, True, Tier.COMMUNITY),
        (Tier.COMMUNITY, False, Tier.STREET),
        (Tier.COMMUNITY, True, Tier.STREET),
        (Tier.STREET, True, Tier.DEPARTMENT),
        (Tier.STREET, False, None),
        (Tier.DEPARTMENT, True, None),
        (Tier.DEPARTMENT, False, None),
    ],
)
def test_tier_above(tier, named, above):
    assert workflow.tier_above(tier, department_named=named) == above


# --- operations: what the pages offer -----------------------------------------------------------

RUNNING = {S.WAITING, S.TAKEN}


def _expected_possible(operation, state, tier, named) -> bool:
    """The rules written out once more, to hold the code to them."""
    if operation == Operation.TAKE:
        return state == S.WAITING
    if operation == Operation.SETTLE:
        return state in RUNNING
    if operation == Operation.HAND_UP:
        return state in RUNNING and (
            tier in (Tier.VILLAGE, Tier.COMMUNITY) or (tier == Tier.STREET and named)
        )
    if operation == Operation.SEND_TO_DEPARTMENT:
        return state in RUNNING and tier != Tier.DEPARTMENT and named
    if operation == Operation.RETURN_VISIT:
        return state == S.SETTLED
    raise AssertionError(operation)


@pytest.mark.parametrize(
    ("operation", "state", "tier", "named"),
    list(itertools.product(workflow.OPERATIONS, S.values, Tier.values, (True, False))),
)
def test_operation_possible(operation, state, tier, named):
    assert workflow.possible(
        operation, state=state, tier=tier, department_named=named
    ) == _expected_possible(operation, state, tier, named)


def test_refusals_beyond_the_table():
    assert workflow.refusal(Operation.HAND_UP, tier=Tier.DEPARTMENT, department_named=True) == (
        Refusal.TOP
    )
    assert workflow.refusal(Operation.HAND_UP, tier=Tier.STREET, department_named=False) == (
        Refusal.TOP
    )
    assert workflow.refusal(
        Operation.SEND_TO_DEPARTMENT, tier=Tier.DEPARTMENT, department_named=True
    ) == (Refusal.AT_DEPARTMENT)
    assert workflow.refusal(
        Operation.SEND_TO_DEPARTMENT, tier=Tier.VILLAGE, department_named=False
    ) == (Refusal.NO_DEPARTMENT)
    assert workflow.refusal(Operation.TAKE, tier=Tier.DEPARTMENT, department_named=False) is None


# --- the return visit's rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfaction", "reopens", "above", "action"),
    [
        (Satisfaction.SATISFIED, 0, Tier.COMMUNITY, Action.CLOSE),
        (Satisfaction.SATISFIED, 1, Tier.COMMUNITY, Action.CLOSE),
        (Satisfaction.BASICALLY, 0, None, Action.CLOSE),
        (Satisfaction.BASICALLY, 1, Tier.STREET, Action.CLOSE),
        (Satisfaction.DISSATISFIED, 0, Tier.COMMUNITY, Action.REOPEN),
        (Satisfaction.DISSATISFIED, 0, None, Action.REOPEN),
        (Satisfaction.DISSATISFIED, 1, Tier.COMMUNITY, Action.HAND_UP_DISSATISFIED),
        (Satisfaction.DISSATISFIED, 1, None, Action.CLOSE),
    ],
)
def test_return_visit_result(satisfaction, reopens, above, action):
    assert (
        rules.return_visit_result(satisfaction, reopens_at_tier=reopens, tier_above=above) == action
    )
    assert action in workflow.RETURN_VISIT_ACTIONS
    assert workflow.TABLE.allows(S.SETTLED, action)
