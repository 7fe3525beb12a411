"""The access matrix (tests/access_matrix.py) for the service hall: the catalogue, applications
and their steps, material photos, the counter, the due list, outreach tasks and the dashboard,
and the catalogue, applications and steps API, tried by every role on an object in its own area,
in a sibling area and in the parent area; then a few of its expectations written out by hand."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "hall"


@pytest.mark.parametrize("case", m.page_params(MODULE))
def test_page(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(mx, case)


@pytest.mark.parametrize("case", m.api_params(MODULE))
def test_api(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_api(mx, case)


@pytest.mark.parametrize(("name", "method"), m.unlisted_pages(MODULE), ids=lambda v: str(v))
def test_page_refuses_unlisted_methods(mx, db, name, method):  # noqa: F811
    m.check_page_refuses_unlisted_method(mx, name, method)


@pytest.mark.parametrize(("method", "path"), m.unlisted_api(MODULE), ids=lambda v: str(v))
def test_api_refuses_unlisted_methods(mx, db, method, path):  # noqa: F811
    m.check_api_refuses_unlisted_method(mx, method, path)


# --- a few expectations written out by hand, so the matrix cannot drift with the code ----------


def test_department_sees_what_reached_it_and_no_more(mx, db):  # noqa: F811
    reached = mx.applications["HG5", "proxy"]  # at 矩阵民政局's step now
    page = m.page_client(mx, "department_staff").get(f"/services/applications/{reached.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert reached.number in text and "户主辛" in text
    assert "13912340008" not in text  # the mobile number is not what a step needs
    at_hall = mx.applications["HG1", "at_hall"]  # its department step has not come yet
    assert m.api_get(mx, "department_staff", f"/api/applications/{at_hall.pk}").status_code == 404
    assert m.api_get(mx, "department_staff", "/api/applications").json()["count"] == 0
    queue = m.api_get(mx, "department_staff", "/api/steps", limit=200).json()
    proxies = {mx.applications[key, "proxy"].pk for key in mx.households}
    assert {s["application"]["id"] for s in queue["items"]} == proxies
    assert m.page_client(mx, "department_staff").get("/services/applications/").status_code == 403


def test_community_worker_acts_at_its_own_hall_only(mx, db):  # noqa: F811
    client = m.page_client(mx, "community_worker")  # 春社区
    assert client.get(f"/services/steps/{mx.steps['hall@HG1'].pk}/").status_code == 200
    assert client.get(f"/services/steps/{mx.steps['hall@HG4'].pk}/").status_code == 404  # 夏社区
    assert client.get(f"/services/steps/{mx.steps['street@HG3'].pk}/").status_code == 404
    street = m.page_client(mx, "street_cadre")  # 金街道
    assert street.get(f"/services/steps/{mx.steps['street@HG3'].pk}/").status_code == 200
    assert street.get(f"/services/steps/{mx.steps['street@HG5'].pk}/").status_code == 404


def test_resident_sees_own_applications_only(mx, db):  # noqa: F811
    client = m.page_client(mx, "resident")
    text = client.get("/services/mine/").content.decode()
    assert mx.applications["HG1", "proxy"].number in text
    neighbour = mx.applications["HG1N", "proxy"]  # next door, same grid
    assert neighbour.number not in text
    assert client.get(f"/services/applications/{neighbour.pk}/").status_code == 404
    assert client.get("/services/counter/").status_code == 403
    answer = m.api_get(mx, "resident", "/api/applications", limit=200).json()
    assert {a["applicant"]["name"] for a in answer["items"]} == {"户主甲"}


def test_anyone_reads_the_public_catalogue(mx, db):  # noqa: F811
    page = Client().get("/services/catalogue/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "矩阵居住证明" in text and "矩阵民政局" in text
    assert "矩阵停办事项" not in text  # withdrawn
    withdrawn = mx.items["withdrawn"]
    assert Client().get(f"/api/catalogue/{withdrawn.pk}").status_code == 404
    assert Client().get("/services/manage/catalogue/").status_code == 302
    assert (
        m.page_client(mx, "district_leader").get("/services/manage/catalogue/").status_code == 403
    )
