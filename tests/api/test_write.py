"""Writing the registry through the API: field errors, optimistic locking, idempotency, reveal."""

import uuid

from linli.core.models import AuditRecord, IdempotencyKey
from linli.registry.models import Household, Resident
from tests import factories as f

from .conftest import error_fields


def _new_household(world, **extra):
    return {"area": world.grids[0].pk, "number": "H-NEW", "address": "文岭一村 8 号"} | extra


def test_create_household_and_resident(world, api_as):
    api = api_as(world.users["community_worker"])
    poor = f.tag("困难户")
    response = api.post("/api/households", _new_household(world, tags=[{"tag": poor.pk}]))
    assert response.status_code == 201, response.content
    household = response.json()
    assert household["number"] == "H-NEW" and household["version"] == 1
    assert household["tags"] == [{"id": poor.pk, "name": "困难户", "detail": ""}]
    id_number = f.make_id_number()
    response = api.post(
        "/api/residents",
        {
            "household": household["id"],
            "name": "刘志辉",
            "id_number": id_number,
            "mobile": "+86 139-1234-5678",
            "relation": "head",
        },
    )
    assert response.status_code == 201, response.content
    person = response.json()
    assert id_number not in response.content.decode()
    assert person["mobile"] == "139****5678"
    assert person["household"] == {"id": household["id"], "number": "H-NEW"}
    stored = Resident.objects.get(pk=person["id"])
    assert stored.mobile == "13912345678" and stored.name_initials == "lzh"
    assert Household.objects.get(pk=household["id"]).head_id == stored.pk
    assert AuditRecord.objects.filter(
        action="create", object_type="registry.resident", object_id=str(stored.pk), channel="api"
    ).exists()


