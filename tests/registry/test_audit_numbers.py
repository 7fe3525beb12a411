"""The audit trail holds no full ID or mobile number: a change, a reveal's reason, an export's
filters keep the masked value plus a keyed fingerprint, so the trail still proves which number
was set without holding it."""

from __future__ import annotations

import io
import json

import pytest

from linli.core import audit
from linli.core.masking import mask_id_number, mask_mobile
from linli.core.models import AuditRecord
from linli.registry import imports, services
from linli.registry.models import Household

from .. import factories as f

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored(entry: AuditRecord) -> str:
    """Everything of the record as it sits in the database."""
    entry = AuditRecord.objects.get(pk=entry.pk)
    return json.dumps(entry.changes, ensure_ascii=False) + entry.reason + entry.object_repr


def latest() -> AuditRecord:
    return AuditRecord.objects.order_by("-pk").first()


def test_a_changed_id_and_mobile_number_are_kept_masked_with_a_fingerprint(world):
    worker = world.users["community_worker"]
    person = world.households[0].head
    old_id, old_mobile = person.id_number, person.mobile
    new_id, new_mobile = f.make_id_number(serial=401), "13912345678"
    services.resident_update(actor=worker, resident=person, id_number=new_id, mobile=new_mobile)
    entry = latest()
    assert entry.action == "update" and entry.object_id == str(person.pk)
    text = stored(entry)
    for number in (old_id, new_id, old_mobile, new_mobile):
        assert number not in text and number[::-1] not in text
    key = entry.key_id
    assert entry.changes["before"]["id_number"] == {
        "masked": mask_id_number(old_id),
        "fingerprint": audit.fingerprint(old_id, "id_number", key),
    }
    assert entry.changes["after"]["id_number"] == {
        "masked": mask_id_number(new_id),
        "fingerprint": audit.fingerprint(new_id, "id_number", key),
    }
    assert entry.changes["before"]["mobile"]["masked"] == mask_mobile(old_mobile) == "138****5678"
    assert entry.changes["after"]["mobile"]["masked"] == "139****5678"
    # The masked values alone are equal (same last four digits): the fingerprints tell them apart.
    assert entry.changes["before"]["mobile"] != entry.changes["after"]["mobile"]
    # The search copies of the numbers (reversed) stay out of the trail altogether.
    assert "id_number_reversed" not in entry.changes["after"]
    assert "mobile_reversed" not in entry.changes["after"]
    assert audit.verify().ok


def test_the_same_number_gives_the_same_fingerprint(world):
    worker = world.users["community_worker"]
    person = world.households[0].head
    services.resident_update(actor=worker, resident=person, mobile="13700001111")
    changed = latest().changes["after"]["mobile"]
    other = services.resident_create(
        actor=worker,
        household=world.households[0],
        name="李四",
        id_number=f.make_id_number(serial=402),
        mobile="13700001111",
    )
    created = latest()
    assert created.object_id == str(other.pk)
    assert created.changes["after"]["mobile"] == changed
    assert created.changes["after"]["mobile"]["fingerprint"] == audit.fingerprint(
        "13700001111", "mobile", created.key_id
    )
    assert audit.fingerprint("13700001112", "mobile", created.key_id) != changed["fingerprint"]
    assert "13700001111" not in stored(created)


def test_a_fingerprint_cannot_be_made_without_the_key(world, settings, tmp_path):
    """The fingerprint is keyed: a plain hash of the number, or another key, does not give it."""
    import hashlib

    person = world.households[0].head
    services.resident_update(actor=None, resident=person, mobile="13700002222")
    fingerprint = latest().changes["after"]["mobile"]["fingerprint"]
    assert fingerprint not in hashlib.sha256(b"13700002222").hexdigest()
    assert fingerprint not in hashlib.sha256(b"mobile:13700002222").hexdigest()
    settings.LINLI_AUDIT_KEY_DIR = tmp_path / "other_keys"
    from linli.core import audit_keys

    assert audit_keys.fingerprint("13700002222", "mobile", audit_keys.create_key()) != fingerprint


def test_a_number_in_a_reveal_reason_is_kept_masked(world):
    worker = world.users["community_worker"]
    person = world.households[0].head
    reason = f"核对低保申请 {person.id_number}，电话{person.mobile}"
    assert services.resident_reveal(
        actor=worker, resident=person, field="id_number", reason=reason
    ) == (person.id_number)
    entry = latest()
    assert entry.action == "reveal" and entry.changes == {"field": "id_number"}
    fp_id = audit.fingerprint(person.id_number, "id_number", entry.key_id)
    fp_mobile = audit.fingerprint(person.mobile, "mobile", entry.key_id)
    assert entry.reason == (
        f"核对低保申请 {mask_id_number(person.id_number)}#{fp_id}，"
        f"电话{mask_mobile(person.mobile)}#{fp_mobile}"
    )
    assert person.id_number not in stored(entry) and person.mobile not in stored(entry)


def test_a_number_searched_for_in_an_export_is_kept_masked(world):
    worker = world.users["community_worker"]
    person = world.households[0].head
    households = Household.objects.filter(pk=world.households[0].pk)
    imports.registry_export(
        actor=worker,
        area=world.communities[0],
        households=households,
        target=io.BytesIO(),
        filters={"q": [person.mobile], "id_number": [person.id_number]},
    )
    entry = latest()
    assert entry.changes["rows"] == 1
    assert entry.changes["filters"]["q"] == [
        f"{mask_mobile(person.mobile)}#{audit.fingerprint(person.mobile, 'mobile', entry.key_id)}"
    ]
    assert entry.changes["filters"]["id_number"][0]["masked"] == mask_id_number(person.id_number)
    assert person.id_number not in stored(entry) and person.mobile not in stored(entry)


def test_digests_and_codes_in_a_record_are_left_as_they_are(db):
    digest = "1" + "3" * 10 + "abc" + "0" * 52  # digits glued to letters: not a phone number
    code = "370772001205"  # a 12-digit division code
    entry = audit.record(
        action="import",
        object_type="registry.household",
        changes={"file_sha256": digest, "code": code, "count": 13812345678},
    )
    assert entry.changes == {"file_sha256": digest, "code": code, "count": 13812345678}


def test_the_auditor_sees_the_masked_number_and_its_fingerprint(client, world):
    person = world.households[0].head
    new_mobile = "13900004444"
    services.resident_update(actor=None, resident=person, mobile=new_mobile)
    fingerprint = latest().changes["after"]["mobile"]["fingerprint"]
    client.force_login(world.users["auditor"])
    page = client.get("/audit/", {"object_type": "registry.resident"}).content.decode()
    assert f"139****4444 (fingerprint {fingerprint})" in page
    assert new_mobile not in page
