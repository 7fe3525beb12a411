"""Test data for manage 民主管理, supervise 民主监督 and the boards 公开栏 / 党员公开承诺榜, on the
`world` district (tests/conftest.py): matters of 文岭社区 at each stage, two district departments
with their staff, the community's own office, the supervision panel with a member who signs in,
residents of the community (two households) and of 营辉社区, and a party member.

A module uses it through `SHARED = {"board": board_world.build_board}` and a fixture of its own
(tests/sharing.py), with the clock stopped at `WORLD_CLOCK` before anything is built.
"""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from linli.decide.choices import MatterChannel, PanelKind, Stage
from linli.decide.models import Matter, MatterCategory, Panel, PanelMember
from linli.decide.services import matter_move
from linli.decide.workflow import Action
from linli.registry import services as registry_services
from linli.registry.figures import PARTY_MEMBER_TAG
from linli.registry.models import ResidentTag

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORLD_CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

_numbers = itertools.count(1)

# How a matter is moved from 民主提事 to each later stage.
_TO = {
    Stage.PROPOSE: (),
    Stage.DELIBERATE: (Action.DELIBERATE,),
    Stage.DECIDE: (Action.DELIBERATE, Action.PUT_TO_VOTE),
    Stage.MANAGE: (Action.DELIBERATE, Action.PUT_TO_VOTE, Action.DECIDED),
}


def make_matter(area, category, *, stage=Stage.MANAGE, title="游麟路早市占道", limit=30) -> Matter:
    matter = Matter.objects.create(
        number=f"YM{next(_numbers):06d}",
        category=category,
        area=area,
        title=title,
        description="早市摊贩占道，早高峰堵路。",
        channel=MatterChannel.STAFF,
        dissatisfied_limit=limit,
    )
    for action in _TO[stage]:
        matter = matter_move(actor=None, matter=matter, action=action)
    return matter


def _resident_user(household, village):
    user = f.user_with("resident", village)
    head = household.head
    head.account = user
    head.save(update_fields=["account"])
    return user


def build_board(world) -> SimpleNamespace:
    b = SimpleNamespace(world=world)
    b.community, b.other_community = world.communities[0], world.communities[1]
    b.village = world.villages[0]
    b.building = f.area("文岭一村1号楼", "building", world.villages[0])
    b.category = MatterCategory.objects.create(code="JZHJ", name="居住环境服务", sort_order=3)
    b.city = registry_services.organisation_create(
        actor=None, name="峡山区综合行政执法局", kind="department", area=world.district
    )
    b.housing = registry_services.organisation_create(
        actor=None, name="峡山区住房和城乡建设局", kind="department", area=world.district
    )
    b.office = registry_services.organisation_create(
        actor=None, name="文岭社区居委会", kind="other", area=b.community
    )
    b.far_office = registry_services.organisation_create(
        actor=None, name="营辉社区居委会", kind="other", area=b.other_community
    )
    users = dict(world.users)
    users["city_staff"] = f.user_with("department_staff", world.district, organisation=b.city)
    users["housing_staff"] = f.user_with("department_staff", world.district, organisation=b.housing)
    users["panel_member"] = f.user_with("panel_member", b.community)
    users["far_worker"] = f.user_with("community_worker", b.other_community)
    users["neighbour"] = _resident_user(world.households[1], world.villages[1])
    users["far_resident"] = _resident_user(world.households[2], world.villages[2])
    b.users = users
    panel = Panel.objects.create(area=b.community, kind=PanelKind.SUPERVISION, name="文岭监督团")
    b.inspector = PanelMember.objects.create(
        panel=panel, name="李监督", background="退休教师", account=users["panel_member"]
    )
    party = f.tag(PARTY_MEMBER_TAG, target="resident")
    b.party_member = world.households[1].head
    ResidentTag.objects.create(resident=b.party_member, tag=party)
    b.not_member = world.households[0].head
    b.far_member = world.households[2].head
    ResidentTag.objects.create(resident=b.far_member, tag=party)
    b.matter = make_matter(b.community, b.category)
    return b


def photo(data: bytes = JPEG, name: str = "现场.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def text_as_jpg(name: str = "现场.jpg"):
    return SimpleUploadedFile(name, "不是照片".encode(), content_type="image/jpeg")
