"""The five links and visits API 五联走访: contact assignments (one, several at once, end),
visits (recorded with needs, idempotent retries), needs (handed on to the service hall, closed),
coverage and its drill-down, the gap list and the overdue households — scope (404 and nothing
listed), roles (403), bad input of every shape (4xx, nothing written), masking, and the fuzzer
over these operations (no input may cause a 5xx)."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
import schemathesis
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.accounts.services import api_token_issue
from linli.core.masking import mask_mobile
from linli.hall.models import Application
from linli.registry import services as registry_services
from linli.visits import policies, services
from linli.visits.models import ContactAssignment, Need, Visit, VisitPolicy
from tests.api.conftest import ApiClient, error_fields
from tests.api.test_fuzz import fuzz_operation, wsgi_app  # noqa: F401 — the fixture is used by name

from .. import factories as f
from ..hall import app_helpers as h

VISITS = "/api/visits"


def _post(kind: str, area, name: str):
    return registry_services.post_create(
        actor=None, holder_name=name, kind=kind, area=area, starts_on=dt.date(2024, 1, 1)
    )


def build(world) -> SimpleNamespace:
    """The `world` district with the hall's items, a monthly default policy, party members and
    a central household, posts for the links, and two visits in the grid worker's grid: one 80
    days ago that found a schooling need (overdue now), one 10 days ago by phone."""
    hall = h.build_hall(world)
    grid, worker = world.grids[0], world.users["grid_worker"]
    today = timezone.localdate()
    VisitPolicy.objects.create(is_default=True, every=1, unit="month")
    party = f.tag("党员", "resident")
    central = f.tag("党员中心户", "household")
    own = world.households[0]
    own.tag_links.create(tag=central)
    neighbour = f.household(grid, "H10001", head_name="李志华", mobile="13900001111")
    next_door = f.household(grid, "H10002", head_name="王小明")
    member = registry_services.resident_create(
        actor=None,
        household=neighbour,
        name="党员丁",
        id_number=f.make_id_number(),
        relation="spouse",
        tags=[(party, "")],
    )
    first = services.visit_record(
        actor=worker,
        household=own,
        channel="home",
        visited_on=today - dt.timedelta(days=80),
        needs=[services.NeedInput("schooling", "孩子上学缺学费")],
    )
    recent = services.visit_record(
        actor=worker,
        household=neighbour,
        channel="phone",
        visited_on=today - dt.timedelta(days=10),
    )
    policies.states_refresh(today=today)
    users = dict(world.users)
    users["far_street_cadre"] = hall.users["far_street_cadre"]
    return SimpleNamespace(
        world=world,
        hall=hall,
        users=users,
        today=today,
        own=own,
        neighbour=neighbour,
        next_door=next_door,
        member=member,
        sibling=world.households[1],  # the same community, another village: not the grid's
        far=world.households[4],  # the other street
        first=first,
        recent=recent,
        need=first.needs.get(),
        street_post=_post("civil_servant", world.streets[0], "下派干部甲"),
        leader_post=_post("district_leader", world.district, "区长乙"),
        village_post=_post("village_branch_secretary", world.villages[0], "村书记丙"),
    )


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


# The module's tests run with the clock stopped here, and their world is built at that time.
WORLD_CLOCK = h.BEFORE_NATIONAL_DAY


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


SHARED = {"v": build}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def v(clock, shared):
    return shared("v")


@pytest.fixture
def api(client, v):
    """api("grid_worker") → a client with a fresh API token of that user."""

    def make(who) -> ApiClient:
        _, key = api_token_issue(actor=None, user=v.users[who], name="test integration")
        return ApiClient(client, key)

    return make


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["items"]]


# --- recording visits ---------------------------------------------------------------------


def _visit_body(v, **changes) -> dict:
    return {
        "household": v.next_door.pk,
        "channel": "home",
        "note": "家中一切安好",
        "needs": [{"category": "schooling", "description": "孩子上学缺学费"}],
    } | changes


def test_record_a_visit_with_a_need(v, api):
    response = api("grid_worker").post(f"{VISITS}/visits", _visit_body(v))
    assert response.status_code == 201, response.content
    data = response.json()
    visit = Visit.objects.get(household=v.next_door)
    assert data["id"] == visit.pk
    assert data["visited_on"] == "2026-09-28"  # today, as none was given
    assert data["channel"] == "home" and data["channel_label"] == "Home visit"
    assert data["visitor"] == str(v.users["grid_worker"])
    assert data["household"]["number"] == "H10002"
    assert data["area"] == {"id": v.world.grids[0].pk, "name": v.world.grids[0].name}
    assert data["note"] == "家中一切安好" and data["photo"] is False
    [need] = data["needs"]
    assert need["category"] == "schooling" and need["description"] == "孩子上学缺学费"
    assert need["status"] == "open" and need["application"] is None
    assert need["id"] == Need.objects.get(visit=visit).pk


def test_a_visit_shows_the_head_mobile_masked(v, api):
    response = api("grid_worker").post(
        f"{VISITS}/visits", _visit_body(v, household=v.neighbour.pk, needs=[])
    )
    assert response.status_code == 201
    head = response.json()["household"]["head"]
    assert head == {
        "id": v.neighbour.head_id,
        "name": "李志华",
        "mobile": mask_mobile("13900001111"),
    }
    assert "13900001111" not in response.content.decode()


def test_record_a_visit_on_an_earlier_day(v, api):
    body = _visit_body(v, visited_on="2026-09-20", channel="talk_room", needs=[])
    response = api("village_cadre").post(f"{VISITS}/visits", body)
    assert response.status_code == 201, response.content
    assert response.json()["visited_on"] == "2026-09-20"
    assert Visit.objects.get(household=v.next_door).visited_on == dt.date(2026, 9, 20)


@pytest.mark.parametrize("household", ["sibling", "far"])
def test_a_household_outside_the_grid_is_not_found_and_nothing_is_written(v, api, household):
    before = (Visit.objects.count(), Need.objects.count())
    body = _visit_body(v, household=getattr(v, household).pk)
    response = api("grid_worker").post(f"{VISITS}/visits", body)
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."
    assert (Visit.objects.count(), Need.objects.count()) == before


def test_a_household_that_does_not_exist_gets_the_same_answer(v, api):
    missing = max(h.pk for h in v.world.households) + 1000
    response = api("grid_worker").post(f"{VISITS}/visits", _visit_body(v, household=missing))
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


@pytest.mark.parametrize("role", ["resident", "administrator", "auditor"])
def test_roles_that_do_not_visit_may_not_record_a_visit(v, api, role):
    before = Visit.objects.count()
    response = api(role).post(f"{VISITS}/visits", _visit_body(v, household=v.own.pk))
    assert response.status_code == 403
    assert Visit.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"visited_on": "2026-09-29"}, "visited_on"),  # tomorrow
        ({"visited_on": "2026-06-29"}, "visited_on"),  # 91 days back
        ({"visited_on": "28/09/2026"}, "visited_on"),
        ({"needs": [{"category": "weather", "description": "x"}]}, "needs.0.category"),
        ({"needs": [{"category": "medical", "description": "  "}]}, "needs.0.description"),
        ({"needs": [{"category": "medical", "description": "病" * 301}]}, "needs.0.description"),
        ({"needs": [{"category": "medical"}]}, "needs.0.description"),
        ({"needs": [{"category": "other", "description": "x"}] * 11}, "needs"),
        ({"note": "记" * 1001}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"household": 0}, "household"),
        ({"household": "H10002"}, "household"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_written(v, api, changes, field):
    before = (Visit.objects.count(), Need.objects.count())
    response = api("grid_worker").post(f"{VISITS}/visits", _visit_body(v, **changes))
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert (Visit.objects.count(), Need.objects.count()) == before


def test_a_body_that_is_not_json_is_a_400(v, api):
    response = api("grid_worker").post(f"{VISITS}/visits", raw="{household: 1")
    assert response.status_code == 400
    assert Visit.objects.count() == 2


def test_a_retried_visit_is_recorded_once(v, api):
    client = api("grid_worker")
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(f"{VISITS}/visits", _visit_body(v), headers=headers)
    again = client.post(f"{VISITS}/visits", _visit_body(v), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Visit.objects.filter(household=v.next_door).count() == 1
    assert Need.objects.filter(household=v.next_door).count() == 1
    other = client.post(f"{VISITS}/visits", _visit_body(v, note="另一次"), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in error_fields(other)
    assert Visit.objects.filter(household=v.next_door).count() == 1


# --- reading visits -----------------------------------------------------------------------


def test_visit_list_latest_first_with_filters(v, api):
    client = api("grid_worker")
    assert _ids(client.get(f"{VISITS}/visits")) == [v.recent.pk, v.first.pk]
    assert _ids(client.get(f"{VISITS}/visits", {"channel": "phone"})) == [v.recent.pk]
    assert _ids(client.get(f"{VISITS}/visits", {"household": v.own.pk})) == [v.first.pk]
    since = (v.today - dt.timedelta(days=30)).isoformat()
    assert _ids(client.get(f"{VISITS}/visits", {"date_from": since})) == [v.recent.pk]
    assert _ids(client.get(f"{VISITS}/visits", {"date_to": since})) == [v.first.pk]
    area = client.get(f"{VISITS}/visits", {"area": v.world.grids[0].pk})
    assert area.json()["count"] == 2
    second = client.get(f"{VISITS}/visits", {"limit": 1, "offset": 1})
    assert second.json()["count"] == 2 and _ids(second) == [v.first.pk]


def test_visit_list_refuses_an_area_outside_the_scope_and_backward_dates(v, api):
    client = api("grid_worker")
    response = client.get(f"{VISITS}/visits", {"area": v.world.grids[4].pk})
    assert response.status_code == 422 and "area" in error_fields(response)
    response = client.get(f"{VISITS}/visits", {"date_from": "2026-09-10", "date_to": "2026-09-01"})
    assert response.status_code == 422 and "date_to" in error_fields(response)


def test_visit_detail_has_its_needs_with_their_status(v, api):
    data = api("village_cadre").get(f"{VISITS}/visits/{v.first.pk}").json()
    assert data["household"]["id"] == v.own.pk
    assert [n["id"] for n in data["needs"]] == [v.need.pk]
    assert data["needs"][0]["status"] == "open"
    assert data["needs"][0]["category_label"] == "Children's schooling"


def test_another_street_sees_none_of_our_visits(v, api):
    client = api("far_street_cadre")
    assert client.get(f"{VISITS}/visits").json() == {"count": 0, "items": []}
    assert client.get(f"{VISITS}/visits/{v.first.pk}").status_code == 404
    assert client.get(f"{VISITS}/needs").json()["count"] == 0
    assert client.get(f"{VISITS}/needs/{v.need.pk}").status_code == 404


def test_a_resident_sees_no_visits_even_of_their_own_household(v, api):
    client = api("resident")
    assert client.get(f"{VISITS}/visits").json()["count"] == 0
    assert client.get(f"{VISITS}/visits/{v.first.pk}").status_code == 404
    assert client.get(f"{VISITS}/needs/{v.need.pk}").status_code == 404
    assert client.get(f"{VISITS}/assignments").json()["count"] == 0


@pytest.mark.parametrize("listing", ["visits", "needs", "overdue", "assignments"])
def test_lists_cost_the_same_queries_for_more_rows(v, api, listing):
    client = api("street_cadre")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{VISITS}/{listing}").status_code == 200
        return len(ctx)

    def add(n: int) -> None:
        household = f.household(v.world.grids[0], f"H2000{n}", head_name=f"户主{n}")
        services.visit_record(
            actor=v.users["grid_worker"],
            household=household,
            channel="home",
            visited_on=v.today - dt.timedelta(days=70),
            needs=[services.NeedInput("medical", "看病难")],
        )
        services.assignment_create(
            actor=v.users["village_cadre"],
            level=5,
            contact=v.own,
            target=household,
            starts_on=dt.date(2026, 9, 1),
        )

    # A page with rows costs one query more than an empty one (its rows are fetched by id).
    add(0)
    queries()  # the first request of a token also stamps its last use
    few = queries()
    assert client.get(f"{VISITS}/{listing}").json()["items"]
    for n in range(1, 6):
        add(n)
    assert len(client.get(f"{VISITS}/{listing}").json()["items"]) >= 6
    assert queries() == few


# --- needs --------------------------------------------------------------------------------


def test_need_list_filters_by_status_category_and_area(v, api):
    client = api("community_worker")
    assert _ids(client.get(f"{VISITS}/needs")) == [v.need.pk]
    assert _ids(client.get(f"{VISITS}/needs", {"status": "open"})) == [v.need.pk]
    assert _ids(client.get(f"{VISITS}/needs", {"status": "resolved"})) == []
    assert _ids(client.get(f"{VISITS}/needs", {"category": "medical"})) == []
    assert _ids(client.get(f"{VISITS}/needs", {"area": v.world.villages[1].pk})) == []
    assert _ids(client.get(f"{VISITS}/needs", {"area": v.world.villages[0].pk})) == [v.need.pk]
    assert client.get(f"{VISITS}/needs", {"status": "lost"}).status_code == 422


def test_need_detail(v, api):
    data = api("grid_worker").get(f"{VISITS}/needs/{v.need.pk}").json()
    assert data["visit_id"] == v.first.pk and data["household"]["id"] == v.own.pk
    assert data["found_on"] == v.first.visited_on.isoformat()
    assert data["version"] == v.need.version


def _hand_on(v, **changes) -> dict:
    item = v.hall.items.loan
    return {"item": item.pk, "materials": h.material_names(item)} | changes


def test_a_need_becomes_an_application_in_one_step(v, api):
    url = f"{VISITS}/needs/{v.need.pk}/application"
    response = api("grid_worker").post(url, _hand_on(v))
    assert response.status_code == 201, response.content
    data = response.json()
    application = Application.objects.get()
    assert data["application"] == {
        "id": application.pk,
        "number": application.number,
        "state": application.state,
        "state_label": str(application.get_state_display()),
    }
    assert application.channel == "visit" and application.resident_id == v.own.head_id
    assert application.item_id == v.hall.items.loan.pk
    assert data["status"] == "following"
    v.need.refresh_from_db()
    assert v.need.application_id == application.pk
    again = api("grid_worker").post(url, _hand_on(v))
    assert again.status_code == 422
    assert Application.objects.count() == 1


def test_a_need_handed_on_for_another_member(v, api):
    spouse = registry_services.resident_create(
        actor=None, household=v.own, name="配偶甲", id_number=f.make_id_number(), relation="spouse"
    )
    url = f"{VISITS}/needs/{v.need.pk}/application"
    response = api("grid_worker").post(url, _hand_on(v, resident=spouse.pk))
    assert response.status_code == 201, response.content
    assert Application.objects.get().resident_id == spouse.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lambda v: {"item": 10**9}, "item"),
        (lambda v: {"item": v.hall.items.loan.pk, "resident": v.member.pk}, "resident"),
        (lambda v: {"item": v.hall.items.loan.pk, "resident": v.far.head_id}, "resident"),
        (lambda v: {"item": v.hall.items.loan.pk, "materials": [""]}, "materials.0"),
        (lambda v: {}, "item"),
    ],
)
def test_bad_hand_ons_are_refused_and_nothing_is_written(v, api, body, field):
    url = f"{VISITS}/needs/{v.need.pk}/application"
    response = api("grid_worker").post(url, body(v))
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert Application.objects.count() == 0
    v.need.refresh_from_db()
    assert v.need.application_id is None


def test_hand_on_outside_the_scope_is_not_found_and_refused_to_non_visitors(v, api):
    url = f"{VISITS}/needs/{v.need.pk}/application"
    assert api("far_street_cadre").post(url, _hand_on(v)).status_code == 404
    assert api("resident").post(url, _hand_on(v)).status_code == 404
    # A street cadre sees the need and records visits but takes no applications.
    assert api("street_cadre").post(url, _hand_on(v)).status_code == 403
    assert Application.objects.count() == 0
    v.need.refresh_from_db()
    assert v.need.application_id is None and v.need.status == "open"


def test_close_a_need_with_a_note(v, api):
    url = f"{VISITS}/needs/{v.need.pk}/close"
    body = {"resolved": True, "note": "已联系学校减免", "version": v.need.version}
    response = api("grid_worker").post(url, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "resolved" and data["closing_note"] == "已联系学校减免"
    assert data["closed_on"] == "2026-09-28"
    assert api("grid_worker").get(f"{VISITS}/needs", {"status": "resolved"}).json()["count"] == 1


def test_closing_needs_a_note_and_the_current_version(v, api):
    url = f"{VISITS}/needs/{v.need.pk}/close"
    client = api("grid_worker")
    response = client.post(url, {"resolved": False, "note": " "})
    assert response.status_code == 422 and "note" in error_fields(response)
    response = client.post(url, {"resolved": False, "note": "无需处理", "version": 99})
    assert response.status_code == 409
    v.need.refresh_from_db()
    assert v.need.status == "open" and v.need.closing_note == ""


def test_close_outside_the_scope_is_not_found(v, api):
    url = f"{VISITS}/needs/{v.need.pk}/close"
    response = api("far_street_cadre").post(url, {"resolved": True, "note": "越权"})
    assert response.status_code == 404
    v.need.refresh_from_db()
    assert v.need.status == "open"


# --- contact assignments ------------------------------------------------------------------


def _assign_body(v, **changes) -> dict:
    return {
        "level": 3,
        "contact": {"kind": "post", "id": v.street_post.pk},
        "targets": [{"kind": "area", "id": v.world.villages[0].pk}],
        "starts_on": "2026-09-01",
        "note": "包村",
    } | changes


def test_assign_a_cadre_to_a_village(v, api):
    response = api("street_cadre").post(f"{VISITS}/assignments", _assign_body(v))
    assert response.status_code == 201, response.content
    [row] = response.json()["items"]
    made = ContactAssignment.objects.get()
    assert row["id"] == made.pk and row["level"] == 3
    assert row["contact"] == {"kind": "post", "id": v.street_post.pk, "name": made.contact_name}
    assert "下派干部甲" in row["contact"]["name"]
    village = v.world.villages[0]
    assert row["target"] == {"kind": "area", "id": village.pk, "name": village.name}
    assert row["scope_area"]["id"] == village.pk
    assert row["starts_on"] == "2026-09-01" and row["ends_on"] is None
    assert row["active"] is True and row["note"] == "包村"
    detail = api("street_cadre").get(f"{VISITS}/assignments/{made.pk}")
    assert detail.json() == row


def test_a_central_household_takes_its_neighbours_in_one_go(v, api):
    body = {
        "level": 5,
        "contact": {"kind": "household", "id": v.own.pk},
        "targets": [
            {"kind": "household", "id": v.neighbour.pk},
            {"kind": "household", "id": v.next_door.pk},
        ],
        "starts_on": "2026-09-01",
    }
    response = api("village_cadre").post(f"{VISITS}/assignments", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["count"] == 2
    assert {r["target"]["id"] for r in data["items"]} == {v.neighbour.pk, v.next_door.pk}
    assert ContactAssignment.objects.filter(level=5, contact_household=v.own).count() == 2


def test_several_targets_are_all_made_or_none(v, api):
    body = _assign_body(
        v,
        targets=[
            {"kind": "area", "id": v.world.villages[0].pk},
            {"kind": "area", "id": v.world.communities[0].pk},  # not a village: level 3 refuses
        ],
    )
    response = api("street_cadre").post(f"{VISITS}/assignments", body)
    assert response.status_code == 422, response.content
    assert ContactAssignment.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (lambda v: {"targets": []}, "targets"),
        (lambda v: {"targets": [{"kind": "area", "id": v.world.villages[0].pk}] * 2}, "targets"),
        (lambda v: {"targets": [{"kind": "area", "id": v.world.villages[4].pk}]}, "targets"),
        (lambda v: {"targets": [{"kind": "planet", "id": 1}]}, "targets.0.kind"),
        (lambda v: {"contact": {"kind": "post", "id": 10**9}}, "contact"),
        (lambda v: {"level": 6}, "level"),
        (lambda v: {"starts_on": "2026-09-01", "ends_on": "2026-08-01"}, None),
        (lambda v: {"note": "注" * 201}, "note"),
    ],
)
def test_bad_assignments_are_refused_and_nothing_is_written(v, api, changes, field):
    response = api("street_cadre").post(f"{VISITS}/assignments", _assign_body(v, **changes(v)))
    assert 400 <= response.status_code < 500 and response.status_code != 404, response.content
    if field is not None:
        assert field in error_fields(response)
    assert ContactAssignment.objects.count() == 0


@pytest.mark.parametrize("role", ["grid_worker", "resident", "administrator"])
def test_roles_that_do_not_assign_are_refused(v, api, role):
    response = api(role).post(f"{VISITS}/assignments", _assign_body(v))
    assert response.status_code == 403
    assert ContactAssignment.objects.count() == 0


@pytest.fixture
def assigned(v):
    """A cadre on village 0 since September, a leader on street 0 in August only."""
    actor = v.users["district_leader"]
    cadre = services.assignment_create(
        actor=actor,
        level=3,
        contact=v.street_post,
        target=v.world.villages[0],
        starts_on=dt.date(2026, 9, 1),
    )
    leader = services.assignment_create(
        actor=actor,
        level=1,
        contact=v.leader_post,
        target=v.world.streets[0],
        starts_on=dt.date(2026, 8, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    return SimpleNamespace(cadre=cadre, leader=leader)


def test_assignment_list_filters(v, api, assigned):
    client = api("street_cadre")
    both = {assigned.cadre.pk, assigned.leader.pk}
    assert set(_ids(client.get(f"{VISITS}/assignments"))) == both
    assert _ids(client.get(f"{VISITS}/assignments", {"level": 1})) == [assigned.leader.pk]
    on = {"active_on": "2026-08-15"}
    assert _ids(client.get(f"{VISITS}/assignments", on)) == [assigned.leader.pk]
    village = {"area": v.world.villages[0].pk}
    assert _ids(client.get(f"{VISITS}/assignments", village)) == [assigned.cadre.pk]
    rows = client.get(f"{VISITS}/assignments").json()["items"]
    assert {r["id"]: r["active"] for r in rows} == {
        assigned.cadre.pk: True,
        assigned.leader.pk: False,
    }


def test_assignments_of_another_street_are_not_shown(v, api, assigned):
    client = api("far_street_cadre")
    assert client.get(f"{VISITS}/assignments").json()["count"] == 0
    assert client.get(f"{VISITS}/assignments/{assigned.cadre.pk}").status_code == 404
    url = f"{VISITS}/assignments/{assigned.cadre.pk}/end"
    assert client.post(url, {"ends_on": "2026-09-28"}).status_code == 404
    assert ContactAssignment.objects.get(pk=assigned.cadre.pk).ends_on is None


def test_end_an_assignment(v, api, assigned):
    url = f"{VISITS}/assignments/{assigned.cadre.pk}/end"
    body = {"ends_on": "2026-09-28", "version": assigned.cadre.version}
    response = api("street_cadre").post(url, body)
    assert response.status_code == 200, response.content
    assert response.json()["ends_on"] == "2026-09-28"
    assert ContactAssignment.objects.get(pk=assigned.cadre.pk).ends_on == dt.date(2026, 9, 28)
    stale = api("street_cadre").post(url, body)
    assert stale.status_code == 409


def test_ending_is_refused_to_those_who_only_visit(v, api):
    """The grid worker sees a central household's link in their grid, but may not end it."""
    link = services.assignment_create(
        actor=v.users["village_cadre"],
        level=5,
        contact=v.own,
        target=v.neighbour,
        starts_on=dt.date(2026, 9, 1),
    )
    url = f"{VISITS}/assignments/{link.pk}/end"
    client = api("grid_worker")
    assert client.get(f"{VISITS}/assignments/{link.pk}").status_code == 200
    response = client.post(url, {"ends_on": "2026-09-28"})
    assert response.status_code == 403
    assert ContactAssignment.objects.get(pk=link.pk).ends_on is None


