"""The public board on a resident's phone, in Chromium at 375 px (issue 21's 知情有渠道、参与有平台、
监督有手段、当家有机会): a resident of 文岭社区 opens 我的社区公开栏 from the menu, reads the matters
with their stage, the tasks' progress and the inspections, rates the result of a matter under
supervision and a party member's commitment, and finds the way to raise or vote where those pages
exist. Then the printable notice with its QR code, as staff print it.

Elements are found by href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/board-*.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from linli.decide.board import services as board_services
from linli.decide.manage import services
from linli.decide.models import CommitmentRating, ResidentRating

from ..e2e.conftest import log_in, nav_link, screenshot, wider_than_window
from ..factories import PASSWORD
from . import board_world as bw

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=5000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _story(b):
    """工福街's morning market, at supervision: a task done on time, one of another matter still
    under way, an inspection passed; and a party member's commitment with a record."""
    soon = timezone.localdate() + dt.timedelta(days=3)
    task = services.task_assign(
        actor=None,
        matter=b.matter,
        title="摊贩8:30前撤离游麟路",
        organisation=b.city,
        owner_name="王科长",
        due_on=soon,
    )
    services.task_report(actor=None, task=task, text="摊点迁入临时市场", percent=100)
    services.supervision_start(actor=None, matter=b.matter)
    services.inspection_record(actor=None, matter=b.matter, passed=True, notes="8:30后路面畅通")
    other = bw.make_matter(b.community, b.category, title="苇湾违建拆除")
    removal = services.task_assign(
        actor=None,
        matter=other,
        title="拆除两户违建",
        organisation=b.office,
        owner_name="吕峰",
        due_on=soon,
    )
    services.task_report(actor=None, task=removal, text="已拆除一户", percent=50)
    commitment = board_services.commitment_post(
        actor=None,
        community=b.community,
        resident=b.party_member,
        place="business_street",
        business_street="游麟路商圈",
        text="每周巡查商圈占道",
    )
    board_services.commitment_record(
        actor=None, commitment=commitment, text="劝离占道摊点3处", done_on=timezone.localdate()
    )
    return commitment


def _other_part(name: str) -> bool:
    try:
        reverse(name, args=[1]) if name.endswith("detail") else reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_a_resident_reads_rates_and_supervises_on_the_phone(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    b = bw.build_board(world)
    commitment = _story(b)
    base = live_server.url
    resident = b.users["resident"]
    page = page_at("phone")
    log_in(page, base, resident.username, PASSWORD)

    # 知情有渠道 — the community's board from the menu.
    nav_link(page, reverse("board:index")).click()  # 我的社区公开栏: straight to the board
    page.wait_for_url(re.compile(re.escape(reverse("board:community", args=[b.community.pk]))))
    matters = page.locator("[data-testid=board-matter]")
    expect(matters).to_have_count(2)
    expect(page.locator(f"#matter-{b.matter.pk} [aria-current=step]")).to_be_visible()
    _shot(page, "board-community-phone")

    # 监督有手段 — the tasks' progress and the inspection.
    tasks = page.locator("[data-testid=board-task]")
    expect(tasks).to_have_count(2)
    expect(page.locator(f"#matter-{b.matter.pk} progress")).to_have_attribute("value", "100")
    expect(page.locator("[data-testid=board-inspection]")).to_contain_text("8:30后路面畅通")

    # 参与有平台 — rate the result …
    page.locator(f"#matter-{b.matter.pk} [data-testid=rate-link]").click()
    page.wait_for_url(re.compile(r"/board/matters/\d+/rate/$"))
    _shot(page, "board-rate-phone")
    page.locator("label[for=id_rating_0]").click()  # 满意, a big choice
    page.locator("#id_note").fill("早上路通了")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/board/matters/\d+/$"))
    expect(page.locator("[data-testid=board-ratings]")).to_contain_text("1")
    expect(page.locator("[data-testid=rate-link]")).to_have_count(0)
    _shot(page, "board-matter-rated-phone")
    assert ResidentRating.objects.get().rating == "satisfied"

    # … and a party member's commitment.
    page.goto(f"{base}{reverse('board:community', args=[b.community.pk])}#commitments")
    card = page.locator("[data-testid=commitment]")
    expect(card).to_contain_text("劝离占道摊点3处")
    card.locator("[data-testid=commitment-rate-link]").click()
    page.wait_for_url(re.compile(r"/board/commitments/\d+/rate/$"))
    page.locator("label[for=id_rating_1]").click()  # 基本满意
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/board/\d+/"))
    expect(page.locator("[data-testid=commitment-rate-link]")).to_have_count(0)
    _shot(page, "board-commitments-phone")
    assert CommitmentRating.objects.get(commitment=commitment).rating == "basically"

    # 当家有机会 — the way to raise a matter or vote, where those pages exist.
    propose = page.locator("[data-testid=propose-link]")
    if _other_part("decide:raise"):
        propose.click()
        page.wait_for_url(re.compile(re.escape(reverse("decide:raise")) + "$"))
        _shot(page, "board-raise-phone")
    else:
        expect(propose).to_have_count(0)
    problems.assert_clean()


def test_staff_print_the_notice_with_its_qr_code(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    b = bw.build_board(world)
    _story(b)
    base = live_server.url
    page = page_at("desktop")
    log_in(page, base, b.users["community_worker"].username, PASSWORD)
    page.goto(f"{base}{reverse('board:notice', args=[b.matter.pk])}")
    expect(page.locator("[data-testid=notice-qr] svg")).to_be_visible()
    expect(page.locator("[data-testid=notice]")).to_contain_text("摊贩8:30前撤离游麟路")
    screenshot(page, "board-notice-desktop")
    # The code's address is the matter's entry, which opens on a phone for a resident.
    assert (
        page.locator("[data-testid=notice-qr]")
        .inner_text()
        .strip()
        .endswith(reverse("board:matter", args=[b.matter.pk]))
    )
    problems.assert_clean()
