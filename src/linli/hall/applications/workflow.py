"""The application workflow 办件流程 and its route's steps: which state may follow which, and
on what action.

Pure tables — no database, no Django models — so the rules can be read in one place and
tested exhaustively. Each is a `core.workflow.TransitionTable` (`APPLICATION_TABLE`,
`STEP_TABLE`); services move a record only through the table's `next`, which refuses an action
not in the table for the current state with a message that names both.

Beside the application table stand the operations the pages and the API offer (`Operation`):
each performs one of the table's actions, or records a trip or a rating, and some are refused
by a rule of the hall's beyond the table (`refusal`: the hall rejects only before the route
starts, only an item done at the counter is completed by hand, a draft has no trips …). Pages
offer what `possible` says; services refuse, in words, what `refusal` and the table refuse —
so the two cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from ...core.workflow import TransitionTable
from ..choices import ApplicationState as S
from ..choices import HandlingMode
from ..choices import StepState as T


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
APPLICATION_TABLE = TransitionTable(
    transitions={
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
    },
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for an application that is “%(state)s”."),
)

OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.IN_PROGRESS, S.RETURNED})
FINAL_STATES = frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN})
# States in which the clock of the promised time limit runs.
RUNNING_STATES = frozenset({S.SUBMITTED, S.IN_PROGRESS})


# --- operations: what the pages and the API offer on an application ----------------------------


class Operation:
    SUBMIT = "submit"
    RESUBMIT = "resubmit"  # the missing material handed in at the hall
    WITHDRAW = "withdraw"
    REJECT = "reject"  # by the hall
    COMPLETE = "complete"  # an item done at the counter (即时办理)
    GUIDANCE = "guidance"  # the guidance given for a guided item (指导办理), which completes it
    TRIP = "trip"  # one more time the resident came in person (跑腿)
    RATE = "rate"  # 评价


# The table's action each operation performs (None: it records something, no state changes), in
# the order the pages offer them.
OPERATION_ACTIONS: dict[str, str | None] = {
    Operation.SUBMIT: Action.SUBMIT,
    Operation.RESUBMIT: Action.RESUBMIT,
    Operation.WITHDRAW: Action.WITHDRAW,
    Operation.REJECT: Action.REJECT,
    Operation.COMPLETE: Action.COMPLETE,
    Operation.GUIDANCE: Action.COMPLETE,
    Operation.TRIP: None,
    Operation.RATE: None,
}
OPERATIONS = tuple(OPERATION_ACTIONS)


class Refusal:
    """Why a rule beyond the table refuses an operation (the services say it in words)."""

    IN_ROUTE = "in_route"  # the hall rejects before the route starts; then the step's office does
    PROXY = "proxy"  # a proxy application completes when its last step is approved
    GUIDED = "guided"  # a guided one when the guidance is recorded
    NOT_GUIDED = "not_guided"  # guidance is recorded for a guided item only
    DRAFT = "draft"  # a draft has no trips yet
    NOT_DONE = "not_done"  # only a completed application is rated …
    RATED = "rated"  # … and only once


def refusal(operation: str, *, state: str, mode: str, rated: bool = False) -> str | None:
    """Why the hall's rules beyond the table refuse `operation` on an application in `state`,
    of an item handled in `mode` (`rated`: it has its rating) — a `Refusal` — or None."""
    if operation == Operation.REJECT and state == S.IN_PROGRESS:
        return Refusal.IN_ROUTE
    if operation == Operation.COMPLETE and mode == HandlingMode.PROXY:
        return Refusal.PROXY
    if operation == Operation.COMPLETE and mode == HandlingMode.GUIDED:
        return Refusal.GUIDED
    if operation == Operation.GUIDANCE and mode != HandlingMode.GUIDED:
        return Refusal.NOT_GUIDED
    if operation == Operation.TRIP and state == S.DRAFT:
        return Refusal.DRAFT
    if operation == Operation.RATE and state != S.COMPLETED:
        return Refusal.NOT_DONE
    if operation == Operation.RATE and rated:
        return Refusal.RATED
    return None


def possible(operation: str, *, state: str, mode: str, rated: bool = False) -> bool:
    """Whether `operation` can be done now: the table allows its action in `state`, and no
    rule beyond the table refuses it. The pages offer exactly these."""
    action = OPERATION_ACTIONS[operation]
    if action is not None and not APPLICATION_TABLE.allows(state, action):
        return False
    return refusal(operation, state=state, mode=mode, rated=rated) is None


# --- the route's steps -------------------------------------------------------------------------


class StepAction:
    RECEIVE = "receive"  # not reached → at the office; returned → at it again, the material in
    APPROVE = "approve"  # at the office → done (the next step receives it)
    RETURN = "return"  # at the office → returned for missing material (补正)
    REJECT = "reject"  # at the office → rejected (the application ends)
    SKIP = "skip"  # not reached / at the office / returned → not needed: the application ended


STEP_ACTION_LABELS = {
    StepAction.RECEIVE: gettext_lazy("receive at the office"),
    StepAction.APPROVE: gettext_lazy("approve"),
    StepAction.RETURN: gettext_lazy("return for missing material"),
    StepAction.REJECT: gettext_lazy("reject"),
    StepAction.SKIP: gettext_lazy("leave out"),
}

# (step state, action) → new step state. Everything not listed is refused.
STEP_TABLE = TransitionTable(
    transitions={
        (T.WAITING, StepAction.RECEIVE): T.ACTIVE,
        (T.RETURNED, StepAction.RECEIVE): T.ACTIVE,
        (T.ACTIVE, StepAction.APPROVE): T.DONE,
        (T.ACTIVE, StepAction.RETURN): T.RETURNED,
        (T.ACTIVE, StepAction.REJECT): T.REJECTED,
        (T.WAITING, StepAction.SKIP): T.SKIPPED,
        (T.ACTIVE, StepAction.SKIP): T.SKIPPED,
        (T.RETURNED, StepAction.SKIP): T.SKIPPED,
    },
    states=T,
    action_labels=STEP_ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for a step that is “%(state)s”."),
)

# What the office of the active step decides: its result.
STEP_RESULTS = (StepAction.APPROVE, StepAction.RETURN, StepAction.REJECT)
# Steps an application that ends leaves unfinished (they become "not needed").
UNFINISHED_STEP_STATES = STEP_TABLE.states_from(StepAction.SKIP)


def step_awaits_result(state: str) -> bool:
    """Whether a step in `state` waits for its office's result (approve, return, reject)."""
    return all(STEP_TABLE.allows(state, result) for result in STEP_RESULTS)
