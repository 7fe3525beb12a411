"""The rules of residents-decide 由民做主, each named once: a vote's outcome from its tally, and
whether the residents' ratings finish a matter or send it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from .choices import Majority, Rating, VoteResult


@dataclass(frozen=True)
class Outcome:
    result: str  # VoteResult
    winner: int | None  # the winning choice's id, when the vote passed
    turnout: Fraction  # ballots cast / eligible voters


# The share of the ballots cast the leading choice needs, by majority rule. "Simple" is more
# than half (a tie does not pass); unanimity is every ballot cast.
_NEEDS = {
    Majority.SIMPLE: (Fraction(1, 2), False),  # (share, may equal it)
    Majority.TWO_THIRDS: (Fraction(2, 3), True),
    Majority.UNANIMOUS: (Fraction(1), True),
}


def quorum_met(cast: int, roll: int, quorum_percent: int) -> bool:
    """At least `quorum_percent` of the roll cast a ballot (a roll of nobody never meets it)."""
    return roll > 0 and Fraction(cast, roll) >= Fraction(quorum_percent, 100)


def vote_outcome(
    counts: Mapping[int, int], *, roll: int, quorum_percent: int, majority: str
) -> Outcome:
    """The result of a vote from its tally (`counts`: choice id → ballots): no quorum decides
    nothing; otherwise the leading choice passes if it has the majority the rules ask for of the
    ballots cast. Two choices level at the top: nothing passes."""
    cast = sum(counts.values())
    turnout = Fraction(cast, roll) if roll else Fraction(0)
    if not quorum_met(cast, roll, quorum_percent):
        return Outcome(VoteResult.NO_QUORUM, None, turnout)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    leader, top = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == top:
        return Outcome(VoteResult.FAILED, None, turnout)
    share, may_equal = _NEEDS[Majority(majority)]
    got = Fraction(top, cast)
    passed = got >= share if may_equal else got > share
    return Outcome(
        VoteResult.PASSED if passed else VoteResult.FAILED, leader if passed else None, turnout
    )


def sends_back(ratings: Mapping[str, int], dissatisfied_limit: int) -> bool:
    """由民评定: the share of 不满意 among the ratings is above the matter's limit (percent)."""
    total = sum(ratings.values())
    if total == 0:
        return False
    return Fraction(ratings.get(Rating.DISSATISFIED, 0), total) > Fraction(dissatisfied_limit, 100)
