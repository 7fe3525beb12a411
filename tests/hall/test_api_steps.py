"""The steps 环节 of proxy applications through the JSON API: the queue 待办 of the caller's
offices, one step, finishing it (approve, return, reject); another office gets 404, two
handlers finishing the same step get one win and one 409 — also when they send at the same
moment — and the queue costs the same number of queries at 3 and 30 records."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection
from django.test import Client

from linli.accounts.services import api_token_issue
from linli.core.masking import mask_id_number
from linli.core.models import AuditRecord
from linli.hall.models import Application, ApplicationStep
from tests.api.conftest import ApiClient, error_fields

from .. import factories as f
from . import app_helpers as h


@pytest.fixture
def clock():
    with time_machine.travel(h.BEFORE_NATIONAL_DAY, tick=False) as traveller:
        yield traveller


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(clock, shared):
    return shared("hall")


def _token(user) -> str:
    return api_token_issue(actor=None, user=user, name="test integration")[1]


@pytest.fixture
def api(client, hall):
    def make(who) -> ApiClient:
        user = hall.users[who] if isinstance(who, str) else who
        return ApiClient(client, _token(user))

    return make


def _finish(step: ApplicationStep, suffix: str = "") -> str:
    return f"/api/steps/{step.pk}/finish{suffix}"


def test_queue_shows_the_steps_at_my_office(hall, api):
    illness = h.take(hall, hall.items.illness)
    loan = h.take(hall, hall.items.loan, materials=["身份证", "学籍证明"])
    data = api("hall_worker").get("/api/steps").json()
    assert data["count"] == 2
    assert {s["application"]["number"] for s in data["items"]} == {illness.number, loan.number}
    first = next(s for s in data["items"] if s["application"]["id"] == illness.pk)
    assert first["name"] == "社区受理" and first["office"]["name"] == hall.hall.name
    assert first["state"] == "active" and first["can_act"] is True
    assert first["due_on"] == "2026-09-29"
    assert first["application"]["item"]["name"] == "大病救助"
    assert first["application"]["applicant_id_number"] == mask_id_number(hall.resident.id_number)
    assert hall.resident.id_number not in json.dumps(data, ensure_ascii=False)
    for who in ("sibling_worker", "health_staff", "street_cadre", "resident", "grid_worker"):
        assert api(who).get("/api/steps").json() == {"count": 0, "items": []}, who


def test_a_step_reaches_the_next_office_when_approved(hall, api):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    response = api("hall_worker").post(
        _finish(step), {"result": "approve", "note": "材料齐全", "version": step.version}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "done" and data["result_note"] == "材料齐全"
    assert data["handler"] == str(hall.users["hall_worker"]) and data["can_act"] is False
    assert data["application"]["state"] == "in_progress"
    street = api("street_cadre").get("/api/steps").json()
    assert [s["name"] for s in street["items"]] == ["街道审核"]
    assert api("hall_worker").get(f"/api/steps/{step.pk}").json()["state"] == "done"
    app.refresh_from_db()
    assert app.current_step == 2


def test_the_route_through_the_api_completes_the_application(hall, api):
    app = h.take(hall, hall.items.illness)
    for who in ("hall_worker", "street_cadre", "health_staff", "civil_staff"):
        client = api(who)
        [step] = client.get("/api/steps").json()["items"]
        response = client.post(
            f"/api/steps/{step['id']}/finish", {"result": "approve", "version": step["version"]}
        )
        assert response.status_code == 200, (who, response.content)
    app.refresh_from_db()
    assert app.state == "completed" and app.working_days_used == 0


def test_return_and_reject_need_a_note(hall, api):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    client = api("hall_worker")
    for result in ("return", "reject"):
        response = client.post(_finish(step), {"result": result, "version": step.version})
        assert response.status_code == 422
        assert list(error_fields(response)) == ["note"]
    bad = client.post(_finish(step), {"result": "maybe", "version": step.version})
    assert bad.status_code == 422 and "result" in error_fields(bad)
    assert "version" in error_fields(client.post(_finish(step), {"result": "approve"}))
    response = client.post(
        _finish(step), {"result": "return", "note": "缺医疗费用票据", "version": step.version}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "returned"
    assert response.json()["application"]["state"] == "returned"


def test_reject_at_a_step_ends_the_application(hall, api):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    response = api("hall_worker").post(
        _finish(step), {"result": "reject", "note": "不符合救助条件", "version": step.version}
    )
    assert response.status_code == 200
    app.refresh_from_db()
    assert app.state == "rejected"
    assert set(app.steps.exclude(pk=step.pk).values_list("state", flat=True)) == {"skipped"}


def test_another_office_gets_404_on_the_step(hall, api):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)  # 区卫健局核实
    body = {"result": "approve", "version": step.version}
    for who in ("civil_staff", "education_staff", "far_street_cadre", "sibling_worker"):
        assert api(who).get(f"/api/steps/{step.pk}").status_code == 404, who
        assert api(who).post(_finish(step), body).status_code == 404, who
    assert api("health_staff").get(f"/api/steps/{step.pk}").json()["can_act"] is True
    missing = api("health_staff").get("/api/steps/987654321")
    assert missing.status_code == 404 and set(missing.json()) == {"detail", "errors"}
    step.refresh_from_db()
    assert step.state == "active"


def test_a_step_not_reached_yet_cannot_be_finished(hall, api):
    app = h.take(hall, hall.items.illness)
    waiting = app.steps.get(order=2)  # 街道审核, still at the hall
    response = api("street_cadre").post(
        _finish(waiting), {"result": "approve", "version": waiting.version}
    )
    # Not there yet: for the street office the step does not exist (as on the pages).
    assert response.status_code == 404


def test_the_second_handler_gets_409_with_who_finished_it(hall, api):
    colleague = f.user_with("community_worker", hall.world.communities[0], username="colleague")
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    version = step.version
    first = api("hall_worker").post(_finish(step), {"result": "approve", "version": version})
    assert first.status_code == 200
    second = api(colleague).post(
        _finish(step), {"result": "reject", "note": "不符合", "version": version}
    )
    assert second.status_code == 409
    body = second.json()
    assert body["errors"][0]["code"] == "already_finished"
    assert body["detail"].startswith(
        f"This step was already finished by {hall.users['hall_worker']}"
    )
    app.refresh_from_db()
    assert app.state == "in_progress" and app.current_step == 2
    stale = api("street_cadre").post(
        _finish(h.active_step(app)), {"result": "approve", "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "stale"


def test_idempotent_retry_finishes_once(hall, api):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    client = api("hall_worker")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"result": "approve", "version": step.version}
    audits = AuditRecord.objects.filter(object_type="services.applicationstep").count()
    first = client.post(_finish(step), body, headers=key)
    second = client.post(_finish(step), body, headers=key)
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    # The step finished, the next one received: two step records, once.
    after = AuditRecord.objects.filter(object_type="services.applicationstep").count()
    assert after == audits + 2
    again = client.post(_finish(step), body)  # without the key it is a new request
    assert again.status_code == 409


# --- a fixed number of queries ------------------------------------------------------------

# The token, its user's grants, the count and the page (steps with their applications).
QUEUE_QUERIES = 4


def test_queue_costs_the_same_at_3_and_30_records(hall, api, django_assert_num_queries):
    client = api("hall_worker")
    client.get("/api/steps")  # the token's first use stamps it; not part of the list's cost
    residents = [hall.world.households[0].head, hall.world.households[1].head]
    items = [hall.items.illness, hall.items.loan]

    def take(n):
        for i in range(n):
            item = items[i % 2]
            names = h.material_names(item) if item == hall.items.illness else ["身份证", "学籍证明"]
            h.take(hall, item, resident=residents[i % 2], materials=names)

    take(3)
    with django_assert_num_queries(QUEUE_QUERIES):
        small = client.get("/api/steps", {"limit": 200}).json()
    take(27)
    with django_assert_num_queries(QUEUE_QUERIES):
        large = client.get("/api/steps", {"limit": 200}).json()
    assert small["count"] == 3 and large["count"] == len(large["items"]) == 30


# --- at the same moment -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_handlers_at_the_same_moment_one_wins_the_other_gets_409(world):
    hall = h.build_hall(world)
    colleague = f.user_with("community_worker", world.communities[0], username="colleague")
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    tokens = [_token(hall.users["hall_worker"]), _token(colleague)]
    bodies = [
        {"result": "approve", "note": "材料齐全", "version": step.version},
        {"result": "reject", "note": "不符合", "version": step.version},
    ]
    barrier = threading.Barrier(2)

    def send(i):
        try:
            barrier.wait(timeout=10)
            return Client().post(
                _finish(step),
                json.dumps(bodies[i]),
                content_type="application/json",
                headers={"Authorization": f"Bearer {tokens[i]}"},
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(send, range(2)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.content for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["errors"][0]["code"] in ("already_finished", "stale")
    step.refresh_from_db()
    app = Application.objects.get(pk=app.pk)
    assert step.state in ("done", "rejected") and step.version == 3
    assert (step.state, app.state) in (("done", "in_progress"), ("rejected", "rejected"))
