"""Catalogue versions: an edit makes a new version; old versions stay as they were."""

import pytest
from django.core.exceptions import ValidationError

from linli.core.models import AuditRecord
from linli.services import catalogue
from linli.services.catalogue import MaterialSpec, StepSpec
from linli.services.models import ServiceCategory

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return ServiceCategory.objects.create(name="社会救助类")


@pytest.fixture
def department():
    district = f.area("测试区", "district")
    from linli.registry.models import Organisation

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
