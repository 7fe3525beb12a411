"""The service hall's two stories from the source, in Chromium.

刘志辉: the daily outreach job finds his household eligible for 助学贷款补助申请 (a poor household
with a daughter in primary school); his community worker, on a 375 px phone, sees why, records
that she contacted him and takes the application at the counter from the task with everything
he brought: one trip. The hall, the street office and the two steps of 峡山区教育局 approve it;
he rates it from "My applications".

张炳利: the worker of 营辉社区 takes his 大病救助 application on Monday 2026-09-28; the hall, the
street office, 峡山区卫生健康局 and 峡山区民政局 carry it across the National Day holiday (and the
make-up working day 10-10) to completion on working day 10 of the 15 promised; the district
leader's dashboard shows it 5 working days early. The clock is moved with time-machine: the
live server's thread follows it, so each person logs in again after a jump.

Elements are found by id, href, role or data-testid (Chinese data names only as data).
Screenshots go to test-artifacts/screenshots/hall-liu-* and hall-zhang-*.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from linli.accounts.models import Grant, User
from linli.accounts.services import grant_create, user_create
from linli.core import periodic
from linli.core.choices import AreaKind
from linli.core.jobs import run_pending_jobs
from linli.core.models import Area
from linli.demo.data import DEMO_PASSWORD, DISTRICT_NAME
from linli.hall.choices import (
    OPEN_OUTREACH_STATES,
    ApplicationState,
    OutreachState,
    StepState,
)
from linli.hall.models import Application, OutreachTask, ServiceItem
from linli.registry.models import Organisation, Resident

from .conftest import go_by_nav, log_in, log_out, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOAN = "助学贷款补助申请"
ILLNESS = "大病救助"
EDUCATION = "峡山区教育局"
HEALTH = "峡山区卫生健康局"
CIVIL_AFFAIRS = "峡山区民政局"
OUTREACH_JOB = "services.scan_outreach"
RATING_COMMENT = "社区主动上门，只跑了一趟"


def _expect():
    from playwright.sync_api import expect

    return expect


def _shot(page, name: str, *, phone: bool = False) -> None:
    """A screenshot of a key step; on a phone, nothing may need sideways scrolling."""
    screenshot(page, name, max_height=4000)
    if phone:
        assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _required_materials(item: ServiceItem) -> list[str]:
    names = list(item.current.materials.filter(required=True).values_list("name", flat=True))
    assert names, f"{item.name} asks for no required material"
    return names


def _department_staff(username: str, display_name: str, department: str) -> User:
    """A login for a district department the demo has no login for."""
    user = user_create(
        actor=None, username=username, password=DEMO_PASSWORD, display_name=display_name
    )
    grant_create(
        actor=None,
        user=user,
        role="department_staff",
        area=Area.objects.get(name=DISTRICT_NAME, kind=AreaKind.DISTRICT),
        organisation=Organisation.objects.get(name=department),
    )
    return user


def _tick_required(page, item: ServiceItem) -> None:
    """Tick every required material in the counter's take form (the resident came in person:
    the channel stays "at the counter")."""
    expect = _expect()
    take = page.locator("#take-form")
    for name in _required_materials(item):
        box = take.locator(f"input[name=materials][value='{name}']")
        box.check()
        expect(box).to_be_checked()
    expect(take.locator("input[name=channel][value=counter]")).to_be_checked()


def _submit_counter(page) -> int:
    """Submit the take form; the id of the application page it lands on."""
    page.locator("#take-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/services/applications/\d+/$"))
    return int(re.search(r"/applications/(\d+)/$", page.url).group(1))


def _finish_in_queue(page, step) -> None:
    """To do → the step's card → "approve" → record; back on the queue, the step is gone."""
    expect = _expect()
    go_by_nav(page, "/services/steps/")
    form = page.locator(f"form[action='/services/steps/{step.pk}/']")
    # The queue lists the nearest deadline first; older steps of the office may fill the first
    # page, so walk on until the step is there, as a person would.
    while not form.count():
        following = page.locator(".pagination li.active + li > a.page-link")
        assert following.count(), f"step {step.pk} ({step.name}) is not in the To-do queue"
        with page.expect_navigation():
            following.click()
    card = page.locator("details").filter(has=form)
    card.locator("summary").click()
    expect(form).to_be_visible()
    form.locator("input[name=result][value=approve]").check()
    with page.expect_navigation(url=re.compile(r"/services/steps/(\?.*)?$")):
        form.locator("button[type=submit]").click()
    expect(page.locator(f"form[action='/services/steps/{step.pk}/']")).to_have_count(0)
    step.refresh_from_db()
    assert step.state == StepState.DONE, step.state


