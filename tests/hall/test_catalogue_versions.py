"""Catalogue versions: an edit makes a new version; old versions stay as they were."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.models import AuditRecord, TimelineEvent
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.hall.models import (
    ItemMaterial,
    RouteStep,
    ServiceCategory,
    ServiceItem,
    ServiceItemVersion,
)
from linli.registry.models import Organisation

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return ServiceCategory.objects.create(name="社会救助类")


@pytest.fixture
def department():
    district = f.area("测试区", "district")
    return Organisation.objects.create(name="测试区民政局", kind="department", area=district)


def test_revise_keeps_old_version_and_copies_materials_and_route(category, department):
    item = catalogue.item_create(
        actor=None,
        code="MZ-01",
        name="大病救助",
        category=category,
        mode="proxy",
        time_limit_days=15,
        materials=[MaterialSpec("大病证明"), MaterialSpec("身份证")],
        route=[
            StepSpec("社区受理", "hall", 1),
            StepSpec("区民政局审批", "department", 10, department),
        ],
    )
    first = item.current
    second = catalogue.item_revise(actor=None, item=item, time_limit_days=12, note="承诺提速")
    item.refresh_from_db()
    assert item.current == second and second.number == 2
    first.refresh_from_db()
    assert first.time_limit_days == 15 and second.time_limit_days == 12
    assert [m.name for m in second.materials.all()] == ["大病证明", "身份证"]
    assert [s.department for s in second.route.all()] == [None, department]
    assert AuditRecord.objects.filter(object_id=str(item.pk), action="update").exists()


def test_proxy_item_without_route_is_refused(category):
    with pytest.raises(ValidationError) as e:
        catalogue.item_create(
            actor=None,
            code="X-1",
            name="无流程",
            category=category,
            mode="proxy",
            time_limit_days=5,
        )
    assert "route" in e.value.message_dict


def test_steps_longer_than_the_promise_are_refused(category):
    with pytest.raises(ValidationError) as e:
        catalogue.item_create(
            actor=None,
            code="X-2",
            name="超时",
            category=category,
            mode="proxy",
            time_limit_days=2,
            route=[StepSpec("社区受理", "hall", 3)],
        )
    assert "time_limit_days" in e.value.message_dict


# --- more of the service's rules ---------------------------------------------------------------


@pytest.fixture
def illness(category, department):
    return catalogue.item_create(
        actor=None,
        code="MZ-04",
        name="大病救助",
        category=category,
        mode="proxy",
        time_limit_days=15,
        materials=[MaterialSpec("大病证明")],
        route=[
            StepSpec("社区受理", "hall", 1),
            StepSpec("区民政局审批", "department", 5, department),
        ],
        eligibility={"household_tag": "困难户"},
        outreach_role="community_worker",
    )


def _counts():
    return (
        ServiceItemVersion.objects.count(),
        ItemMaterial.objects.count(),
        RouteStep.objects.count(),
        ServiceItem.objects.count(),
        AuditRecord.objects.count(),
    )


def test_only_a_catalogue_manager_may_write(world, category, illness):
    before = _counts()
    for role in ("community_worker", "district_leader", "auditor", "resident"):
        user = world.users[role]
        with pytest.raises(PermissionDenied):
            catalogue.item_create(
                actor=user, code="X-9", name="x", category=category, mode="guided"
            )
        with pytest.raises(PermissionDenied):
            catalogue.item_revise(actor=user, item=illness, time_limit_days=10, note="x")
        with pytest.raises(PermissionDenied):
            catalogue.item_set_offered(actor=user, item=illness, offered=False)
        with pytest.raises(PermissionDenied):
            catalogue.category_update(actor=user, category=category, name="改名")
    assert _counts() == before
    admin = world.users["administrator"]
    version = catalogue.item_revise(actor=admin, item=illness, time_limit_days=12, note="提速")
    assert version.created_by == admin and version.number == 2


def test_duplicate_code_is_refused(category, illness):
    before = _counts()
    with pytest.raises(ValidationError) as e:
        catalogue.item_create(
            actor=None, code="MZ-04", name="另一个", category=category, mode="guided"
        )
    assert "code" in e.value.message_dict
    assert _counts() == before


def test_a_stale_revision_is_refused(illness):
    catalogue.item_revise(
        actor=None, item=illness, time_limit_days=12, note="先改", expected_version=1
    )
    before = _counts()
    with pytest.raises(ValidationError) as e:
        catalogue.item_revise(
            actor=None, item=illness, time_limit_days=10, note="后改", expected_version=1
        )
    assert e.value.error_list[0].code == "stale"
    assert _counts() == before


def test_a_revision_that_changes_nothing_is_refused(illness, department):
    before = _counts()
    same_route = [
        StepSpec("社区受理", "hall", 1),
        StepSpec("区民政局审批", "department", 5, department),
    ]
    with pytest.raises(ValidationError) as e:
        catalogue.item_revise(
            actor=None,
            item=illness,
            note="无变化",
            materials=[MaterialSpec("大病证明")],
            route=same_route,
        )
    assert e.value.error_list[0].code == "unchanged"
    assert _counts() == before
    # Reordering the route is a change.
    version = catalogue.item_revise(
        actor=None,
        item=illness,
        mode="proxy",
        route=[
            StepSpec("区民政局审批", "department", 5, department),
            StepSpec("社区受理", "hall", 1),
        ],
    )
    assert [s.name for s in version.route.all()] == ["区民政局审批", "社区受理"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("hall-with-department", "it names no department"),
        ("not-a-department", "is not a district department"),
        ("zero-days", "at least one working day"),
        ("no-name", "Step 1 has no name"),
        ("no-office", "choose the office"),
    ],
)
def test_bad_routes_are_refused(category, department, route, message):
    hall = Organisation.objects.create(
        name="测试社区便民服务大厅", kind="service_hall", area=department.area
    )
    steps = {
        "hall-with-department": [StepSpec("社区受理", "hall", 1, department)],
        "not-a-department": [StepSpec("送审", "department", 1, hall)],
        "zero-days": [StepSpec("社区受理", "hall", 0)],
        "no-name": [StepSpec("  ", "hall", 1)],
        "no-office": [StepSpec("社区受理", "", 1)],
    }[route]
    before = _counts()
    with pytest.raises(ValidationError) as e:
        catalogue.item_create(
            actor=None,
            code="B-1",
            name="坏流程",
            category=category,
            mode="proxy",
            time_limit_days=10,
            route=steps,
        )
    assert message in " ".join(e.value.message_dict["route"])
    assert _counts() == before


def test_bad_materials_are_refused(category):
    before = _counts()
    for materials, message in (
        ([MaterialSpec("户口簿"), MaterialSpec("户口簿")], "listed twice"),
        ([MaterialSpec("")], "has no name"),
        ([MaterialSpec("材" * 101)], "too long"),
    ):
        with pytest.raises(ValidationError) as e:
            catalogue.item_create(
                actor=None,
                code="B-2",
                name="坏材料",
                category=category,
                mode="guided",
                materials=materials,
            )
        assert message in " ".join(e.value.message_dict["materials"])
    assert _counts() == before


def test_revise_keeps_eligibility_unless_given(illness):
    version = catalogue.item_revise(actor=None, item=illness, name="大病医疗救助", note="改名")
    assert version.eligibility == {"household_tag": "困难户"}
    assert version.outreach_role == "community_worker"
    illness.refresh_from_db()
    assert illness.name == "大病医疗救助"


def test_withdraw_and_offer_again_each_leave_a_line(illness):
    catalogue.item_set_offered(actor=None, item=illness, offered=False)
    catalogue.item_set_offered(actor=None, item=illness, offered=False)  # already withdrawn
    catalogue.item_set_offered(actor=None, item=illness, offered=True)
    lines = TimelineEvent.objects.filter(object_id=illness.pk).order_by("at", "pk")
    assert [e.verb for e in lines] == ["created", "withdrawn", "offered"]
    assert AuditRecord.objects.filter(object_id=str(illness.pk), action="update").count() == 2


def test_category_update_renames_and_audits(category, illness):
    catalogue.category_update(
        actor=None, category=category, name="社会救助类（民政）", sort_order=5
    )
    category.refresh_from_db()
    assert (category.name, category.sort_order) == ("社会救助类（民政）", 5)
    assert AuditRecord.objects.filter(object_id=str(category.pk), action="update").exists()
    other = catalogue.category_create(actor=None, name="综合类")
    with pytest.raises(ValidationError) as e:
        catalogue.category_update(actor=None, category=other, name="社会救助类（民政）")
    assert "name" in e.value.message_dict


def test_version_changes_name_what_changed(illness, department):
    from linli.hall.catalogue import selectors as selectors_catalogue

    first = illness.current
    second = catalogue.item_revise(
        actor=None,
        item=illness,
        time_limit_days=12,
        note="提速",
        materials=[MaterialSpec("大病证明", required=False), MaterialSpec("银行卡")],
        route=[
            StepSpec("社区受理", "hall", 2),
            StepSpec("区民政局审批", "department", 5, department),
        ],
    )
    changes = {
        c.label: (c.before, c.after) for c in selectors_catalogue.version_changes(first, second)
    }
    assert changes["promised time limit (working days)"] == ("15", "12")
    assert changes["Material added"] == ("", "银行卡")
    assert changes["Material changed"] == ("大病证明", "大病证明 (if applicable)")
    before, after = changes["Route"]
    assert "社区受理 (Community service hall, 1 working day)" in before
    assert "社区受理 (Community service hall, 2 working days)" in after
