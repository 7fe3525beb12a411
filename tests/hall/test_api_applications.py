"""Applications 办件 through the JSON API: taking them, following them, acting on them;
scope (404 and nothing listed), permissions (403), body references out of scope (422 naming
the field), masking, optimistic versions (409), idempotent retries, and the same number of
queries at 3 and 30 records."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from linli.accounts.services import api_token_issue
from linli.core.masking import mask_id_number, mask_mobile
from linli.core.models import AuditRecord, IdempotencyKey
from linli.hall.applications import services
from linli.hall.catalogue import services as catalogue
from linli.hall.models import Application, OutreachTask, Rating, Trip
from tests.api.conftest import ApiClient, error_fields

from .. import factories as f
from . import app_helpers as h

# The module's tests run with the clock stopped here, and their world is built at that time.
WORLD_CLOCK = h.BEFORE_NATIONAL_DAY


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(clock, shared):
    return shared("hall")


@pytest.fixture
def api(client, hall):
    """api("hall_worker") → a client with a fresh API token of that user of the hall."""

    def make(who) -> ApiClient:
        user = hall.users[who] if isinstance(who, str) else who
        _, key = api_token_issue(actor=None, user=user, name="test integration")
        return ApiClient(client, key)

    return make


def _take_body(hall, item, **extra) -> dict:
    return {
        "resident": hall.resident.pk,
        "item": item.pk,
        "channel": "counter",
        "materials": h.material_names(item),
    } | extra


def _url(app, action: str = "") -> str:
    return f"/api/applications/{app.pk}" + (f"/{action}" if action else "")


def _audits(app) -> int:
    return AuditRecord.objects.filter(
        object_type="services.application", object_id=str(app.pk)
    ).count()


# --- taking an application ----------------------------------------------------------------


def test_take_a_proxy_application_at_the_counter(hall, api):
    response = api("hall_worker").post("/api/applications", _take_body(hall, hall.items.illness))
    assert response.status_code == 201, response.content
    data = response.json()
    app = Application.objects.get()
    assert data["id"] == app.pk and data["number"] == app.number
    assert data["state"] == "in_progress" and data["trip_count"] == 1
    assert data["item"] == {
        "id": hall.items.illness.pk,
        "name": "大病救助",
        "version": 1,
        "mode": "proxy",
        "mode_label": "Carried through the offices for the resident",
    }
    assert data["promised_days"] == 15 and data["received_on"] == "2026-09-28"
    assert data["where"] == f"At {hall.hall.name}: 社区受理"
    assert data["current_step"]["name"] == "社区受理"
    assert [s["name"] for s in data["steps"]] == [s[0] for s in h.ILLNESS_ROUTE]
    assert [s["state"] for s in data["steps"]] == ["active", "waiting", "waiting", "waiting"]
    assert data["steps"][0]["can_act"] is True and data["steps"][1]["can_act"] is False
    assert [m["name"] for m in data["materials"]] == list(h.ILLNESS_MATERIALS)
    assert all(m["received"] for m in data["materials"])
    assert data["trips"] == [
        {
            "on": "2026-09-28",
            "reason": "submit",
            "reason_label": "To hand in the application",
            "note": "",
        }
    ]
    assert "withdraw" in data["actions"] and "reject" not in data["actions"]
    assert data["taken_by"] == str(hall.users["hall_worker"])
    assert "Taken at the counter: 大病救助" in [e["text"] for e in data["timeline"]]
    person = hall.resident
    assert data["applicant"]["id_number"] == mask_id_number(person.id_number)
    assert data["applicant"]["mobile"] == mask_mobile(person.mobile)
    assert person.id_number not in response.content.decode()
    assert person.mobile not in response.content.decode()
    assert AuditRecord.objects.filter(
        action="create", object_type="services.application", channel="api"
    ).exists()


def test_missing_material_returns_it_with_the_list(hall, api):
    body = _take_body(hall, hall.items.illness, materials=["身份证", "户口本"])
    data = api("hall_worker").post("/api/applications", body).json()
    assert data["state"] == "returned"
    assert data["return_note"] == "大病证明、医疗费用票据"
    assert data["where"] == "Waiting for material: 大病证明、医疗费用票据"
    assert data["actions"] == ["resubmit", "withdraw", "trip"]


def test_draft_then_submit(hall, api):
    client = api("hall_worker")
    body = _take_body(hall, hall.items.guidance, submit=False, channel="visit")
    draft = client.post("/api/applications", body).json()
    assert draft["state"] == "draft" and draft["trip_count"] == 0
    assert draft["where"] == "Not submitted yet" and "submit" in draft["actions"]
    app = Application.objects.get()
    response = client.post(_url(app, "submit"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    again = client.post(_url(app, "submit"))
    assert again.status_code == 422
    assert "is not possible for an application that is" in again.json()["errors"][0]["message"]


def test_take_from_an_outreach_task_closes_it(hall, api):
    item = hall.items.loan
    task = OutreachTask.objects.create(
        item=item,
        item_version=item.current,
        household=hall.household,
        resident=hall.resident,
        area=hall.household.area,
        assignee=hall.users["hall_worker"],
    )
    body = _take_body(hall, item, materials=["身份证", "学籍证明"], outreach=task.pk)
    far = api("far_worker").post("/api/applications", body)
    assert far.status_code == 422
    assert set(error_fields(far)) == {"resident"}  # the resident comes first, then the task
    other = f.user_with("community_worker", hall.world.communities[0])
    task.assignee = other
    task.save(update_fields=["assignee"])
    response = api("hall_worker").post("/api/applications", body)
    assert response.status_code == 201, response.content
    task.refresh_from_db()
    assert task.state == "applied" and task.application_id == response.json()["id"]


def test_outreach_task_outside_the_scope_is_a_field_error(hall, api):
    item = hall.items.loan
    far_task = OutreachTask.objects.create(
        item=item,
        item_version=item.current,
        household=hall.far_household,
        resident=hall.far_household.head,
        area=hall.far_household.area,
    )
    body = _take_body(hall, item, materials=["身份证", "学籍证明"], outreach=far_task.pk)
    response = api("hall_worker").post("/api/applications", body)
    assert response.status_code == 422
    assert error_fields(response) == {"outreach": "There is no such outreach task in your scope."}
    assert not Application.objects.exists()


def test_resident_outside_the_scope_and_unknown_item_are_field_errors(hall, api):
    client = api("hall_worker")
    item = hall.items.guidance
    for resident in (hall.far_household.head_id, 987654321):
        response = client.post("/api/applications", _take_body(hall, item, resident=resident))
        assert response.status_code == 422
        assert error_fields(response) == {"resident": "There is no such resident in your scope."}
    response = client.post("/api/applications", _take_body(hall, item) | {"item": 987654321})
    assert error_fields(response) == {"item": "There is no such service item on offer."}
    catalogue.item_set_offered(actor=None, item=item, offered=False)
    response = client.post("/api/applications", _take_body(hall, item))
    assert response.status_code == 422 and set(error_fields(response)) == {"item"}
    assert not Application.objects.exists()


def test_bad_input_names_the_field_and_writes_nothing(hall, api):
    client = api("hall_worker")
    item = hall.items.illness
    cases = [
        (_take_body(hall, item, materials=["身份证", "结婚证"]), "materials"),
        (_take_body(hall, item, channel="online"), "channel"),
        (_take_body(hall, item, channel="fax"), "channel"),
        (_take_body(hall, item, resident=0), "resident"),
        (_take_body(hall, item, colour="red"), "colour"),
        (_take_body(hall, item, materials=["身份证\x00"]), "materials.0"),
        ({"item": item.pk}, "resident"),
    ]
    for body, field in cases:
        response = client.post("/api/applications", body)
        assert response.status_code == 422, (body, response.content)
        assert field in error_fields(response), (body, response.json())
    assert (
        error_fields(client.post("/api/applications", _take_body(hall, item, channel="online")))[
            "channel"
        ]
        == "Online applications are made by residents themselves."
    )
    assert client.post("/api/applications", raw="{not json").status_code == 400
    assert not Application.objects.exists()


def test_staff_who_may_see_but_not_apply_get_403(hall, api):
    response = api("street_cadre").post("/api/applications", _take_body(hall, hall.items.guidance))
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_resident_applies_online_for_his_household_only(hall, api):
    client = api("resident")
    body = _take_body(hall, hall.items.residence, channel="online")
    response = client.post("/api/applications", body)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "completed"
    assert response.json()["taken_by"] is None
    counter_only = client.post(
        "/api/applications", _take_body(hall, hall.items.guidance) | {"channel": "online"}
    )
    assert counter_only.status_code == 422 and set(error_fields(counter_only)) == {"item"}
    neighbour = body | {"resident": hall.world.households[1].head_id}
    assert set(error_fields(client.post("/api/applications", neighbour))) == {"resident"}


def test_idempotent_retry_takes_the_application_once(hall, api):
    client = api("hall_worker")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = _take_body(hall, hall.items.guidance)
    first = client.post("/api/applications", body, headers=key)
    second = client.post("/api/applications", body, headers=key)
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert Application.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    other = client.post("/api/applications", body | {"channel": "visit"}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in error_fields(other)
    assert Application.objects.count() == 1


# --- reading ------------------------------------------------------------------------------


@pytest.fixture
def spread(hall):
    """One application in 文岭社区 (own), a neighbour's, and one in 东朱社区 (far)."""
    own = h.take(hall, hall.items.illness)
    neighbour = h.take(hall, hall.items.guidance, resident=hall.world.households[1].head)
    far = h.take(
        hall, hall.items.guidance, actor=hall.users["far_worker"], resident=hall.far_household.head
    )
    return {"own": own, "neighbour": neighbour, "far": far}


