"""The rules of residents-decide named once (decide/rules.py) and the matter's transition table:
a vote's outcome from its tally under each majority rule, quorum, ties; when the residents'
ratings send a matter back; and every stage's allowed moves."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from linli.decide import rules
from linli.decide.choices import Majority, Stage, VoteResult
from linli.decide.workflow import FINAL_STAGES, OPEN_STAGES, TABLE, Action


def outcome(counts, roll=10, quorum=50, majority=Majority.SIMPLE):
    return rules.vote_outcome(counts, roll=roll, quorum_percent=quorum, majority=majority)


def test_quorum_missed_decides_nothing_whatever_the_tally():
    result = outcome({1: 4}, roll=10, quorum=50)
    assert (result.result, result.winner, result.turnout) == (
        VoteResult.NO_QUORUM,
        None,
        Fraction(2, 5),
    )
    assert outcome({}, roll=0).result == VoteResult.NO_QUORUM  # a roll of nobody
    assert outcome({1: 5}, roll=10, quorum=50).result == VoteResult.PASSED  # exactly the quorum


@pytest.mark.parametrize(
    ("counts", "majority", "expected"),
    [
        ({1: 6, 2: 4}, Majority.SIMPLE, VoteResult.PASSED),
        ({1: 5, 2: 5}, Majority.SIMPLE, VoteResult.FAILED),  # a tie passes nothing
        ({1: 5, 2: 4, 3: 1}, Majority.SIMPLE, VoteResult.FAILED),  # half is not more than half
        ({1: 7, 2: 3}, Majority.TWO_THIRDS, VoteResult.PASSED),
        ({1: 6, 2: 3}, Majority.TWO_THIRDS, VoteResult.PASSED),  # exactly two thirds
        ({1: 6, 2: 4}, Majority.TWO_THIRDS, VoteResult.FAILED),
        ({1: 10}, Majority.UNANIMOUS, VoteResult.PASSED),
        ({1: 9, 2: 1}, Majority.UNANIMOUS, VoteResult.FAILED),
    ],
)
def test_the_majority_rule_of_the_ballots_cast(counts, majority, expected):
    result = outcome(counts, majority=majority)
    assert result.result == expected
    assert result.winner == (1 if expected == VoteResult.PASSED else None)


def test_ratings_send_back_above_the_limit_only():
    assert not rules.sends_back({}, 30)
    assert not rules.sends_back({"satisfied": 7, "dissatisfied": 3}, 30)  # 30 % is not above
    assert rules.sends_back({"satisfied": 6, "basically": 0, "dissatisfied": 4}, 30)


def test_the_table_moves_a_matter_through_the_five_steps():
    path = [
        (Stage.PROPOSE, Action.DELIBERATE, Stage.DELIBERATE),
        (Stage.DELIBERATE, Action.PUT_TO_VOTE, Stage.DECIDE),
        (Stage.DECIDE, Action.DECIDED, Stage.MANAGE),
        (Stage.MANAGE, Action.SUPERVISE, Stage.SUPERVISE),
        (Stage.SUPERVISE, Action.SEND_BACK, Stage.MANAGE),
        (Stage.SUPERVISE, Action.FINISH, Stage.DONE),
    ]
    for stage, action, to in path:
        assert TABLE.next(stage, action) == to
    assert {Stage.DONE, Stage.CLOSED} == FINAL_STAGES
    assert Stage.PROPOSE in OPEN_STAGES and Stage.DONE not in OPEN_STAGES
    with pytest.raises(ValidationError) as refused:
        TABLE.next(Stage.MANAGE, Action.PUT_TO_VOTE)
    assert refused.value.code == "illegal_transition"
    for final in FINAL_STAGES:
        assert TABLE.allowed_actions(final) == []
