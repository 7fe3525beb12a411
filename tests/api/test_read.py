"""Reading the registry through the API: scope, pagination, filters, masking, query counts."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core.masking import mask
from linli.registry.models import Resident
from tests import factories as f


def test_household_list_is_limited_to_scope(world, api_as):
    response = api_as(world.users["community_worker"]).get("/api/households")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert {h["number"] for h in data["items"]} == {"H00001", "H00002"}


def test_out_of_scope_household_is_404_like_a_missing_one(world, api_as):
    api = api_as(world.users["community_worker"])
    other = world.households[-1]  # in another street
    gone = api.get(f"/api/households/{other.pk}")
    missing = api.get("/api/households/987654321")
    assert gone.status_code == missing.status_code == 404
    assert gone.json() == missing.json()
    assert api.get(f"/api/residents/{other.head_id}").status_code == 404
    residents = api.get("/api/residents").json()
    assert other.head_id not in {r["id"] for r in residents["items"]}


def test_village_cadre_sees_only_own_village(world, api_as):
    api = api_as(world.users["village_cadre"])
    data = api.get("/api/households").json()
    assert [h["number"] for h in data["items"]] == [world.households[0].number]
    assert api.get(f"/api/households/{world.households[1].pk}").status_code == 404


def test_resident_sees_only_own_household(world, api_as):
    api = api_as(world.users["resident"])
    data = api.get("/api/households").json()
    assert [h["id"] for h in data["items"]] == [world.households[0].pk]
    assert api.get("/api/areas").json()["count"] == 0


def test_pagination(world, api_as):
    api = api_as(world.users["district_leader"])
    first = api.get("/api/households", {"limit": 3}).json()
    rest = api.get("/api/households", {"limit": 3, "offset": 3}).json()
    assert first["count"] == rest["count"] == len(world.households) == 8
    assert len(first["items"]) == 3 and len(rest["items"]) == 3
    numbers = [h["number"] for h in first["items"] + rest["items"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 6
    too_big = api.get("/api/households", {"limit": 5000})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "limit"


def test_search_by_pinyin_initials(world, api_as):
    f.household(world.grids[1], "H-LZH", head_name="刘志辉")
    api = api_as(world.users["community_worker"])
    households = api.get("/api/households", {"q": "lzh"}).json()
    assert [h["number"] for h in households["items"]] == ["H-LZH"]
    assert households["items"][0]["head"]["name"] == "刘志辉"
    people = api.get("/api/residents", {"q": "liuzhihui"}).json()
    assert [p["name"] for p in people["items"]] == ["刘志辉"]


def test_filter_by_area_and_tag(world, api_as):
    poor = f.tag("困难户")
    f.household(world.grids[1], "H-POOR", tags=[(poor, "")])
    api = api_as(world.users["community_worker"])
    in_village = api.get("/api/households", {"area": world.villages[1].pk}).json()
    assert {h["number"] for h in in_village["items"]} == {"H00002", "H-POOR"}
    tagged = api.get("/api/households", {"tag": [poor.pk]}).json()
    assert [h["number"] for h in tagged["items"]] == ["H-POOR"]
    assert tagged["items"][0]["tags"] == [{"id": poor.pk, "name": "困难户", "detail": ""}]
    people = api.get("/api/residents", {"tag": poor.pk}).json()
    assert people["count"] == 1


def test_unknown_filter_values_are_field_errors(world, api_as):
    api = api_as(world.users["community_worker"])
    response = api.get("/api/households", {"tag": [999999]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tag"
    for area in (999999, world.villages[-1].pk):  # missing, and outside the scope
        response = api.get("/api/residents", {"area": area})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "area"


def test_numbers_are_masked_everywhere(world, api_as):
    hh = world.households[0]
    head = hh.head
    for role in ("community_worker", "district_leader", "village_cadre", "street_cadre"):
        api = api_as(world.users[role])
        bodies = [
            api.get("/api/households").content,
            api.get("/api/residents").content,
            api.get(f"/api/households/{hh.pk}").content,
            api.get(f"/api/residents/{head.pk}").content,
            api.get("/api/residents", {"q": head.id_number[-4:]}).content,
        ]
        for body in bodies:
            text = body.decode()
            assert head.id_number not in text and head.mobile not in text, role
    detail = api_as(world.users["community_worker"]).get(f"/api/residents/{head.pk}").json()
    assert detail["id_number"] == mask(head.id_number, "id_number")
    assert detail["mobile"] == "138****5678"


def test_household_detail_has_members(world, api_as):
    hh = world.households[0]
    f.tag("党员", target="resident")
    data = api_as(world.users["community_worker"]).get(f"/api/households/{hh.pk}").json()
    assert data["head"] == {"id": hh.head_id, "name": hh.head.name}
    assert [m["id"] for m in data["members"]] == [hh.head_id]
    member = data["members"][0]
    assert member["relation"] == "head" and member["sex"] in ("male", "female")
    assert member["age"] >= 18
    assert data["area"] == {"id": hh.area_id, "name": hh.area.name}


def test_sensitive_tags_only_for_those_who_may_reveal(world, api_as):
    poor = f.tag("低保", sensitive=True)
    hh = f.household(world.grids[0], "H-S", tags=[(poor, "")])
    worker = api_as(world.users["community_worker"]).get(f"/api/households/{hh.pk}").json()
    leader = api_as(world.users["district_leader"]).get(f"/api/households/{hh.pk}").json()
    assert [t["name"] for t in worker["tags"]] == ["低保"]
    assert leader["tags"] == []


def test_areas(world, api_as):
    api = api_as(world.users["community_worker"])
    community = world.communities[0]
    listed = api.get("/api/areas").json()
    assert listed["items"][0]["id"] == community.pk  # tree order: the top of the scope first
    assert world.streets[0].pk not in {a["id"] for a in listed["items"]}
    villages = api.get("/api/areas", {"kind": "village"}).json()
    assert {a["id"] for a in villages["items"]} == {world.villages[0].pk, world.villages[1].pk}
    named = api.get("/api/areas", {"q": "文岭一"}).json()
    assert {a["name"] for a in named["items"]} == {"文岭一村", "文岭一村第1网格"}
    under = api.get("/api/areas", {"parent": community.pk}).json()
    assert under["count"] == 2
    children = api.get(f"/api/areas/{community.pk}/children").json()
    assert [a["name"] for a in children["items"]] == ["文岭一村", "文岭二村"]
    one = api.get(f"/api/areas/{community.pk}").json()
    assert one["kind"] == "community" and one["parent_id"] == world.streets[0].pk
    assert api.get(f"/api/areas/{world.streets[0].pk}").status_code == 404
    assert api.get(f"/api/areas/{world.communities[2].pk}/children").status_code == 404
    assert api.get("/api/areas", {"kind": "planet"}).status_code == 422


def _queries(api, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, {"limit": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


def test_list_query_counts_do_not_grow_with_rows(world, api_as):
    grid = world.grids[0]
    poor, member = f.tag("困难户"), f.tag("党员", target="resident")
    api = api_as(world.users["community_worker"])

    def add(n):
        for _ in range(n):
            hh = f.household(grid, f"Q{Resident.objects.count():05d}", tags=[(poor, "")])
            person = hh.head
            person.tag_links.create(tag=member)

    api.get("/api/areas")  # the token's first use stamps it; not part of a list's cost
    add(3)  # 5 households in the worker's community
    small = {p: _queries(api, p) for p in ("/api/households", "/api/residents")}
    add(45)  # 50
    large = {p: _queries(api, p) for p in ("/api/households", "/api/residents")}
    for path in small:
        assert small[path][1] + 45 == large[path][1] >= 50
        assert small[path][0] == large[path][0], (path, small[path], large[path])


def test_error_shape_for_missing_record(world, api_as):
    response = api_as(world.users["community_worker"]).get("/api/residents/123456789")
    assert response.status_code == 404
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"}
