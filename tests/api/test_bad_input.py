"""Bad input of any shape is a 4xx with field-level JSON, never a 500, and changes nothing."""

import json

import pytest

from linli.core.models import AuditRecord
from linli.registry.models import Household, Resident

from .conftest import error_fields

HUGE = "9" * 40


@pytest.fixture
def api(world, api_as):
    return api_as(world.users["community_worker"])


@pytest.mark.parametrize(
    "path",
    [
        f"/api/households/{HUGE}",
        f"/api/residents/{HUGE}",
        f"/api/areas/{HUGE}",
        f"/api/areas/{HUGE}/children",
        "/api/households/9223372036854775808",
        "/api/households/-1",
        "/api/households/0",
        "/api/households/abc",
        "/api/households/1.5",
    ],
)
def test_bad_path_ids(api, path):
    response = api.get(path)
    assert response.status_code == 422
    assert error_fields(response)["id"]


def test_largest_id_is_just_not_found(api):
    assert api.get("/api/households/9223372036854775807").status_code == 404


REGISTRY_LISTS = ("/api/households", "/api/residents")
ALL_LISTS = (*REGISTRY_LISTS, "/api/areas")


@pytest.mark.parametrize(
    ("paths", "params"),
    [
        (REGISTRY_LISTS, {"area": HUGE}),
        (REGISTRY_LISTS, {"area": "x"}),
        (REGISTRY_LISTS, {"tag": ["1", HUGE]}),
        (REGISTRY_LISTS, {"tag": [str(i) for i in range(1, 40)]}),
        (REGISTRY_LISTS, {"tag": ["7", "7"]}),
        (ALL_LISTS, {"offset": HUGE}),
        (ALL_LISTS, {"offset": -1}),
        (ALL_LISTS, {"limit": 0}),
        (ALL_LISTS, {"limit": "ten"}),
        (ALL_LISTS, {"q": "a" * 51}),
        (ALL_LISTS, {"q": "刘\x00"}),
        (("/api/areas",), {"parent": HUGE}),
        (("/api/areas",), {"kind": "\x00"}),
    ],
)
def test_bad_query_values(api, paths, params):
    for path in paths:
        response = api.get(path, params)
        assert 400 <= response.status_code < 500, (path, params, response.content)
        assert response.json()["errors"], (path, params)


def test_query_errors_name_the_parameter(api):
    response = api.get("/api/households", {"offset": HUGE, "q": "x\x00y"})
    assert response.status_code == 422
    fields = error_fields(response)
    assert set(fields) == {"offset", "q"}
    assert "NUL" in fields["q"]


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "not json",
        "[]",
        "null",
        '"text"',
        "1e999",
        '{"area": 1, "number": "x", "address": "y"',
        b"\xff\xfe\x00",
    ],
)
def test_malformed_bodies(api, raw):
    response = api.post("/api/households", raw=raw)
    assert response.status_code in (400, 422), response.content
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area": HUGE and int(HUGE)}, "area"),
        ({"area": "一"}, "area"),
        ({"area": None}, "area"),
        ({"area": 1.5}, "area"),
        ({"area": True}, "area"),
        ({"number": "x" * 33}, "number"),
        ({"number": "   "}, "number"),
        ({"number": 42}, "number"),
        ({"number": ["H1"]}, "number"),
        ({"address": "地址\x00"}, "address"),
        ({"address": "a\ud800b"}, "address"),
        ({"address": "x" * 100_000}, "address"),
        ({"tags": [{"tag": int(HUGE)}]}, "tags.0.tag"),
        ({"tags": [{"tag": 1, "detail": "x" * 61}]}, "tags.0.detail"),
        ({"tags": [{"tag": 1}] * 31}, "tags"),
        ({"tags": "困难户"}, "tags"),
        ({"tags": [{"tag": 1, "colour": "red"}]}, "tags.0.colour"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_household_body_errors(world, api, change, field):
    body = {"area": world.grids[0].pk, "number": "H-BAD", "address": "某地"} | change
    # Nothing changes; a denial may be noted (`true` reads as area 1, outside the scope).
    changes = AuditRecord.objects.exclude(action="denied")
    before = Household.objects.count(), changes.count()
    response = api.post("/api/households", raw=json.dumps(body))
    assert response.status_code == 422, response.content
    assert field in error_fields(response), response.json()
    assert (Household.objects.count(), changes.count()) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "1" * 19}, "id_number"),
        ({"id_number": "37070219800517001\x00"}, "id_number"),
        ({"id_number": "３７０７０２１９８００５１７００１Ｘ"}, "id_number"),
        ({"mobile": "1" * 21}, "mobile"),
        ({"mobile": "１３８１２３４５６７８"}, "mobile"),
        ({"relation": "boss"}, "relation"),
        ({"name": ""}, "name"),
        ({"household": -5}, "household"),
        ({"household": int(HUGE)}, "household"),
    ],
)
def test_resident_body_errors(world, api, change, field):
    from tests.factories import make_id_number

    body = {
        "household": world.households[0].pk,
        "name": "赵六",
        "id_number": make_id_number(),
    } | change
    before = Resident.objects.count()
    response = api.post("/api/residents", raw=json.dumps(body))
    assert response.status_code == 422, response.content
    assert field in error_fields(response), response.json()
    assert Resident.objects.count() == before


def test_patch_with_nothing_but_version_changes_nothing(world, api):
    hh = world.households[0]
    response = api.patch(f"/api/households/{hh.pk}", {"version": hh.version})
    assert response.status_code == 200
    hh.refresh_from_db()
    assert hh.address == response.json()["address"]


def test_oversized_body_is_refused(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/households", raw=json.dumps({"address": "x" * 5000}))
    assert response.status_code == 413
    assert response.json()["detail"]


def test_schema_messages_are_ours_and_translatable(world, api):
    body = {"area": world.grids[0].pk, "number": "x" * 33, "address": "", "colour": 1}
    response = api.post("/api/households", body, headers={"Accept-Language": "en"})
    assert error_fields(response) == {
        "number": "At most 32 characters.",
        "address": "This field cannot be empty.",
        "colour": "There is no such field.",
    }
    response = api.get("/api/households", {"limit": 0}, headers={"Accept-Language": "en"})
    assert error_fields(response) == {"limit": "Must be at least 1."}
