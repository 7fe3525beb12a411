"""Out-of-scope attempts that are refused are each recorded as a denial 拒绝访问, whichever door
they came through: `?area=` of another area on the API lists (422) and on the staff list pages
(which list nothing), and API write bodies naming another area's area, household or resident
(422). The refusal itself is what it was; an attempt within the scope leaves no record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.core.models import AuditRecord
from linli.hall.models import Application, OutreachTask
from linli.registry import services as registry_services
from linli.registry.models import Household, Resident
from linli.visits.models import ContactAssignment, Visit
from tests.api import conftest as api_helpers
from tests.api.conftest import error_fields
from tests.hall import app_helpers as h

from .. import factories as f

AREA = "core.area"
api_as = api_helpers.api_as  # the API tests' fixture: a client with a user's fresh token


def denials(user):
    return AuditRecord.objects.filter(action="denied", actor_id=user.pk)


def assert_one_denial(user, before: int, object_type: str, object_id) -> None:
    """Exactly one new denial, naming the user, the kind of record and the id they asked for."""
    new = list(denials(user).order_by("pk")[before:])
    assert len(new) == 1, [(d.object_type, d.object_id) for d in new]
    [denial] = new
    assert (denial.actor_id, denial.actor_label, denial.outcome) == (
        user.pk,
        user.username,
        "failure",
    )
    assert (denial.object_type, denial.object_id) == (object_type, str(object_id))


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


# --- ?area= of another area on the API lists: 422, and a denial -----------------------------

API_LISTS = [
    "/api/households",
    "/api/residents",
    "/api/applications",
    "/api/visits/visits",
    "/api/visits/needs",
    "/api/visits/assignments",
    "/api/visits/overdue",
]


@pytest.mark.parametrize("path", API_LISTS)
def test_an_api_list_of_another_area_is_refused_and_recorded(world, api_as, path):
    worker = world.users["community_worker"]  # 文岭社区
    elsewhere = world.villages[4]  # 东朱一村, another street
    before = denials(worker).count()
    response = api_as(worker).get(path, {"area": elsewhere.pk})
    assert response.status_code == 422, response.content
    assert "area" in error_fields(response)
    assert_one_denial(worker, before, AREA, elsewhere.pk)


@pytest.mark.parametrize("path", API_LISTS)
def test_an_api_list_of_an_own_area_leaves_no_denial(world, api_as, path):
    worker = world.users["community_worker"]
    response = api_as(worker).get(path, {"area": world.villages[0].pk})
    assert response.status_code == 200, response.content
    assert not denials(worker).exists()


def test_each_refused_request_is_recorded_once(world, api_as):
    """The same request twice: two records, one each; an id that names no area at all is
    refused and recorded the same way (nothing tells the two apart)."""
    worker = world.users["community_worker"]
    api = api_as(worker)
    for pk in (world.villages[4].pk, world.villages[4].pk, 10**9):
        before = denials(worker).count()
        assert api.get("/api/households", {"area": pk}).status_code == 422
        assert_one_denial(worker, before, AREA, pk)


# --- API write bodies naming another area's records: 422, nothing written, a denial ----------


def test_a_resident_for_another_areas_household_is_refused_and_recorded(world, api_as):
    worker = world.users["community_worker"]
    far = world.households[4]
    people = Resident.objects.count()
    body = {
        "household": far.pk,
        "name": "王某",
        "id_number": f.make_id_number(),
        "relation": "child",
    }
    response = api_as(worker).post("/api/residents", body)
    assert response.status_code == 422, response.content
    assert "household" in error_fields(response)
    assert Resident.objects.count() == people
    assert_one_denial(worker, 0, "registry.household", far.pk)


def test_a_household_in_another_area_is_refused_and_recorded(world, api_as):
    worker = world.users["community_worker"]
    api = api_as(worker)
    elsewhere = world.grids[4]
    households = Household.objects.count()
    response = api.post(
        "/api/households", {"area": elsewhere.pk, "number": "H-FAR", "address": "某地"}
    )
    assert response.status_code == 422, response.content
    assert "area" in error_fields(response)
    assert Household.objects.count() == households
    assert_one_denial(worker, 0, AREA, elsewhere.pk)
    own = world.households[0]
    response = api.patch(
        f"/api/households/{own.pk}", {"version": own.version, "area": elsewhere.pk}
    )
    assert response.status_code == 422, response.content
    own.refresh_from_db()
    assert own.area_id == world.grids[0].pk
    assert_one_denial(worker, 1, AREA, elsewhere.pk)


def test_an_application_for_another_areas_resident_is_refused_and_recorded(hall, api_as):
    worker = hall.users["hall_worker"]
    far = hall.far_household.head
    item = hall.items.illness
    body = {
        "resident": far.pk,
        "item": item.pk,
        "channel": "counter",
        "materials": h.material_names(item),
    }
    response = api_as(worker).post("/api/applications", body)
    assert response.status_code == 422, response.content
    assert "resident" in error_fields(response)
    assert not Application.objects.exists()
    assert_one_denial(worker, 0, "registry.resident", far.pk)


def test_a_contact_assignment_naming_another_areas_household_is_refused_and_recorded(world, api_as):
    cadre = world.users["village_cadre"]  # 文岭一村
    far = world.households[4]
    body = {
        "level": 5,
        "contact": {"kind": "household", "id": far.pk},
        "targets": [{"kind": "household", "id": world.households[0].pk}],
        "starts_on": "2026-09-01",
    }
    response = api_as(cadre).post("/api/visits/assignments", body)
    assert response.status_code == 422, response.content
    assert "contact" in error_fields(response)
    assert not ContactAssignment.objects.exists()
    assert_one_denial(cadre, 0, "registry.household", far.pk)


def test_a_visit_to_another_areas_household_is_not_found_and_recorded(world, api_as):
    worker = world.users["grid_worker"]
    far = world.households[4]
    body = {"household": far.pk, "channel": "home"}
    response = api_as(worker).post("/api/visits/visits", body)
    assert response.status_code == 404, response.content
    assert not Visit.objects.exists()
    assert_one_denial(worker, 0, "registry.household", far.pk)


def test_a_write_within_the_scope_leaves_no_denial(world, api_as):
    worker = world.users["community_worker"]
    body = {"area": world.grids[0].pk, "number": "H-OWN", "address": "文岭一村"}
    assert api_as(worker).post("/api/households", body).status_code == 201
    assert not denials(worker).exists()


# --- ?area= of another area on the staff list pages: nothing listed, a denial ---------------


@pytest.fixture
def own_rows(hall) -> dict[str, str]:
    """One row of the hall worker's own area on each list page, by the text that shows it."""
    worker, item = hall.users["hall_worker"], hall.items.loan
    application = h.take(hall, hall.items.illness)
    OutreachTask.objects.create(
        item=item,
        item_version=item.current,
        household=hall.household,
        resident=hall.resident,
        area=hall.household.area,
        assignee=worker,
    )
    registry_services.post_create(
        actor=None,
        holder_name="网格员小李",
        kind="grid_worker",
        area=hall.household.area,
        starts_on=dt.date(2024, 1, 1),
    )
    return {
        "registry:household_list": hall.household.number,
        "registry:resident_list": hall.resident.name,
        "registry:organisation_list": hall.hall.name,
        "registry:post_list": "网格员小李",
        "services:application_list": application.number,
        "services:outreach_list": hall.resident.name,
    }


