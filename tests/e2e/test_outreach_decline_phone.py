"""该户谢绝 on a 375-px phone: the worker taps "declined", is asked to confirm on a page that
fits the screen, confirms, and then — it was the wrong household — reopens the task with a
reason; the task is back on her list with the line on its timeline."""

from __future__ import annotations

import pytest

from linli.hall.choices import OutreachState
from linli.hall.models import OutreachTask
from linli.hall.outreach import services as outreach

from ..factories import PASSWORD
from ..hall.test_outreach import build_outreach
from ..hall.test_outreach import w as w  # noqa: F401 — the fixture, shared
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHARED = {"w": build_outreach}  # built for each test here: the browser's tests commit


def test_decline_is_confirmed_then_reopened_on_a_phone(live_server, w, page_at, problems):  # noqa: F811
    from playwright.sync_api import expect

    outreach.scan()
    task = OutreachTask.objects.get(item=w.loan)
    base = live_server.url
    detail = f"{base}/services/outreach/{task.pk}/"
    page = page_at("phone")
    log_in(page, base, w.users.cw.username, PASSWORD)
    page.goto(detail)
    outcome = page.locator(f"form[action='/services/outreach/{task.pk}/outcome/']")
    outcome.locator("input[name=outcome][value=declined]").check()
    outcome.locator("button[type=submit]").click()

    confirm = page.get_by_test_id("confirm-close")
    expect(confirm).to_be_visible()
    screenshot(page, "outreach-decline-confirm-phone")
    assert wider_than_window(page) == []
    task.refresh_from_db()
    assert task.state == OutreachState.OPEN  # nothing recorded until confirmed
    confirm.locator("button[type=submit]").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("task-state-declined")).to_be_visible()

    reopen = page.get_by_test_id("reopen")
    expect(reopen).to_be_visible()
    screenshot(page, "outreach-declined-reopen-phone")
    assert wider_than_window(page) == []
    reopen.locator("input[name=reason]").fill("点错了，是隔壁户")
    reopen.locator("button[type=submit]").click()
    page.wait_for_url(detail)
    expect(page.get_by_test_id("task-state-open")).to_be_visible()
    expect(page.locator("ul.timeline")).to_contain_text("点错了，是隔壁户")
    expect(page.get_by_test_id("reopen")).to_have_count(0)
    task.refresh_from_db()
    assert task.state == OutreachState.OPEN and task.closed_at is None
    problems.assert_clean()
