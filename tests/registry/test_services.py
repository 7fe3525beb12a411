"""The registry's services: scope, validation with field names, stale versions, audit and
timeline, reveal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.choices import AuditAction
from linli.core.models import AuditRecord, TimelineEvent
from linli.registry import services
from linli.registry.models import Household, Organisation, Post, Resident, Tag

from .. import factories as f


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # No test here logs in with a password; argon2 on every world account would cost seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


def _events(obj) -> list[str]:
    ct = ContentType.objects.get_for_model(obj)
    return list(
        TimelineEvent.objects.filter(content_type=ct, object_id=obj.pk).values_list(
            "verb", flat=True
        )
    )


def _field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_name_pinyin_full_and_initials():
    assert services.name_pinyin("刘志辉") == ("liuzhihui", "lzh")
    assert services.name_pinyin("张炳利") == ("zhangbingli", "zbl")


# --- households ---------------------------------------------------------------------------


def test_household_create_records_audit_and_timeline(world, worker):
    poor = f.tag("困难户", sensitive=True)
    household = services.household_create(
        actor=worker,
        area=world.grids[0],
        number=" N1 ",
        address=" 文岭一村1号 ",
        tags=[(poor, "")],
    )
    assert (household.number, household.address) == ("N1", "文岭一村1号")
    assert _events(household) == ["created"]
    record = AuditRecord.objects.get(object_type="registry.household", object_id=str(household.pk))
    assert record.action == AuditAction.CREATE and record.actor_id == worker.pk
    assert record.changes["after"]["tags"] == ["困难户"]


def test_household_create_outside_add_scope_is_refused(world, worker):
    with pytest.raises(PermissionDenied):
        services.household_create(
            actor=worker, area=world.villages[2], number="N2", address="东朱一村"
        )
    with pytest.raises(PermissionDenied):
        services.household_create(
            actor=world.users["district_leader"],
            area=world.villages[0],
            number="N2",
            address="文岭一村",
        )
    assert not Household.objects.filter(number="N2").exists()


def test_household_needs_a_village_compound_grid_or_building(world):
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(actor=None, area=world.streets[0], number="N3", address="x")
    assert "area" in _field_errors(excinfo)
    assert not Household.objects.filter(number="N3").exists()


def test_household_number_is_unique_and_named_in_the_error(world):
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(
            actor=None, area=world.villages[0], number=world.households[0].number, address="x"
        )
    assert "number" in _field_errors(excinfo)


def test_household_tags_must_fit_their_vocabulary(world):
    personal = f.tag("党员", "resident")
    graded = f.tag("残疾人家庭", detail_label="等级", detail_choices=["一级", "二级"])
    for tags in ([(personal, "")], [(graded, "五级")], [(graded, "")]):
        with pytest.raises(ValidationError) as excinfo:
            services.household_create(
                actor=None, area=world.villages[0], number="N4", address="x", tags=tags
            )
        assert "tags" in _field_errors(excinfo)
    assert not Household.objects.filter(number="N4").exists()


def test_household_update_audits_the_change(world, worker):
    household = world.households[0]
    updated = services.household_update(
        actor=worker,
        household=household,
        expected_version=household.version,
        address="文岭一村新街8号",
    )
    assert updated.version == household.version + 1
    record = AuditRecord.objects.filter(
        object_type="registry.household", object_id=str(household.pk), action=AuditAction.UPDATE
    ).get()
    assert record.changes["before"]["address"] == household.address
    assert record.changes["after"]["address"] == "文岭一村新街8号"
    assert "updated" in _events(household)


def test_household_update_with_no_change_writes_nothing(world, worker):
    household = world.households[0]
    before = AuditRecord.objects.count()
    services.household_update(actor=worker, household=household, address=household.address)
    assert AuditRecord.objects.count() == before


def test_stale_household_update_is_refused(world, worker):
    household = world.households[0]
    stale = household.version
    services.household_update(actor=worker, household=household, address="先改的")
    with pytest.raises(ValidationError) as excinfo:
        services.household_update(
            actor=worker, household=household, expected_version=stale, address="后改的"
        )
    assert excinfo.value.code == "stale"
    household.refresh_from_db()
    assert household.address == "先改的"


def test_household_update_outside_change_scope(world, worker):
    with pytest.raises(PermissionDenied):
        services.household_update(actor=worker, household=world.households[2], address="x")
    with pytest.raises(PermissionDenied):  # moving a household out of one's scope
        services.household_update(
            actor=worker, household=world.households[0], area=world.villages[2]
        )
    world.households[0].refresh_from_db()
    assert world.households[0].area == world.grids[0]


def test_set_head_moves_the_head_role(world, worker):
    household = world.households[0]
    old_head = household.head
    child = services.resident_create(
        actor=worker,
        household=household,
        name="张小明",
        id_number=f.make_id_number(dt.date(2000, 1, 1)),
        relation="child",
    )
    services.household_set_head(actor=worker, household=household, resident=child)
    household.refresh_from_db()
    old_head.refresh_from_db()
    child.refresh_from_db()
    assert household.head == child and child.relation == "head"
    assert old_head.relation == "other"
    with pytest.raises(ValidationError) as excinfo:
        services.household_set_head(
            actor=worker, household=household, resident=world.households[1].head
        )
    assert "head" in _field_errors(excinfo)


# --- residents ----------------------------------------------------------------------------


def test_resident_create_derives_birth_sex_and_search_keys(world, worker):
    number = f.make_id_number(dt.date(1959, 7, 8), male=True)
    person = services.resident_create(
        actor=worker,
        household=world.households[0],
        name=" 张炳利 ",
        id_number=number.lower(),
        mobile="+86 139 0536 0000",
        relation="parent",
    )
    person.refresh_from_db()
    assert person.name == "张炳利"
    assert (person.birth_date, person.sex) == (dt.date(1959, 7, 8), "male")
    assert (person.name_pinyin, person.name_initials) == ("zhangbingli", "zbl")
    assert person.mobile == "13905360000"
    assert person.id_number_reversed == number[::-1]
    assert person.mobile_reversed == "13905360000"[::-1]
    assert _events(person) == ["created"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": "1234"}, "id_number"),
        ({"id_number": "wrong-check"}, "id_number"),
        ({"id_number": "370702198002301234"}, "id_number"),  # 30 February
        ({"mobile": "12345678901"}, "mobile"),
        ({"mobile": "1380000"}, "mobile"),
        ({"name": "  "}, "name"),
    ],
)
def test_resident_create_names_the_bad_field_and_saves_nothing(world, worker, changes, field):
    good = f.make_id_number(dt.date(1990, 1, 1))
    if changes.get("id_number") == "wrong-check":
        changes = {"id_number": good[:-1] + ("1" if good[-1] == "0" else "0")}
    data = {"name": "李四", "id_number": good, "mobile": "13800000000", **changes}
    before = Resident.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.resident_create(actor=worker, household=world.households[0], **data)
    assert field in _field_errors(excinfo)
    assert Resident.objects.count() == before


def test_duplicate_id_number_is_refused(world, worker):
    existing = world.households[1].head.id_number
    with pytest.raises(ValidationError) as excinfo:
        services.resident_create(
            actor=worker, household=world.households[0], name="重复", id_number=existing
        )
    assert "id_number" in _field_errors(excinfo)


def test_only_one_head(world, worker):
    with pytest.raises(ValidationError) as excinfo:
        services.resident_create(
            actor=worker,
            household=world.households[0],
            name="第二户主",
            id_number=f.make_id_number(),
            relation="head",
        )
    assert "relation" in _field_errors(excinfo)


def test_resident_create_needs_change_scope(world):
    for role in ("district_leader", "street_cadre"):
        with pytest.raises(PermissionDenied):
            services.resident_create(
                actor=world.users[role],
                household=world.households[0],
                name="无权限",
                id_number=f.make_id_number(),
            )
    assert not Resident.objects.filter(name="无权限").exists()


def test_resident_update_keeps_search_keys_in_step(world, worker):
    person = world.households[0].head
    updated = services.resident_update(
        actor=worker, resident=person, expected_version=person.version, name="刘志辉"
    )
    assert (updated.name_pinyin, updated.name_initials) == ("liuzhihui", "lzh")
    assert updated.version == person.version + 1
    assert "updated" in _events(person)


def test_stale_resident_update_is_refused(world, worker):
    person = world.households[0].head
    stale = person.version
    services.resident_update(actor=worker, resident=person, mobile="13700000000")
    with pytest.raises(ValidationError) as excinfo:
        services.resident_update(actor=worker, resident=person, expected_version=stale, name="x")
    assert excinfo.value.code == "stale"
    person.refresh_from_db()
    assert person.name != "x"


# --- reveal -------------------------------------------------------------------------------


def test_reveal_returns_the_full_value_and_audits_it(world, worker):
    person = world.households[0].head
    value = services.resident_reveal(
        actor=worker, resident=person, field="id_number", reason="核对身份"
    )
    assert value == person.id_number
    record = AuditRecord.objects.get(action=AuditAction.REVEAL)
    assert (record.actor_id, record.reason) == (worker.pk, "核对身份")
    assert record.object_id == str(person.pk) and record.changes == {"field": "id_number"}
    assert person.id_number not in str(record.changes) + record.object_repr


@pytest.mark.parametrize(
    ("field", "reason", "error_field"),
    [("id_number", "", "reason"), ("id_number", " x ", "reason"), ("name", "核对", "field")],
)
def test_reveal_refuses_bad_requests(world, worker, field, reason, error_field):
    with pytest.raises(ValidationError) as excinfo:
        services.resident_reveal(
            actor=worker, resident=world.households[0].head, field=field, reason=reason
        )
    assert error_field in _field_errors(excinfo)
    assert not AuditRecord.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.parametrize("role", ["district_leader", "resident", "auditor"])
def test_reveal_needs_the_reveal_permission_over_the_area(world, role):
    with pytest.raises(PermissionDenied):
        services.resident_reveal(
            actor=world.users[role],
            resident=world.households[0].head,
            field="mobile",
            reason="想看看",
        )
    with pytest.raises(PermissionDenied):  # and a worker cannot reveal in another community
        services.resident_reveal(
            actor=world.users["community_worker"],
            resident=world.households[2].head,
            field="mobile",
            reason="想看看",
        )
    with pytest.raises(PermissionDenied):  # nor may a system job reveal on nobody's behalf
        services.resident_reveal(
            actor=None, resident=world.households[0].head, field="mobile", reason="任务"
        )
    assert not AuditRecord.objects.filter(action=AuditAction.REVEAL).exists()


# --- tags, organisations, posts -----------------------------------------------------------


def test_tag_save_for_administrators_only(world):
    with pytest.raises(PermissionDenied):
        services.tag_save(actor=world.users["community_worker"], name="x", target="household")
    tag = services.tag_save(
        actor=world.users["administrator"],
        name="低保",
        target="household",
        sensitive=True,
        detail_choices=["A类", "B类"],
    )
    tag = services.tag_save(actor=world.users["administrator"], tag=tag, description="最低生活保障")
    tag.refresh_from_db()
    assert (tag.description, tag.detail_choices, tag.sensitive) == (
        "最低生活保障",
        ["A类", "B类"],
        True,
    )
    actions = list(
        AuditRecord.objects.filter(object_type="registry.tag")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]
    with pytest.raises(ValidationError):
        services.tag_save(actor=world.users["administrator"], name="低保", target="household")
    assert Tag.objects.filter(name="低保").count() == 1


def test_organisation_and_post(world):
    admin = world.users["administrator"]
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            actor=world.users["community_worker"],
            name="x",
            kind="clinic",
            area=world.communities[0],
        )
    org = services.organisation_create(
        actor=admin, name=" 文岭社区卫生室 ", kind="clinic", area=world.communities[0]
    )
    assert org.name == "文岭社区卫生室"
    with pytest.raises(ValidationError) as excinfo:
        services.post_create(
            actor=admin,
            holder_name="赵医生",
            kind="clinic_doctor",
            area=world.communities[0],
            organisation=org,
            starts_on=dt.date(2015, 8, 1),
            ends_on=dt.date(2015, 1, 1),
        )
    assert "ends_on" in _field_errors(excinfo)
    post = services.post_create(
        actor=admin,
        holder_name="赵医生",
        kind="clinic_doctor",
        area=world.communities[0],
        organisation=org,
        starts_on=dt.date(2015, 8, 1),
    )
    assert Post.objects.get() == post and Organisation.objects.get() == org
