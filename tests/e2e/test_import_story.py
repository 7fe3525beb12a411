"""Importing a register workbook in Chromium, as the community worker of 文岭社区 does it.

She uploads a workbook with two mistakes, sees each one with its row and column, uploads the
corrected workbook, watches it being checked and written by the background job, and finds the
new household by its pinyin. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from linli.core import audit, jobs
from linli.core.models import Area
from linli.registry.importing.columns import COLUMNS
from linli.registry.models import Household, Resident

from .. import factories as f
from .conftest import go_by_nav, log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEAD = f.make_id_number(serial=311)
SPOUSE = f.make_id_number(serial=312, male=False)
WRONG = SPOUSE[:-1] + ("1" if SPOUSE[-1] != "1" else "2")  # a wrong check digit


@pytest.fixture
def job_thread(transactional_db):
    """The serving process's job thread, as `linli serve` starts it. The demo just built has
    left thousands of audit records to chain: chain them first, as a worker would have done
    long before anyone logs in, so that the sealer's first passes (SQLite: one writer at a
    time) do not hold up the login the story starts with."""
    audit.seal()
    worker = jobs.start_embedded_worker(interval=0.2)
    yield worker
    worker.stop(timeout=10)


def _workbook(path, village_code: str, spouse_id: str, relation: str):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    household = [village_code, "", "209901", "王家庄村99号", HEAD, ""]
    sheet.append([*household, "欧阳明", HEAD, "户主", "13812340099", "", "党员", ""])
    sheet.append([*household, "林小红", spouse_id, relation, "", "", "", ""])
    book.save(path)
    return path


def _upload(page, path, expected_status: str) -> None:
    from playwright.sync_api import expect

    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/registry/import/\d+/$"))
    # The page polls until the job has finished, then shows the outcome.
    expect(page.locator(f"[data-status='{expected_status}']")).to_be_visible(timeout=30_000)


def test_upload_errors_then_the_corrected_workbook_then_find_by_pinyin(
    demo_site, page_at, problems, job_thread, tmp_path
):
    from playwright.sync_api import expect

    code = Area.objects.get(name="王家庄村").code
    page = page_at("phone")
    log_in(page, demo_site, "community_worker")
    go_by_nav(page, "/registry/households/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.wait_for_url(f"{demo_site}/registry/import/")
    screenshot(page, "import-phone-01-upload")
    assert wider_than_window(page) == []

    _upload(page, _workbook(tmp_path / "有错误.xlsx", code, WRONG, "妻子之"), "rejected")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")  # row 3 of the file
    expect(errors.nth(0)).to_contain_text("身份证号")
    expect(errors.nth(0)).to_contain_text("校验")
    expect(errors.nth(1)).to_contain_text("与户主关系")
    expect(page.get_by_role("link", name="下载带错误说明的工作簿")).to_be_visible()
    screenshot(page, "import-phone-02-errors")
    assert wider_than_window(page) == []
    assert not Household.objects.filter(number="209901").exists()

    page.get_by_role("link", name="上传更正后的工作簿").click()
    _upload(page, _workbook(tmp_path / "已更正.xlsx", code, SPOUSE, "配偶"), "done")
    expect(page.locator("#import-summary")).to_contain_text("登记户数：1")
    expect(page.locator("#rows-done")).to_have_text("2 / 2")
    screenshot(page, "import-phone-03-done")

    go_by_nav(page, "/registry/households/")
    page.locator("#filter-q").fill("ouyangming")
    page.locator("#filter-q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=ouyangming"))
    found = page.locator("#results").get_by_role("link", name="欧阳明", exact=True)
    expect(found).to_have_count(1)
    screenshot(page, "import-phone-04-found")
    head = Resident.objects.get(id_number=HEAD)
    assert head.household.head == head and head.household.members.count() == 2
    problems.assert_clean()
