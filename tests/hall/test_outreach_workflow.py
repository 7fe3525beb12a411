"""The outreach task workflow table, exhaustively: every (state, action) pair is either the one
transition the table allows or refused with a message naming the state and the action; and the
days within which a task closed by mistake can be reopened."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from linli.hall.choices import OPEN_OUTREACH_STATES
from linli.hall.choices import OutreachState as S
from linli.hall.outreach import workflow
from linli.hall.outreach.workflow import Action

ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]
EXPECTED = {
    (S.OPEN, Action.CONTACT): S.CONTACTED,
    (S.OPEN, Action.DECLINE): S.DECLINED,
    (S.OPEN, Action.FIND_NOT_ELIGIBLE): S.NOT_ELIGIBLE,
    (S.OPEN, Action.APPLY): S.APPLIED,
    (S.CONTACTED, Action.DECLINE): S.DECLINED,
    (S.CONTACTED, Action.FIND_NOT_ELIGIBLE): S.NOT_ELIGIBLE,
    (S.CONTACTED, Action.APPLY): S.APPLIED,
    (S.DECLINED, Action.REOPEN): S.OPEN,
    (S.NOT_ELIGIBLE, Action.REOPEN): S.OPEN,
}
PAIRS = list(itertools.product(S.values, ACTIONS))
CLOSED = dt.datetime(2026, 9, 28, 9, 30, tzinfo=dt.UTC)


def test_every_action_is_named():
    assert set(ACTIONS) == set(workflow.ACTION_LABELS)
    assert len(ACTIONS) == 5


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in EXPECTED])
def test_allowed_transition(state, action):
    assert workflow.OUTREACH_TABLE.next(state, action) == EXPECTED[(state, action)]
    assert action in workflow.OUTREACH_TABLE.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in EXPECTED])
def test_refused_transition_names_state_and_action(state, action):
    with pytest.raises(ValidationError) as e:
        workflow.OUTREACH_TABLE.next(state, action)
    assert e.value.code == "illegal_transition"
    message = e.value.messages[0]
    assert str(S(state).label) in message
    assert str(workflow.ACTION_LABELS[action]) in message
    assert action not in workflow.OUTREACH_TABLE.allowed_actions(state)


def test_the_outcomes_and_the_open_and_closed_states_agree_with_the_table():
    assert workflow.OUTCOME_ACTIONS == {
        S.CONTACTED: Action.CONTACT,
        S.DECLINED: Action.DECLINE,
        S.NOT_ELIGIBLE: Action.FIND_NOT_ELIGIBLE,
    }
    for outcome, action in workflow.OUTCOME_ACTIONS.items():
        assert workflow.OUTREACH_TABLE.next(S.OPEN, action) == outcome
    # The queries and the database's one-open-task rule use the choices' list: the same states.
    assert set(OPEN_OUTREACH_STATES) == workflow.OPEN_STATES == {S.OPEN, S.CONTACTED}
    assert {S.DECLINED, S.NOT_ELIGIBLE} == workflow.CLOSED_BY_OUTCOME
    assert workflow.OUTREACH_TABLE.allowed_actions(S.APPLIED) == []


@pytest.mark.parametrize(
    ("state", "closed_at", "now", "refusal"),
    [
        (S.OPEN, None, CLOSED, workflow.Refusal.OPEN),
        (S.CONTACTED, None, CLOSED, workflow.Refusal.OPEN),
        (S.APPLIED, CLOSED, CLOSED, workflow.Refusal.APPLIED),
        (S.DECLINED, None, CLOSED, workflow.Refusal.APPLIED),  # never closed: nothing to undo
        (S.DECLINED, CLOSED, CLOSED + dt.timedelta(days=1), None),
        (S.NOT_ELIGIBLE, CLOSED, CLOSED + dt.timedelta(days=workflow.REOPEN_DAYS), None),
        (
            S.DECLINED,
            CLOSED,
            CLOSED + dt.timedelta(days=workflow.REOPEN_DAYS, seconds=1),
            workflow.Refusal.EXPIRED,
        ),
    ],
)
def test_reopening_within_its_days(state, closed_at, now, refusal):
    assert workflow.reopen_refusal(state, closed_at, now) == refusal
    until = workflow.reopen_until(state, closed_at)
    if state in workflow.CLOSED_BY_OUTCOME and closed_at is not None:
        assert until == closed_at + dt.timedelta(days=workflow.REOPEN_DAYS)
    else:
        assert until is None
