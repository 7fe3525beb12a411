"""On a 375-px phone: a resident logs in and lands on their own home 居民首页 — search, common
items, their household, their applications with where each stands, their appeals, their
community's matters and vote, who serves them with a tap to call — nothing wider than the phone;
they tap an application, read it, and come back home.

Elements are found by href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/resident-home-*.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..appeals import helpers as appeals_helpers
from ..core.test_resident_home import build_home
from ..factories import PASSWORD
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIG_TARGET_PX = 48  # a thumb, not a fingertip


def test_a_resident_finds_their_home_and_an_application_on_the_phone(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    home = build_home(appeals_helpers.build_appeals(world))
    base = live_server.url
    page = page_at("phone")

    log_in(page, base, world.users["resident"].username, PASSWORD)
    expect(page.locator("[data-testid=resident-home]")).to_be_visible()
    for card in ("search", "common", "household", "applications", "appeals", "decide", "contacts"):
        expect(page.locator(f"[data-testid=home-{card}]")).to_be_visible()
    expect(page.locator("[data-testid=home-application]")).to_have_count(2)
    expect(page.locator("[data-testid=home-appeal]")).to_have_count(1)
    expect(page.locator("[data-testid=home-vote]")).to_have_count(1)
    expect(page.locator("[data-testid=home-matter]")).to_have_count(1)
    expect(page.locator("a[href='tel:13900001111']")).to_be_visible()
    for target in ("common-item", "home-application", "home-vote"):
        box = page.locator(f"[data-testid={target}]").first.bounding_box()
        assert box is not None and box["height"] >= BIG_TARGET_PX, (target, box)
    screenshot(page, "resident-home-phone", max_height=6000)
    assert wider_than_window(page) == [], "the resident's home is wider than a 375 px phone"

    detail = reverse("services:application_detail", args=[home.returned.pk])
    page.locator(f"[data-testid=home-application][href='{detail}']").click()
    page.wait_for_url(f"{base}{detail}")
    screenshot(page, "resident-home-application-phone", max_height=4000)
    assert wider_than_window(page) == [], "the application is wider than a 375 px phone"

    page.go_back()
    page.wait_for_url(f"{base}/")
    expect(page.locator("[data-testid=resident-home]")).to_be_visible()
    problems.assert_clean()
