"""The appeals API 诉求: lists (filters, a tier's queue), one appeal, raising one (staff), take,
settle, hand up, send to the department and the return visit — scope (404, nothing listed),
roles (403), conflicts (409), bad input (4xx, nothing written), masking, idempotent retries,
and the fuzzer over these operations (no input may cause a 5xx)."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
import time_machine

from linli.accounts.services import api_token_issue
from linli.appeals.models import Appeal
from linli.core.models import AuditRecord
from tests.api.conftest import ApiClient, error_fields
from tests.api.test_fuzz import fuzz_operation, wsgi_app  # noqa: F401 — the fixture is used by name

from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}
ROOT = "/api/appeals"


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


@pytest.fixture
def api(client, a):
    def make(role: str) -> ApiClient:
        _, key = api_token_issue(actor=None, user=a.users[role], name="test")
        return ApiClient(client, key)

    return make


def _new(a, **changes) -> dict:
    body = {
        "category": a.categories.sanitation.pk,
        "channel": "counter",
        "area": a.grid.pk,
        "description": "村东头排水沟堵塞",
        "address": "文岭一村东头",
        "reporter_name": "张建国",
        "reporter_mobile": "13912345678",
    }
    body.update(changes)
    return body


def test_staff_raise_an_appeal_and_it_waits_at_the_village(a, api):
    worker = api("community_worker")
    response = worker.post(ROOT, _new(a))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "waiting" and body["tier"] == "village"
    assert body["waits_at"] == a.village.name and body["channel"] == "counter"
    assert body["reporter"] == {
        "anonymous": False,
        "resident": None,
        "name": "张建国",
        "mobile": "139****5678",
    }
    assert "13912345678" not in response.content.decode()
    assert body["due_on"] and len(body["steps"]) == 1 and body["timeline"]
    appeal = Appeal.objects.get()
    assert AuditRecord.objects.filter(
        object_id=str(appeal.pk), actor=a.users["community_worker"]
    ).exists()


def test_a_registry_reporter_is_masked(a, api):
    head = a.household.head
    response = api("community_worker").post(
        ROOT, _new(a, reporter=head.pk, reporter_name="", reporter_mobile="")
    )
    assert response.status_code == 201, response.content
    reporter = response.json()["reporter"]
    assert reporter["resident"] == head.pk and reporter["name"] == head.name
    assert head.id_number not in response.content.decode()
    if head.mobile:
        assert head.mobile not in response.content.decode()


def test_raising_is_refused_without_the_role_or_outside_the_area(a, api):
    assert api("resident").post(ROOT, _new(a)).status_code == 403
    assert api("city_staff").post(ROOT, _new(a)).status_code == 403
    far = api("far_cadre").post(ROOT, _new(a))
    assert far.status_code == 404
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": 999999}, "category"),
        ({"area": 999999}, "area"),
        ({"description": ""}, "description"),
        ({"reporter_mobile": "123"}, "reporter_mobile"),
        ({"channel": "resident_phone"}, "channel"),
        ({"latitude": 91}, "latitude"),
        ({"category": None}, "category"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(a, api, changes, field):
    response = api("community_worker").post(ROOT, _new(a, **changes))
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert not Appeal.objects.exists()


def test_the_village_takes_settles_and_the_return_visit_closes(a, api):
    appeal = h.raise_appeal(a)
    cadre = api("village_cadre")
    taken = cadre.post(f"{ROOT}/{appeal.pk}/take", {"version": appeal.version})
    assert taken.status_code == 200, taken.content
    assert taken.json()["state"] == "taken" and taken.json()["handler"]
    assert "settle" in taken.json()["actions"]
    # A stale version: someone acted first.
    stale = cadre.post(f"{ROOT}/{appeal.pk}/settle", {"what_was_done": "已疏通", "version": 1})
    assert stale.status_code == 409
    settled = cadre.post(
        f"{ROOT}/{appeal.pk}/settle",
        {"what_was_done": "已疏通", "version": taken.json()["version"]},
    )
    assert settled.status_code == 200 and settled.json()["state"] == "settled"
    visit = cadre.post(
        f"{ROOT}/{appeal.pk}/return-visit", {"satisfaction": "satisfied", "method": "phone"}
    )
    assert visit.status_code == 200, visit.content
    assert (
        visit.json()["state"] == "closed" and visit.json()["return_visits"][0]["result"] == "closed"
    )


def test_hand_up_and_send_to_department(a, api):
    appeal = h.raise_appeal(a)
    cadre = api("village_cadre")
    assert cadre.post(f"{ROOT}/{appeal.pk}/hand-up", {"reason": ""}).status_code == 422
    up = cadre.post(f"{ROOT}/{appeal.pk}/hand-up", {"reason": "村里解决不了"})
    assert up.status_code == 200 and up.json()["tier"] == "community"
    # The village no longer handles it: it still sees it, but may not act.
    assert cadre.post(f"{ROOT}/{appeal.pk}/take", {}).status_code in (403, 409)
    sent = api("community_worker").post(
        f"{ROOT}/{appeal.pk}/send-to-department", {"reason": "属执法局职责"}
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["tier"] == "department" and sent.json()["waits_at"] == a.city.name
    queue = api("city_staff").get(ROOT, {"queue": "true"}).json()
    assert [r["id"] for r in queue["items"]] == [appeal.pk]


def test_scope_lists_and_404(a, api):
    appeal = h.raise_appeal(a)
    other = h.raise_appeal(a, area=a.far_village, actor=None)
    mine = api("village_cadre").get(ROOT).json()
    assert {r["id"] for r in mine["items"]} == {appeal.pk}
    assert api("village_cadre").get(f"{ROOT}/{other.pk}").status_code == 404
    assert api("far_cadre").post(f"{ROOT}/{appeal.pk}/take", {}).status_code == 404
    assert (
        api("street_cadre").get(ROOT, {"state": "waiting", "tier": "village"}).json()["count"] == 1
    )
    assert api("street_cadre").get(ROOT, {"area": a.far_village.pk}).status_code == 422
    assert api("district_leader").get(ROOT).json()["count"] == 2


def test_a_write_retried_with_its_idempotency_key_runs_once(a, api):
    worker = api("community_worker")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = worker.post(ROOT, _new(a), headers=key)
    again = worker.post(ROOT, _new(a), headers=key)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and first.json()["id"] == again.json()["id"]
    assert Appeal.objects.count() == 1


def test_categories_are_listed(a, api):
    body = api("grid_worker").get("/api/appeal-categories").json()
    assert [c["code"] for c in body["items"]] == ["HJWS", "LLJF", "ZAYH", "ZCZX"]
    assert body["items"][0]["limits"] == {
        "village": 3,
        "community": 5,
        "street": 5,
        "department": 10,
    }


@pytest.mark.slow
def test_no_server_errors(a, wsgi_app):  # noqa: F811
    appeal = h.raise_appeal(a)
    _, key = api_token_issue(actor=None, user=a.users["community_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(("/api/appeals", "/api/appeal-categories")):
            continue
        operations += 1
        failures += fuzz_operation(operation, headers, appeal.pk)
    assert operations == 9
    assert not failures, "\n\n".join(failures[:5])