def test_ending_before_the_start_is_refused(v, api, assigned):
    url = f"{VISITS}/assignments/{assigned.cadre.pk}/end"
    response = api("street_cadre").post(url, {"ends_on": "2026-08-01"})
    assert response.status_code == 422
    assert ContactAssignment.objects.get(pk=assigned.cadre.pk).ends_on is None


def test_a_retried_assignment_is_made_once(v, api):
    client = api("street_cadre")
    headers = {"Idempotency-Key": "assign-1"}
    first = client.post(f"{VISITS}/assignments", _assign_body(v), headers=headers)
    again = client.post(f"{VISITS}/assignments", _assign_body(v), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert ContactAssignment.objects.count() == 1


# --- coverage, gaps, overdue --------------------------------------------------------------


def test_coverage_of_the_top_area_this_year_by_default(v, api):
    response = api("street_cadre").get(f"{VISITS}/coverage")
    assert response.status_code == 200, response.content
    data = response.json()
    street = v.world.streets[0]
    assert data["area"] == {"id": street.pk, "name": street.name}
    assert (data["start"], data["end"]) == ("2026-01-01", "2026-12-31")
    assert data["villages"] == 4 and data["villages_reached"] == 1
    assert data["villages_percent"] == 25.0
    assert data["households"] == 6 and data["households_reached"] == 2  # 4 + the 2 added
    assert data["visits"] == 2 and data["needs_found"] == 1 and data["needs_resolved"] == 0
    assert data["needs_resolved_percent"] == 0.0
    assert [lv["level"] for lv in data["levels"]] == [1, 2, 3, 4, 5]
    assert data["source"] in ("records", "summary")


def test_coverage_of_an_area_in_a_period(v, api):
    village = v.world.villages[0]
    since = (v.today - dt.timedelta(days=30)).isoformat()
    query = {"area": village.pk, "from": since, "to": v.today.isoformat()}
    data = api("village_cadre").get(f"{VISITS}/coverage", query).json()
    assert data["area"]["id"] == village.pk
    assert data["start"] == since and data["end"] == "2026-09-28"
    assert data["households"] == 3 and data["households_reached"] == 1
    assert data["households_percent"] == 33.3
    assert data["visits"] == 1 and data["needs_found"] == 0


def test_coverage_children_are_the_drill_down(v, api):
    response = api("street_cadre").get(f"{VISITS}/coverage/children")
    data = response.json()
    assert [row["area"]["id"] for row in data["items"]] == [c.pk for c in v.world.communities[:2]]
    assert data["count"] == 2
    assert [row["households_reached"] for row in data["items"]] == [2, 0]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-09-10", "to": "2026-09-01"},
        {"from": "2019-01-01", "to": "2026-01-01"},
        {"from": "2026-02-30"},
        {"area": "village"},
    ],
)
def test_coverage_refuses_bad_periods(v, api, query):
    response = api("street_cadre").get(f"{VISITS}/coverage", query)
    assert response.status_code == 422, response.content


