"""The need workflow 需求处理: which status may follow which, and on what action.

A pure table — no database, no Django models — in the manner of the service hall's
`workflow.py`. A need found on a visit is open until it is handed on to another module's record
(an application 办件 or an appeal 诉求), resolved on the spot, or closed without action. Once
handed on, the status people see follows that record (`needs.effective_status`), not this
table: the need's own status stays "being followed up".

The table is a `core.workflow.TransitionTable` (`NEED_TABLE`). The services
(`need_to_application`, `need_to_appeal`, `need_close`) check `refusal` and move a need only
through its `next`; the visit page offers what `possible` says (`selectors.need_actions`), so
the page and the services cannot disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from ..core.workflow import TransitionTable
from .choices import NeedStatus as S


class Action:
    HAND_ON = "hand_on"  # open → being followed up: 转为服务申请, an application made from it
    RAISE_APPEAL = "raise_appeal"  # open → being followed up: 转为诉求, an appeal raised from it
    RESOLVE = "resolve"  # open → resolved on the spot
    CLOSE = "close"  # open → closed without action


ACTION_LABELS = {
    Action.HAND_ON: gettext_lazy("hand on to the service hall"),
    Action.RAISE_APPEAL: gettext_lazy("raise as an appeal"),
    Action.RESOLVE: gettext_lazy("resolve"),
    Action.CLOSE: gettext_lazy("close without action"),
}

# (status, action) → new status. Everything not listed is refused.
NEED_TABLE = TransitionTable(
    transitions={
        (S.OPEN, Action.HAND_ON): S.FOLLOWING,
        (S.OPEN, Action.RAISE_APPEAL): S.FOLLOWING,
        (S.OPEN, Action.RESOLVE): S.RESOLVED,
        (S.OPEN, Action.CLOSE): S.CLOSED,
    },
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for a need that is “%(state)s”."),
)
ACTIONS = (Action.HAND_ON, Action.RAISE_APPEAL, Action.RESOLVE, Action.CLOSE)


class Refusal:
    """Why an action on a need is refused (the service says it in words)."""

    HANDED_ON = "handed_on"  # it follows the record it was handed on to
    CLOSED = "closed"  # it is resolved or closed already


def refusal(action: str, *, status: str, handed_on: bool) -> str | None:
    """Why `action` cannot be done on a need with its own `status` (`handed_on`: it has a
    follow-up record) — a `Refusal` — or None when it can."""
    if handed_on:
        return Refusal.HANDED_ON
    if not NEED_TABLE.allows(status, action):
        return Refusal.CLOSED
    return None


def possible(action: str, *, status: str, handed_on: bool) -> bool:
    return refusal(action, status=status, handed_on=handed_on) is None
