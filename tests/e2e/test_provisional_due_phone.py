"""A deadline in a year whose holidays are not in the working-day calendar yet carries the badge
"暂定：节假日安排未公布". On a 375-px phone the application list shows each application as a
card; the badge must wrap inside it rather than push the card wider than the screen (it did,
every December, once open deadlines reached into the next year)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.hall.models import Application

from ..factories import PASSWORD
from ..hall import app_helpers as h
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_provisional_deadline_fits_a_phone_card(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    hall = h.build_hall(world)
    application = h.take(hall, hall.items.illness)
    # Its deadline as the calendar gives it for a year not entered yet.
    Application.objects.filter(pk=application.pk).update(
        due_on=dt.date(2099, 1, 15), due_assumed=True
    )
    page = page_at("phone")
    log_in(page, live_server.url, hall.users["hall_worker"].username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('services:application_list')}")
    card = page.locator("tr", has_text=application.number)
    badge = card.locator("td[data-label] .badge[title]")
    expect(badge).to_be_visible()
    expect(card).to_contain_text("2099-01-15")
    screenshot(page, "provisional-due-phone")
    assert wider_than_window(page) == []
    box, card_box = badge.bounding_box(), card.bounding_box()
    assert box["x"] + box["width"] <= card_box["x"] + card_box["width"]
    problems.assert_clean()
