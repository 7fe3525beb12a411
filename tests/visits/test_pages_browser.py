"""The visit story of issue 5 in Chromium at 375 px: a grid worker logs in, opens the most
overdue household from "my households", records a visit with a schooling need, turns the need
into a 助学贷款补助申请 application, and the community worker finds it in the hall's list.
Then the leader's coverage page on a desktop, with its two charts drawn.

Elements are found by id, href, name or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/visits-*.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.hall.models import Application
from linli.visits.models import Visit

from ..e2e.conftest import go_by_nav, log_in, log_out, screenshot, wider_than_window
from ..factories import PASSWORD
from .test_pages import build

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _shot(page, name: str, *, phone: bool = False) -> None:
    screenshot(page, name, max_height=4000)
    if phone:
        assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def test_grid_worker_records_a_visit_and_hands_the_need_to_the_hall(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    v = build(world)
    base = live_server.url
    worker = v.users["grid_worker"]
    page = page_at("phone")
    log_in(page, base, worker.username, PASSWORD)
    go_by_nav(page, reverse("visits:my_households"))
    rows = page.locator("[data-testid=my-household]")
    expect(rows.first).to_have_attribute(
        "href", reverse("visits:visit_create", args=[v.long_ago.pk])
    )
    _shot(page, "visits-my-households-phone", phone=True)

    rows.first.click()
    page.wait_for_url(re.compile(r"/visits/households/\d+/visit/$"))
    page.locator("label[for=id_channel_0]").click()  # 上门, a big button
    page.locator("#id_need1_category").select_option("schooling")
    page.locator("#id_need1_description").fill("孩子读初中，学费有困难")
    _shot(page, "visits-form-phone", phone=True)
    page.locator("form.visit-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    visit = Visit.objects.filter(household=v.long_ago).order_by("-id").first()
    assert visit.visited_on == v.today and visit.needs.get().category == "schooling"
    expect(page.locator("[data-testid=need-status]").first).to_be_visible()
    _shot(page, "visits-detail-phone", phone=True)

    need = visit.needs.get()
    page.locator(f"a[href='{reverse('visits:need_application', args=[need.pk])}']").click()
    loan = v.hall.items.loan
    page.locator("#choose-item").select_option(str(loan.pk))
    materials = page.locator("#need-materials input[name=materials]")
    expect(materials.first).to_be_visible()  # swapped in by HTMX
    for index in range(materials.count()):
        materials.nth(index).check()
    _shot(page, "visits-need-application-phone", phone=True)
    page.locator("#need-materials button[type=submit]").click()
    page.wait_for_url(re.compile(r"/services/applications/\d+/$"))
    application = Application.objects.get()
    assert application.channel == "visit" and application.item == loan
    need.refresh_from_db()
    assert need.application == application
    log_out(page, base)

    hall_worker = v.users["community_worker"]
    log_in(page, base, hall_worker.username, PASSWORD)
    page.goto(f"{base}{reverse('services:application_list')}")
    expect(
        page.locator(f"a[href='{reverse('services:application_detail', args=[application.pk])}']")
    ).to_be_visible()
    problems.assert_clean()


def test_leader_sees_the_coverage_charts(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    v = build(world)
    base = live_server.url
    page = page_at("desktop")
    log_in(page, base, v.users["district_leader"].username, PASSWORD)
    go_by_nav(page, reverse("visits:coverage"))
    for chart in ("coverage-chart", "trend-chart"):
        expect(page.locator(f"[data-chart={chart}] canvas")).to_be_attached()
    _shot(page, "visits-coverage-desktop")
    phone = page_at("phone")
    log_in(phone, base, v.users["district_leader"].username, PASSWORD)
    phone.goto(f"{base}{reverse('visits:coverage')}?period=12m")
    expect(phone.locator("[data-testid=coverage-child]").first).to_be_visible()
    _shot(phone, "visits-coverage-phone", phone=True)
    problems.assert_clean()
