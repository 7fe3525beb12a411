"""The need workflow table, exhaustively: every (status, action) pair is either the one
transition the table allows or refused with a message naming the status and the action; a need
handed on (to an application or an appeal) is refused every action whatever its own status."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from linli.visits import workflow
from linli.visits.choices import NeedStatus as S
from linli.visits.workflow import Action

ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]
EXPECTED = {
    (S.OPEN, Action.HAND_ON): S.FOLLOWING,
    (S.OPEN, Action.RAISE_APPEAL): S.FOLLOWING,
    (S.OPEN, Action.RESOLVE): S.RESOLVED,
    (S.OPEN, Action.CLOSE): S.CLOSED,
}
PAIRS = list(itertools.product(S.values, ACTIONS))


def test_every_action_is_named_and_listed():
    assert set(ACTIONS) == set(workflow.ACTION_LABELS) == set(workflow.ACTIONS)
    assert len(ACTIONS) == 4


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p in EXPECTED])
def test_allowed_transition(status, action):
    assert workflow.NEED_TABLE.next(status, action) == EXPECTED[(status, action)]
    assert action in workflow.NEED_TABLE.allowed_actions(status)
    assert workflow.possible(action, status=status, handed_on=False)
    assert workflow.refusal(action, status=status, handed_on=True) == workflow.Refusal.HANDED_ON


@pytest.mark.parametrize(("status", "action"), [p for p in PAIRS if p not in EXPECTED])
def test_refused_transition_names_status_and_action(status, action):
    with pytest.raises(ValidationError) as e:
        workflow.NEED_TABLE.next(status, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(S(status).label) in message
    assert str(workflow.ACTION_LABELS[action]) in message
    assert action not in workflow.NEED_TABLE.allowed_actions(status)
    assert workflow.refusal(action, status=status, handed_on=False) == workflow.Refusal.CLOSED
    assert workflow.refusal(action, status=status, handed_on=True) == workflow.Refusal.HANDED_ON
    assert not workflow.possible(action, status=status, handed_on=False)


def test_the_refusal_says_the_same_words_in_both_languages():
    with translation.override("en"), pytest.raises(ValidationError) as e:
        workflow.NEED_TABLE.next(S.RESOLVED, Action.CLOSE)
    assert e.value.messages == [
        "“close without action” is not possible for a need that is “Resolved”."
    ]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as e:
        workflow.NEED_TABLE.next(S.RESOLVED, Action.CLOSE)
    assert e.value.messages[0].startswith("状态为“") and "的需求不能“" in e.value.messages[0]