def test_coverage_outside_the_scope_is_not_found(v, api):
    client = api("far_street_cadre")
    assert client.get(f"{VISITS}/coverage", {"area": v.world.streets[0].pk}).status_code == 404
    query = {"area": v.world.villages[0].pk}
    assert client.get(f"{VISITS}/coverage/children", query).status_code == 404
    assert client.get(f"{VISITS}/coverage", {"area": 10**9}).status_code == 404


@pytest.mark.parametrize("role", ["resident", "administrator", "auditor"])
def test_coverage_is_refused_to_roles_that_do_not_read_visits(v, api, role):
    assert api(role).get(f"{VISITS}/coverage").status_code == 403
    assert api(role).get(f"{VISITS}/gaps").status_code == 403


def test_gaps_per_level_and_the_villages_without_a_cadre(v, api, assigned):
    client = api("street_cadre")
    data = client.get(f"{VISITS}/gaps").json()
    assert data["area"]["id"] == v.world.streets[0].pk
    assert data["on"] == "2026-09-28" and data["level"] is None and data["items"] == []
    counts = {row["level"]: row for row in data["levels"]}
    assert set(counts) == {1, 2, 3, 4, 5}
    assert (counts[3]["targets"], counts[3]["linked"], counts[3]["gaps"]) == (4, 1, 3)
    villages = client.get(f"{VISITS}/gaps", {"level": 3}).json()
    assert villages["count"] == 3
    assert {row["id"] for row in villages["items"]} == {a.pk for a in v.world.villages[1:4]}
    assert all(row["kind"] == "area" for row in villages["items"])
    one = client.get(f"{VISITS}/gaps", {"level": 3, "limit": 1}).json()
    assert one["count"] == 3 and len(one["items"]) == 1
    august = client.get(f"{VISITS}/gaps", {"level": 1, "on": "2026-08-15"}).json()
    assert august["count"] == 0  # the leader's link was in force then


