"""The appeals story of issue 20 in Chromium, on the demo district.

On a 375 px phone the grid worker of 王家庄村第一网格 records a home visit to 刘志辉's household
that finds a drain dispute with the neighbour across the grid's edge, and raises the need as an appeal in the dispute category
(矛盾纠纷调解). At the village office, on a desktop, the village cadre takes it and mediates:
the two neighbours as parties, himself as mediator, a session, the agreement — whose A4 print
page opens. Back on the phone the grid worker makes the return visit: 满意, and the appeal is
closed. The village's appeals dashboard then counts it as raised, mediated and settled in the
village.

Elements are found by id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/dispute-story-*.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.appeals.figures import appeal_report
from linli.appeals.models import AppealCategory
from linli.core.models import Area
from linli.demo.data import LIU_ZHIHUI
from linli.registry.models import Household
from linli.visits.models import Visit

from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRAIN = "和邻居因排水沟走向起了争执，雨水流进邻居院内"


def _shot(page, name: str, *, phone: bool = False) -> None:
    screenshot(page, f"dispute-story-{name}", max_height=4000)
    if phone:
        assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _submit(page) -> None:
    """The submit button of the page's one form."""
    page.locator("main form[method=post] button[type=submit]").click()


def test_a_drain_dispute_found_on_a_visit_is_mediated_and_settled_in_the_village(
    demo_site, page_at, problems
):
    from playwright.sync_api import expect

    base = demo_site
    village = Area.objects.get(name="王家庄村", kind="village")
    # 刘志辉's household, in the grid worker's grid, and the household across the drain: the
    # first of the next grid (the village cadre, who mediates, lives in the grid worker's too).
    household = Household.objects.select_related("head").get(head__name=LIU_ZHIHUI.name)
    assert household.area.parent == village
    neighbour = (
        Household.objects.filter(area__parent=village, head__isnull=False)
        .exclude(area=household.area)
        .select_related("head")
        .order_by("pk")
        .first()
    )
    category = AppealCategory.objects.get(code="MDTJ")
    before = appeal_report(user=None, area=village).total

    # The grid worker, on the phone: a home visit finds the dispute; the need becomes an appeal.
    phone = page_at("phone")
    log_in(phone, base, "grid_worker")
    phone.goto(f"{base}{reverse('visits:visit_create', args=[household.pk])}")
    phone.locator("label[for=id_channel_0]").click()  # 上门
    phone.locator("#id_need1_category").select_option("dispute")
    phone.locator("#id_need1_description").fill(DRAIN)
    _shot(phone, "01-visit-phone", phone=True)
    phone.locator("form.visit-form button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/visits/\d+/$"))
    need = Visit.objects.filter(household=household).order_by("-id").first().needs.get()
    phone.locator("[data-testid=raise-appeal]").click()
    need_url = reverse("visits:need_appeal", args=[need.pk])
    phone.wait_for_url(f"{base}{need_url}")
    phone.locator("#id_category").select_option(str(category.pk))
    expect(phone.locator("#id_description")).to_have_value(DRAIN)
    _shot(phone, "02-raise-appeal-phone", phone=True)
    _submit(phone)
    phone.wait_for_url(re.compile(r"/appeals/\d+/$"))
    need.refresh_from_db()
    appeal = need.appeal
    assert (appeal.channel, appeal.category, appeal.tier) == ("visit", category, "village")
    assert appeal.tier_area == village and appeal.reporter == household.head
    detail = reverse("appeals:detail", args=[appeal.pk])
    _shot(phone, "03-appeal-phone", phone=True)

    # The village cadre, at the office: take it, then the parties, the mediator, a session.
    desk = page_at("desktop")
    log_in(desk, base, "village_cadre")
    desk.goto(f"{base}{detail}")
    desk.locator("[data-testid=take]").click()
    expect(desk.locator("[data-testid=appeal-state-taken]")).to_be_visible()
    dispute_url = reverse("disputes:dispute", args=[appeal.pk])

    party_url = reverse("disputes:party_add", args=[appeal.pk])
    desk.locator(f"a[href='{party_url}']").first.click()
    desk.wait_for_url(f"{base}{party_url}")
    desk.locator("#id_side").select_option("applicant")
    desk.locator("#id_resident").select_option(str(household.head.pk))
    _submit(desk)
    desk.wait_for_url(f"{base}{dispute_url}")
    desk.goto(f"{base}{party_url}")
    desk.locator("#id_side").select_option("respondent")
    desk.locator("#id_resident_id_number").fill(neighbour.head.id_number)
    _submit(desk)
    desk.wait_for_url(f"{base}{dispute_url}")

    mediator_url = reverse("disputes:mediator", args=[appeal.pk])
    desk.goto(f"{base}{mediator_url}")
    appeal.refresh_from_db()
    cadre = appeal.handler
    desk.locator("#id_mediator").select_option(str(cadre.pk))
    _submit(desk)
    desk.wait_for_url(f"{base}{dispute_url}")

    session_url = reverse("disputes:session_add", args=[appeal.pk])
    desk.goto(f"{base}{session_url}")
    held = timezone.localtime() - dt.timedelta(minutes=1)
    desk.locator("#id_held_at").fill(held.strftime("%Y-%m-%dT%H:%M"))
    desk.locator("#id_place").fill("王家庄村村委会调解室")
    for box in desk.locator("input[name=attended]").all():
        box.check()
    desk.locator("#id_notes").fill("双方到场陈述，同意排水沟改道至村道边沟")
    _submit(desk)
    desk.wait_for_url(f"{base}{dispute_url}")
    expect(desk.locator("main")).to_contain_text(neighbour.head.name)
    _shot(desk, "04-dispute-desktop")

    # The agreement: recorded, then its A4 print page.
    agreement_url = reverse("disputes:agreement_add", args=[appeal.pk])
    desk.goto(f"{base}{agreement_url}")
    desk.locator("#id_facts").fill("一方修建排水沟，雨水流向邻居院内")
    desk.locator("#id_terms").fill("十日内将排水沟改道至村道边沟，费用自理")
    desk.locator("#id_signed_on").fill(timezone.localdate().isoformat())
    _submit(desk)
    print_url = reverse("disputes:agreement_print", args=[appeal.pk])
    desk.wait_for_url(f"{base}{print_url}")
    agreement = appeal.dispute.agreement
    sheet = desk.locator("article")  # the A4 sheet
    expect(sheet).to_contain_text(agreement.number)
    expect(sheet).to_contain_text(household.head.name)
    expect(sheet).to_contain_text(neighbour.head.name)
    assert household.head.id_number not in desk.content(), "the print page masks ID numbers"
    _shot(desk, "05-agreement-print-desktop")

    # The return visit, on the grid worker's phone: 满意 closes the appeal.
    visit_url = reverse("appeals:return_visit", args=[appeal.pk])
    phone.goto(f"{base}{detail}")
    phone.locator("[data-testid=return-visit]").click()
    phone.wait_for_url(f"{base}{visit_url}")
    phone.locator("[data-testid=satisfaction-satisfied]").check()
    _shot(phone, "06-return-visit-phone", phone=True)
    phone.locator("[data-testid=action-submit]").click()
    phone.wait_for_url(f"{base}{detail}")
    expect(phone.locator("[data-testid=appeal-state-closed]")).to_be_visible()
    expect(phone.locator("[data-testid=return-visit-row]")).to_have_count(1)
    _shot(phone, "07-closed-phone", phone=True)

    # The village's dashboard counts it: raised, settled at the village, mediated and agreed.
    desk.goto(f"{base}{reverse('appeals:dashboard')}?area={village.pk}")
    expect(desk.locator("h1")).to_contain_text(village.name)

    def card(key: str):
        return desk.locator(f"[data-testid=figure-{key}] [data-testid=figure-value]")

    expect(card("raised")).to_have_text(f"{before.raised + 1:,}")
    expect(card("settled")).to_have_text(f"{before.settled + 1:,}")
    expect(card("disputes_agreed")).to_have_text(f"{before.more['disputes_agreed'] + 1:,}")
    village_row = desk.locator("[data-testid=tier-row]").first
    expect(village_row.locator("td").nth(1)).to_have_text(
        f"{before.settled_by_tier['village'] + 1:,}"
    )
    _shot(desk, "08-dashboard-desktop")
    after = appeal_report(user=None, area=village).total
    assert after.settled_by_tier["village"] == before.settled_by_tier["village"] + 1
    problems.assert_clean()
