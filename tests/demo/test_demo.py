"""The 峡山区 demo district, small build: built once for this module (the same places,
organisations and posts as the full build, a handful of households a village), then checked for
the structure and the source's figures for organisations and posts, the people the source names,
valid identities and one working login per role. The full build's household figures are checked
in test_full_district.py."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from stdnum.cn import ric

from linli.accounts.models import Grant, User
from linli.accounts.roles import Role
from linli.core import audit
from linli.core.dates import age_on
from linli.core.models import Area, AuditRecord, TimelineEvent
from linli.core.validators import parse_id_number
from linli.demo import builder, data
from linli.registry.models import Household, Organisation, Post, Resident, Tag
from linli.registry.selectors import household_timeline
from linli.services.models import OutreachTask

SEED = data.DEFAULT_SEED


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build once per module inside a transaction that is rolled back afterwards, so the
    district never leaks into other tests. Each test still runs in its own savepoint."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield builder.build_demo(seed=SEED, size="small")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def district(demo, db):
    return Area.objects.get(parent=None)


def _age(birth: dt.date) -> int:
    return age_on(birth, dt.date.today())


def _tags(person_or_household) -> dict[str, str]:
    return {link.tag.name: link.detail for link in person_or_household.tag_links.all()}


def test_the_area_tree_has_the_promised_shape(district):
    assert (district.name, district.kind, district.code) == ("峡山区", "district", "370772000000")
    streets = Area.objects.filter(kind="street")
    assert sorted(s.name for s in streets) == sorted(
        ["太保庄街道", "王家庄街道", "岞山街道", "郑公街道"]
    )
    assert all(s.parent_id == district.pk for s in streets)
    taibao = streets.get(name="太保庄街道")
    communities = Area.objects.filter(kind="community")
    assert communities.count() == 26
    assert {"文岭社区", "营辉社区"} <= set(
        communities.filter(parent=taibao).values_list("name", flat=True)
    )
    villages = Area.objects.filter(kind="village")
    assert villages.count() == 277
    assert villages.get(name="王家庄村").parent.name == "文岭社区"
    assert villages.get(name="营辉村").parent.name == "营辉社区"
    codes = [v.code for v in villages]
    assert len(set(codes)) == 277 and all(len(c) == 12 and c[9] == "2" for c in codes)
    for village in villages.prefetch_related("children"):
        grids = [g for g in village.children.all() if g.kind == "grid"]
        assert 1 <= len(grids) <= 3, village.name
        assert {g.name for g in grids} == {
            f"{village.name}{name}" for name in data.GRID_NAMES[: len(grids)]
        }
        assert village.code.startswith(village.parent.parent.code[:9]), village.name
    with_households = Household.objects.values_list("area__parent_id", flat=True).distinct()
    assert set(with_households) == {v.pk for v in villages}
    assert Area.objects.under(district).count() == Area.objects.count()


def test_a_handful_of_households_a_village_of_one_to_five_members(district):
    households = Household.objects.prefetch_related("members").select_related("area")
    assert 277 * 4 <= households.count() <= 277 * 6
    for household in households:
        members = list(household.members.all())
        assert 1 <= len(members) <= 5, household.number
        heads = [m for m in members if m.relation == "head"]
        assert [h.pk for h in heads] == [household.head_id], household.number
        assert household.area.kind == "grid"


def test_every_id_number_is_valid_and_agrees_with_birth_date_and_sex(district):
    people = list(Resident.objects.all())
    assert len(people) >= 277 * 4 * 2
    assert len({p.id_number for p in people}) == len(people)
    for person in people:
        facts = parse_id_number(person.id_number)
        assert ric.calc_check_digit(person.id_number) == person.id_number[-1]
        assert (facts.birth_date, facts.sex) == (person.birth_date, person.sex)
        assert 0 <= _age(person.birth_date) <= 99


def test_ages_and_relations_are_consistent(district):
    households = Household.objects.select_related("head").prefetch_related(
        "members__tag_links__tag"
    )
    for household in households:
        head = household.head
        for m in household.members.all():
            gap = _age(head.birth_date) - _age(m.birth_date)
            if m.relation in ("child", "grandchild"):
                assert gap >= (18 if m.relation == "child" else 36), (household.number, m.name)
            elif m.relation in ("parent", "grandparent"):
                assert gap <= -18, (household.number, m.name)
            elif m.relation == "spouse":
                assert m.sex != head.sex and _age(m.birth_date) >= 20
        for m in household.members.all():
            tags = _tags(m)
            if "80岁以上" in tags:
                assert _age(m.birth_date) >= 80, m.name
            if "在校学生" in tags:
                assert 3 <= _age(m.birth_date) <= 22, m.name


def test_liu_zhihui_is_as_the_source_describes_him(district):
    liu = Resident.objects.select_related("household__area").get(name="刘志辉")
    grid = liu.household.area
    village = grid.parent
    assert (village.name, village.parent.name, village.parent.parent.name) == (
        "王家庄村",
        "文岭社区",
        "太保庄街道",
    )
    assert liu.relation == "head" and liu.sex == "male"
    assert _tags(liu)["残疾"] in data.DISABILITY_GRADES
    assert {"困难户", "残疾人家庭"} <= set(_tags(liu.household))
    daughters = [
        m
        for m in liu.household.members.all()
        if m.relation == "child" and m.sex == "female" and _tags(m).get("在校学生") == "小学"
    ]
    assert len(daughters) == 1 and 6 <= _age(daughters[0].birth_date) <= 12
    assert liu.account == User.objects.get(username="resident")
    # 困难户 was recorded after registration by the community worker: the timeline says so.
    events = list(household_timeline(household=liu.household))
    worker = User.objects.get(username="community_worker")
    assert any(e.actor_id == worker.pk and e.verb == "updated" for e in events)
    assert any(e.verb == "created" for e in events)


def test_zhang_bingli_is_66_with_cerebral_thrombosis(district):
    zhang = Resident.objects.select_related("household__area").get(name="张炳利")
    assert _age(zhang.birth_date) == 66
    assert _tags(zhang)["慢性病"] == "脑血栓"
    community = Area.objects.get(kind="community", name="营辉社区")
    assert zhang.household.area.path.startswith(community.path)


def test_tag_vocabularies_are_data_with_sensitive_marks(district):
    household_tags = {t.name: t for t in Tag.objects.filter(target="household")}
    resident_tags = {t.name: t for t in Tag.objects.filter(target="resident")}
    assert {t.name for t in data.HOUSEHOLD_TAGS} == set(household_tags)
    assert {t.name for t in data.RESIDENT_TAGS} == set(resident_tags)
    for name in ("困难户", "低保", "特困", "残疾人家庭"):
        assert household_tags[name].sensitive, name
    for name in ("残疾", "慢性病", "留守儿童"):
        assert resident_tags[name].sensitive, name
    assert not household_tags["党员中心户"].sensitive
    assert resident_tags["残疾"].detail_choices == ["一级", "二级", "三级", "四级"]
    assert resident_tags["在校学生"].detail_choices == ["学前", "小学", "初中", "高中", "大学"]
    assert resident_tags["慢性病"].detail_choices == []  # free text, e.g. 脑血栓
    # Every tag is in use somewhere, so filters in the demo show real results.
    for tag in resident_tags.values():
        assert tag.resident_links.exists(), tag.name
    for tag in household_tags.values():
        assert tag.household_links.exists(), tag.name


def test_organisations_have_the_source_figures(district):
    """26 general party branches, halls, 22 clinics, 24 police rooms; 275 village party branches
    for 277 villages (two joint branches), a committee in every village."""
    kinds = {}
    for kind in Organisation.objects.values_list("kind", flat=True):
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {
        "department": len(data.DEPARTMENTS),
        "street_office": 4,
        "general_party_branch": 26,
        "service_hall": 26,
        "clinic": 22,
        "police_room": 24,
        "village_party_branch": 275,
        "village_committee": 277,
    }
    for community in Area.objects.filter(kind="community"):
        kinds = set(community.organisations.values_list("kind", flat=True))
        assert {"general_party_branch", "service_hall"} <= kinds
        assert ("clinic" in kinds) == (community.name not in data.COMMUNITIES_WITHOUT_CLINIC)
        assert ("police_room" in kinds) == (
            community.name not in data.COMMUNITIES_WITHOUT_POLICE_ROOM
        )
    departments = set(
        Organisation.objects.filter(kind="department", area=district).values_list("name", flat=True)
    )
    assert departments == {full for _short, full in data.DEPARTMENTS}


def test_every_village_has_a_party_branch_and_its_secretary(district):
    joint = {v: pair for pair in data.JOINT_BRANCHES for v in pair}
    for village in Area.objects.filter(kind="village").select_related("parent"):
        assert village.organisations.filter(kind="village_committee").count() == 1
        if village.name in joint:
            first, second = joint[village.name]
            branch = Organisation.objects.get(
                kind="village_party_branch", name=f"{first}、{second}联合党支部"
            )
            assert branch.area.name == first
        else:
            branch = village.organisations.get(kind="village_party_branch")
        assert branch.parent.kind == "general_party_branch"
        assert branch.parent.area_id == village.parent_id
        secretary = Post.objects.get(kind="village_branch_secretary", organisation=branch)
        assert secretary.area == branch.area
        assert secretary.holder is not None and "党员" in _tags(secretary.holder)
        assert "党员中心户" in _tags(secretary.holder.household)
        member = Post.objects.get(kind="general_branch_member", holder=secretary.holder)
        assert member.organisation == branch.parent


def test_posts_have_the_source_figures(district):
    """54 first secretaries, 27 civil servants, 6 graduate village officials, 142 agency
    cadres, 26 general branch secretaries, 275 village party secretaries on the branches — the
    demo logins' own posts count in none of them."""
    counts = {}
    for kind in Post.objects.values_list("kind", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    assert {
        kind: counts.get(kind, 0)
        for kind in (
            "first_secretary",
            "civil_servant",
            "graduate_village_official",
            "agency_cadre",
            "general_branch_secretary",
            "general_branch_member",
            "village_branch_secretary",
        )
    } == {
        "first_secretary": 54,
        "civil_servant": 27,
        "graduate_village_official": 6,
        "agency_cadre": 142,
        "general_branch_secretary": 26,
        "general_branch_member": 275,
        "village_branch_secretary": 275,
    }
    assert counts["grid_worker"] == Area.objects.filter(kind="grid").count()
    posts = Post.objects.select_related("area", "organisation", "area__parent")
    for post in posts.filter(kind="first_secretary"):
        assert post.area.kind == "village" and post.organisation.kind == "department"
    for post in posts.filter(kind__in=["civil_servant", "graduate_village_official"]):
        assert post.area.kind == "street" and post.organisation.kind == "street_office"
        assert post.organisation.area_id == post.area_id
    for post in posts.filter(kind="agency_cadre"):
        assert post.area.kind == "community" and post.organisation.kind == "street_office"
        assert post.organisation.area_id == post.area.parent_id
    cadre = User.objects.get(username="village_cadre")
    assert Post.objects.get(account=cadre).title == "王家庄村党支部书记"


def test_one_demo_login_per_role_with_a_sensible_scope(district):
    logins = {login.role: login for login in data.DEMO_LOGINS}
    assert set(logins) == set(Role.values)
    for role, login in logins.items():
        user = User.objects.get(username=login.username)
        grant = user.grants.get()
        assert grant.role == role
        expected = login.area.replace("/", "")
        assert grant.area.name == expected, role
    staff = User.objects.get(username="department_staff").grants.get()
    assert staff.organisation.name == "峡山区民政局"
    grid_worker = User.objects.get(username="grid_worker")
    assert grid_worker.grants.get().area.kind == "grid"
    resident = User.objects.get(username="resident")
    assert list(Household.objects.restrict(resident, "view")) == [
        Resident.objects.get(name="刘志辉").household
    ]


@pytest.mark.parametrize("role", Role.values)
def test_each_demo_login_works_on_the_login_page(district, client, role):
    login = next(x for x in data.DEMO_LOGINS if x.role == role)
    response = client.post(
        reverse("accounts:login"),
        {"username": login.username, "password": data.DEMO_PASSWORD},
    )
    assert response.status_code == 302, role
    user = User.objects.get(username=login.username)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("core:workbench")).status_code == 200