def _steps(application: Application) -> list:
    return list(application.steps.order_by("order"))


# --- 刘志辉 ------------------------------------------------------------------------------------


def _run_outreach_job() -> dict:
    """Queue the daily outreach scan as the schedule does and run it as a worker does."""
    job = {entry.name: entry for entry in periodic.schedule()}[OUTREACH_JOB]
    result = job.task.enqueue()
    assert run_pending_jobs() >= 1
    result.refresh()
    assert result.status.name == "SUCCESSFUL", result.errors
    return result.return_value


def test_liu_zhihui_story(page_at, problems, demo_site):
    expect = _expect()
    base = demo_site
    liu = Resident.objects.select_related("household").get(name="刘志辉")
    loan = ServiceItem.objects.get(name=LOAN)
    worker = User.objects.get(username="community_worker")

    # 1. The outreach job finds his household again once the demo's tasks are gone.
    open_tasks = OutreachTask.objects.filter(
        household=liu.household, state__in=OPEN_OUTREACH_STATES
    )
    assert open_tasks.filter(item=loan).exists(), "the demo build left no task for 刘志辉"
    open_tasks.delete()
    assert not OutreachTask.objects.filter(household=liu.household, item=loan).exists()
    figures = _run_outreach_job()
    assert figures["created"] >= 1
    task = OutreachTask.objects.get(household=liu.household, item=loan)
    assert task.state == OutreachState.OPEN
    assert task.assignee_id == worker.pk
    # Running it again makes no second task.
    _run_outreach_job()
    assert OutreachTask.objects.filter(household=liu.household, item=loan).count() == 1

    # 2. The community worker, on her phone: menu → outreach tasks → the task.
    phone = page_at("phone")
    log_in(phone, base, "community_worker")
    go_by_nav(phone, "/services/outreach/")
    link = phone.locator(f"#results a[href='/services/outreach/{task.pk}/']")
    expect(link).to_have_count(1)
    expect(link).to_have_text(task.resident.name)
    _shot(phone, "hall-liu-01-outreach-list", phone=True)
    link.click()
    phone.wait_for_url(f"{base}/services/outreach/{task.pk}/")
    reasons = phone.get_by_test_id("outreach-reasons")
    expect(reasons).to_contain_text("困难户")
    expect(reasons).to_contain_text("刘欣怡")
    expect(reasons).to_contain_text("小学")
    expect(phone.get_by_test_id("task-state-open")).to_be_visible()
    _shot(phone, "hall-liu-02-task-reasons", phone=True)

    # … records that she contacted him …
    outcome = phone.locator(f"form[action='/services/outreach/{task.pk}/outcome/']")
    outcome.locator("input[name=outcome][value=contacted]").check()
    outcome.locator("button[type=submit]").click()
    phone.wait_for_url(f"{base}/services/outreach/{task.pk}/")
    expect(phone.get_by_test_id("task-state-contacted")).to_be_visible()
    task.refresh_from_db()
    assert task.state == OutreachState.CONTACTED
    _shot(phone, "hall-liu-03-task-contacted", phone=True)

    # … and takes the application from the task: the counter has him and the item chosen.
    take_link = phone.locator(f"main a[href^='/services/counter/?'][href*='outreach={task.pk}']")
    expect(take_link).to_have_count(1)
    take_link.click()
    phone.wait_for_url(re.compile(r"/services/counter/\?"))
    expect(phone.locator("section[aria-labelledby=who] .fw-semibold")).to_have_text("刘志辉")
    expect(phone.locator("#choose-item")).to_have_value(str(loan.pk))
    _tick_required(phone, loan)
    _shot(phone, "hall-liu-04-counter", phone=True)
    pk = _submit_counter(phone)
    application = Application.objects.get(pk=pk)
    today = timezone.localdate().isoformat()
    expect(phone.get_by_test_id("state-in_progress").first).to_be_visible()
    expect(phone.get_by_test_id("received-on")).to_have_text(application.received_on.isoformat())
    expect(phone.get_by_test_id("trip-count")).to_have_text("1")
    steps = _steps(application)
    assert [s.organisation.name for s in steps[2:]] == [EDUCATION, EDUCATION]
    expect(phone.get_by_test_id("step-1")).to_have_class(re.compile(r"\btable-primary\b"))
    expect(phone.get_by_test_id("step-2")).not_to_have_class(re.compile(r"\btable-primary\b"))
    assert application.state == ApplicationState.IN_PROGRESS
    assert application.current_step == 1
    assert application.received_on.isoformat() == today
    _shot(phone, "hall-liu-05-application-received", phone=True)

    # 3. The hall step: she approves it on the application page.
    hall_form = phone.locator(f"form[action='/services/steps/{steps[0].pk}/']")
    hall_form.locator("input[name=result][value=approve]").check()
    hall_form.locator("button[type=submit]").click()
    phone.wait_for_url(f"{base}/services/applications/{pk}/")
    expect(phone.locator(f"form[action='/services/steps/{steps[0].pk}/']")).to_have_count(0)
    expect(phone.get_by_test_id("step-2")).to_have_class(re.compile(r"\btable-primary\b"))
    _shot(phone, "hall-liu-06-hall-step-done", phone=True)
    problems.assert_clean()

    # 4. The street office: the street cadre finishes it from To do.
    desk = page_at("desktop")
    log_in(desk, base, "street_cadre")
    _finish_in_queue(desk, steps[1])
    _shot(desk, "hall-liu-07-street-queue")
    log_out(desk, base)

    # 5. 峡山区教育局: a login for the department, both of its steps from To do.
    _department_staff("education_staff", "教育局工作人员", EDUCATION)
    log_in(desk, base, "education_staff")
    _finish_in_queue(desk, steps[2])
    _shot(desk, "hall-liu-08-education-approval")
    _finish_in_queue(desk, steps[3])
    _shot(desk, "hall-liu-09-education-payment")
    log_out(desk, base)

    # 6. Completed, with one trip; 刘志辉 rates it from "My applications".
    phone.goto(f"{base}/services/applications/{pk}/")
    expect(phone.get_by_test_id("state-completed").first).to_be_visible()
    expect(phone.get_by_test_id("trip-count")).to_have_text("1")
    _shot(phone, "hall-liu-10-completed", phone=True)

    log_in(desk, base, "resident")
    go_by_nav(desk, "/services/mine/")
    rate = desk.locator(f"main a[href='/services/applications/{pk}/rate/']")
    expect(rate).to_have_count(1)
    _shot(desk, "hall-liu-11-my-applications")
    rate.click()
    desk.wait_for_url(f"{base}/services/applications/{pk}/rate/")
    form = desk.locator("main form.card")
    form.locator("input[name=score][value='5']").check()
    form.locator("textarea[name=comment]").fill(RATING_COMMENT)
    form.locator("button[type=submit]").click()
    desk.wait_for_url(f"{base}/services/applications/{pk}/")
    expect(desk.get_by_test_id("rating")).to_contain_text(RATING_COMMENT)
    expect(desk.get_by_test_id("rating")).to_contain_text("5")
    _shot(desk, "hall-liu-12-rated")
    problems.assert_clean()

    # 7. In the database.
    application.refresh_from_db()
    assert application.state == ApplicationState.COMPLETED
    assert application.trip_count == 1
    assert application.trips.count() == 1
    rating = application.rating
    assert rating.score == 5
    assert rating.comment == RATING_COMMENT
    assert rating.source == "resident"
    task.refresh_from_db()
    assert task.state == OutreachState.APPLIED
    assert task.application_id == application.pk


