"""Shared test data for applications 办件: the offices of the `world` district, the staff who
work there, a small catalogue (one item of each handling mode, two proxy routes) and helpers.

Use it from a test module with a fixture of its own (no conftest is needed):

    @pytest.fixture
    def hall(world):
        return app_helpers.build_hall(world)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.test import Client

from linli.hall.applications import services
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.hall.models import Application, ServiceCategory
from linli.registry import services as registry_services

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
BACKEND = "django.contrib.auth.backends.ModelBackend"
# Monday before the 2026 National Day holiday (1–7 October; Saturday 10 October is worked).
BEFORE_NATIONAL_DAY = dt.datetime(2026, 9, 28, 9, 30, tzinfo=SHANGHAI)

ILLNESS_MATERIALS = ("身份证", "户口本", "大病证明", "医疗费用票据")
ILLNESS_ROUTE = (  # name, office kind, department key, working days
    ("社区受理", "hall", None, 1),
    ("街道审核", "street", None, 3),
    ("区卫健局核实", "department", "health", 4),
    ("区民政局审批", "department", "civil", 5),
)


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def _org(name: str, kind: str, area, parent=None):
    return registry_services.organisation_create(
        actor=None, name=name, kind=kind, area=area, parent=parent
    )


def _offices(world) -> SimpleNamespace:
    district = world.district
    departments = {
        "civil": _org("峡山区民政局", "department", district),
        "health": _org("峡山区卫健局", "department", district),
        "education": _org("峡山区教育局", "department", district),
    }
    streets = {s.pk: _org(f"{s.name}办事处", "street_office", s) for s in world.streets}
    halls = {}
    for community in world.communities:
        parent = streets[community.parent_id]
        halls[community.pk] = _org(
            f"{community.name}便民服务大厅", "service_hall", community, parent
        )
    return SimpleNamespace(departments=departments, streets=streets, halls=halls)


def _items(departments: dict) -> SimpleNamespace:
    category = ServiceCategory.objects.create(name="社会救助类", sort_order=1)
    other = ServiceCategory.objects.create(name="证明开具类", sort_order=2)
    illness = catalogue.item_create(
        actor=None,
        code="MZ-DB",
        name="大病救助",
        category=category,
        mode="proxy",
        time_limit_days=15,
        materials=[MaterialSpec(name) for name in ILLNESS_MATERIALS],
        route=[
            StepSpec(name, kind, days, departments[dept] if dept else None)
            for name, kind, dept, days in ILLNESS_ROUTE
        ],
    )
    loan = catalogue.item_create(
        actor=None,
        code="JY-ZX",
        name="助学贷款补助申请",
        category=category,
        mode="proxy",
        time_limit_days=10,
        online=True,
        materials=[MaterialSpec("身份证"), MaterialSpec("学籍证明"), MaterialSpec("照片", False)],
        route=[
            StepSpec("社区受理", "hall", 1),
            StepSpec("区教育局审批", "department", 5, departments["education"]),
        ],
    )
    residence = catalogue.item_create(
        actor=None,
        code="ZM-JZ",
        name="居住证明开具",
        category=other,
        mode="on_the_spot",
        time_limit_days=0,
        online=True,
        materials=[MaterialSpec("身份证"), MaterialSpec("户口本")],
    )
    guidance = catalogue.item_create(
        actor=None,
        code="ZM-LH",
        name="新生儿落户指导",
        category=other,
        mode="guided",
        time_limit_days=2,
        materials=[MaterialSpec("出生医学证明")],
    )
    return SimpleNamespace(
        category=category, illness=illness, loan=loan, residence=residence, guidance=guidance
    )


def build_hall(world) -> SimpleNamespace:
    """Offices for every community and street of `world`, staff at them, four items."""
    offices = _offices(world)
    own, sibling, far = world.communities[0], world.communities[1], world.communities[2]
    deps = offices.departments
    users = {
        "hall_worker": world.users["community_worker"],  # 文岭社区
        "sibling_worker": f.user_with("community_worker", sibling),  # 营辉社区, same street
        "far_worker": f.user_with("community_worker", far),  # 东朱社区, 王家庄街道
        "street_cadre": world.users["street_cadre"],  # 太保庄街道
        "far_street_cadre": f.user_with("street_cadre", world.streets[1]),
        "health_staff": f.user_with(
            "department_staff", world.district, organisation=deps["health"]
        ),
        "civil_staff": f.user_with("department_staff", world.district, organisation=deps["civil"]),
        "education_staff": f.user_with(
            "department_staff", world.district, organisation=deps["education"]
        ),
        "grid_worker": world.users["grid_worker"],
        "resident": world.users["resident"],
    }
    return SimpleNamespace(
        world=world,
        users=users,
        hall=offices.halls[own.pk],
        sibling_hall=offices.halls[sibling.pk],
        street_office=offices.streets[own.parent_id],
        departments=deps,
        items=_items(deps),
        household=world.households[0],  # 文岭社区's first village, the resident's own
        resident=world.households[0].head,
        sibling_household=world.households[2],  # 营辉社区
        far_household=world.households[4],  # 东朱社区
    )


def material_names(item) -> list[str]:
    return [m.name for m in item.current.materials.all()]


def take(
    hall,
    item,
    *,
    resident=None,
    actor=None,
    channel: str = "counter",
    materials=None,
    submit: bool = True,
) -> Application:
    """An application taken at the hall (all materials handed in unless told otherwise)."""
    return services.application_create(
        actor=actor or hall.users["hall_worker"],
        resident=resident or hall.resident,
        item=item,
        channel=channel,
        materials_received=material_names(item) if materials is None else materials,
        submit=submit,
    )


def active_step(application: Application):
    return application.steps.select_related("organisation").get(state="active")


def approve(hall, application: Application, user_key: str, note: str = ""):
    """Approve the application's active step as `hall.users[user_key]`."""
    step = active_step(application)
    return services.step_finish(actor=hall.users[user_key], step=step, result="approve", note=note)


def carry_illness_through(hall, application: Application) -> None:
    """Approve every step of a 大病救助 application at its own office."""
    for user_key in ("hall_worker", "street_cadre", "health_staff", "civil_staff"):
        approve(hall, application, user_key)
