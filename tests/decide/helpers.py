"""Shared test data for residents decide 由民做主: 工福街社区 in the `world` district, after the
source's 东关街道 report, with what every part of the module needs.

The world (tests/conftest.py) is 峡山区 → 太保庄街道 (文岭社区, 营辉社区) and 王家庄街道 (东朱社区,
西朱社区). `build_decide(world)` adds, under 太保庄街道:

- 工福街社区 (`d.community`) with three buildings 楼院 as grids (`d.buildings`, 工福街1号院 …),
  two households in each (`d.households`, the head and a spouse each: `d.residents`); the first
  household's head is 王大威 (`d.wang`, with a resident account `users["wang"]`), the second's
  head 李秀英 (`d.li`, `users["li"]`); each building's head 楼长 is the first household's head
  there (`d.building_heads`);
- 苇湾社区 (`d.other_community`) with one building and one household whose head 吕芳 has a
  resident account (`users["other_resident"]`): a resident of another community;
- the accounts: `community_worker` (工福街社区's, decide.manage), `collector` (an opinion
  collector 民情服务队: a grid worker serving the community), `adviser` (a panel member on
  the advisory panel studying 市场经营 and 居住环境服务), `other_adviser` (on the same panel,
  studying 文化服务 only), `supervisor` (on the supervision panel), `other_worker` (苇湾社区's
  community worker), `city_staff` (the city-management department's staff), and the world's
  users (its community worker is 文岭社区's, not 工福街社区's);
- the 14 categories (`d.categories[code]`, the default list of `services.DEFAULT_CATEGORIES`;
  `d.market` is 市场经营 SCJY, `d.environment` 居住环境服务 JZHJ, `d.culture` 文化服务 WHFW);
- the panels: 工福晴雨顾问团 (`d.advisory`, members `d.adviser_seat` and `d.other_seat`) and
  工福晴雨监督团 (`d.supervision`, member `d.supervisor_seat`);
- two departments (organisations of the district): 综合行政执法局 (`d.city`, city management) and
  市场服务中心 (`d.market_office`).

A module uses it through `SHARED = {"decide": helpers.build_decide}` and a fixture of its own,
with the clock stopped at `WORLD_CLOCK` (grants start on the day they are made). `propose(d)`
raises the 游麟路早市 matter as 王大威 on the phone.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from linli.decide import services
from linli.decide.choices import PanelKind
from linli.decide.models import Matter
from linli.registry import services as registry_services

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday in an ordinary week of November 2026 (as the appeals' tests).
WORLD_CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)

MARKET_TITLE = "游麟路早市占道"
MARKET_TEXT = "游麟路早市摊位不按时撤摊，早上道路拥堵，居民出行不便，希望社区协调解决。"


def _person(household, name: str, relation: str = "spouse"):
    return registry_services.resident_create(
        actor=None,
        household=household,
        name=name,
        id_number=f.make_id_number(male=relation != "spouse"),
        mobile="13912345678",
        relation=relation,
    )


def _resident_account(person, username: str):
    user = f.user_with("resident", person.household.area, username=username)
    person.account = user
    person.save(update_fields=["account"])
    return user


def build_decide(world) -> SimpleNamespace:
    d = SimpleNamespace(world=world)
    d.street = world.streets[0]  # 太保庄街道
    d.community = f.area("工福街社区", "community", d.street)
    d.buildings = [f.area(f"工福街{n}号院", "grid", d.community) for n in (1, 2, 3)]
    heads = (("王大威", "张桂兰"), ("李秀英", "赵建国"), ("刘长江", "孙玉梅"), ("陈志强", "周丽"))
    heads += (("杨春生", "吴秀珍"), ("黄德明", "郑淑芬"))
    d.households, d.residents, d.building_heads = [], [], []
    for i, (head, spouse) in enumerate(heads):
        building = d.buildings[i // 2]
        household = f.household(building, f"GF{i + 1:04d}", head_name=head)
        d.households.append(household)
        d.residents += [household.head, _person(household, spouse)]
        if i % 2 == 0:
            d.building_heads.append(household.head)
    d.wang, d.li = d.households[0].head, d.households[1].head

    d.other_community = f.area("苇湾社区", "community", d.street)
    d.other_building = f.area("苇湾1号楼院", "grid", d.other_community)
    d.other_household = f.household(d.other_building, "WW0001", head_name="吕芳")

    d.city = registry_services.organisation_create(
        actor=None, name="综合行政执法局", kind="department", area=world.district
    )
    d.market_office = registry_services.organisation_create(
        actor=None, name="市场服务中心", kind="department", area=world.district
    )

    users = dict(world.users)
    users["wang"] = _resident_account(d.wang, "wangdawei")
    users["li"] = _resident_account(d.li, "lixiuying")
    users["other_resident"] = _resident_account(d.other_household.head, "lvfang")
    users["community_worker"] = f.user_with("community_worker", d.community)
    users["world_community_worker"] = world.users["community_worker"]
    users["collector"] = f.user_with("grid_worker", d.community)
    users["adviser"] = f.user_with("panel_member", d.community)
    users["other_adviser"] = f.user_with("panel_member", d.community)
    users["supervisor"] = f.user_with("panel_member", d.community)
    users["other_worker"] = f.user_with("community_worker", d.other_community)
    users["city_staff"] = f.user_with("department_staff", world.district, organisation=d.city)
    d.users = users

    services.categories_install(actor=None)
    from linli.decide.models import MatterCategory

    d.categories = {c.code: c for c in MatterCategory.objects.all()}
    d.market, d.environment = d.categories["SCJY"], d.categories["JZHJ"]
    d.culture = d.categories["WHFW"]

    d.advisory = services.panel_create(
        actor=None, area=d.community, kind=PanelKind.ADVISORY, name="“工福晴雨”顾问团"
    )
    d.supervision = services.panel_create(
        actor=None, area=d.community, kind=PanelKind.SUPERVISION, name="“工福晴雨”监督团"
    )
    d.adviser_seat = services.panel_member_add(
        actor=None,
        panel=d.advisory,
        name="马振华",
        background="退休干部",
        account=users["adviser"],
        categories=[d.market, d.environment],
    )
    d.other_seat = services.panel_member_add(
        actor=None,
        panel=d.advisory,
        name="高文博",
        background="退休教师",
        account=users["other_adviser"],
        categories=[d.culture],
    )
    d.supervisor_seat = services.panel_member_add(
        actor=None,
        panel=d.supervision,
        name="刘长江",
        background="老党员",
        resident=d.households[2].head,
        account=users["supervisor"],
    )
    return d


def propose(d, **fields) -> Matter:
    """The 游麟路早市 matter, raised by 王大威 on his phone (each part may be changed)."""
    defaults = {
        "actor": d.users["wang"],
        "category": d.market,
        "title": MARKET_TITLE,
        "description": MARKET_TEXT,
    }
    return services.matter_propose(**{**defaults, **fields})


def taken_up(d, **fields) -> Matter:
    """The 游麟路早市 matter, taken up for deliberation by 工福街社区's community worker."""
    matter = propose(d, **fields)
    return services.matter_take_up(actor=d.users["community_worker"], matter=matter)


def fresh(matter: Matter) -> Matter:
    return Matter.objects.select_related("area", "category").get(pk=matter.pk)
