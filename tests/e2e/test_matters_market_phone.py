"""工福街 morning market, on a 375-px phone, as each person would: 王大威 proposes “游麟路早市占道”
(我要提事), a neighbour supports it with the big 附议 button, an opinion collector writes down two
neighbours' complaints, the community worker takes it up, a panel member of the “工福晴雨”
advisory panel writes options, and a 工福会客厅 meeting is arranged with the market office and
the city-management department, its roll taken and its minutes recorded.

Then, from a world already at that meeting (built through the services), to the end: the
community worker puts the panel's options to the resident representatives, who vote on their
phones; the decision (stalls leave by 8:30) is divided into tasks for the city-management
department and the market office, whose staff report their progress; the supervision panel's
member records an inspection that passes; 王大威 rates the result, the ratings are counted, and
the public board shows 李秀英 the whole story. Each person has a phone of their own (a browser
context), logged in once.

Elements are found by id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/matters-*.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.decide import services
from linli.decide.models import Matter, MatterTask, Meeting, ResidentRating, Vote
from linli.decide.services import Invitee
from linli.registry import services as registry_services

from .. import factories as f
from ..decide import helpers as decide_helpers
from ..factories import PASSWORD
from .conftest import go_by_nav, log_in, log_out, nav_link, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIG_BUTTON_PX = 48


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=5000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _detail(base: str, matter) -> str:
    return f"{base}{reverse('decide:detail', args=[matter.pk])}"


def test_the_morning_market_from_proposal_to_the_parlour_meeting(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    d = decide_helpers.build_decide(world)
    base = live_server.url
    page = page_at("phone")

    # 王大威: 我要提事 from the menu, the kind of matter, a few words, what is wrong.
    log_in(page, base, d.users["wang"].username, PASSWORD)
    go_by_nav(page, reverse("decide:raise"))
    page.locator(f"input[name=category][value='{d.market.pk}']").check()
    page.locator("input[name=title]").fill(decide_helpers.MARKET_TITLE)
    page.locator("textarea[name=description]").fill(decide_helpers.MARKET_TEXT)
    send = page.locator("[data-testid=propose-submit]")
    assert send.bounding_box()["height"] >= BIG_BUTTON_PX
    _shot(page, "matters-propose-phone")
    send.click()
    matter = Matter.objects.get()
    page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=step-propose]")).to_have_attribute("aria-current", "step")
    assert matter.proposer == d.wang and matter.channel == "resident_phone"
    log_out(page, base)

    # 李秀英, a neighbour: 社区议事, the matter, the big 附议 button.
    log_in(page, base, d.users["li"].username, PASSWORD)
    go_by_nav(page, reverse("decide:community"))
    expect(page.locator("[data-testid=community-matter]")).to_have_count(1)
    _shot(page, "matters-community-phone")
    page.goto(_detail(base, matter))
    support = page.locator("[data-testid=support]")
    assert support.bounding_box()["height"] >= BIG_BUTTON_PX
    _shot(page, "matters-support-phone")
    support.click()
    page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=supported]")).to_be_visible()
    log_out(page, base)

    # The opinion collector writes down two neighbours' complaints.
    log_in(page, base, d.users["collector"].username, PASSWORD)
    for text, name in (
        ("早上七点到九点车根本过不去，孩子上学要绕路", "张桂兰"),
        ("摊贩收摊后垃圾满地", ""),
    ):
        page.goto(_detail(base, matter))
        page.locator("[data-testid=add-opinion]").click()
        page.locator("textarea[name=text]").fill(text)
        page.locator("input[name=name]").fill(name)
        page.locator("[data-testid=action-submit]").click()
        page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=opinion]")).to_have_count(2)
    log_out(page, base)

    # The community worker takes it up from the matters waiting.
    log_in(page, base, d.users["community_worker"].username, PASSWORD)
    go_by_nav(page, reverse("decide:queue"))
    page.locator(f"a[href='{reverse('decide:detail', args=[matter.pk])}']").first.click()
    page.wait_for_url(_detail(base, matter))
    page.locator("[data-testid=take-up]").click()
    page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=step-deliberate]")).to_have_attribute("aria-current", "step")
    log_out(page, base)

    # 马振华 of the advisory panel, who studies 市场经营, writes two options.
    log_in(page, base, d.users["adviser"].username, PASSWORD)
    for title, details in (
        ("规定早市时间", "早市每天6:00开市，8:30前全部撤摊"),
        ("划定摊位区域", "在游麟路东侧划线设摊，不占机动车道"),
    ):
        page.goto(_detail(base, matter))
        page.locator("[data-testid=add-option]").click()
        page.locator("input[name=title]").fill(title)
        page.locator("textarea[name=description]").fill(details)
        page.locator("[data-testid=action-submit]").click()
        page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=option]")).to_have_count(2)
    log_out(page, base)

    # The community worker arranges the 工福会客厅 with the market office and city management.
    log_in(page, base, d.users["community_worker"].username, PASSWORD)
    page.goto(_detail(base, matter))
    page.locator("[data-testid=arrange-meeting]").click()
    page.locator("[data-testid=kind-parlour]").check()
    page.locator("input[name=title]").fill("工福会客厅：游麟路早市")
    starts = timezone.localtime() - dt.timedelta(hours=2)
    page.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.locator("input[name=place]").fill("工福街社区会客厅")
    page.locator("textarea[name=agenda]").fill(
        "1. 听取居民意见\n2. 讨论顾问团方案\n3. 划分各方任务"
    )
    page.locator("textarea[name=building_heads]").fill("王大威")
    page.locator("textarea[name=representatives]").fill("李秀英")
    page.locator(f"[data-testid=departments-{d.market_office.pk}]").check()
    page.locator(f"[data-testid=departments-{d.city.pk}]").check()
    page.locator(f"[data-testid=panel-{d.adviser_seat.pk}]").check()
    _shot(page, "matters-meeting-form-phone")
    page.locator("[data-testid=action-submit]").click()
    page.wait_for_url(_detail(base, matter))
    meeting = Meeting.objects.get(matter=matter)
    invitees = list(meeting.invitees.order_by("pk"))
    assert [i.role for i in invitees] == [
        "building_head",
        "representative",
        "department",
        "department",
        "panel",
    ]

    # The roll: all came but the city-management department; then the minutes.
    page.locator("[data-testid=take-roll]").click()
    for invitee in invitees:
        if invitee.organisation_id != d.city.pk:
            page.locator(f"[data-testid=present-{invitee.pk}]").check()
    page.locator("[data-testid=action-submit]").click()
    page.wait_for_url(_detail(base, matter))
    page.locator("[data-testid=write-minutes]").click()
    page.locator("textarea[name=minutes]").fill(
        "会议商定：早市8:30前全部撤摊；市场服务中心负责摊位管理，综合行政执法局负责早间巡查。"
    )
    page.locator("[data-testid=action-submit]").click()
    page.wait_for_url(_detail(base, matter))
    expect(page.locator("[data-testid=minutes]")).to_contain_text("8:30")
    expect(page.locator("[data-testid=roll]")).to_be_visible()
    _shot(page, "matters-deliberated-phone")
    meeting.refresh_from_db()
    assert meeting.held_at is not None
    assert [i.present for i in meeting.invitees.order_by("pk")] == [True, True, True, False, True]
    problems.assert_clean()


# --- from the parlour meeting to the board --------------------------------------------------------


def _at_the_parlour(d) -> Matter:
    """The morning market as the first test leaves it, through the services: proposed, supported,
    two opinions, taken up, the panel's two options, the 工福会客厅 held with its minutes; and
    王大威 and 李秀英 registered as resident representatives 居民代表."""
    matter = decide_helpers.propose(d)
    services.matter_support(actor=d.users["li"], matter=matter)
    for text in ("早上七点到九点车根本过不去，孩子上学要绕路", "摊贩收摊后垃圾满地"):
        services.opinion_add(actor=d.users["collector"], matter=matter, text=text)
    worker = d.users["community_worker"]
    matter = services.matter_take_up(actor=worker, matter=matter)
    for title, details in (
        ("规定早市时间", "早市每天6:00开市，8:30前全部撤摊"),
        ("划定摊位区域", "在游麟路东侧划线设摊，不占机动车道"),
    ):
        services.option_add(
            actor=d.users["adviser"], matter=matter, title=title, description=details
        )
    meeting = services.meeting_arrange(
        actor=worker,
        matter=matter,
        kind="parlour",
        title="工福会客厅：游麟路早市",
        starts_at=timezone.now() - dt.timedelta(hours=2),
        place="工福街社区会客厅",
        agenda="1. 听取居民意见\n2. 讨论顾问团方案\n3. 划分各方任务",
        invitees=[
            Invitee(role="building_head", resident=d.wang),
            Invitee(role="representative", resident=d.li),
            Invitee(role="department", organisation=d.market_office),
            Invitee(role="department", organisation=d.city),
        ],
    )
    services.meeting_roll(
        actor=worker, meeting=meeting, present=[i.pk for i in meeting.invitees.all()]
    )
    services.meeting_minutes(
        actor=worker,
        meeting=meeting,
        minutes="会议商定：早市8:30前全部撤摊；市场服务中心负责摊位管理，综合行政执法局负责早间巡查。",
    )
    representative = registry_services.tag_save(actor=None, name="居民代表", target="resident")
    for person in (d.wang, d.li):
        registry_services.resident_update(actor=None, resident=person, tags=[(representative, "")])
    return matter


def _phone(page_at, base: str, user):
    page = page_at("phone")
    log_in(page, base, user.username, PASSWORD)
    return page


def _cast(page, base: str) -> None:
    """A representative votes for the first choice (the panel's 规定早市时间) on the phone."""
    from playwright.sync_api import expect

    go_by_nav(page, reverse("votes:mine"))
    page.locator("[data-testid=open-vote]").click()
    page.locator("[data-testid=choice]").first.click()
    page.locator("[data-testid=confirm]").click()
    expect(page.locator("[data-testid=voted]")).to_be_visible()


def _report(page, base: str, task, percent: int, text: str) -> None:
    """The task's owner: 分工任务 from the menu, the task, 报告进展 with the percent done."""
    from playwright.sync_api import expect

    go_by_nav(page, reverse("matter_tasks:list"))
    page.locator(f"a[href='{reverse('matter_tasks:detail', args=[task.pk])}']").click()
    page.locator("[data-testid=report-link]").click()
    page.locator("input[name=percent]").fill(str(percent))
    page.locator("textarea[name=text]").fill(text)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{reverse('matter_tasks:detail', args=[task.pk])}")
    expect(page.locator("[data-testid=report]").last).to_contain_text(f"{percent}%")


def _board(page, base: str, community) -> None:
    """我的社区公开栏 from the menu: straight to the resident's community's board."""
    page.goto(f"{base}/")
    nav_link(page, reverse("board:index")).click()
    page.wait_for_url(f"{base}{reverse('board:community', args=[community.pk])}")


def test_the_morning_market_from_the_parlour_to_the_board(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    d = decide_helpers.build_decide(world)
    market_staff = f.user_with("department_staff", world.district, organisation=d.market_office)
    matter = _at_the_parlour(d)
    base = live_server.url
    manage_page = reverse("matter_tasks:matter", args=[matter.pk])

    # The community worker prepares the vote from the matter page: the panel's options as the
    # choices, the resident representatives on their phones, a simple majority; then opens it.
    worker = _phone(page_at, base, d.users["community_worker"])
    go_by_nav(worker, reverse("decide:list"))
    worker.locator(f"a[href='{reverse('decide:detail', args=[matter.pk])}']").first.click()
    worker.locator("[data-testid=prepare-vote]").click()
    worker.locator("input[name=question]").fill("游麟路早市采用哪个方案")
    worker.locator("select[name=body]").select_option("representatives")
    worker.locator("input[name=quorum_percent]").fill("100")
    worker.locator("select[name=majority]").select_option("simple")
    worker.locator("select[name=method]").select_option("phone")
    closes = timezone.localtime() + dt.timedelta(days=3)
    worker.locator("input[name=closes_at]").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    for option in matter.options.all():
        worker.locator(f"input[name=options][value='{option.pk}']").check()
    _shot(worker, "matters-vote-prepare-phone")
    worker.locator("main form button[type=submit]").click()
    vote = Vote.objects.get(matter=matter)
    vote_page = f"{base}{reverse('votes:detail', args=[vote.pk])}"
    worker.wait_for_url(vote_page)
    worker.locator("[data-testid=vote-open]").click()
    worker.wait_for_url(vote_page)
    expect(worker.locator("[data-testid=vote-turnout]")).to_be_visible()
    _shot(worker, "matters-vote-open-phone")

    # 王大威 and 李秀英, the representatives, vote on their phones.
    wang = _phone(page_at, base, d.users["wang"])
    li = _phone(page_at, base, d.users["li"])
    for page in (wang, li):
        _cast(page, base)

    # Everyone on the roll has voted: the worker closes the vote; the decision is taken.
    worker.goto(_detail(base, matter))
    worker.locator("[data-testid=matter-vote]").click()
    worker.wait_for_url(vote_page)
    worker.locator("[data-testid=vote-close]").click()
    worker.wait_for_url(vote_page)
    expect(worker.locator("[data-testid=vote-result]")).to_contain_text("规定早市时间")
    _shot(worker, "matters-vote-closed-phone")
    matter.refresh_from_db()
    assert matter.stage == "manage" and matter.decision == "规定早市时间"

    # The decision divided: one task for each department, each with its owner and a deadline.
    worker.locator("[data-testid=vote-matter]").click()
    worker.wait_for_url(_detail(base, matter))
    expect(worker.locator("[data-testid=step-manage]")).to_have_attribute("aria-current", "step")
    expect(worker.locator("[data-testid=prepare-vote]")).to_have_count(0)
    expect(worker.locator("[data-testid=matter-decision]")).to_have_text("规定早市时间")
    _shot(worker, "matters-decided-phone")
    worker.locator(f"[data-testid=part-links] a[href='{manage_page}']").click()
    due = timezone.localdate() + dt.timedelta(days=7)
    for title, organisation, owner, name in (
        ("早间巡查，8:30后清理占道摊点", d.city, d.users["city_staff"], "王科长"),
        ("摊贩8:30前撤离游麟路", d.market_office, market_staff, "孙主任"),
    ):
        worker.locator("[data-testid=assign-task]").click()
        worker.locator("input[name=title]").fill(title)
        worker.locator("select[name=organisation]").select_option(str(organisation.pk))
        worker.locator("select[name=owner]").select_option(str(owner.pk))
        worker.locator("input[name=owner_name]").fill(name)
        worker.locator("input[name=due_on]").fill(due.isoformat())
        _shot(worker, "matters-task-assign-phone")
        worker.locator("main form button[type=submit]").click()
        worker.wait_for_url(f"{base}{manage_page}")
    expect(worker.locator("[data-testid=task]")).to_have_count(2)
    city_task, market_task = MatterTask.objects.filter(matter=matter).order_by("pk")

    # Each department's staff report their progress, in percent, on their phones.
    city = _phone(page_at, base, d.users["city_staff"])
    _report(city, base, city_task, 60, "已安排执法队员每天7:30起巡查")
    _shot(city, "matters-task-progress-phone")
    _report(city, base, city_task, 100, "连续两周8:30后路面无摊点")
    market = _phone(page_at, base, market_staff)
    _report(market, base, market_task, 100, "摊贩全部于8:30前撤离，已签承诺书")
    assert {t.state for t in MatterTask.objects.filter(matter=matter)} == {"done"}

    # Every task done on time: the worker starts the supervision.
    worker.goto(f"{base}{manage_page}")
    worker.locator("[data-testid=supervise]").click()
    worker.wait_for_url(f"{base}{manage_page}")
    expect(worker.locator("[data-testid=record-inspection]")).to_be_visible()

    # 刘长江 of the supervision panel inspects and records that it passes.
    supervisor = _phone(page_at, base, d.users["supervisor"])
    go_by_nav(supervisor, reverse("decide:list"))
    supervisor.locator(f"a[href='{reverse('decide:detail', args=[matter.pk])}']").first.click()
    supervisor.locator(f"[data-testid=part-links] a[href='{manage_page}']").click()
    supervisor.locator("[data-testid=record-inspection]").click()
    supervisor.locator("input[name=passed][value=yes]").check()
    supervisor.locator("textarea[name=notes]").fill("连续三天早上8:30到场查看，游麟路畅通无摊点")
    _shot(supervisor, "matters-inspection-phone")
    supervisor.locator("main form button[type=submit]").click()
    supervisor.wait_for_url(f"{base}{manage_page}")
    expect(supervisor.locator("[data-testid=inspections]")).to_contain_text("8:30")

    # 王大威 rates the result on the board; the worker counts the ratings: done.
    _board(wang, base, d.community)
    wang.locator(f"#matter-{matter.pk} [data-testid=rate-link]").click()
    wang.locator("label[for=id_rating_0]").click()  # 满意
    wang.locator("#id_note").fill("早上路通了，孩子上学不用绕路")
    _shot(wang, "matters-rate-phone")
    wang.locator("main form button[type=submit]").click()
    expect(wang.locator("[data-testid=board-ratings]")).to_contain_text("1")
    assert ResidentRating.objects.get().rating == "satisfied"
    worker.goto(f"{base}{manage_page}")
    worker.locator("[data-testid=close]").click()
    worker.wait_for_url(f"{base}{manage_page}")
    matter.refresh_from_db()
    assert matter.stage == "done"

    # 李秀英 reads the whole story on her community's board.
    _board(li, base, d.community)
    li.locator(f"#matter-{matter.pk} h3 a").click()
    li.wait_for_url(f"{base}{reverse('board:matter', args=[matter.pk])}")
    entry = li.locator(f"#matter-{matter.pk}")
    expect(entry.locator("[data-testid=steps] li.step-done")).to_have_count(5)  # all five done
    expect(entry.locator("[data-testid=board-vote]")).to_contain_text("规定早市时间")
    expect(entry.locator("[data-testid=board-task]")).to_have_count(2)
    expect(entry.locator("[data-testid=board-task] progress").first).to_have_attribute(
        "value", "100"
    )
    expect(entry.locator("[data-testid=board-inspection]")).to_contain_text("8:30")
    expect(entry.locator("[data-testid=board-ratings]")).to_contain_text("1")
    _shot(li, "matters-board-done-phone")
    problems.assert_clean()
