"""What the outreach task page offers is what the services allow: for a task in every state
(and a closed one past its reopening days), each outcome, taking the application and reopening
are on the page exactly when their service accepts them. Each service is tried in a savepoint
that is rolled back, with input it would accept, so only the workflow can refuse it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.hall.applications import services
from linli.hall.choices import OutreachState
from linli.hall.models import OutreachTask
from linli.hall.outreach import services as outreach
from linli.hall.outreach.workflow import OUTCOME_ACTIONS, REOPEN_DAYS, Action

from .test_outreach import build_outreach
from .test_outreach import w as w  # noqa: F401 — the fixture, shared
from .test_outreach_pages import client_for
from .test_outreach_pages import fast_password_hashing as fast_password_hashing  # noqa: F401
from .test_workflow_offered import accepted

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db

SHARED = {"w": build_outreach}  # built once for the module (tests/sharing.py)


def _outcome(w, task, outcome: str):
    return outreach.task_record_outcome(actor=w.users.cw, task=task, outcome=outcome)


def _closed_long_ago(w, task):
    task = _outcome(w, task, "declined")
    closed = timezone.now() - dt.timedelta(days=REOPEN_DAYS + 1)
    OutreachTask.objects.filter(pk=task.pk).update(closed_at=closed)
    return task


def _applied(w, task):
    services.application_create(
        actor=w.users.cw,
        resident=w.liu.head,
        item=w.loan,
        channel="counter",
        outreach_task=task,
    )
    return task


SCENARIOS = {
    "to contact": (OutreachState.OPEN, lambda w, task: task),
    "contacted": (OutreachState.CONTACTED, lambda w, task: _outcome(w, task, "contacted")),
    "declined": (OutreachState.DECLINED, lambda w, task: _outcome(w, task, "declined")),
    "declined too long ago": (OutreachState.DECLINED, _closed_long_ago),
    "not eligible": (OutreachState.NOT_ELIGIBLE, lambda w, task: _outcome(w, task, "not_eligible")),
    "applied": (OutreachState.APPLIED, _applied),
}


def test_the_scenarios_reach_every_state():
    assert {state for state, _build in SCENARIOS.values()} == set(OutreachState.values)


def _offered(client, task) -> set[str]:
    """The actions the task page shows: the outcomes in its form, its links and buttons."""
    response = client.get(reverse("services:outreach_detail", args=[task.pk]))
    assert response.status_code == 200
    context = response.context
    form = context["form"]
    offered = (
        {OUTCOME_ACTIONS[value] for value, _label in form.fields["outcome"].choices}
        if form
        else set()
    )
    if context["can_apply"]:
        offered.add(Action.APPLY)
    if context["can_reopen"]:
        offered.add(Action.REOPEN)
    return offered


def _calls(w, task) -> dict:
    calls = {
        action: (lambda outcome=outcome: _outcome(w, task, outcome))
        for outcome, action in OUTCOME_ACTIONS.items()
    }
    calls[Action.APPLY] = lambda: _applied(w, task)
    calls[Action.REOPEN] = lambda: outreach.task_reopen(
        actor=w.users.cw, task=task, reason="点错了"
    )
    return calls


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_task_page_offers_what_the_services_allow(w, scenario):  # noqa: F811
    state, build = SCENARIOS[scenario]
    outreach.scan()
    task = build(w, OutreachTask.objects.get(item=w.loan))
    task.refresh_from_db()
    assert task.state == state
    offered = _offered(client_for(w.users.cw), task)
    allowed = {action for action, call in _calls(w, task).items() if accepted(call)}
    assert offered == allowed
    # Whoever may only look is offered nothing.
    assert _offered(client_for(w.users.street), task) == set()
