"""The demo catalogue 服务清单: 4 categories and 48 items written through the catalogue services,
every proxy item with a route that fits its promise, the two items of the source's stories as
they are told, eligibility rules the outreach scan can read, and the same catalogue from every
build. The tests build the catalogue alone on the district's departments; inside the small demo
build (where 刘志辉's household is found by the 助学贷款补助 rule) it is checked in test_demo.py,
which builds the demo district once for all its checks."""

from __future__ import annotations

import pytest
from django.db import transaction

from linli.accounts.roles import Role
from linli.core.models import AuditRecord, TimelineEvent
from linli.demo import catalogue_data, data
from linli.demo.catalogue import MissingDepartments, build_catalogue, department_names
from linli.hall.models import ServiceCategory, ServiceItem
from linli.hall.outreach import eligibility
from linli.registry.models import Organisation

from .. import factories as f

SCHOOL_STAGES = ["小学", "初中", "高中", "大学"]


@pytest.fixture
def departments(db):
    district = f.area(data.DISTRICT_NAME, "district", code=data.DISTRICT_CODE)
    return {
        full: Organisation.objects.create(name=full, kind="department", area=district)
        for _short, full in data.DEPARTMENTS
    }


@pytest.fixture
def built(departments):
    return build_catalogue()


def _items():
    return ServiceItem.objects.select_related("current", "category").prefetch_related(
        "current__materials", "current__route__department"
    )


def _by_name(name: str) -> ServiceItem:
    return _items().get(name=name)


def _route(item: ServiceItem) -> list[tuple]:
    return [
        (s.name, s.office_kind, s.department.name if s.department else "", s.time_limit_days)
        for s in item.current.route.all()
    ]


def _dump() -> list[tuple]:
    """The catalogue's content, without ids and times."""
    return [
        (
            item.category.name,
            item.category.sort_order,
            item.sort_order,
            item.code,
            item.current.number,
            item.current.name,
            item.current.mode,
            item.current.time_limit_days,
            item.current.online,
            item.current.legal_basis,
            item.current.description,
            repr(item.current.eligibility),
            item.current.outreach_role,
            [(m.name, m.required, m.note) for m in item.current.materials.all()],
            _route(item),
        )
        for item in _items().order_by("code")
    ]


def test_four_categories_and_48_items(built):
    assert built == {"categories": 4, "items": 48}
    categories = list(ServiceCategory.objects.order_by("sort_order"))
    assert [c.name for c in categories] == ["民政救助类", "社会保障类", "计生卫健类", "综合便民类"]
    assert ServiceItem.objects.count() == 48
    assert all(c.items.count() >= 10 for c in categories)
    names = list(ServiceItem.objects.values_list("name", flat=True))
    assert len(set(names)) == 48
    for expected in ("最低生活保障申请", "特困人员救助供养申请", "临时救助申请", "高龄津贴申领"):
        assert expected in names
    for expected in ("残疾人两项补贴申请", "城乡居民基本养老保险参保登记", "就业失业登记"):
        assert expected in names
    for expected in ("城乡居民基本医疗保险参保登记", "生育登记", "独生子女父母奖励扶助申请"):
        assert expected in names
    assert "居住证明开具" in names and "老年人优待证办理" in names


def test_every_item_is_complete_and_every_proxy_item_has_a_route_within_its_promise(built):
    modes = set()
    for item in _items():
        version = item.current
        modes.add(version.mode)
        assert item.active and version.number == 1, item.code
        assert version.legal_basis.startswith("《"), item.code
        assert version.description and version.materials.exists(), item.code
        steps = list(version.route.all())
        if version.mode == "proxy":
            assert steps, item.code
            assert steps[0].office_kind == "hall", item.code  # the resident's own hall takes it
            assert sum(s.time_limit_days for s in steps) <= version.time_limit_days, item.code
            for step in steps:
                assert (step.office_kind == "department") == (step.department is not None)
                if step.department is not None:
                    assert step.department.kind == "department"
        else:
            assert not steps, item.code
    assert modes == {"on_the_spot", "proxy", "guided"}
    assert ServiceItem.objects.filter(current__online=True).exists()
    assert ServiceItem.objects.filter(current__online=False).exists()


