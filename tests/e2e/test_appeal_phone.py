"""On a 375-px phone: a resident raises an appeal 我要反映 with a photo of the blocked drain by
their door, and the grid worker takes it from the village's queue and settles it; the
resident's own list then asks whether they are satisfied.

Elements are found by id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/appeal-*.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.appeals.models import Appeal

from ..appeals import helpers as appeal_helpers
from ..factories import PASSWORD
from .conftest import go_by_nav, log_in, log_out, screenshot, wider_than_window
from .test_hand_in_phone import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIG_BUTTON_PX = 48


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=4000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def test_resident_raises_an_appeal_and_the_grid_worker_settles_it(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    a = appeal_helpers.build_appeals(world)
    base = live_server.url
    page = page_at("phone")

    # The resident: 我要反映 from the menu, one category, a few words, a photo.
    log_in(page, base, world.users["resident"].username, PASSWORD)
    go_by_nav(page, reverse("appeals:raise"))
    page.locator("[data-testid=category-choice]").first.check()
    page.locator("textarea[name=description]").fill("门口下水道堵了，污水漫到路上")
    photo = page.locator("input[name=photos]")
    expect(photo).to_have_attribute("capture", "environment")
    photo.set_input_files(
        files=[{"name": "下水道.png", "mimeType": "image/png", "buffer": png(90, 120, 60)}]
    )
    send = page.locator("[data-testid=raise-submit]")
    assert send.bounding_box()["height"] >= BIG_BUTTON_PX
    _shot(page, "appeal-raise-phone")
    send.click()
    page.wait_for_url(f"{base}{reverse('appeals:mine')}")
    expect(page.locator("[data-testid=my-appeal]")).to_have_count(1)
    appeal = Appeal.objects.get()
    assert appeal.channel == "resident_phone" and appeal.category == a.categories.sanitation
    _shot(page, "appeal-mine-waiting-phone")
    log_out(page, base)

    # The grid worker: the village's queue, the appeal with its photo, take, settle.
    log_in(page, base, world.users["grid_worker"].username, PASSWORD)
    go_by_nav(page, reverse("appeals:queue"))
    page.locator(f"a[href='{reverse('appeals:detail', args=[appeal.pk])}']").click()
    page.wait_for_url(f"{base}{reverse('appeals:detail', args=[appeal.pk])}")
    image = page.locator("[data-testid=appeal-photo]")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("naturalWidth", 8)  # the picture itself, not a broken one
    page.locator("[data-testid=take]").click()
    page.wait_for_url(f"{base}{reverse('appeals:detail', args=[appeal.pk])}")
    expect(page.locator("[data-testid=appeal-state-taken]")).to_be_visible()
    page.locator("[data-testid=settle]").click()
    page.locator("textarea[name=what_was_done]").fill("已清掏疏通")
    page.locator("[data-testid=action-submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("appeals:detail", args=[appeal.pk])) + "$"))
    expect(page.locator("[data-testid=appeal-state-settled]")).to_be_visible()
    expect(page.locator("[data-testid=appeal-settlement]")).to_have_text("已清掏疏通")
    _shot(page, "appeal-settled-phone")
    log_out(page, base)

    # The resident's list now asks whether they are satisfied, with a big button.
    log_in(page, base, world.users["resident"].username, PASSWORD)
    page.goto(f"{base}{reverse('appeals:mine')}")
    judge = page.locator("[data-testid=judge-link]")
    assert judge.bounding_box()["height"] >= BIG_BUTTON_PX
    problems.assert_clean()
