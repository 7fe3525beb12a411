"""The appeal workflow 诉求流转: one transition table for an appeal's state, and the operations
the pages and the API offer on it.

States (`AppealState`, labels in both languages):

==========  ===================  ==============================================================
waiting     待受理               in the queue of the tier it is at; nobody has taken it yet
taken       办理中               a handler at that tier has taken it
settled     已办结待回访         the tier said what was done; waiting for the return visit 回访
closed      已办结               the return visit closed it
==========  ===================  ==============================================================

Actions: a handler at the appeal's tier takes it (`take`), settles it saying what was done
(`settle`, also straight from the queue: settled on the spot), hands it up to the next tier
with a reason (`hand_up`) or sends it to the category's department (`send_to_department`);
the periodic job hands it up when the tier's time limit has passed (`escalate`). Each of the
three hand-overs opens a new step at the new tier, so the appeal is `waiting` again there. The
return visit then decides (`rules.return_visit_result`): satisfied or basically satisfied
closes it (`close`); the first dissatisfaction at a tier reopens it there (`reopen`); a second
one hands it up (`hand_up_dissatisfied`), or — with no tier left above — closes it with the
dissatisfaction on record.

Pure: no database, no models. The services move an appeal only through `TABLE.next`; rules
beyond the table (no tier above the department, a category with no department) are
`refusal`s here, which the pages ask too (`possible`), so page and services cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from linli.core.workflow import TransitionTable

from .choices import AppealState as S
from .choices import Tier


class Action:
    TAKE = "take"  # waiting → taken: 受理
    SETTLE = "settle"  # waiting / taken → settled: 办结, saying what was done
    HAND_UP = "hand_up"  # waiting / taken → waiting at the next tier: 上报, with a reason
    SEND_TO_DEPARTMENT = "send_to_department"  # → waiting at the category's department: 转办
    ESCALATE = "escalate"  # → waiting at the next tier: the time limit passed (the job)
    CLOSE = "close"  # settled → closed: the return visit found the reporter satisfied
    REOPEN = "reopen"  # settled → waiting at the same tier: the first dissatisfaction there
    HAND_UP_DISSATISFIED = "hand_up_dissatisfied"  # settled → waiting at the next tier


ACTION_LABELS = {
    Action.TAKE: gettext_lazy("take"),
    Action.SETTLE: gettext_lazy("settle"),
    Action.HAND_UP: gettext_lazy("hand up"),
    Action.SEND_TO_DEPARTMENT: gettext_lazy("send to the department"),
    Action.ESCALATE: gettext_lazy("hand up when the time limit passes"),
    Action.CLOSE: gettext_lazy("close after the return visit"),
    Action.REOPEN: gettext_lazy("reopen after a dissatisfied return visit"),
    Action.HAND_UP_DISSATISFIED: gettext_lazy("hand up after a second dissatisfied return visit"),
}

# (state, action) → new state. Everything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
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

TABLE = TransitionTable(
    transitions=TRANSITIONS,
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for an appeal that is “%(state)s”."),
)

# The states in which the tier's clock runs (the appeal waits at a tier, or is being handled).
RUNNING_STATES = frozenset(TABLE.states_from(Action.ESCALATE))
OPEN_STATES = frozenset({S.WAITING, S.TAKEN, S.SETTLED})
FINAL_STATES = TABLE.final_states()
# The actions that move an appeal to another tier: each opens a new step there.
TIER_CHANGES = frozenset(
    {Action.HAND_UP, Action.SEND_TO_DEPARTMENT, Action.ESCALATE, Action.HAND_UP_DISSATISFIED}
)
# What a return visit may do (one of them, by `rules.return_visit_result`).
RETURN_VISIT_ACTIONS = (Action.CLOSE, Action.REOPEN, Action.HAND_UP_DISSATISFIED)

TIERS = tuple(Tier.values)  # lowest first


def tier_above(tier: str, *, department_named: bool) -> str | None:
    """The tier an appeal at `tier` is handed up to: the next one; above the street, the
    department only when the category names one. None: there is no tier above."""
    position = TIERS.index(tier)
    if position + 1 >= len(TIERS):
        return None
    above = TIERS[position + 1]
    if above == Tier.DEPARTMENT and not department_named:
        return None
    return above


# --- operations: what the pages and the API offer -------------------------------------------


class Operation:
    TAKE = "take"
    SETTLE = "settle"
    HAND_UP = "hand_up"
    SEND_TO_DEPARTMENT = "send_to_department"
    RETURN_VISIT = "return_visit"  # 回访: closes, reopens or hands up (its result decides)


# The table's action each operation performs, in the order the pages offer them. A return
# visit performs one of RETURN_VISIT_ACTIONS; all three start from the same state.
OPERATION_ACTIONS: dict[str, str] = {
    Operation.TAKE: Action.TAKE,
    Operation.SETTLE: Action.SETTLE,
    Operation.HAND_UP: Action.HAND_UP,
    Operation.SEND_TO_DEPARTMENT: Action.SEND_TO_DEPARTMENT,
    Operation.RETURN_VISIT: Action.CLOSE,
}
OPERATIONS = tuple(OPERATION_ACTIONS)
# Operations done by a handler at the appeal's tier (the return visit is not the handler's).
HANDLER_OPERATIONS = frozenset(
    {Operation.TAKE, Operation.SETTLE, Operation.HAND_UP, Operation.SEND_TO_DEPARTMENT}
)


class Refusal:
    """Why a rule beyond the table refuses an operation (the services say it in words)."""

    TOP = "top"  # nothing above: the department, or the street of a category with no department
    AT_DEPARTMENT = "at_department"  # it is at the department already
    NO_DEPARTMENT = "no_department"  # the category names no department


def refusal(operation: str, *, tier: str, department_named: bool) -> str | None:
    """Why a rule beyond the table refuses `operation` on an appeal at `tier` whose category
    version names a department or not — a `Refusal` — or None."""
    if (
        operation == Operation.HAND_UP
        and tier_above(tier, department_named=department_named) is None
    ):
        return Refusal.TOP
    if operation == Operation.SEND_TO_DEPARTMENT:
        if tier == Tier.DEPARTMENT:
            return Refusal.AT_DEPARTMENT
        if not department_named:
            return Refusal.NO_DEPARTMENT
    return None


def possible(operation: str, *, state: str, tier: str, department_named: bool) -> bool:
    """Whether `operation` can be done now: the table allows its action in `state` and no
    rule beyond the table refuses it. The pages offer exactly these (to those who may)."""
    if not TABLE.allows(state, OPERATION_ACTIONS[operation]):
        return False
    return refusal(operation, tier=tier, department_named=department_named) is None
