"""The application workflow 办件流程: which state may follow which, and on what action.

A pure table — no database, no Django models — so the rules can be read in one place and
tested exhaustively. Services call `next_state`; an action not in the table for the current
state is refused with a message that names both.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import ApplicationState as S


class Action:
    SUBMIT = "submit"  # draft → submitted (materials checked)
    START = "start"  # submitted → in progress (a proxy item's first step receives it)
    ADVANCE = "advance"  # in progress → in progress (a step finished, the next one receives)
    RETURN = "return"  # submitted / in progress → returned for missing material (补正)
    RESUBMIT = "resubmit"  # returned → submitted, or back to the step that returned it
    COMPLETE = "complete"  # submitted / in progress → completed
    REJECT = "reject"  # submitted / in progress → rejected
    WITHDRAW = "withdraw"  # any open state → withdrawn, at the resident's wish


ACTION_LABELS = {
    Action.SUBMIT: gettext_lazy("submit"),
    Action.START: gettext_lazy("start handling"),
    Action.ADVANCE: gettext_lazy("pass to the next step"),
    Action.RETURN: gettext_lazy("return for missing material"),
    Action.RESUBMIT: gettext_lazy("hand in the missing material"),
    Action.COMPLETE: gettext_lazy("complete"),
    Action.REJECT: gettext_lazy("reject"),
    Action.WITHDRAW: gettext_lazy("withdraw"),
}

# (state, action) → new state. Everything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
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

OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.IN_PROGRESS, S.RETURNED})
FINAL_STATES = frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN})
# States in which the clock of the promised time limit runs.
RUNNING_STATES = frozenset({S.SUBMITTED, S.IN_PROGRESS})


def allowed_actions(state: str) -> list[str]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]


def next_state(state: str, action: str) -> str:
    """The state after `action`, or a ValidationError saying why it cannot be done."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise ValidationError(
            _("“%(action)s” is not possible for an application that is “%(state)s”.")
            % {"state": S(state).label, "action": ACTION_LABELS.get(action, action)},
            code="illegal_transition",
        ) from None
