"""The outreach task workflow 主动服务任务流程: which state may follow which, and on what action.

A pure table — no database, no Django models — in the manner of `workflow.py` for applications.
The table is a `core.workflow.TransitionTable` (`OUTREACH_TABLE`). The services
(`outreach.task_record_outcome`, `outreach.task_reopen`, and `services.application_create`
taking an application from a task) move a task only through its `next`; the task page offers
what its `allowed_actions` allows and `reopen_refusal` does not refuse
(`outreach.selectors.task_actions`), so the page and the services cannot disagree.

A task closed as declined or not eligible can be reopened for `REOPEN_DAYS` days, for the click
that was a mistake: it goes back to "to contact", and on to "contacted" when the household had
been contacted before it was closed (two moves of the table).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from ...core.workflow import TransitionTable
from ..choices import OutreachState as S

REOPEN_DAYS = 7  # a task closed by mistake can be reopened for this many days


class Action:
    CONTACT = "contact"  # to contact → contacted
    DECLINE = "decline"  # to contact / contacted → declined (closed)
    FIND_NOT_ELIGIBLE = "find_not_eligible"  # to contact / contacted → not eligible (closed)
    APPLY = "apply"  # to contact / contacted → applied: an application taken from the task
    REOPEN = "reopen"  # declined / not eligible → to contact, within REOPEN_DAYS


ACTION_LABELS = {
    Action.CONTACT: gettext_lazy("record the household as contacted"),
    Action.DECLINE: gettext_lazy("record that the household declined"),
    Action.FIND_NOT_ELIGIBLE: gettext_lazy("record the household as not eligible"),
    Action.APPLY: gettext_lazy("take the application"),
    Action.REOPEN: gettext_lazy("reopen"),
}

# (state, action) → new state. Everything not listed is refused.
OUTREACH_TABLE = TransitionTable(
    transitions={
        (S.OPEN, Action.CONTACT): S.CONTACTED,
        (S.OPEN, Action.DECLINE): S.DECLINED,
        (S.OPEN, Action.FIND_NOT_ELIGIBLE): S.NOT_ELIGIBLE,
        (S.OPEN, Action.APPLY): S.APPLIED,
        (S.CONTACTED, Action.DECLINE): S.DECLINED,
        (S.CONTACTED, Action.FIND_NOT_ELIGIBLE): S.NOT_ELIGIBLE,
        (S.CONTACTED, Action.APPLY): S.APPLIED,
        (S.DECLINED, Action.REOPEN): S.OPEN,
        (S.NOT_ELIGIBLE, Action.REOPEN): S.OPEN,
    },
    states=S,
    action_labels=ACTION_LABELS,
    refused=gettext_lazy("“%(action)s” is not possible for an outreach task that is “%(state)s”."),
)

# The outcomes a worker records on the task page, and the action each one is.
OUTCOME_ACTIONS: dict[str, str] = {
    S.CONTACTED: Action.CONTACT,
    S.DECLINED: Action.DECLINE,
    S.NOT_ELIGIBLE: Action.FIND_NOT_ELIGIBLE,
}
# Open tasks: the household is still to be served (`choices.OPEN_OUTREACH_STATES` says the same
# for queries and the database's one-open-task rule; a test holds them together).
OPEN_STATES = OUTREACH_TABLE.states_from(Action.APPLY)
# Closed by the worker's outcome — and so reopenable — rather than by an application.
CLOSED_BY_OUTCOME = OUTREACH_TABLE.states_from(Action.REOPEN)


class Refusal:
    """Why a task cannot be reopened (the service says it in words)."""

    OPEN = "open"  # it is open: nothing to reopen
    APPLIED = "applied"  # closed by an application
    EXPIRED = "expired"  # closed more than REOPEN_DAYS days ago


def reopen_until(state: str, closed_at: dt.datetime | None) -> dt.datetime | None:
    """Until when a task in `state`, closed at `closed_at`, can be reopened; None if it cannot
    be (open, or closed by an application)."""
    if not OUTREACH_TABLE.allows(state, Action.REOPEN) or closed_at is None:
        return None
    return closed_at + dt.timedelta(days=REOPEN_DAYS)


def reopen_refusal(state: str, closed_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """Why a task in `state`, closed at `closed_at`, cannot be reopened at `now` — a
    `Refusal` — or None when it can."""
    if state in OPEN_STATES:
        return Refusal.OPEN
    until = reopen_until(state, closed_at)
    if until is None:
        return Refusal.APPLIED
    if now > until:
        return Refusal.EXPIRED
    return None
