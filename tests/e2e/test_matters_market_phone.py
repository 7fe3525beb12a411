"""工福街 morning market, on a 375-px phone, as each person would: 王大威 proposes “游麟路早市占道”
(我要提事), a neighbour supports it with the big 附议 button, an opinion collector writes down two
neighbours' complaints, the community worker takes it up, a panel member of the “工福晴雨”
advisory panel writes options, and a 工福会客厅 meeting is arranged with the market office and
the city-management department, its roll taken and its minutes recorded.

Elements are found by id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/matters-*.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.decide.models import Matter, Meeting

from ..decide import helpers as decide_helpers
from ..factories import PASSWORD
from .conftest import go_by_nav, log_in, log_out, screenshot, wider_than_window

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
