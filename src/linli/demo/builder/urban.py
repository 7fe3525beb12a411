"""The city-centre district 奎文区 beside 峡山区 in the demo city 潍坊市: the source's 东关街道, its
communities of old estates, each 楼院 (a courtyard of residential buildings) a grid 网格 with its
building head 楼长, and the households of its flats — planned from the seed, then written as
峡山区 is: places, organisations, posts and logins through the services, the households and
people through the register import's writer (one batch of its own, as a district hands in its
own register).

It is planned and written after 峡山区 is complete, with a random generator of its own, so
峡山区 is the same district, figure for figure, with or without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from pypinyin import lazy_pinyin

from linli.accounts import services as account_services
from linli.accounts.models import Grant, User
from linli.core import audit
from linli.core import services as area_services
from linli.core.choices import AreaKind, AuditAction
from linli.core.models import Area
from linli.registry import services as registry_services
from linli.registry.importing.records import HouseholdRecord, PersonRecord
from linli.registry.importing.writer import write_households
from linli.registry.models import Organisation, Post, Resident

from .. import data
from .base import HouseholdPlan, PersonPlan, VillagePlan
from .people import PeoplePlanner

# Posts of the urban communities whose holders get a login, and the role it has.
STAFF_POST_ROLES = {"hall_staff": "community_worker", "grid_worker": "grid_worker"}


@dataclass
class CompoundPlan:
    """楼院 — one courtyard of old residential buildings in a community, kept as a grid."""

    name: str
    street: str
    community: str
    community_code: str
    buildings: list[tuple[int, int]]  # (units 单元, floors) of each building
    households: list[HouseholdPlan] = field(default_factory=list)
    building_head: PersonPlan | None = None  # 楼长: a household head of the 楼院


def community_codes(street: data.StreetData):
    """(community, code) for each community of an urban street; codes 001–199 are residents'
    committees 居民委员会 in the national scheme."""
    for serial, community in enumerate(street.communities, start=1):
        yield community, f"{street.code[:9]}{serial:03d}"


class UrbanPlanner:
    """Plans 奎文区's households with the people planner of the demo (so that no two people of
    the city share an ID number), its generator replaced by one of the district's own."""

    def __init__(self, people: PeoplePlanner, seed: int):
        self.people = people
        self.size = people.size
        people.rng = random.Random(f"{seed}:{data.URBAN_DISTRICT_CODE}")
        people.county = data.URBAN_COUNTY_CODE
        people._clans, people._clan_share = (), 0.0
        self.rng = people.rng

    def plan(self) -> list[CompoundPlan]:
        compounds = []
        for street in data.URBAN_STREETS:
            for community, code in community_codes(street):
                serial = 0
                for name in community.villages:
                    compound = self._compound(street.name, community.name, code, name)
                    for number, address in self._flats(compound, serial):
                        compound.households.append(self._household(compound, number, address))
                    serial += len(compound.households)
                    compound.building_head = self._building_head(compound)
                    compound.building_head.add("楼长")
                    self._representatives(compound)
                    compounds.append(compound)
        self._poor(compounds)
        return compounds

    def _compound(self, street: str, community: str, code: str, name: str) -> CompoundPlan:
        rng = self.rng
        buildings = [
            (rng.randint(*data.BUILDING_UNITS), rng.randint(*data.BUILDING_FLOORS))
            for _ in range(rng.randint(*data.COMPOUND_BUILDINGS))
        ]
        return CompoundPlan(name, street, community, code, buildings)

    def _flats(self, compound: CompoundPlan, serial: int):
        """(household number, address) of each lived-in flat: building 号楼, unit 单元, room
        室 (floor and door: 302 is the second door on the third floor)."""
        rng = self.rng
        flats = [
            f"{building}号楼{unit}单元{floor}{door:02d}室"
            for building, (units, floors) in enumerate(compound.buildings, start=1)
            for unit in range(1, units + 1)
            for floor in range(1, floors + 1)
            for door in range(1, data.FLATS_PER_LANDING + 1)
        ]
        if self.size == "full":
            lived_in = [flat for flat in flats if rng.random() < data.FLATS_OCCUPIED]
        else:
            lived_in = flats[: rng.randint(*data.SMALL_COMPOUND_HOUSEHOLDS)]
        place = f"{compound.street}{compound.community}{compound.name}"
        for offset, flat in enumerate(lived_in, start=1):
            yield f"{compound.community_code[6:]}{serial + offset:04d}", f"{place}{flat}"

    def _household(self, compound: CompoundPlan, number: str, address: str) -> HouseholdPlan:
        named = [
            p
            for p in data.URBAN_NAMED_RESIDENTS
            if p.village == compound.name and not compound.households
        ]
        if not named:
            return self.people.city_household(number=number, address=address)
        village = VillagePlan(
            name=compound.name,
            code=compound.community_code,
            street=compound.street,
            community=compound.community,
            size=0,
            grids=1,
            hardship=0.0,
            branch="",
            hosts_branch=False,
        )
        hh = self.people.named_household(village, named[0], 1, 0)
        hh.number, hh.address = number, address
        return hh

    def _building_head(self, compound: CompoundPlan) -> PersonPlan:
        """楼长: a household head of the 楼院 with time for it (retired or near it), a party
        member where one is; never a resident the source names."""
        ordinary = [hh for hh in compound.households if not hh.named] or compound.households
        chosen = min(
            ordinary,
            key=lambda hh: (not hh.head.has("党员"), abs(hh.head.age - 62), hh.number),
        )
        return chosen.head

    def _representatives(self, compound: CompoundPlan) -> None:
        """居民代表: household heads of the 楼院 in the prime of life and at home in it (party
        members first), other than its building head and the residents the source names."""
        ordinary = [
            hh
            for hh in compound.households
            if not hh.named and hh.head is not compound.building_head
        ]
        ordinary.sort(key=lambda hh: (not hh.head.has("党员"), abs(hh.head.age - 55), hh.number))
        for hh in ordinary[: data.COMPOUND_REPRESENTATIVES]:
            hh.head.add("居民代表")

    def _poor(self, compounds: list[CompoundPlan]) -> None:
        """困难户: the households most in need by the same score as 峡山区's (old estates'
        share, `URBAN_POOR_SHARE`); about 45 % of them have 低保."""
        rng = self.rng
        heads = {id(c.building_head) for c in compounds}
        scored = [
            (self.people._need(hh, 0.5), hh.number, hh)
            for c in compounds
            for hh in c.households
            if not hh.named and id(hh.head) not in heads
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        total = sum(len(c.households) for c in compounds)
        for _score, _number, hh in scored[: max(1, round(total * data.URBAN_POOR_SHARE))]:
            hh.add("困难户")
            if hh.kind == "single_elderly" and rng.random() < 0.45:
                hh.add("特困")
            if rng.random() < 0.45:
                hh.add("低保")


def household_record(compound: CompoundPlan, plan: HouseholdPlan) -> HouseholdRecord:
    """A planned household as the clean record an Excel import would make of it: its place is
    the community (by code) and the 楼院 grid under it (by name)."""
    return HouseholdRecord(
        village_code=compound.community_code,
        number=plan.number,
        address=plan.address,
        head_id_number=plan.head.id_number,
        grid=compound.name,
        tags=tuple(plan.tags),
        members=[
            PersonRecord(
                name=p.name,
                id_number=p.id_number,
                relation=p.relation,
                mobile=p.mobile,
                tags=tuple(p.tags),
            )
            for p in plan.members
        ],
    )


class UrbanWriter:
    """Writes 奎文区 under the city: places, organisations, households, logins, posts and the
    staff accounts of its halls and grids."""

    def __init__(self, planner: UrbanPlanner, seed: int):
        self.planner = planner
        self.rng = random.Random(planner.rng.random())
        self.source = f"{data.URBAN_DISTRICT_NAME}演示辖区（{seed}）"
        self.areas: dict[str, Area] = {}
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}  # by user name
        self.heads: dict[str, Resident] = {}  # 楼院 name → its building head

    def _area(self, name: str, kind: str, parent: Area, code: str = "") -> Area:
        area = area_services.area_create(actor=None, name=name, kind=kind, parent=parent, code=code)
        self.areas[name] = area
        return area

    def write_areas(self, city: Area) -> None:
        district = self._area(
            data.URBAN_DISTRICT_NAME, AreaKind.DISTRICT, city, data.URBAN_DISTRICT_CODE
        )
        for street in data.URBAN_STREETS:
            area = self._area(street.name, AreaKind.STREET, district, street.code)
            for community, code in community_codes(street):
                place = self._area(community.name, AreaKind.COMMUNITY, area, code)
                for name in community.villages:
                    self._area(name, AreaKind.GRID, place)

    def _org(self, name: str, kind: str, area: Area, parent=None, address: str = ""):
        org = registry_services.organisation_create(
            actor=None, name=name, kind=kind, area=area, parent=parent, address=address
        )
        self.orgs[name] = org
        return org

    def organisations(self) -> None:
        district = self.areas[data.URBAN_DISTRICT_NAME]
        for _short, full in data.URBAN_DEPARTMENTS:
            self._org(full, "department", district)
        parents = {
            "clinic": self.orgs[data.URBAN_CLINIC_DEPARTMENT],
            "police_room": self.orgs[data.URBAN_POLICE_DEPARTMENT],
        }
        for street in data.URBAN_STREETS:
            area = self.areas[street.name]
            office = self._org(
                f"{street.name}办事处",
                "street_office",
                area,
                address=data.URBAN_STREET_OFFICE_ADDRESS.format(street=street.name),
            )
            self._org(data.STREET_PARTY_COMMITTEE, "other", area)
            self._org(data.STREET_MARKET_CENTRE.format(street=street.name), "other", area, office)
            parents["service_hall"] = office
            for community in street.communities:
                place = self.areas[community.name]
                for kind, pattern in data.URBAN_COMMUNITY_ORGANISATIONS:
                    address = ""
                    if kind == "service_hall":
                        address = data.URBAN_HALL_ADDRESS.format(
                            street=street.name, name=community.name
                        )
                    self._org(
                        pattern.format(name=community.name),
                        kind,
                        place,
                        parents.get(kind),
                        address=address,
                    )

    def households(self, compounds: list[CompoundPlan]) -> None:
        records = [household_record(c, hh) for c in compounds for hh in c.households]
        write_households(records, actor=None, source=self.source)
        wanted = {c.building_head.id_number: c.name for c in compounds if c.building_head}
        for person in Resident.objects.filter(id_number__in=list(wanted)):
            self.heads[wanted[person.id_number]] = person

    def logins(self, password_hash: str) -> None:
        for login in data.URBAN_LOGINS:
            area = self.areas[login.area]
            display = login.display_name
            if "{holder}" in display:
                display = display.format(holder=self.heads[login.area].name)
            user = account_services.user_create(
                actor=None,
                username=login.username,
                password=data.DEMO_PASSWORD,
                password_hash=password_hash,
                display_name=display,
            )
            account_services.grant_create(
                actor=None,
                user=user,
                role=login.role,
                area=area,
                starts_on=data.URBAN_LOGINS_SINCE,
            )
            self.users[login.username] = user
        for who in data.URBAN_NAMED_RESIDENTS:
            login = next(x for x in data.URBAN_LOGINS if x.display_name == who.name)
            registry_services.resident_link_account(
                actor=None,
                resident=Resident.objects.get(name=who.name),
                account=self.users[login.username],
            )

    def _since(self) -> dt.date:
        return dt.date(2012, 3, 1) + dt.timedelta(days=self.rng.randrange(3000))

    def _post(self, **fields) -> Post:
        return registry_services.post_create(actor=None, starts_on=self._since(), **fields)

    def posts(self, compounds: list[CompoundPlan]) -> None:
        linked = {login.post_title: login for login in data.URBAN_LOGINS if login.post_kind}
        for login in data.URBAN_LOGINS:
            if not login.post_kind:
                continue
            user = self.users[login.username]
            self._post(
                holder_name=user.display_name,
                holder=self.heads.get(login.area) if login.post_kind == "building_head" else None,
                kind=login.post_kind,
                title=login.post_title,
                area=self.areas[login.area],
                organisation=self.orgs[login.post_organisation],
                account=user,
            )
        holder, title = data.STREET_PARTY_SECRETARY
        street = data.URBAN_STREETS[0].name
        self._post(
            holder_name=holder,
            kind="other",
            title=title,
            area=self.areas[street],
            organisation=self.orgs[data.STREET_PARTY_COMMITTEE],
        )
        for street_data in data.URBAN_STREETS:
            for community in street_data.communities:
                self._community_posts(community.name, linked)
        for compound in compounds:
            self._compound_posts(compound, linked)

    def _community_posts(self, community: str, linked) -> None:
        cadre = self.planner.people.cadre_name
        for kind, title, org in (
            ("other", "党委书记", "党委"),
            ("hall_staff", "党群服务中心负责人", "党群服务中心"),
            ("clinic_doctor", "卫生服务站医生", "卫生服务站"),
            ("police_officer", "社区民警", "警务室"),
        ):
            if f"{community}{title}" in linked:
                continue  # held by a demo login (吕峰, 苇湾社区党委书记)
            self._post(
                holder_name=cadre(),
                kind=kind,
                title=f"{community}{title}",
                area=self.areas[community],
                organisation=self.orgs[f"{community}{org}"],
            )

    def _compound_posts(self, compound: CompoundPlan, linked) -> None:
        area = self.areas[compound.name]
        committee = self.orgs[data.URBAN_COMMITTEE.format(name=compound.community)]
        if f"{compound.name}楼长" not in linked:
            head = self.heads[compound.name]
            self._post(
                holder_name=head.name,
                holder=head,
                kind="building_head",
                title=f"{compound.name}楼长",
                area=area,
                organisation=committee,
            )
        self._post(
            holder_name=self.planner.people.cadre_name(),
            kind="grid_worker",
            title=f"{compound.name}网格员",
            area=area,
            organisation=committee,
        )

    def staff_accounts(self) -> int:
        """As in 峡山区: each community's hall head and each grid's grid worker get a login
        (`hall_<community in pinyin>`, `grid_<community code>_<n>`), in bulk, with one audit
        record for the batch."""
        district = self.areas[data.URBAN_DISTRICT_NAME]
        posts = list(
            Post.objects.filter(
                account__isnull=True,
                kind__in=STAFF_POST_ROLES,
                area__path__startswith=district.path,
            )
            .select_related("area", "area__parent")
            .order_by("pk")
        )
        password = self.users[data.URBAN_LOGINS[0].username].password
        serials: Counter = Counter()
        users = []
        for post in posts:
            if post.kind == "grid_worker":
                code = post.area.parent.code
                serials[code] += 1
                username = f"grid_{code}_{serials[code]}"
            else:
                username = "hall_" + "".join(lazy_pinyin(post.area.name.removesuffix("社区")))
            users.append(User(username=username, display_name=post.holder_name, password=password))
        User.objects.bulk_create(users, batch_size=500)
        grants = [
            Grant(
                user=user,
                role=STAFF_POST_ROLES[post.kind],
                area=post.area,
                starts_on=post.starts_on,
            )
            for post, user in zip(posts, users, strict=True)
        ]
        Grant.objects.bulk_create(grants, batch_size=500)
        for post, user in zip(posts, users, strict=True):
            post.account = user
        Post.objects.bulk_update(posts, ["account"], batch_size=500)
        audit.record(
            action=AuditAction.CREATE,
            object_type="accounts.user",
            object_repr=f"{self.source}: staff accounts of the halls and grids",
            changes={
                "users": len(users),
                "grants": dict(Counter(grant.role for grant in grants)),
                "posts_linked": len(posts),
            },
        )
        return len(users)


def build_urban(
    *, people: PeoplePlanner, seed: int, city: Area, password_hash: str
) -> list[CompoundPlan]:
    """Plan and write 奎文区 under `city`, each step in its own transaction; the logins share
    the demo password's `password_hash`."""
    planner = UrbanPlanner(people, seed)
    compounds = planner.plan()
    writer = UrbanWriter(planner, seed)
    with transaction.atomic():
        writer.write_areas(city)
        writer.organisations()
    with transaction.atomic():
        writer.households(compounds)
    with transaction.atomic():
        writer.logins(password_hash)
        writer.posts(compounds)
        writer.staff_accounts()
    return compounds