# --- 张炳利 ------------------------------------------------------------------------------------

MONDAY_BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def zhang_site(live_server):
    """The small demo district built on Monday 2026-09-28 09:00 (Asia/Shanghai), with the
    clock running on from there (tick=True) in the test and the live server alike; yields the
    server's address and the traveller that moves the clock."""
    import time_machine

    from linli.demo.builder import build_demo

    with time_machine.travel(MONDAY_BEFORE_NATIONAL_DAY, tick=True) as traveller:
        build_demo(size="small")
        yield live_server.url, traveller


def _zhang_logins() -> dict[str, str]:
    """The logins of 张炳利's route: a worker of 营辉社区, the street cadre of its street (the
    demo's when it has one there), a 卫健局 staff member, and the demo's 民政局 staff."""
    community = Area.objects.get(name="营辉社区", kind=AreaKind.COMMUNITY)
    street = community.parent
    worker = user_create(
        actor=None,
        username="yinghui_worker",
        password=DEMO_PASSWORD,
        display_name="营辉社区工作人员",
    )
    grant_create(actor=None, user=worker, role="community_worker", area=community)
    cadre = (
        Grant.objects.filter(role="street_cadre", area=street, user__is_active=True)
        .order_by("user_id")
        .values_list("user__username", flat=True)
        .first()
    )
    if cadre is None:
        user = user_create(
            actor=None, username="yinghui_street", password=DEMO_PASSWORD, display_name="街道干部"
        )
        grant_create(actor=None, user=user, role="street_cadre", area=street)
        cadre = user.username
    _department_staff("health_staff", "卫健局工作人员", HEALTH)
    return {
        "worker": worker.username,
        "street": cadre,
        "health": "health_staff",
        "civil": "department_staff",
    }


