"""Shared test data for appeals 诉求: two district departments and their staff, the handlers of
each tier in the `world` district (and colleagues and neighbours of theirs), a small set of
categories, and helpers to raise and move appeals.

The world (tests/conftest.py): 峡山区 → 太保庄街道 (文岭社区, 营辉社区) and 王家庄街道 (东朱社区,
西朱社区); two villages a community, each with one grid holding one household. The world's grid
worker is at the first grid (in 文岭一村), its village cadre at 文岭一村, its community worker at
文岭社区, its street cadre at 太保庄街道.

A module uses it through `SHARED = {"appeals": helpers.build_appeals}` and a fixture of its own
(see tests/sharing.py), with the clock stopped at `WORLD_CLOCK` before anything is built (grants
start on the day they are made).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from linli.appeals import services
from linli.appeals.models import Appeal
from linli.registry import services as registry_services

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday in an ordinary week of November 2026 (no holiday within three weeks).
WORLD_CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _department(name: str, area):
    return registry_services.organisation_create(
        actor=None, name=name, kind="department", area=area
    )


def build_appeals(world) -> SimpleNamespace:
    a = SimpleNamespace(world=world)
    a.village, a.other_village = world.villages[0], world.villages[1]  # 文岭一村, 文岭二村
    a.grid = world.grids[0]
    a.community, a.street = world.communities[0], world.streets[0]
    a.far_village = world.villages[4]  # 东朱一村, under 王家庄街道
    a.household = world.households[0]
    a.city = _department("峡山区综合行政执法局", world.district)
    a.housing = _department("峡山区住房和城乡建设局", world.district)
    users = dict(world.users)
    users["city_staff"] = f.user_with("department_staff", world.district, organisation=a.city)
    users["housing_staff"] = f.user_with("department_staff", world.district, organisation=a.housing)
    users["village_colleague"] = f.user_with("village_cadre", a.village)
    users["sibling_cadre"] = f.user_with("village_cadre", a.other_village)
    users["far_cadre"] = f.user_with("village_cadre", a.far_village)
    users["far_street_cadre"] = f.user_with("street_cadre", world.streets[1])
    a.users = users
    a.categories = SimpleNamespace(
        sanitation=services.category_create(
            actor=None,
            code="HJWS",
            name="环境卫生",
            village_days=3,
            community_days=5,
            street_days=5,
            department_days=10,
            department=a.city,
            public=True,
            anonymous_allowed=True,
            sort_order=1,
        ),
        neighbours=services.category_create(
            actor=None,
            code="LLJF",
            name="邻里纠纷",
            village_days=5,
            community_days=5,
            street_days=10,
            department_days=10,
            sort_order=2,
        ),
        safety=services.category_create(
            actor=None,
            code="ZAYH",
            name="治安隐患",
            default_tier="street",
            village_days=2,
            community_days=2,
            street_days=3,
            department_days=5,
            sort_order=3,
        ),
        policy=services.category_create(
            actor=None,
            code="ZCZX",
            name="政策咨询",
            default_tier="department",
            village_days=5,
            community_days=5,
            street_days=5,
            department_days=5,
            department=a.housing,
            public=True,
            sort_order=4,
        ),
    )
    return a


def photo(data: bytes = JPEG, name: str = "现场.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def not_a_photo(name: str = "现场.jpg"):
    return SimpleUploadedFile(name, b"%PDF-1.4 not a picture", content_type="image/jpeg")


def raise_appeal(a, **fields) -> Appeal:
    """An appeal about a blocked drain in the world's first grid, raised at the counter by the
    community worker for the head of the household there (each part may be changed; `actor`
    None is a trusted system job)."""
    defaults = {
        "actor": a.users["community_worker"],
        "category": a.categories.sanitation,
        "channel": "counter",
        "area": a.grid,
        "description": "村东头排水沟堵塞，污水漫到路上",
        "address": "文岭一村东头",
        "reporter": a.household.head,
    }
    return services.appeal_create(**{**defaults, **fields})


def fresh(appeal: Appeal) -> Appeal:
    return Appeal.objects.select_related("tier_area", "department", "handler").get(pk=appeal.pk)


def file_count(folder) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
