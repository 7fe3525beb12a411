"""The matters API 议事事项: lists (filters, the queue, a resident's community), one matter,
proposing (a resident, staff on a resident's behalf), supporting (once, idempotent retries),
taking up and merging — scope (404), roles (403), conflicts (409), bad input (4xx, nothing
written), masking, and the fuzzer over these operations (no input may cause a 5xx)."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
import time_machine
from schemathesis import GenerationMode

from linli.accounts.services import api_token_issue
from linli.decide.models import Matter, MatterSupport
from tests.api.conftest import ApiClient
from tests.api.test_fuzz import _fuzz, wsgi_app  # noqa: F401 — the fixture is used by name

from . import helpers
from .helpers import WORLD_CLOCK

SHARED = {"decide": helpers.build_decide}
ROOT = "/api/decide/matters"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def d(shared):
    return shared("decide")


@pytest.fixture
def api(client, d):
    def make(role: str) -> ApiClient:
        _, key = api_token_issue(actor=None, user=d.users[role], name="test")
        return ApiClient(client, key)

    return make


def _body(d, **changes) -> dict:
    return {
        "category": d.market.pk,
        "title": helpers.MARKET_TITLE,
        "description": helpers.MARKET_TEXT,
        **changes,
    }


def test_a_resident_proposes_and_a_neighbour_supports(d, api):
    created = api("wang").post(ROOT, _body(d))
    assert created.status_code == 201, created.content
    body = created.json()
    # The proposer reads their own name; a neighbour reads it masked.
    assert body["stage"] == "propose" and body["proposer"] == "王大威"
    assert api("li").get(f"{ROOT}/{body['id']}").json()["proposer"] == "王**"
    assert body["area"]["id"] == d.community.pk
    key = {"Idempotency-Key": str(uuid.uuid4())}
    li = api("li")
    first = li.post(f"{ROOT}/{body['id']}/support", headers=key)
    again = li.post(f"{ROOT}/{body['id']}/support", headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["supporters"] == 1 and again.json()["supported"] is True
    second = li.post(f"{ROOT}/{body['id']}/support")
    assert second.status_code == 409
    assert MatterSupport.objects.count() == 1
    listed = li.get(ROOT).json()
    assert [m["id"] for m in listed["items"]] == [body["id"]]
    assert api("other_resident").get(ROOT).json()["count"] == 0
    assert api("other_resident").get(f"{ROOT}/{body['id']}").status_code == 404


def test_staff_propose_take_up_and_merge(d, api):
    worker = api("community_worker")
    bad = worker.post(ROOT, _body(d, area=d.community.pk))
    assert bad.status_code == 422 and not Matter.objects.exists()
    first = worker.post(ROOT, _body(d, area=d.community.pk, resident=d.li.pk))
    assert first.status_code == 201 and first.json()["channel"] == "staff"
    assert first.json()["proposer"] == "李秀英 138****5678"
    second = api("collector").post(
        ROOT, _body(d, area=d.community.pk, resident=d.wang.pk, title="早市堵路")
    )
    assert second.status_code == 201 and second.json()["channel"] == "collector"
    outside = worker.post(ROOT, _body(d, area=d.other_community.pk, resident=d.li.pk))
    assert outside.status_code == 404
    one, two = first.json(), second.json()
    up = worker.post(f"{ROOT}/{one['id']}/take-up", {"version": one["version"]})
    assert up.status_code == 200 and up.json()["stage"] == "deliberate"
    stale = worker.post(f"{ROOT}/{one['id']}/take-up", {"version": one["version"]})
    assert stale.status_code == 409
    merged = worker.post(f"{ROOT}/{two['id']}/merge", {"into": one["id"], "note": "同一件事"})
    assert merged.status_code == 200 and merged.json()["merged_into"] == one["id"]
    queue = worker.get(ROOT, {"queue": True}).json()
    assert [m["id"] for m in queue["items"]] == [one["id"]]
    assert api("collector").post(f"{ROOT}/{one['id']}/take-up", {}).status_code == 403
    assert api("other_worker").post(f"{ROOT}/{one['id']}/take-up", {}).status_code == 404
    assert api("other_worker").get(f"{ROOT}/{one['id']}").status_code == 404
    assert api("city_staff").post(ROOT, _body(d)).status_code == 403


def test_blank_and_invisible_text_is_refused(d, api):
    response = api("wang").post(ROOT, _body(d, title="\u200b\u200b"))
    assert response.status_code == 422
    assert not Matter.objects.exists()


@pytest.mark.slow
def test_no_server_errors(d, wsgi_app):  # noqa: F811
    matter = helpers.propose(d)
    _, key = api_token_issue(actor=None, user=d.users["community_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(ROOT):
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, headers, mode)
            if "{id}" in operation.path and mode is GenerationMode.POSITIVE:
                failures += _fuzz(operation, headers, mode, path_parameters={"id": matter.pk})
    assert operations == 6
    assert not failures, "\n\n".join(failures[:5])