PAGE_LISTS = [
    "registry:household_list",
    "registry:resident_list",
    "registry:organisation_list",
    "registry:post_list",
    "services:application_list",
    "services:outreach_list",
]


@pytest.mark.parametrize("name", PAGE_LISTS)
def test_a_list_page_of_another_area_lists_nothing_and_is_recorded(client, hall, own_rows, name):
    worker = hall.users["hall_worker"]  # 文岭社区
    elsewhere = hall.far_household.area  # 东朱社区's grid
    client.force_login(worker)
    response = client.get(reverse(name), {"area": elsewhere.pk})
    assert response.status_code == 200
    assert own_rows[name] not in response.content.decode()
    assert_one_denial(worker, 0, AREA, elsewhere.pk)


@pytest.mark.parametrize("name", PAGE_LISTS)
def test_a_list_page_of_an_own_area_lists_it_and_leaves_no_denial(client, hall, own_rows, name):
    worker = hall.users["hall_worker"]
    client.force_login(worker)
    response = client.get(reverse(name), {"area": hall.world.communities[0].pk})
    assert response.status_code == 200
    assert own_rows[name] in response.content.decode()
    assert not denials(worker).exists()


@pytest.mark.parametrize("name", PAGE_LISTS)
def test_a_list_page_of_an_area_above_the_scope_lists_what_is_seen_under_it(
    client, hall, own_rows, name
):
    """Asking for one's own street narrows nothing and reveals nothing: it is no denial."""
    worker = hall.users["hall_worker"]  # 文岭社区, under 太保庄街道
    client.force_login(worker)
    response = client.get(reverse(name), {"area": hall.world.streets[0].pk})
    assert response.status_code == 200
    assert own_rows[name] in response.content.decode()
    assert not denials(worker).exists()
