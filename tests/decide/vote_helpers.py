"""Shared test data for votes 表决: a matter being deliberated in the `world`'s 文岭社区, six
households there (the world's two and four more in its first grid), three residents tagged
居民代表 and one 楼长 in the registry, and each household's head with a login account.

Matters are made directly here (their own services belong to proposing and deliberating);
everything a vote does goes through `decide.votes.services`.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from linli.decide.models import Matter, MatterCategory, StageSpell
from linli.decide.votes import services
from linli.registry import services as registry_services

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORLD_CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
CLOSES = WORLD_CLOCK + dt.timedelta(days=3)


def build_votes(world) -> SimpleNamespace:
    v = SimpleNamespace(world=world)
    v.community, v.grid = world.communities[0], world.grids[0]
    v.category = MatterCategory.objects.create(code="JZHJ", name="居住环境服务", sort_order=3)
    extra = [
        f.household(v.grid, f"VT{n:03d}", head_name=f"投票户{n}", head_id=f.make_id_number())
        for n in range(1, 5)
    ]
    v.households = [world.households[0], world.households[1], *extra]
    v.representative = registry_services.tag_save(actor=None, name="居民代表", target="resident")
    v.building_head = registry_services.tag_save(actor=None, name="楼长", target="resident")
    heads = [h.head for h in v.households]
    for person in heads[:3]:
        registry_services.resident_update(
            actor=None, resident=person, tags=[(v.representative, "")]
        )
    registry_services.resident_update(actor=None, resident=heads[3], tags=[(v.building_head, "")])
    v.users = dict(world.users)
    v.residents = [world.users["resident"]]  # the head of the first household
    for n, household in enumerate(v.households[1:], start=1):
        user = f.user_with("resident", household.area, username=f"vote-resident-{n}")
        person = household.head
        person.account = user
        person.save(update_fields=["account"])
        v.residents.append(user)
    v.far_resident = f.user_with("resident", world.villages[4], username="vote-far-resident")
    far = world.households[4].head
    far.account = v.far_resident
    far.save(update_fields=["account"])
    v.matter = deliberating(v)
    return v


def deliberating(v, title: str = "游麟路早市占道") -> Matter:
    """A matter of 文岭社区 at the deliberate stage, proposed by the first household's head."""
    number = f"YS{Matter.objects.count() + 1:06d}"
    matter = Matter.objects.create(
        number=number,
        category=v.category,
        area=v.community,
        title=title,
        description="早市摊位占道，影响通行",
        channel="resident_phone",
        proposer=v.households[0].head,
        household=v.households[0],
        stage="deliberate",
    )
    StageSpell.objects.create(matter=matter, stage="deliberate")
    return matter


def prepare(v, matter=None, **rules):
    fields = {
        "actor": v.users["community_worker"],
        "matter": matter or v.matter,
        "question": "早市是否于每日8:30前撤离",
        "body": "households",
        "quorum_percent": 50,
        "majority": "simple",
        "secret": True,
        "method": "phone",
        "closes_at": CLOSES,
    }
    return services.vote_prepare(**{**fields, **rules})


def opened(v, matter=None, **rules):
    vote = prepare(v, matter, **rules)
    return services.vote_open(actor=v.users["community_worker"], vote=vote)


def choice(vote, n: int = 0):
    return list(vote.options.order_by("order"))[n]
