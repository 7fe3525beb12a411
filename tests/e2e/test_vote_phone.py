"""On a 375-px phone: a resident opens 投票 from the menu, reads the vote's rules, presses a big
choice button, confirms, and sees “您已投票”; pressing again changes nothing.

Elements are found by href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/vote-*.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.decide.models import Ballot

from ..decide import vote_helpers as h
from ..factories import PASSWORD
from .conftest import go_by_nav, log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIG_BUTTON_PX = 48


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=4000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def test_a_resident_votes_on_the_phone(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    v = h.build_votes(world)
    vote = h.opened(v, closes_at=timezone.now() + dt.timedelta(days=3))
    base = live_server.url
    page = page_at("phone")

    log_in(page, base, world.users["resident"].username, PASSWORD)
    go_by_nav(page, reverse("votes:mine"))
    expect(page.locator("[data-testid=open-vote]")).to_have_count(1)
    _shot(page, "vote-mine-phone")
    page.locator("[data-testid=open-vote]").click()
    page.wait_for_url(f"{base}{reverse('votes:cast', args=[vote.pk])}")
    expect(page.locator("[data-testid=vote-rules]")).to_be_visible()
    choices = page.locator("[data-testid=choice]")
    expect(choices).to_have_count(2)
    for n in range(2):
        box = choices.nth(n).bounding_box()
        assert box["height"] >= BIG_BUTTON_PX and box["width"] >= 300
    _shot(page, "vote-choose-phone")

    choices.first.click()
    expect(page.locator("[data-testid=confirm-step]")).to_be_visible()
    expect(page.locator("[data-testid=picked]")).to_have_text(h.choice(vote).label)
    assert not Ballot.objects.exists()  # nothing cast before the confirmation
    _shot(page, "vote-confirm-phone")

    page.locator("[data-testid=confirm]").click()
    expect(page.locator("[data-testid=voted]")).to_be_visible()
    assert Ballot.objects.get().choice == h.choice(vote)
    _shot(page, "vote-done-phone")

    go_by_nav(page, reverse("votes:mine"))
    expect(page.locator("[data-testid=open-vote] .text-success")).to_have_count(1)
    page.goto(f"{base}{reverse('votes:detail', args=[vote.pk])}")
    expect(page.locator("[data-testid=vote-turnout]")).to_be_visible()
    expect(page.locator("[data-testid=voted]")).to_be_visible()
    _shot(page, "vote-detail-phone")
    problems.assert_clean()