def test_list_is_limited_to_the_scope(hall, api, spread):
    data = api("hall_worker").get("/api/applications").json()
    assert data["count"] == 2
    assert {a["number"] for a in data["items"]} == {
        spread["own"].number,
        spread["neighbour"].number,
    }
    assert data["items"][0]["applicant"] == {
        "id": hall.world.households[1].head_id,
        "name": hall.world.households[1].head.name,
    }
    assert api("far_worker").get("/api/applications").json()["count"] == 1
    assert api("sibling_worker").get("/api/applications").json() == {"count": 0, "items": []}
    assert api("health_staff").get("/api/applications").json()["count"] == 0
    mine = api("resident").get("/api/applications").json()
    assert [a["number"] for a in mine["items"]] == [spread["own"].number]


def test_list_filters(hall, api, spread):
    client = api("hall_worker")
    own, neighbour = spread["own"], spread["neighbour"]

    def numbers(**query):
        response = client.get("/api/applications", query)
        assert response.status_code == 200, response.content
        return {a["number"] for a in response.json()["items"]}

    assert numbers(state="in_progress") == {own.number}
    assert numbers(state="submitted") == {neighbour.number}
    assert numbers(item=hall.items.guidance.pk) == {neighbour.number}
    assert numbers(area=hall.world.villages[1].pk) == {neighbour.number}
    assert numbers(q=own.number) == {own.number}
    assert numbers(q=hall.resident.name) == {own.number}
    assert numbers(channel="visit") == set()
    page = client.get("/api/applications", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [a["number"] for a in page["items"]] == [own.number]


def test_list_filter_errors(hall, api, spread):
    client = api("hall_worker")
    for area in (hall.far_household.area_id, 987654321):
        response = client.get("/api/applications", {"area": area})
        assert response.status_code == 422
        assert error_fields(response) == {"area": "There is no such area in your scope."}
    response = client.get("/api/applications", {"item": 987654321})
    assert response.status_code == 422 and set(error_fields(response)) == {"item"}
    for query, field in (
        ({"state": "lost"}, "state"),
        ({"limit": 0}, "limit"),
        ({"q": "x" * 51}, "q"),
        ({"offset": -1}, "offset"),
    ):
        response = client.get("/api/applications", query)
        assert response.status_code == 422 and field in error_fields(response), query


def test_another_community_gets_404_like_a_missing_application(hall, api, spread):
    own = spread["own"]
    for who in ("sibling_worker", "far_worker", "education_staff"):
        gone = api(who).get(_url(own))
        assert gone.status_code == 404, who
    missing = api("far_worker").get("/api/applications/987654321")
    assert missing.status_code == 404 and missing.json() == gone.json()
    assert api("resident").get(_url(spread["neighbour"])).status_code == 404
    assert api("far_worker").post(_url(own, "submit")).status_code == 404


def test_department_sees_only_what_its_step_needs(hall, api, spread):
    own = spread["own"]
    h.approve(hall, own, "hall_worker")
    h.approve(hall, own, "street_cadre")
    data = api("health_staff").get(_url(own)).json()
    assert data["full"] is False
    assert data["applicant"]["mobile"] is None
    assert data["applicant"]["id_number"] == mask_id_number(hall.resident.id_number)
    assert data["trips"] == [] and data["timeline"] == [] and data["actions"] == []
    assert [s["can_act"] for s in data["steps"]] == [False, False, True, False]
    forbidden = api("health_staff").post(_url(own, "withdraw"), {"version": 1, "reason": "x"})
    assert forbidden.status_code == 403


def test_resident_follows_his_own_application(hall, api, spread):
    own = spread["own"]
    h.approve(hall, own, "hall_worker")
    data = api("resident").get(_url(own)).json()
    assert data["full"] is True
    assert data["where"] == f"At {hall.street_office.name}: 街道审核"
    assert data["taken_by"] is None
    assert all(s["handler"] is None for s in data["steps"])  # handlers are staff matters
    assert all(e["actor"] is None for e in data["timeline"])
    assert data["actions"] == ["withdraw"]


def test_anonymous_gets_401_everywhere_but_the_catalogue(hall, client, spread):
    anonymous = ApiClient(client)
    app = spread["own"]
    step = h.active_step(app)
    for path in ("/api/applications", _url(app), "/api/steps", f"/api/steps/{step.pk}"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Bearer"
    writes = [
        "",
        "/submit",
        "/resubmit",
        "/withdraw",
        "/reject",
        "/complete",
        "/guidance",
        "/trips",
        "/rating",
    ]
    for action in writes:
        path = "/api/applications" + (f"/{app.pk}{action}" if action else "")
        assert anonymous.post(path, {}).status_code == 401, path
    assert anonymous.post(f"/api/steps/{step.pk}/finish", {}).status_code == 401
    assert anonymous.get("/api/catalogue").status_code == 200
    assert Application.objects.count() == 3


# --- actions ------------------------------------------------------------------------------


def test_resubmit_brings_a_returned_application_back(hall, api):
    app = h.take(hall, hall.items.guidance, materials=[])
    client = api("hall_worker")
    unasked = client.post(
        _url(app, "resubmit"), {"version": app.version, "materials": ["出生医学证明"]}
    )
    assert unasked.status_code == 422 and "came_in_person" in error_fields(unasked)
    sent = {"version": app.version, "came_in_person": False}
    empty = client.post(_url(app, "resubmit"), sent)
    assert empty.status_code == 422 and "materials" in error_fields(empty)
    unknown = client.post(_url(app, "resubmit"), {**sent, "materials": ["护照"]})
    assert unknown.status_code == 422 and "materials" in error_fields(unknown)
    response = client.post(_url(app, "resubmit"), {**sent, "materials": ["出生医学证明"]})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "submitted" and data["version"] == app.version + 1
    assert data["materials"][0]["received"] is True
    assert data["trip_count"] == 1  # the counter's trip only: it was brought for him
    assert (
        api("resident")
        .post(
            _url(app, "resubmit"),
            {"version": data["version"], "note": "x", "came_in_person": True},
        )
        .status_code
        == 403
    )


def test_resubmit_in_person_counts_a_trip_and_asks_why_it_is_the_second(hall, api):
    app = h.take(hall, hall.items.guidance, materials=[])  # trip 1: taken at the counter
    client = api("hall_worker")
    sent = {"version": app.version, "came_in_person": True, "materials": ["出生医学证明"]}
    why = client.post(_url(app, "resubmit"), sent)
    assert why.status_code == 422 and "extra_trip_reason" in error_fields(why)
    app.refresh_from_db()
    assert (app.state, app.trip_count) == ("returned", 1)
    response = client.post(_url(app, "resubmit"), {**sent, "extra_trip_reason": "首次未带证明"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "submitted" and data["trip_count"] == 2
    assert [t["reason"] for t in data["trips"]] == ["submit", "missing_material"]


def test_withdraw_by_the_resident_and_stale_version(hall, api):
    app = h.take(hall, hall.items.illness)
    client = api("resident")
    stale = client.post(_url(app, "withdraw"), {"version": app.version - 1, "reason": "不办了"})
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "stale"
    assert "Someone else changed this application" in stale.json()["detail"]
    no_reason = client.post(_url(app, "withdraw"), {"version": app.version, "reason": " "})
    assert error_fields(no_reason) == {"reason": "Say why the application is withdrawn."}
    response = client.post(_url(app, "withdraw"), {"version": app.version, "reason": "已自行解决"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "withdrawn" and data["where"] == "Withdrawn"
    assert {s["state"] for s in data["steps"]} == {"skipped"}


def test_reject_at_the_hall(hall, api):
    app = h.take(hall, hall.items.guidance)
    assert (
        api("resident")
        .post(_url(app, "reject"), {"version": app.version, "reason": "x"})
        .status_code
        == 403
    )
    assert (
        api("street_cadre")
        .post(_url(app, "reject"), {"version": app.version, "reason": "x"})
        .status_code
        == 403
    )
    missing = api("hall_worker").post(_url(app, "reject"), {"version": app.version})
    assert missing.status_code == 422
    assert error_fields(missing) == {"reason": "This field is required."}
    response = api("hall_worker").post(
        _url(app, "reject"), {"version": app.version, "reason": "不属于本辖区办理"}
    )
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    proxy = h.take(hall, hall.items.illness)
    on_route = api("hall_worker").post(
        _url(proxy, "reject"), {"version": proxy.version, "reason": "x"}
    )
    assert on_route.status_code == 422 and on_route.json()["errors"][0]["code"] == "in_route"


def test_guidance_completes_a_guided_application(hall, api):
    app = h.take(hall, hall.items.guidance)
    client = api("hall_worker")
    half = client.post(
        _url(app, "guidance"), {"version": app.version, "guidance": "先办出生证", "outcome": ""}
    )
    assert error_fields(half) == {"outcome": "Write down what came of it."}
    response = client.post(
        _url(app, "guidance"),
        {"version": app.version, "guidance": "告知落户所需材料", "outcome": "已在派出所办结"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "completed" and data["outcome"] == "告知落户所需材料\n\n已在派出所办结"
    assert data["where"] == "Done in 0 working days"


def test_complete_an_on_the_spot_application(hall, api):
    client = api("hall_worker")
    guided = h.take(hall, hall.items.guidance)
    wrong = client.post(_url(guided, "complete"), {"version": guided.version})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "wrong_mode"
    # Submission completes an on-the-spot item at once; an older one left submitted (e.g. taken
    # before the counter could finish it) is completed by hand.
    app = h.take(hall, hall.items.residence, submit=False)
    Application.objects.filter(pk=app.pk).update(state="submitted", received_on=app.created_at)
    response = client.post(_url(app, "complete"), {"version": app.version, "outcome": "证明已开具"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "completed" and response.json()["outcome"] == "证明已开具"


def test_trips_and_the_reason_for_a_second_one(hall, api):
    app = h.take(hall, hall.items.illness, materials=["身份证"])
    client = api("hall_worker")
    body = {"on": "2026-09-28", "reason": "missing_material"}
    second = client.post(_url(app, "trips"), body)
    assert second.status_code == 422 and "extra_trip_reason" in error_fields(second)
    future = client.post(_url(app, "trips"), body | {"on": "2026-09-29", "extra_trip_reason": "x"})
    assert error_fields(future) == {"on": "A trip cannot be in the future."}
    assert "on" in error_fields(client.post(_url(app, "trips"), body | {"on": "28/09/2026"}))
    response = client.post(_url(app, "trips"), body | {"extra_trip_reason": "大病证明未带"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["trip_count"] == 2 and data["extra_trip_reason"] == "大病证明未带"
    assert [t["reason"] for t in data["trips"]] == ["submit", "missing_material"]
    assert api("resident").post(_url(app, "trips"), body).status_code == 403
    assert Trip.objects.filter(application=app).count() == 2


def test_rating_once_by_the_resident_and_on_a_return_call(hall, api):
    app = h.take(hall, hall.items.residence)
    not_done = h.take(hall, hall.items.guidance)
    client = api("resident")
    early = client.post(_url(not_done, "rating"), {"score": 5})
    assert early.status_code == 422
    assert early.json()["errors"][0]["message"] == "Only a completed application can be rated."
    assert "score" in error_fields(client.post(_url(app, "rating"), {"score": 6}))
    response = client.post(_url(app, "rating"), {"score": 5, "comment": "一次办好"})
    assert response.status_code == 201, response.content
    assert response.json()["rating"]["score"] == 5
    assert response.json()["rating"]["source"] == "resident"
    again = api("hall_worker").post(_url(app, "rating"), {"score": 3, "source": "return_call"})
    assert again.status_code == 409
    assert again.json()["detail"] == "This application has already been rated."
    assert Rating.objects.get().score == 5
    other = h.take(hall, hall.items.residence, resident=hall.world.households[1].head)
    call = api("hall_worker").post(_url(other, "rating"), {"score": 4})
    assert call.status_code == 201 and call.json()["rating"]["source"] == "return_call"
    assert (
        api("hall_worker")
        .post(_url(other, "rating"), {"score": 4, "source": "resident"})
        .status_code
        == 403
    )


def test_second_rating_is_a_conflict(hall, api):
    app = h.take(hall, hall.items.residence)
    services.rating_give(actor=hall.users["resident"], application=app, score=4, source="resident")
    # The application no longer offers it; a client that read it before still asks.
    assert "rate" not in api("resident").get(_url(app)).json()["actions"]
    response = api("resident").post(_url(app, "rating"), {"score": 5})
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": None, "message": "This application has already been rated.", "code": "rated"}
    ]
    assert Rating.objects.get().score == 4


def test_idempotent_retry_of_an_action_writes_once(hall, api):
    app = h.take(hall, hall.items.guidance)
    client = api("hall_worker")
    key = {"Idempotency-Key": "withdraw-" + uuid.uuid4().hex}
    body = {"version": app.version, "reason": "居民撤回"}
    before = _audits(app)
    first = client.post(_url(app, "withdraw"), body, headers=key)
    second = client.post(_url(app, "withdraw"), body, headers=key)
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true" and first.json() == second.json()
    assert _audits(app) == before + 1
    third = client.post(_url(app, "withdraw"), body)  # no key: a new request, now stale
    assert third.status_code == 409


# --- a fixed number of queries ------------------------------------------------------------


def _take_many(hall, n: int) -> None:
    residents = [hall.world.households[0].head, hall.world.households[1].head]
    items = [hall.items.illness, hall.items.guidance, hall.items.residence]
    for i in range(n):
        app = h.take(hall, items[i % 3], resident=residents[i % 2])
        if i % 3 == 2:
            services.rating_give(
                actor=hall.users["hall_worker"], application=app, score=5, source="return_call"
            )


# The token, its user's grants, the count, the page's ids and then its rows (sorting only ids
# keeps the sort narrow), the active steps of the page's rows.
LIST_QUERIES = 6


@pytest.mark.parametrize("query", [{}, {"q": "wl", "state": "submitted"}])
def test_list_costs_the_same_at_3_and_30_records(hall, api, query, django_assert_num_queries):
    client = api("hall_worker")
    client.get("/api/applications")  # the token's first use stamps it; not part of a list's cost
    _take_many(hall, 3)
    with django_assert_num_queries(LIST_QUERIES):
        small = client.get("/api/applications", query | {"limit": 200}).json()
    _take_many(hall, 27)
    with django_assert_num_queries(LIST_QUERIES):
        large = client.get("/api/applications", query | {"limit": 200}).json()
    assert 0 < small["count"] < large["count"] == len(large["items"])
