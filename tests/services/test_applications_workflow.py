"""The application workflow table, exhaustively: every (state, action) pair is either the one
transition the table allows or refused with a message naming the state and the action."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from linli.services import workflow
from linli.services.choices import ApplicationState as S
from linli.services.workflow import Action

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
    assert workflow.next_state(state, action) == EXPECTED[(state, action)]
    assert action in workflow.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in EXPECTED])
def test_refused_transition_names_state_and_action(state, action):
    with pytest.raises(ValidationError) as e:
        workflow.next_state(state, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(S(state).label) in message
    assert str(workflow.ACTION_LABELS[action]) in message
    assert action not in workflow.allowed_actions(state)


def test_final_states_allow_nothing():
    for state in workflow.FINAL_STATES:
        assert workflow.allowed_actions(state) == []
    assert set(S.values) == workflow.OPEN_STATES | workflow.FINAL_STATES
