"""The register export in Chromium, on a 375 px phone and on a desktop.

The grid worker of the demo exports the household list by its button and gets ID and mobile
numbers masked; types a household number in the search box and the export follows the list
shown; opens "export with full numbers", is asked why before anything is sent, states the reason
and gets the full numbers of that household; the audit trail holds that export with its reason and row
count. Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from linli.accounts.models import User
from linli.core.models import AuditRecord
from linli.registry.importing.columns import COLUMNS
from linli.registry.models import Household

from .conftest import go_by_nav, log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASON = "年度低保复核，核对联系电话"
ID_COLUMN = [c.key for c in COLUMNS].index("id_number")


def _step(page, size: str, name: str) -> None:
    screenshot(page, f"export-{size}-{name}")
    if size == "phone":
        assert wider_than_window(page) == [], f"{name}: wider than a 375 px phone"


def _ids(download) -> list[str]:
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    content = io.BytesIO(Path(download.path()).read_bytes())
    sheet = openpyxl.load_workbook(content).worksheets[0]
    return [row[ID_COLUMN] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_export_story(page_at, problems, demo_site, size):
    from playwright.sync_api import expect

    page = page_at(size)
    log_in(page, demo_site, "grid_worker")
    go_by_nav(page, "/registry/households/")

    with page.expect_download() as masked:
        page.locator("a[href^='/registry/households/export/']").click()
    ids = _ids(masked.value)
    assert ids and all("*" in number for number in ids), ids[:3]

    # Searching as one types redraws the results; the export follows what is shown.
    worker = User.objects.get(username="grid_worker")
    shown = Household.objects.restrict(worker, "view").order_by("number")
    one = shown.last()
    assert shown.count() > 1
    page.locator("#filter-q").fill(one.number)
    expect(page.locator("#export-actions a[download]")).to_have_attribute(
        "href", re.compile(rf"q={one.number}")
    )
    with page.expect_download() as searched:
        page.locator("a[href^='/registry/households/export/']").click()
    assert len(_ids(searched.value)) == one.members.count()
    # (Screenshots only from here: Playwright's marks on inputs would be carried into the
    # redrawn export form by htmx as an inline style, which the CSP refuses.)
    _step(page, size, "01-list-searched")

    page.locator("details.full-export > summary").click()
    form = page.get_by_test_id("full-export")
    expect(form).to_be_visible()
    _step(page, size, "02-full-export-form")
    # Without a reason the browser asks for one before anything is sent.
    form.locator("button[type=submit]").click()
    reason = page.locator("#full-export-reason")
    assert reason.evaluate("field => field.validity.valueMissing")
    reason.fill(REASON)
    with page.expect_download() as full:
        form.locator("button[type=submit]").click()
    full_ids = _ids(full.value)
    assert sorted(full_ids) == sorted(one.members.values_list("id_number", flat=True))

    record = AuditRecord.objects.get(action="reveal", reason=REASON)
    assert record.actor.username == "grid_worker"
    assert record.changes["rows"] == len(full_ids) and record.changes["masked"] is False
    problems.assert_clean()
