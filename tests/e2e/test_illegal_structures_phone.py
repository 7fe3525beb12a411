"""苇湾社区's illegal structures, on a 375-px phone, as each person would: the renovation of the
old compound is held up by two households' illegal structures. The community worker registers the
matter for building head 吕芳 and takes it up, arranges a 由民做主 meeting of the building heads
and resident representatives, takes its roll and records its minutes; at the meeting the
representatives vote by a show of hands, unanimity required, which the worker enters with its
witness and closes — passed unanimously. The removal becomes a task with a deadline for the
city-management department, whose staff report its progress in percent until it is done; the
worker starts the supervision, a member of 苇湾's supervision panel records an inspection that
passes, 吕芳 rates the result, the ratings are counted and the public board shows it all.

Each person has a phone of their own (a browser context), logged in once. Elements are found by
id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/weiwan-*.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.decide import services
from linli.decide.choices import PanelKind
from linli.decide.models import Matter, MatterTask, Meeting, ResidentRating, Vote, Voter
from linli.registry import services as registry_services

from .. import factories as f
from ..decide import helpers as decide_helpers
from ..factories import PASSWORD
from .conftest import go_by_nav, log_in, nav_link, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "苇湾小区改造受阻：两户违建未拆除"
TEXT = "老旧小区改造施工队已进场，1号楼院、2号楼院各有一户私搭乱建，管线和道路施工无法进行。"
# 苇湾's households beside 吕芳's (she is the first building's head): name, building (0 or 1).
NEIGHBOURS = (("周海涛", 0), ("钱淑华", 0), ("冯建军", 1), ("何秀兰", 1))


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=5000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _weiwan(d) -> SimpleNamespace:
    """苇湾社区 on top of `build_decide`: a second building, four more households, five resident
    representatives 居民代表 and two building heads 楼长 in the registry, and a supervision panel
    whose member 何秀兰 signs in."""
    w = SimpleNamespace(community=d.other_community, worker=d.users["other_worker"])
    buildings = [d.other_building, f.area("苇湾2号楼院", "grid", d.other_community)]
    heads = [d.other_household.head]
    for n, (name, building) in enumerate(NEIGHBOURS, start=2):
        heads.append(f.household(buildings[building], f"WW{n:04d}", head_name=name).head)
    representative = registry_services.tag_save(actor=None, name="居民代表", target="resident")
    building_head = registry_services.tag_save(actor=None, name="楼长", target="resident")
    for person in heads:
        tags = [(representative, "")]
        if person.name in ("吕芳", "冯建军"):
            tags.append((building_head, ""))
        registry_services.resident_update(actor=None, resident=person, tags=tags)
    w.resident = d.users["other_resident"]  # 吕芳
    panel = services.panel_create(
        actor=None, area=d.other_community, kind=PanelKind.SUPERVISION, name="苇湾社区监督团"
    )
    w.supervisor = f.user_with("panel_member", d.other_community)
    services.panel_member_add(
        actor=None, panel=panel, name="何秀兰", background="退休教师", account=w.supervisor
    )
    return w


def _phone(page_at, base: str, user):
    page = page_at("phone")
    log_in(page, base, user.username, PASSWORD)
    return page


def _detail(base: str, matter) -> str:
    return f"{base}{reverse('decide:detail', args=[matter.pk])}"


def test_the_illegal_structures_from_the_meeting_to_the_board(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    d = decide_helpers.build_decide(world)
    w = _weiwan(d)
    base = live_server.url

    # The community worker registers the matter for 吕芳, found in the registry by her name.
    worker = _phone(page_at, base, w.worker)
    go_by_nav(worker, reverse("decide:list"))
    worker.locator(f"main a[href='{reverse('decide:propose')}']").click()
    worker.locator("#resident-q").fill("吕芳")
    worker.locator("#resident-q").press("Enter")
    worker.locator("[data-testid=choose-resident]").click()
    expect(worker.locator("[data-testid=chosen-resident]")).to_be_visible()
    worker.locator("select[name=category]").select_option(str(d.environment.pk))
    worker.locator("#id_area").select_option(str(w.community.pk))
    worker.locator("input[name=title]").fill(TITLE)
    worker.locator("textarea[name=description]").fill(TEXT)
    worker.locator("[data-testid=propose-submit]").click()
    matter = Matter.objects.get()
    worker.wait_for_url(_detail(base, matter))
    assert matter.proposer == d.other_household.head

    # Taken up; the 由民做主 meeting of the building heads and resident representatives.
    worker.locator("[data-testid=take-up]").click()
    worker.wait_for_url(_detail(base, matter))
    worker.locator("[data-testid=arrange-meeting]").click()
    worker.locator("[data-testid=kind-residents_decide]").check()
    worker.locator("input[name=title]").fill("苇湾社区由民做主会议：违建拆除")
    starts = timezone.localtime() - dt.timedelta(hours=1)
    worker.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    worker.locator("input[name=place]").fill("苇湾社区居委会会议室")
    worker.locator("textarea[name=agenda]").fill("1. 通报改造进度\n2. 讨论违建拆除\n3. 举手表决")
    worker.locator("textarea[name=building_heads]").fill("吕芳\n冯建军")
    worker.locator("textarea[name=representatives]").fill("周海涛\n钱淑华\n何秀兰")
    worker.locator("[data-testid=action-submit]").click()
    worker.wait_for_url(_detail(base, matter))
    meeting = Meeting.objects.get(matter=matter)
    assert meeting.invitees.count() == 5
    worker.locator("[data-testid=take-roll]").click()
    for invitee in meeting.invitees.all():
        worker.locator(f"[data-testid=present-{invitee.pk}]").check()
    worker.locator("[data-testid=action-submit]").click()
    worker.wait_for_url(_detail(base, matter))
    worker.locator("[data-testid=write-minutes]").click()
    worker.locator("textarea[name=minutes]").fill(
        "到会楼长、居民代表一致同意：两户违建限期拆除，由综合行政执法局负责，社区配合做好住户工作。"
    )
    worker.locator("[data-testid=action-submit]").click()
    worker.wait_for_url(_detail(base, matter))
    expect(worker.locator("[data-testid=roll]")).to_be_visible()
    _shot(worker, "weiwan-meeting-phone")

    # The vote at the meeting: the representatives, a show of hands, unanimity required.
    worker.locator("[data-testid=prepare-vote]").click()
    worker.locator("input[name=question]").fill("是否限期拆除两户违建")
    worker.locator("select[name=body]").select_option("representatives")
    worker.locator("input[name=quorum_percent]").fill("100")
    worker.locator("select[name=majority]").select_option("unanimous")
    worker.locator("input[name=secret]").uncheck()
    worker.locator("select[name=method]").select_option("show_of_hands")
    closes = timezone.localtime() + dt.timedelta(hours=3)
    worker.locator("input[name=closes_at]").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    worker.locator("main form button[type=submit]").click()  # choices: 赞成 / 反对
    vote = Vote.objects.get(matter=matter)
    vote_page = f"{base}{reverse('votes:detail', args=[vote.pk])}"
    worker.wait_for_url(vote_page)
    worker.locator("[data-testid=vote-open]").click()
    worker.wait_for_url(vote_page)

    # Every hand raised for 赞成, entered with the witness.
    worker.locator("[data-testid=enter-hands]").click()
    for_ = vote.options.order_by("order").first()
    voters = list(Voter.objects.filter(vote=vote).order_by("pk"))
    assert len(voters) == 5
    expect(worker.locator("[data-testid=hand]")).to_have_count(5)
    worker.locator("input[name=witness]").fill("冯建军")
    for voter in voters:
        worker.locator(f"label[for=v{voter.pk}-{for_.pk}]").click()
    _shot(worker, "weiwan-hands-phone")
    worker.locator("[data-testid=hands-submit]").click()
    expect(worker.locator("[data-testid=vote-turnout]")).to_contain_text("5")
    worker.goto(vote_page)
    worker.locator("[data-testid=vote-close]").click()
    worker.wait_for_url(vote_page)
    expect(worker.locator("[data-testid=vote-ballots] li")).to_have_count(5)
    _shot(worker, "weiwan-vote-passed-phone")
    vote.refresh_from_db()
    assert (vote.result, vote.winning_option_id) == ("passed", for_.pk)

    # The removal: a task for the city-management department with a deadline.
    manage_page = reverse("matter_tasks:matter", args=[matter.pk])
    worker.locator("[data-testid=vote-matter]").click()
    worker.locator(f"[data-testid=part-links] a[href='{manage_page}']").click()
    worker.locator("[data-testid=assign-task]").click()
    worker.locator("input[name=title]").fill("拆除1号楼院、2号楼院两户违建")
    worker.locator("select[name=organisation]").select_option(str(d.city.pk))
    worker.locator("select[name=owner]").select_option(str(d.users["city_staff"].pk))
    worker.locator("input[name=owner_name]").fill("王科长")
    due = timezone.localdate() + dt.timedelta(days=10)
    worker.locator("input[name=due_on]").fill(due.isoformat())
    worker.locator("main form button[type=submit]").click()
    worker.wait_for_url(f"{base}{manage_page}")
    task = MatterTask.objects.get(matter=matter)

    # The department's staff report the removal's progress, half and then all of it.
    city = _phone(page_at, base, d.users["city_staff"])
    task_page = f"{base}{reverse('matter_tasks:detail', args=[task.pk])}"
    for percent, text in ((50, "1号楼院违建已拆除"), (100, "2号楼院违建已拆除，现场已清运")):
        go_by_nav(city, reverse("matter_tasks:list"))
        city.locator(f"a[href='{reverse('matter_tasks:detail', args=[task.pk])}']").click()
        city.locator("[data-testid=report-link]").click()
        city.locator("input[name=percent]").fill(str(percent))
        city.locator("textarea[name=text]").fill(text)
        if percent == 50:
            _shot(city, "weiwan-report-phone")
        city.locator("main form button[type=submit]").click()
        city.wait_for_url(task_page)
    expect(city.locator("[data-testid=report]")).to_have_count(2)
    _shot(city, "weiwan-task-done-phone")
    task.refresh_from_db()
    assert task.state == "done" and timezone.localtime(task.done_at).date() <= task.due_on

    # The worker starts the supervision; 何秀兰 of the supervision panel inspects: passed.
    worker.goto(f"{base}{manage_page}")
    worker.locator("[data-testid=supervise]").click()
    worker.wait_for_url(f"{base}{manage_page}")
    supervisor = _phone(page_at, base, w.supervisor)
    go_by_nav(supervisor, reverse("decide:list"))
    supervisor.locator(f"a[href='{reverse('decide:detail', args=[matter.pk])}']").first.click()
    supervisor.locator(f"[data-testid=part-links] a[href='{manage_page}']").click()
    supervisor.locator("[data-testid=record-inspection]").click()
    supervisor.locator("input[name=passed][value=yes]").check()
    supervisor.locator("textarea[name=notes]").fill("两处违建已拆除，施工队已恢复管线施工")
    supervisor.locator("main form button[type=submit]").click()
    supervisor.wait_for_url(f"{base}{manage_page}")
    _shot(supervisor, "weiwan-supervised-phone")

    # 吕芳 rates the result on her community's board; the worker counts the ratings: done.
    resident = _phone(page_at, base, w.resident)
    nav_link(resident, reverse("board:index")).click()
    resident.wait_for_url(f"{base}{reverse('board:community', args=[w.community.pk])}")
    resident.locator(f"#matter-{matter.pk} [data-testid=rate-link]").click()
    resident.locator("label[for=id_rating_0]").click()  # 满意
    resident.locator("main form button[type=submit]").click()
    expect(resident.locator("[data-testid=board-ratings]")).to_contain_text("1")
    assert ResidentRating.objects.get().rating == "satisfied"
    worker.goto(f"{base}{manage_page}")
    worker.locator("[data-testid=close]").click()
    worker.wait_for_url(f"{base}{manage_page}")
    matter.refresh_from_db()
    assert matter.stage == "done"

    # The board: the five steps done, the unanimous vote with its rules and tally, the task
    # done on time, the inspection and the rating.
    resident.goto(f"{base}{reverse('board:matter', args=[matter.pk])}")
    entry = resident.locator(f"#matter-{matter.pk}")
    expect(entry.locator("[data-testid=steps] li.step-done")).to_have_count(5)
    expect(entry.locator("[data-testid=board-vote]")).to_contain_text("5")
    expect(entry.locator("[data-testid=board-task] progress")).to_have_attribute("value", "100")
    expect(entry.locator("[data-testid=board-inspection]")).to_contain_text("违建已拆除")
    expect(entry.locator("[data-testid=board-ratings]")).to_contain_text("1")
    _shot(resident, "weiwan-board-done-phone")
    problems.assert_clean()
