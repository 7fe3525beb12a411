"""A resident on a 375-px phone hands in missing material 补正 by photo.

He applies online for 助学贷款补助申请 without ticking his materials; it comes back at once. His
application's page says what is missing; he taps the big button, takes a photo of each
document (the file input opens the camera: here the test hands the page two pictures), sends
them, and the application is back with the hall — no trip. A second application needs a form
filled in at the hall: the page says a photo will not do, and gives the hall's name and address.

Elements are found by id, name, href or data-testid (Chinese only as data). Screenshots go to
test-artifacts/screenshots/hand-in-*.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from django.urls import reverse

from linli.hall.applications import services
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec
from linli.hall.models import Application, MaterialPhoto
from linli.registry import services as registry_services

from ..factories import PASSWORD
from ..hall import app_helpers as h
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HALL_ADDRESS = "峡山区太保庄街道文岭社区党群服务中心一楼"
BIG_BUTTON_PX = 48  # a thumb, not a fingertip


def png(red: int, green: int, blue: int, size: int = 8) -> bytes:
    """A real PNG picture of one colour (the browser shows it: no broken image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((red, green, blue)) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _shot(page, name: str) -> None:
    screenshot(page, name, max_height=4000)
    assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _big(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= BIG_BUTTON_PX, box


def test_resident_sends_photos_from_his_phone_and_the_application_goes_back(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    hall = h.build_hall(world)
    registry_services.organisation_update(actor=None, organisation=hall.hall, address=HALL_ADDRESS)
    base = live_server.url
    page = page_at("phone")
    log_in(page, base, hall.users["resident"].username, PASSWORD)

    # He applies without ticking anything: it comes back at once.
    loan = hall.items.loan
    page.goto(f"{base}{reverse('services:apply_online')}?item={loan.pk}")
    page.locator("#apply-materials button[type=submit]").click()
    page.wait_for_url(re.compile(r"/services/applications/\d+/$"))
    application = Application.objects.get()
    assert application.state == "returned"
    missing = page.locator("[data-testid=missing-section] [data-testid=missing-material]")
    expect(missing).to_have_count(2)
    _shot(page, "hand-in-returned-detail-phone")

    link = page.locator("[data-testid=hand-in-link]")
    _big(link)
    link.click()
    page.wait_for_url(f"{base}{reverse('services:application_hand_in', args=[application.pk])}")
    cards = page.locator("[data-testid=missing-material]")
    expect(cards).to_have_count(2)
    expect(page.locator("[data-testid=by-photo]")).to_have_count(2)
    id_card = application.materials.get(name="身份证")
    school = application.materials.get(name="学籍证明")
    for material in (id_card, school):
        field = page.locator(f"input[name=photo_{material.pk}]")
        expect(field).to_have_attribute("accept", "image/*")
        expect(field).to_have_attribute("capture", "environment")
    page.locator(f"input[name=photo_{id_card.pk}]").set_input_files(
        files=[{"name": "身份证.png", "mimeType": "image/png", "buffer": png(200, 40, 40)}]
    )
    page.locator(f"input[name=photo_{school.pk}]").set_input_files(
        files=[{"name": "学籍证明.png", "mimeType": "image/png", "buffer": png(40, 40, 200)}]
    )
    send = page.locator("[data-testid=send-photos]")
    _big(send)
    _shot(page, "hand-in-photos-chosen-phone")
    send.click()

    # Back on the application's page: with the hall again, and not one trip.
    page.wait_for_url(f"{base}{reverse('services:application_detail', args=[application.pk])}")
    expect(page.locator("[data-testid=state-in_progress]").first).to_be_visible()
    expect(page.locator("[data-testid=trip-count]")).to_have_text("0")
    expect(page.locator("[data-testid=missing-section]")).to_have_count(0)
    _shot(page, "hand-in-sent-phone")
    application.refresh_from_db()
    assert application.state == "in_progress" and application.trip_count == 0
    assert MaterialPhoto.objects.filter(application=application).count() == 2
    problems.assert_clean()


def test_the_page_says_where_to_bring_what_a_photo_will_not_do(
    live_server, world, page_at, problems
):
    from playwright.sync_api import expect

    hall = h.build_hall(world)
    registry_services.organisation_update(actor=None, organisation=hall.hall, address=HALL_ADDRESS)
    pension = catalogue.item_create(
        actor=None,
        code="RS-01",
        name="城乡居民基本养老保险参保登记",
        category=hall.items.category,
        mode="on_the_spot",
        time_limit_days=0,
        online=True,
        materials=[
            MaterialSpec("居民身份证"),
            MaterialSpec("参保登记表", note="在大厅填写", in_person=True),
        ],
    )
    application = services.application_create(
        actor=hall.users["resident"],
        resident=hall.resident,
        item=pension,
        channel="online",
        materials_received=[],
    )
    base = live_server.url
    page = page_at("phone")
    log_in(page, base, hall.users["resident"].username, PASSWORD)
    page.goto(f"{base}{reverse('services:my_applications')}")
    page.locator("[data-testid=hand-in-link]").click()
    page.wait_for_url(f"{base}{reverse('services:application_hand_in', args=[application.pk])}")
    expect(page.locator("[data-testid=in-person]")).to_have_count(1)
    place = page.locator("[data-testid=drop-off]")
    expect(place).to_contain_text("文岭社区便民服务大厅")
    expect(place).to_contain_text(HALL_ADDRESS)
    id_card = application.materials.get(name="居民身份证")
    page.locator(f"input[name=photo_{id_card.pk}]").set_input_files(
        files=[{"name": "身份证.png", "mimeType": "image/png", "buffer": png(20, 160, 20)}]
    )
    page.locator("[data-testid=send-photos]").click()
    # The photo is in; the form still waits to be brought, so the page stays, saying so.
    page.wait_for_load_state()
    expect(page.locator("[data-testid=material-done]")).to_have_count(1)
    expect(page.locator("[data-testid=sent-photo]")).to_have_count(1)
    expect(page.locator("[data-testid=drop-off]")).to_contain_text(HALL_ADDRESS)
    expect(page.locator("[data-testid=send-photos]")).to_have_count(0)
    _shot(page, "hand-in-bring-in-person-phone")
    application.refresh_from_db()
    assert application.state == "returned" and application.return_note == "参保登记表"
    problems.assert_clean()
