"""On a 375-px phone while the database is away: a filter typed on a list shows the Chinese
"briefly unavailable" notice above the page and keeps what was typed; opening a page shows the
503 page, which fits the screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ..core.database_away import database_away
from ..factories import PASSWORD
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_outage_on_a_phone(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    page = page_at("phone")
    log_in(page, live_server.url, world.users["community_worker"].username, PASSWORD)
    households = f"{live_server.url}{reverse('registry:household_list')}"
    page.goto(households)

    with database_away(everywhere=True):
        page.locator("#filter-q").fill("王家庄")
        page.locator("#filter-q").press("Enter")
        notice = page.locator("main > [data-testid=unavailable]")
        expect(notice).to_be_visible()
        expect(notice.locator("h1")).to_have_text("暂时无法使用")
        expect(page.locator("#filter-q")).to_have_value("王家庄")
        expect(notice.locator("a.btn")).to_have_attribute("href", page.url)
        screenshot(page, "outage-notice-phone")
        assert wider_than_window(page) == []

        problems.expect_failed_load(households)
        response = page.goto(households)

        assert response.status == 503
        assert response.headers["retry-after"] == "30"
        expect(page.get_by_test_id("unavailable")).to_be_visible()
        expect(page.locator("main h1")).to_have_text("暂时无法使用")
        screenshot(page, "outage-page-phone")
        assert wider_than_window(page) == []

    page.get_by_test_id("unavailable").locator("a.btn").click()
    expect(page.locator("#results")).to_be_visible()  # the database is back: the list again
    # htmx reports the refused partial on the console itself; nothing else may be there.
    problems.seen = [s for s in problems.seen if "htmx:responseError" not in s and "503" not in s]
    problems.assert_clean()
