"""The foundation's story in Chromium, on a 375 px phone and on a desktop.

A community worker of 文岭社区 finds 刘志辉 by the initials `lzh`, sees his ID number masked,
reveals it with a reason; the auditor finds that reveal in the audit trail. A village cadre of
王家庄村 who types the address of another village's household gets the not-found page, and the
auditor sees the denial. Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from linli.core.models import Area, AuditRecord
from linli.registry.models import Household, Resident

from .conftest import go_by_nav, log_in, log_out, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASON = "核实残疾人补贴申请材料"


def _expect():
    from playwright.sync_api import expect

    return expect


def _step(page, size: str, name: str) -> None:
    """A screenshot of a key step; on a phone, nothing may need sideways scrolling."""
    screenshot(page, f"story-{size}-{name}")
    if size == "phone":
        assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _find_liu(page, size: str, liu: Resident) -> None:
    """Search `lzh` and open 刘志辉's household: from the resident list on a phone, from the
    household list on a desktop, so both lists are walked through."""
    expect = _expect()
    if size == "phone":
        go_by_nav(page, "/registry/residents/")
    else:
        go_by_nav(page, "/registry/households/")
    page.locator("#filter-q").fill("lzh")
    page.locator("#filter-q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=lzh"))
    results = page.locator("#results")
    if size == "phone":
        match = results.get_by_role("link", name="刘志辉", exact=True)
    else:
        # In the household list the head's name is the link a person taps.
        row = results.locator("tbody tr").filter(has_text="刘志辉")
        match = row.get_by_role("link", name="刘志辉", exact=True)
        expect(match).to_have_attribute("href", f"/registry/households/{liu.household_id}/")
    expect(match).to_have_count(1)
    expect(match).to_be_visible()
    assert liu.id_number not in page.content(), "a list shows a full ID number"
    _step(page, size, "02-search-lzh")
    match.click()
    expect(page).to_have_url(re.compile(rf"/registry/households/{liu.household_id}/$"))


def _reveal_id(page, size: str, liu: Resident, masked: str) -> None:
    expect = _expect()
    cell = page.locator(f"#reveal-{liu.pk}-id_number")
    expect(cell.locator(".masked")).to_have_text(masked)
    assert liu.id_number not in page.content(), "the full ID number is in the page before reveal"
    _step(page, size, "03-household-masked")

    cell.locator("summary").click()
    cell.locator(f"#reason-{liu.pk}-id_number").fill(REASON)
    _step(page, size, "04-reveal-reason")
    page.evaluate("window.linliBeforeReveal = true")
    cell.locator("button[type=submit]").click()
    revealed = page.locator(f"#reveal-{liu.pk}-id_number .revealed")
    expect(revealed).to_have_text(liu.id_number)
    # In place: the same page (no reload lost the marker), the masked form gone from that cell.
    assert page.evaluate("window.linliBeforeReveal === true")
    expect(page).to_have_url(re.compile(rf"/registry/households/{liu.household_id}/$"))
    expect(page.locator(f"#reveal-{liu.pk}-id_number .masked")).to_have_count(0)
    _step(page, size, "05-id-revealed")


def _filter_audit(page, action: str) -> None:
    """Filter the audit trail by action through its filter form."""
    expect = _expect()
    details = page.locator("details.card")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    page.locator("#id_action").select_option(action)
    details.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]action={action}(&|$)"))


def _audit_rows(page):
    return page.locator("table.audit-table tbody tr")


def _other_village_household() -> Household:
    """A household of 文岭村: same community as 王家庄村, outside the cadre's village."""
    wenling = Area.objects.get(name="文岭村")
    return Household.objects.filter(area__in=Area.objects.under(wenling)).first()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_reveal_story(page_at, problems, demo_site, size):
    expect = _expect()
    base = demo_site
    liu = Resident.objects.get(name="刘志辉")
    masked = liu.id_number[:6] + "*" * 8 + liu.id_number[-4:]
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", masked)

    # The community worker of 文岭社区 logs in through the form and lands on the workbench.
    page = page_at(size)
    log_in(page, base, "community_worker")
    _step(page, size, "01-workbench")

    _find_liu(page, size, liu)
    _reveal_id(page, size, liu, masked)
    problems.assert_clean()

    # The auditor finds the reveal, with its reason, under the "reveal" filter.
    log_out(page, base)
    log_in(page, base, "auditor")
    go_by_nav(page, "/audit/")
    _filter_audit(page, "reveal")
    reveals = _audit_rows(page)
    expect(reveals).to_have_count(AuditRecord.objects.filter(action="reveal").count())
    ours = reveals.filter(has_text=REASON)
    expect(ours).to_have_count(1)
    expect(ours).to_contain_text("community_worker")
    expect(ours).to_contain_text("刘志辉")
    _step(page, size, "06-audit-reveal")
    problems.assert_clean()

    # A village cadre of 王家庄村 opens a household of his own village, then types the address
    # of one in 文岭村: the not-found page, with nothing of that household on it.
    cadre = page_at(size)
    log_in(cadre, base, "village_cadre")
    cadre.goto(f"{base}/registry/households/{liu.household_id}/")
    expect(cadre.locator(f"#reveal-{liu.pk}-id_number .masked")).to_have_text(masked)
    other = _other_village_household()
    url = f"{base}/registry/households/{other.pk}/"
    problems.expect_failed_load(url)
    response = cadre.goto(url)
    assert response.status == 404
    expect(cadre.get_by_test_id("not-found")).to_be_visible()
    page_text = cadre.content()
    assert other.number not in page_text
    assert other.head.name not in page_text
    _step(cadre, size, "07-cadre-other-village-404")

    # The denial is in the audit trail: who, and which address they tried.
    _filter_audit(page, "denied")
    denial = _audit_rows(page).filter(has_text=f"/registry/households/{other.pk}/")
    expect(denial).to_have_count(1)
    expect(denial).to_contain_text("village_cadre")
    _step(page, size, "08-audit-denial")
    problems.assert_clean()