def test_gaps_of_party_members(v, api):
    data = api("village_cadre").get(f"{VISITS}/gaps", {"level": 4}).json()
    assert [(row["kind"], row["id"]) for row in data["items"]] == [("resident", v.member.pk)]
    assert data["items"][0]["area"]["id"] == v.world.grids[0].pk


def test_overdue_households_most_overdue_first(v, api):
    client = api("grid_worker")
    data = client.get(f"{VISITS}/overdue").json()
    rows = {row["household"]["id"]: row for row in data["items"]}
    assert v.own.pk in rows and v.neighbour.pk not in rows  # visited 80 and 10 days ago
    own = rows[v.own.pk]
    assert own["last_visited_on"] == (v.today - dt.timedelta(days=80)).isoformat()
    assert own["overdue_days"] > 0
    days = [row["overdue_days"] for row in data["items"]]
    assert days == sorted(days, reverse=True)
    far = client.get(f"{VISITS}/overdue", {"area": v.world.grids[4].pk})
    assert far.status_code == 422 and "area" in error_fields(far)
    assert api("far_street_cadre").get(f"{VISITS}/overdue").json()["count"] == 0


def test_overdue_households_of_one_grid_worker(v, api):
    worker = v.users["grid_worker"]
    registry_services.post_create(
        actor=None,
        holder_name="网格员甲",
        kind="grid_worker",
        area=v.world.grids[0],
        starts_on=dt.date(2024, 1, 1),
        account=worker,
    )
    client = api("community_worker")
    mine = client.get(f"{VISITS}/overdue", {"worker": worker.pk}).json()
    assert v.own.pk in {row["household"]["id"] for row in mine["items"]}
    assert {row["household"]["area"]["id"] for row in mine["items"]} == {v.world.grids[0].pk}
    nobody = client.get(f"{VISITS}/overdue", {"worker": v.users["village_cadre"].pk}).json()
    assert nobody == {"count": 0, "items": []}


# --- the fuzzer ---------------------------------------------------------------------------


def _real_ids(v) -> dict[str, int]:
    assignment = services.assignment_create(
        actor=v.users["district_leader"],
        level=3,
        contact=v.street_post,
        target=v.world.villages[0],
        starts_on=dt.date(2026, 9, 1),
    )
    return {"assignments": assignment.pk, "visits": v.first.pk, "needs": v.need.pk}


@pytest.mark.slow
def test_no_server_errors_in_the_visits_api(v, wsgi_app):  # noqa: F811
    real_ids = _real_ids(v)
    _, key = api_token_issue(actor=None, user=v.users["community_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(VISITS + "/"):
            continue
        operations += 1
        real_id = real_ids[operation.path.split("/")[3]] if "{id}" in operation.path else None
        failures += fuzz_operation(operation, headers, real_id)
    assert operations == 15
    assert not failures, "\n\n".join(failures[:5])
