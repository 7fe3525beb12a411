"""The appeals module's rules, each named once: what a return visit does to an appeal, and which
appeals are overdue at their tier.

Pure: no queries run here (the `Q` objects are conditions for the caller's queryset).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from linli.core.dates import overdue

from .choices import Satisfaction
from .workflow import RUNNING_STATES, Action

# 不满意 reopens an appeal at the tier that settled it this many times; the next dissatisfied
# return visit hands it up.
REOPENS_PER_TIER = 1

SATISFIED = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY})


def return_visit_result(satisfaction: str, *, reopens_at_tier: int, tier_above: str | None) -> str:
    """The workflow action a return visit performs: satisfied (or basically) closes the appeal;
    dissatisfied reopens it at the same tier up to `REOPENS_PER_TIER` times, then hands it up —
    or, with no tier above (`tier_above` None), closes it with the dissatisfaction on record."""
    if satisfaction in SATISFIED:
        return Action.CLOSE
    if reopens_at_tier < REOPENS_PER_TIER:
        return Action.REOPEN
    if tier_above is None:
        return Action.CLOSE
    return Action.HAND_UP_DISSATISFIED


def overdue_appeals(today: dt.date) -> Q:
    """Appeals whose time limit at their tier has passed while they wait or are handled there
    (the deadline is the end of the due day)."""
    return Q(state__in=RUNNING_STATES) & overdue("due_on", today)