def _on(traveller, day: dt.date, hour: int = 9) -> None:
    traveller.move_to(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI))


def test_zhang_bingli_story(page_at, problems, zhang_site):
    expect = _expect()
    base, traveller = zhang_site
    zhang = Resident.objects.select_related("household__area").get(name="张炳利")
    village = Area.objects.get(name="营辉村", kind=AreaKind.VILLAGE)
    assert zhang.household.area.path.startswith(village.path)
    illness = ServiceItem.objects.get(name=ILLNESS)
    assert illness.current.time_limit_days == 15
    logins = _zhang_logins()
    page = page_at("desktop")

    # 2026-09-28: the 营辉社区 worker takes the application at the counter, all material in.
    log_in(page, base, logins["worker"])
    go_by_nav(page, "/services/counter/")
    page.locator("#resident-q").fill("zbl")
    page.locator("#resident-q").press("Enter")
    page.wait_for_url(re.compile(r"/services/counter/\?.*q=zbl"))
    choose = page.locator(f"#resident-results a[href*='resident={zhang.pk}']")
    expect(choose).to_have_count(1)
    _shot(page, "hall-zhang-01-counter-search")
    choose.click()
    page.wait_for_url(re.compile(rf"/services/counter/\?resident={zhang.pk}"))
    page.locator("#choose-item").select_option(str(illness.pk))
    expect(page.locator("#take-form input[name=materials]").first).to_be_visible()
    _tick_required(page, illness)
    _shot(page, "hall-zhang-02-counter-materials")
    pk = _submit_counter(page)
    application = Application.objects.get(pk=pk)
    expect(page.get_by_test_id("received-on")).to_have_text("2026-09-28")
    expect(page.get_by_test_id("promised")).to_contain_text("2026-10-23")
    expect(page.get_by_test_id("trip-count")).to_have_text("1")
    number = page.get_by_test_id("application-number").inner_text().strip()
    assert number == application.number
    _shot(page, "hall-zhang-03-received")
    steps = _steps(application)
    assert [s.organisation.name for s in steps[2:]] == [HEALTH, CIVIL_AFFAIRS]
    log_out(page, base)

    # The route, one office a day, across the National Day holiday.
    route = [
        (dt.date(2026, 9, 29), logins["worker"], "hall"),
        (dt.date(2026, 10, 9), logins["street"], "street"),
        (dt.date(2026, 10, 13), logins["health"], "health"),
        (dt.date(2026, 10, 16), logins["civil"], "civil-affairs"),
    ]
    for step, (day, username, office) in zip(steps, route, strict=True):
        _on(traveller, day)
        assert timezone.localdate() == day
        log_in(page, base, username)
        _finish_in_queue(page, step)
        _shot(page, f"hall-zhang-04-{day:%m%d}-{office}")
        log_out(page, base)
    problems.assert_clean()

    application.refresh_from_db()
    assert application.state == ApplicationState.COMPLETED

    # 2026-10-16: the district leader's dashboard shows it 5 working days early.
    log_in(page, base, "district_leader")
    go_by_nav(page, "/services/dashboard/")
    row = page.locator("#recent-completed tbody tr").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("recent-early")).to_have_text(re.compile(r"(^|\D)5(\D|$)"))
    expect(page.locator("#by-item tbody tr").filter(has_text=ILLNESS)).to_have_count(1)
    _shot(page, "hall-zhang-05-dashboard")
    problems.assert_clean()

    # In the database.
    assert application.received_on == dt.date(2026, 9, 28)
    assert application.due_on == dt.date(2026, 10, 23)
    assert application.promised_days == 15
    assert application.working_days_used == 10
    assert application.trip_count == 1
    assert application.finished_at.astimezone(SHANGHAI).date() == dt.date(2026, 10, 16)