def test_student_loan_subsidy_as_the_source_tells_it(built):
    item = _by_name("助学贷款补助申请")
    version = item.current
    assert (version.mode, version.time_limit_days) == ("proxy", 10)
    assert _route(item) == [
        ("社区受理", "hall", "", 1),
        ("街道审核", "street", "", 2),
        ("区教育局审批", "department", "峡山区教育局", 5),
        ("区学生资助中心发放", "department", "峡山区教育局", 2),
    ]
    assert version.eligibility == {
        "all": [
            {"household_tag": "困难户"},
            {"member": {"tag": "在校学生", "detail_in": SCHOOL_STAGES}},
        ]
    }
    assert version.outreach_role == "community_worker"


def test_serious_illness_relief_as_the_source_tells_it(built):
    item = _by_name("大病救助")
    version = item.current
    assert (version.mode, version.time_limit_days) == ("proxy", 15)
    assert "大病证明" in [m.name for m in version.materials.all()]
    assert _route(item) == [
        ("社区受理", "hall", "", 1),
        ("街道审核", "street", "", 3),
        ("区卫健局大病证明核验", "department", "峡山区卫生健康局", 4),
        ("区民政局审批", "department", "峡山区民政局", 5),
    ]
    assert sum(s[3] for s in _route(item)) <= 15


def test_other_items_seek_out_the_eligible(built):
    assert _by_name("高龄津贴申领").current.eligibility == {"member": {"age_min": 80}}
    allowances = _by_name("残疾人两项补贴申请").current.eligibility
    assert {"member": {"tag": "残疾", "detail_in": ["一级", "二级"]}} in allowances["any"]
    with_rules = ServiceItem.objects.exclude(current__eligibility={})
    roles = set(with_rules.values_list("current__outreach_role", flat=True))
    assert with_rules.count() >= 5 and roles == {"community_worker", "grid_worker"}
    # No rule without someone to do the outreach, no outreach role without a rule.
    for item in _items():
        assert bool(item.current.eligibility) == bool(item.current.outreach_role), item.code


def test_rules_name_only_the_demo_vocabulary_and_roles(built):
    for target, tags in (("household", data.HOUSEHOLD_TAGS), ("resident", data.RESIDENT_TAGS)):
        for tag in tags:
            f.tag(tag.name, target, detail_choices=list(tag.detail_choices))
    vocabulary = eligibility.Vocabulary.load()
    for item in _items():
        version = item.current
        assert eligibility.validate(version.eligibility, vocabulary=vocabulary) == [], item.code
        if version.outreach_role:
            assert version.outreach_role in Role.values


def test_written_through_the_services(built):
    assert (
        AuditRecord.objects.filter(object_type="services.serviceitem", action="create").count()
        == 48
    )
    assert (
        AuditRecord.objects.filter(object_type="services.servicecategory", action="create").count()
        == 4
    )
    assert TimelineEvent.objects.filter(verb="created").count() >= 48


def test_two_builds_give_the_same_catalogue(departments):
    dumps = []
    for _build in range(2):
        with transaction.atomic():
            build_catalogue()
            dumps.append(_dump())
            transaction.set_rollback(True)
    assert len(dumps[0]) == 48 and dumps[0] == dumps[1]


def test_departments_come_from_the_demo_district():
    known = {full for _short, full in data.DEPARTMENTS}
    assert set(department_names()) <= known
    assert {"峡山区民政局", "峡山区教育局", "峡山区卫生健康局", "峡山区残疾人联合会"} <= set(
        department_names()
    )
    codes = [item.code for c in catalogue_data.CATEGORIES for item in c.items]
    assert len(codes) == len(set(codes)) == 48


def test_missing_departments_stop_the_build(db):
    district = f.area(data.DISTRICT_NAME, "district")
    Organisation.objects.create(name="峡山区民政局", kind="department", area=district)
    with pytest.raises(MissingDepartments, match="峡山区教育局"):
        build_catalogue()
    assert not ServiceItem.objects.exists()