def test_field_errors_name_the_field_and_change_nothing(world, api_as):
    api = api_as(world.users["community_worker"])
    hh = world.households[0]
    before = Resident.objects.count()
    good_id = f.make_id_number()
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # a wrong check digit
    response = api.post(
        "/api/residents",
        {"household": hh.pk, "name": "王五", "id_number": bad_id, "mobile": "12345"},
    )
    assert response.status_code == 422
    fields = error_fields(response)
    assert "id_number" in fields
    assert Resident.objects.count() == before

    response = api.post(
        "/api/households",
        _new_household(world, number=hh.number),
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 422
    assert "已存在" in error_fields(response)["number"]  # Django's own message, in Chinese

    response = api.post(
        "/api/households", _new_household(world, area=world.communities[0].pk + 10**6)
    )
    assert error_fields(response) == {"area": "There is no such area in your scope."}

    response = api.post("/api/households", {"area": world.grids[0].pk, "address": ""})
    assert response.status_code == 422
    assert set(error_fields(response)) == {"number", "address"}
    assert not Household.objects.filter(number="H-NEW").exists()


def test_mobile_error(world, api_as):
    api = api_as(world.users["community_worker"])
    person = world.households[0].head
    response = api.patch(
        f"/api/residents/{person.pk}", {"version": person.version, "mobile": "12345"}
    )
    assert response.status_code == 422
    assert list(error_fields(response)) == ["mobile"]
    person.refresh_from_db()
    assert person.mobile == "13812345678"


def test_unknown_and_wrong_tags(world, api_as):
    api = api_as(world.users["community_worker"])
    member = f.tag("党员", target="resident")
    response = api.post("/api/households", _new_household(world, tags=[{"tag": 424242}]))
    assert response.status_code == 422 and "424242" in error_fields(response)["tags"]
    response = api.post("/api/households", _new_household(world, tags=[{"tag": member.pk}]))
    assert response.status_code == 422 and "tags" in error_fields(response)
    assert not Household.objects.filter(number="H-NEW").exists()


def test_update_with_version_and_stale_version_is_409(world, api_as):
    api = api_as(world.users["community_worker"])
    hh = world.households[0]
    version = api.get(f"/api/households/{hh.pk}").json()["version"]
    first = api.patch(f"/api/households/{hh.pk}", {"version": version, "address": "新地址 1 号"})
    assert first.status_code == 200, first.content
    assert first.json()["version"] == version + 1 and first.json()["address"] == "新地址 1 号"
    stale = api.patch(f"/api/households/{hh.pk}", {"version": version, "address": "旧地址"})
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "stale"
    hh.refresh_from_db()
    assert hh.address == "新地址 1 号" and hh.version == version + 1

    person = hh.head
    ok = api.patch(f"/api/residents/{person.pk}", {"version": person.version, "name": "张新"})
    assert ok.status_code == 200 and ok.json()["name"] == "张新"
    again = api.patch(f"/api/residents/{person.pk}", {"version": person.version, "name": "张旧"})
    assert again.status_code == 409
    person.refresh_from_db()
    assert person.name == "张新"


def test_version_is_required(world, api_as):
    hh = world.households[0]
    response = api_as(world.users["community_worker"]).patch(
        f"/api/households/{hh.pk}", {"address": "x"}
    )
    assert response.status_code == 422
    assert error_fields(response)["version"]


def test_no_write_permission_is_403_and_out_of_scope_is_404(world, api_as):
    hh = world.households[0]
    leader = api_as(world.users["district_leader"])  # may view, may not change
    response = leader.patch(f"/api/households/{hh.pk}", {"version": hh.version, "address": "x"})
    assert response.status_code == 403
    assert response.json()["detail"]
    response = leader.post("/api/households", _new_household(world))
    assert response.status_code == 403
    denials = AuditRecord.objects.filter(action="denied", actor=world.users["district_leader"])
    assert denials.count() == 2  # the trail notes each refusal, whichever door it came through
    worker = api_as(world.users["community_worker"])
    other = world.households[-1]
    response = worker.patch(
        f"/api/households/{other.pk}", {"version": other.version, "address": "x"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.address != "x"
    response = worker.post(
        "/api/residents",
        {"household": other.pk, "name": "李四", "id_number": f.make_id_number()},
    )
    assert response.status_code == 422 and list(error_fields(response)) == ["household"]


def test_idempotent_replay(world, api_as):
    api = api_as(world.users["community_worker"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("/api/households", _new_household(world), headers=key)
    again = api.post("/api/households", _new_household(world), headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Household.objects.filter(number="H-NEW").count() == 1
    assert (
        AuditRecord.objects.filter(
            action="create", object_type="registry.household", object_id=str(first.json()["id"])
        ).count()
        == 1
    )

    reused = api.post("/api/households", _new_household(world, number="H-OTHER"), headers=key)
    assert reused.status_code == 422
    assert "Idempotency-Key" in error_fields(reused)
    assert not Household.objects.filter(number="H-OTHER").exists()


def test_idempotent_update_replays_instead_of_failing_as_stale(world, api_as):
    api = api_as(world.users["community_worker"])
    hh = world.households[0]
    body = {"version": hh.version, "address": "重试 9 号"}
    key = {"Idempotency-Key": "retry-1"}
    first = api.patch(f"/api/households/{hh.pk}", body, headers=key)
    again = api.patch(f"/api/households/{hh.pk}", body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["version"] == hh.version + 1


def test_keys_are_per_user_and_failures_are_not_stored(world, api_as):
    key = {"Idempotency-Key": "same-key"}
    worker = api_as(world.users["community_worker"])
    failed = worker.post("/api/households", _new_household(world, number=""), headers=key)
    assert failed.status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert worker.post("/api/households", _new_household(world), headers=key).status_code == 201
    other = api_as(world.users["village_cadre"])
    second = other.post("/api/households", _new_household(world, number="H-2"), headers=key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert IdempotencyKey.objects.count() == 2
    bad = worker.post(
        "/api/households",
        _new_household(world, number="H-3"),
        headers={"Idempotency-Key": "no spaces"},
    )
    assert bad.status_code == 422 and "Idempotency-Key" in error_fields(bad)


def test_reveal_is_audited_and_needs_permission(world, api_as):
    person = world.households[0].head
    worker = api_as(world.users["community_worker"])
    response = worker.post(
        f"/api/residents/{person.pk}/reveal", {"field": "id_number", "reason": "办理低保核对身份"}
    )
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": person.id_number}
    assert response.headers["Cache-Control"] == "no-store"
    record = AuditRecord.objects.get(action="reveal", object_id=str(person.pk))
    assert record.reason == "办理低保核对身份" and record.changes == {"field": "id_number"}
    assert record.actor_id == world.users["community_worker"].pk and record.channel == "api"

    no_reason = worker.post(f"/api/residents/{person.pk}/reveal", {"field": "mobile", "reason": ""})
    assert no_reason.status_code == 422 and "reason" in error_fields(no_reason)
    wrong_field = worker.post(
        f"/api/residents/{person.pk}/reveal", {"field": "name", "reason": "因为"}
    )
    assert wrong_field.status_code == 422 and "field" in error_fields(wrong_field)

    leader = api_as(world.users["district_leader"])
    denied = leader.post(
        f"/api/residents/{person.pk}/reveal", {"field": "mobile", "reason": "想看看"}
    )
    assert denied.status_code == 403
    assert person.mobile not in denied.content.decode()
    other = world.households[-1].head
    hidden = worker.post(
        f"/api/residents/{other.pk}/reveal", {"field": "mobile", "reason": "想看看"}
    )
    assert hidden.status_code == 404
    assert AuditRecord.objects.filter(action="reveal").count() == 1