def test_a_wrong_password_is_refused(district, client):
    response = client.post(
        reverse("accounts:login"), {"username": "auditor", "password": "not-the-password-1A"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_audit_trail_and_timelines_are_real(demo, district):
    """Households and people go in as an import does: one audit record for the batch, one
    timeline line per household; everything else has its own audit record."""
    report = audit.verify()
    assert report.ok, report.problems
    households = Household.objects.count()
    imports = AuditRecord.objects.filter(action="import", object_type="registry.household")
    assert imports.count() == 1
    created = imports.get().changes["created"]
    assert created["households_created"] == households
    assert created["residents_created"] == Resident.objects.count()
    registered = TimelineEvent.objects.filter(verb="created", content_type__model="household")
    assert registered.values("object_id").distinct().count() == households
    created = AuditRecord.objects.filter(action="create")
    assert created.filter(object_type="registry.post").count() == Post.objects.count()
    assert created.filter(object_type="registry.organisation").count() == (
        Organisation.objects.count()
    )
    assert created.filter(object_type="core.area").count() == Area.objects.count()
    assert demo.counts["households"] == households


def test_building_twice_is_refused_and_changes_nothing(district):
    before = builder.demo_counts(), AuditRecord.objects.count()
    with pytest.raises(builder.DemoAlreadyBuilt):
        builder.build_demo(seed=SEED)
    assert (builder.demo_counts(), AuditRecord.objects.count()) == before


def test_the_demo_command_reuses_a_built_district(district):
    before = builder.demo_counts()
    out = StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    text = out.getvalue()
    assert "already built" in text
    assert data.DEMO_PASSWORD in text
    for login in data.DEMO_LOGINS:
        assert login.username in text
    assert "hall_yinghui" not in text and "grid_3707" not in text  # only the README's logins
    assert data.DEMO_URL in text
    assert builder.demo_counts() == before
    with translation.override("en"):
        call_command("demo", "--small", stdout=StringIO())
    assert builder.demo_counts() == before


def test_every_community_has_its_hall_staff_and_every_grid_its_grid_worker(district, client):
    communities = Area.objects.filter(kind="community")
    staff = Grant.objects.filter(role="community_worker", area__kind="community")
    assert set(staff.values_list("area_id", flat=True)) == set(
        communities.values_list("pk", flat=True)
    )
    grids = Area.objects.filter(kind="grid")
    workers = Grant.objects.filter(role="grid_worker")
    assert set(workers.values_list("area_id", flat=True)) == set(grids.values_list("pk", flat=True))
    # Each holds the post of the hall or the grid, under the name the post gives.
    hall = User.objects.get(username="hall_yinghui")
    post = Post.objects.get(account=hall)
    assert (post.kind, post.area.name, post.holder_name) == ("hall_staff", "营辉社区", str(hall))
    assert hall.grants.get().area.name == "营辉社区"
    response = client.post(
        reverse("accounts:login"), {"username": "hall_yinghui", "password": data.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    record = AuditRecord.objects.get(object_repr__endswith="staff accounts of the halls and grids")
    assert record.changes["grants"] == {
        "community_worker": communities.count(),
        "grid_worker": grids.count() - 1,  # the demo grid worker's grid has its login already
    }


def test_every_open_outreach_task_has_a_worker(district):
    open_tasks = OutreachTask.objects.filter(state__in=["open", "contacted"])
    assert open_tasks.exists()
    assert not open_tasks.filter(assignee__isnull=True).exists()
    for task in open_tasks.select_related("area", "item_version", "assignee")[:200]:
        grant = task.assignee.grants.get()
        assert grant.role == task.item_version.outreach_role
        assert task.area.path.startswith(grant.area.path)
    liu = open_tasks.get(resident__name="刘志辉", item__name="助学贷款补助申请")
    assert liu.assignee.username == "community_worker"  # 孙丽, as the README tells


def test_linli_figures_reports_the_hall_catalogue(district):
    """The source's catalogue — 4 categories, 48 items — counted from the catalogue records."""
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    hall = json.loads(out.getvalue())["service_hall"]
    assert (hall["catalogue_categories"], hall["catalogue_items"]) == (4, 48)
    table = StringIO()
    with translation.override("zh-hans"):
        call_command("figures", stdout=table)
    lines = table.getvalue().splitlines()
    assert any(line.startswith("服务清单：类别") and line.endswith(" 4") for line in lines)
    assert any(line.startswith("服务清单：可办事项") and line.endswith(" 48") for line in lines)


def test_the_plan_is_deterministic_for_a_seed():
    day = dt.date(2026, 3, 1)
    _p1, first = builder.plan_district(seed=7, today=day, size="small")
    _p2, second = builder.plan_district(seed=7, today=day, size="small")
    _p3, other = builder.plan_district(seed=8, today=day, size="small")

    def people(villages):
        return [
            (m.name, m.id_number, tuple(m.tags))
            for v in villages
            for hh in v.households
            for m in hh.members
        ]

    assert people(first) == people(second)
    assert people(first) != people(other)
