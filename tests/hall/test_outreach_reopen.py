"""Closing an outreach task is asked about first, and a task closed by mistake can be reopened
for REOPEN_DAYS days by a worker of its area, with the reason on its timeline and in the audit
trail; after that it is refused with a message that says why. Through the services and
through the pages, without JavaScript (the confirmation is a page of its own)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from linli.core.models import AuditRecord
from linli.core.scoping import OutOfScope
from linli.hall.choices import OutreachState
from linli.hall.models import OutreachTask
from linli.hall.outreach import selectors
from linli.hall.outreach import services as outreach

from .. import factories as f
from .test_outreach import build_outreach
from .test_outreach import w as w  # noqa: F401 — the fixture, shared
from .test_outreach_pages import client_for, detail_url, html
from .test_outreach_pages import fast_password_hashing as fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

SHARED = {"w": build_outreach}  # built once for the module (tests/sharing.py)


@pytest.fixture
def task(w):  # noqa: F811
    outreach.scan()
    return OutreachTask.objects.get(item=w.loan)


def outcome_url(task) -> str:
    return reverse("services:outreach_outcome", args=[task.pk])


def reopen_url(task) -> str:
    return reverse("services:outreach_reopen", args=[task.pk])


def closed_days_ago(task, days: float) -> None:
    OutreachTask.objects.filter(pk=task.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=days)
    )


def reopen_audit(task):
    return AuditRecord.objects.filter(
        object_type="services.outreachtask", object_id=str(task.pk), action="update"
    ).exclude(reason="")


# --- confirmation -------------------------------------------------------------------------


def test_declining_asks_first_and_changes_nothing_until_confirmed(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    audit_before = AuditRecord.objects.count()
    response = client.post(
        outcome_url(task), {"outcome": "declined", "note": "不需要", "version": 1}
    )
    assert response.status_code == 200
    page = html(response)
    assert "Close the task?" in page and 'data-testid="confirm-close"' in page
    assert "The household declined" in page
    assert f"within {outreach.REOPEN_DAYS} days" in page
    assert "again for 365 days" in page  # the item's own waiting time
    # The confirmation carries what was chosen, and a way back that changes nothing.
    assert 'name="confirmed" value="1"' in page and 'value="declined"' in page
    assert 'value="不需要"' in page
    assert f'href="{detail_url(task)}"' in page
    task.refresh_from_db()
    assert (task.state, task.version, task.closed_at) == ("open", 1, None)
    assert AuditRecord.objects.count() == audit_before

    confirmed = {"outcome": "declined", "note": "不需要", "version": 1, "confirmed": "1"}
    response = client.post(outcome_url(task), confirmed)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "declined" and task.closed_at is not None
    assert task.outcome_note == "不需要"


def test_not_eligible_asks_first_too_but_contacted_does_not(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    response = client.post(outcome_url(task), {"outcome": "not_eligible", "version": 1})
    assert response.status_code == 200 and "Close the task?" in html(response)
    task.refresh_from_db()
    assert task.state == "open"
    response = client.post(outcome_url(task), {"outcome": "contacted", "version": 1})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "contacted"


def test_a_stale_decline_is_not_asked_about_but_refused(w, task):  # noqa: F811
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    response = client_for(w.users.cw).post(outcome_url(task), {"outcome": "declined", "version": 1})
    assert response.status_code == 409
    assert "Someone else changed this task" in html(response)


def test_the_confirmation_page_speaks_chinese(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = html(client.post(outcome_url(task), {"outcome": "declined", "version": 1}))
    with translation.override("zh-hans"):
        assert translation.gettext("Yes, close the task") in page
        assert translation.gettext("The household declined") in page
    assert "是，关闭此任务" in page


# --- reopening: the service ---------------------------------------------------------------


def declined(w, task):  # noqa: F811
    return outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="declined")


def test_a_declined_task_is_reopened_to_contact_with_the_reason_recorded(w, task):  # noqa: F811
    task = declined(w, task)
    task = outreach.task_reopen(
        actor=w.users.cw, task=task, reason="点错了", expected_version=task.version
    )
    assert (task.state, task.closed_at, task.contacted_at) == ("open", None, None)
    assert task.version == 3
    [line, *_] = selectors.task_timeline(task=task)
    assert (line.verb, line.text, line.actor) == ("reopened", "Reopened: 点错了", w.users.cw)
    [record] = reopen_audit(task)
    assert record.reason == "点错了" and record.actor == w.users.cw
    assert record.changes["before"]["state"] == "declined"
    assert record.changes["after"]["state"] == "open"
    # Open again: it is on the worker's list, and the scan makes no second task.
    assert task in selectors.task_list(user=w.users.cw, filters={"who": "mine"})
    assert outreach.scan().created == 0


def test_a_task_contacted_before_it_was_closed_goes_back_to_contacted(w, task):  # noqa: F811
    task = outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    contacted_at = task.contacted_at
    task = outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="not_eligible")
    task = outreach.task_reopen(actor=w.users.grid, task=task, reason="条件看错了")
    assert (task.state, task.contacted_at, task.closed_at) == ("contacted", contacted_at, None)


def test_reopening_is_refused_after_the_days_are_over(w, task):  # noqa: F811
    declined(w, task)
    closed_days_ago(task, outreach.REOPEN_DAYS + 0.01)
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了")
    assert e.value.error_list[0].code == "expired"
    assert f"more than {outreach.REOPEN_DAYS} days ago" in e.value.messages[0]
    task.refresh_from_db()
    assert task.state == "declined" and not reopen_audit(task).exists()


def test_reopening_is_allowed_to_the_last_moment(w, task):  # noqa: F811
    declined(w, task)
    closed_days_ago(task, outreach.REOPEN_DAYS - 0.01)
    assert outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了").state == "open"


@pytest.mark.parametrize("reason", ["", "   ", "x" * (outreach.REASON_MAX_LENGTH + 1)])
def test_reopening_needs_a_reason(w, task, reason):  # noqa: F811
    declined(w, task)
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason=reason)
    assert "reason" in e.value.message_dict
    task.refresh_from_db()
    assert task.state == "declined"


def test_open_and_applied_tasks_are_not_reopened(w, task):  # noqa: F811
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了")
    assert e.value.error_list[0].code == "open"
    OutreachTask.objects.filter(pk=task.pk).update(
        state=OutreachState.APPLIED, closed_at=timezone.now()
    )
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了")
    assert e.value.error_list[0].code == "applied"


def test_reopening_a_second_time_the_same_moment_is_refused(w, task):  # noqa: F811
    task = declined(w, task)
    version = task.version
    outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了", expected_version=version)
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了", expected_version=version)
    assert e.value.error_list[0].code == "stale"
    assert reopen_audit(task).count() == 1


def test_no_reopening_beside_a_newer_open_task(w, task):  # noqa: F811
    declined(w, task)
    newer = OutreachTask.objects.create(
        item=task.item,
        item_version=task.item_version,
        household=task.household,
        area=task.area,
        state=OutreachState.OPEN,
    )
    with pytest.raises(ValidationError) as e:
        outreach.task_reopen(actor=w.users.cw, task=task, reason="点错了")
    assert e.value.error_list[0].code == "duplicate"
    assert timezone.localdate(newer.found_at).isoformat() in e.value.messages[0]


def test_only_a_worker_of_the_area_reopens(w, task):  # noqa: F811
    declined(w, task)
    with pytest.raises(OutOfScope):
        outreach.task_reopen(actor=w.users.cw_other, task=task, reason="点错了")
    with pytest.raises(PermissionDenied):
        outreach.task_reopen(actor=w.users.street, task=task, reason="点错了")
    task.refresh_from_db()
    assert task.state == "declined"


# --- reopening: the pages -----------------------------------------------------------------


def test_decline_then_reopen_through_the_pages(w, task):  # noqa: F811
    """The whole flow as a worker clicks it, no JavaScript: decline, confirm, see the offer to
    reopen with its last moment, reopen with a reason, see the task open and the line."""
    client = client_for(w.users.cw)
    client.post(outcome_url(task), {"outcome": "declined", "version": 1, "confirmed": "1"})
    task.refresh_from_db()
    page = html(client.get(detail_url(task)))
    until = timezone.localtime(task.closed_at + dt.timedelta(days=outreach.REOPEN_DAYS))
    assert "Closed by mistake?" in page
    assert f"You can reopen this task until {until:%Y-%m-%d %H:%M}" in page
    assert f'action="{reopen_url(task)}"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = client.post(reopen_url(task), {"reason": "点错了", "version": version})
    assert response.status_code == 302 and response["Location"] == detail_url(task)
    page = html(client.get(detail_url(task)))
    assert 'data-testid="task-state-open"' in page
    assert "Reopened: 点错了" in page and "Record the outcome" in page
    assert "Closed by mistake?" not in page


def test_the_page_says_when_it_is_too_late_and_the_post_is_refused(w, task):  # noqa: F811
    declined(w, task)
    closed_days_ago(task, outreach.REOPEN_DAYS + 1)
    client = client_for(w.users.cw)
    page = html(client.get(detail_url(task)))
    assert f"can be reopened only within {outreach.REOPEN_DAYS} days" in page
    assert f'action="{reopen_url(task)}"' not in page
    response = client.post(reopen_url(task), {"reason": "点错了", "version": 2})
    assert response.status_code == 400
    assert "it can no longer be reopened" in html(response)
    task.refresh_from_db()
    assert task.state == "declined"


def test_a_reopen_without_a_reason_is_400_naming_the_field(w, task):  # noqa: F811
    declined(w, task)
    response = client_for(w.users.cw).post(reopen_url(task), {"reason": " ", "version": 2})
    assert response.status_code == 400
    assert "Why reopen it: Say why the task is reopened." in html(response)
    task.refresh_from_db()
    assert task.state == "declined"


def test_reopen_scope_other_area_404_viewer_403_get_405(w, task):  # noqa: F811
    declined(w, task)
    body = {"reason": "点错了", "version": 2}
    assert client_for(w.users.cw_other).post(reopen_url(task), body).status_code == 404
    assert client_for(w.users.street).post(reopen_url(task), body).status_code == 403
    resident = f.user_with("resident", w.wangjia)
    assert client_for(resident).post(reopen_url(task), body).status_code == 404
    assert client_for(w.users.cw).get(reopen_url(task)).status_code == 405
    task.refresh_from_db()
    assert task.state == "declined" and not reopen_audit(task).exists()
    # A viewer sees the closed task but no offer to reopen it.
    page = html(client_for(w.users.street).get(detail_url(task)))
    assert "Closed by mistake?" not in page
