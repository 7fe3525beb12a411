"""The access matrix (tests/access_matrix.py) for the register: its pages (households,
residents, organisations and posts, tags, imports and exports) and the households and residents
API, tried by every role on an object in its own area, in a sibling area and in the parent area;
then a few of its expectations written out by hand."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from linli.core.choices import AuditAction
from linli.core.models import AuditRecord
from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "registry"


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


def test_village_cadre_gets_404_for_another_villages_household(mx, db):  # noqa: F811
    other = mx.households["HG3"]  # 乙村, the cadre works in 甲村
    page = m.page_client(mx, "village_cadre").get(f"/registry/households/{other.pk}/")
    assert page.status_code == 404
    assert "MX-05" not in page.content.decode()
    assert m.api_get(mx, "village_cadre", f"/api/households/{other.pk}").status_code == 404
    own = mx.households["HG1"]  # a grid of 甲村
    assert (
        m.page_client(mx, "village_cadre").get(f"/registry/households/{own.pk}/").status_code == 200
    )


def test_auditor_sees_no_household(mx, db):  # noqa: F811
    answer = m.api_get(mx, "auditor", "/api/households", limit=200).json()
    assert answer == {"count": 0, "items": []}
    assert m.api_get(mx, "auditor", "/api/residents").json()["count"] == 0
    assert m.page_client(mx, "auditor").get("/registry/households/").status_code == 403


def test_resident_sees_only_own_household_through_the_api(mx, db):  # noqa: F811
    own = mx.households["HG1"]
    answer = m.api_get(mx, "resident", "/api/households", limit=200).json()
    assert [h["id"] for h in answer["items"]] == [own.pk]
    people = m.api_get(mx, "resident", "/api/residents", limit=200).json()
    assert sorted(p["name"] for p in people["items"]) == ["成员甲", "户主甲"]
    neighbour = mx.households["HG1N"]  # same grid, next door
    assert m.api_get(mx, "resident", f"/api/households/{neighbour.pk}").status_code == 404
    assert m.api_get(mx, "resident", "/api/areas").json()["count"] == 0


def test_administrator_cannot_reveal(mx, db):  # noqa: F811
    person = mx.households["HG1"].head
    before = AuditRecord.objects.filter(action=AuditAction.REVEAL).count()
    api_answer = m.api_post(mx, "administrator", f"/api/residents/{person.pk}/reveal", m.REVEAL)
    assert api_answer.status_code == 404
    page = m.page_client(mx, "administrator").post(
        f"/registry/residents/{person.pk}/reveal/", m.REVEAL
    )
    assert page.status_code == 404
    assert "13912340001" not in page.content.decode()
    assert AuditRecord.objects.filter(action=AuditAction.REVEAL).count() == before


def test_grid_worker_reveals_in_own_grid_only(mx, db):  # noqa: F811
    own = mx.households["HG1"].head
    answer = m.api_post(mx, "grid_worker", f"/api/residents/{own.pk}/reveal", m.REVEAL)
    assert answer.status_code == 200
    assert answer.json() == {"field": "mobile", "value": "13912340001"}
    sibling = mx.households["HG2"].head  # 西格, the next grid of the same village
    answer = m.api_post(mx, "grid_worker", f"/api/residents/{sibling.pk}/reveal", m.REVEAL)
    assert answer.status_code == 404
    page = m.page_client(mx, "grid_worker").post(
        f"/registry/residents/{sibling.pk}/reveal/", m.REVEAL
    )
    assert page.status_code == 404


def test_street_cadre_reads_and_reveals_but_does_not_edit(mx, db):  # noqa: F811
    household = mx.households["HG3"]  # in 金街道
    answer = m.api_get(mx, "street_cadre", f"/api/households/{household.pk}")
    assert answer.status_code == 200
    patch = Client().patch(
        f"/api/households/{household.pk}",
        json.dumps({"version": household.version, "address": "改"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {mx.tokens['street_cadre']}"},
    )
    assert patch.status_code == 403
    reveal = m.api_post(mx, "street_cadre", f"/api/residents/{household.head_id}/reveal", m.REVEAL)
    assert reveal.status_code == 200
    other_street = mx.households["HG5"]
    assert m.api_get(mx, "street_cadre", f"/api/households/{other_street.pk}").status_code == 404


def test_community_worker_list_shows_own_community_only(mx, db):  # noqa: F811
    text = m.page_client(mx, "community_worker").get("/registry/households/").content.decode()
    for number in ("MX-01", "MX-02", "MX-03", "MX-04", "MX-05", "MX-06"):  # all in 春社区
        assert number in text
    for number in ("MX-07", "MX-08"):  # 夏社区 and 木街道
        assert number not in text


def test_anonymous_gets_nothing(mx, db):  # noqa: F811
    assert Client().get("/api/households").status_code == 401
    page = Client().get("/registry/households/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
