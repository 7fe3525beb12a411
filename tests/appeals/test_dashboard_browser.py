"""The appeals dashboard 诉求统计 in Chromium: the district leader opens it from the menu on a
desktop, sees its charts drawn, clicks a street's bar and lands on the street's dashboard (the
drill-down); on a 375 px phone nothing needs sideways scrolling.

Screenshots go to test-artifacts/screenshots/appeals-dashboard-*."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.appeals import services

from ..e2e.conftest import go_by_nav, log_in, screenshot, wider_than_window
from ..factories import PASSWORD
from . import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_leader_drills_down_from_the_district_to_a_street(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    a = h.build_appeals(world)
    cadre = a.users["village_cadre"]
    for _ in range(2):
        appeal = h.raise_appeal(a)
        services.appeal_settle(actor=cadre, appeal=appeal, what_was_done="已疏通")
    h.raise_appeal(
        a,
        actor=a.users["far_cadre"],
        channel="visit",
        area=a.far_village,
        reporter=world.households[4].head,
    )
    base = live_server.url
    leader = a.users["district_leader"]
    page = page_at("desktop")
    log_in(page, base, leader.username, PASSWORD)
    go_by_nav(page, reverse("appeals:dashboard"))
    expect(page.locator("[data-testid=figure-raised] [data-testid=figure-value]")).to_have_text("3")
    for chart in ("area-chart", "channel-chart", "category-chart", "days-chart"):
        expect(page.locator(f"[data-chart={chart}] canvas")).to_be_attached()
    screenshot(page, "appeals-dashboard-desktop", max_height=4000)

    # The first street's bar (太保庄街道, two appeals: the longest) in the areas chart.
    chart = page.locator("[data-chart=area-chart]")
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 48 + (box["height"] - 80) / 4)
    page.wait_for_url(re.compile(rf"area={a.street.pk}"))
    expect(page.locator("h1")).to_contain_text(a.street.name)
    expect(page.locator("[data-testid=figure-raised] [data-testid=figure-value]")).to_have_text("2")

    phone = page_at("phone")
    log_in(phone, base, leader.username, PASSWORD)
    phone.goto(f"{base}{reverse('appeals:dashboard')}")
    expect(phone.locator("[data-testid=area-row]").first).to_be_visible()
    screenshot(phone, "appeals-dashboard-phone", max_height=4000)
    assert wider_than_window(phone) == []
    problems.assert_clean()
