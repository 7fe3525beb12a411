"""Builds the 峡山区 demo district 演示辖区: areas, tags, organisations, a few hundred households,
posts and one login per role.

The build has two halves. `plan_district()` draws every person and household from one seeded
random generator (and a seeded Faker `zh_CN`), so the same seed gives the same district on any
machine on the same day (ages are counted back from today). `build_demo()` then writes the plan
through the ordinary services — area, registry and account services, with `actor=None` as a
trusted system job — so the audit trail and the timelines are exactly what real use produces.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from django.db import transaction
from faker import Faker
from stdnum.cn import ric

from linli.accounts import services as account_services
from linli.accounts.models import User
from linli.core import services as area_services
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.registry import services as registry_services
from linli.registry.choices import TagTarget
from linli.registry.models import Household, Organisation, Post, Resident, Tag

from . import data

Tags = tuple[tuple[str, str], ...]


class DemoError(Exception):
    """The demo cannot be built into this database."""


class DemoAlreadyBuilt(DemoError):
    pass


# --- the plan -------------------------------------------------------------------------------


@dataclass
class PersonPlan:
    name: str
    age: int
    male: bool
    relation: str
    tags: list[tuple[str, str]] = field(default_factory=list)
    mobile: str = ""
    id_number: str = ""

    def has(self, tag: str) -> bool:
        return any(name == tag for name, _ in self.tags)

    def add(self, tag: str, detail: str = "") -> None:
        if not self.has(tag):
            self.tags.append((tag, detail))


@dataclass
class HouseholdPlan:
    village: str
    grid: int  # index into data.GRID_NAMES
    number: str
    address: str
    members: list[PersonPlan]
    tags: list[tuple[str, str]] = field(default_factory=list)

    @property
    def head(self) -> PersonPlan:
        return self.members[0]

    def add(self, tag: str, detail: str = "") -> None:
        if tag not in {name for name, _ in self.tags}:
            self.tags.append((tag, detail))


@dataclass
class VillagePlan:
    name: str
    code: str
    street: str
    community: str
    grids: int
    households: list[HouseholdPlan]
    secretary: PersonPlan | None = None


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class Planner:
    """Draws the people of the district. All randomness goes through `self.rng` and `self.fake`."""

    HOUSEHOLD_KINDS = (
        ("young_family", 30),
        ("three_generations", 24),
        ("elderly_couple", 24),
        ("with_parent", 12),
        ("single_elderly", 10),
    )

    def __init__(self, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        self._id_bodies: set[str] = set()
        self._reserved_names = {p.name for p in data.NAMED_RESIDENTS}

    # identity ------------------------------------------------------------------------------

    def birth_date(self, age: int) -> dt.date:
        """A birth date that makes the person exactly `age` today."""
        latest = years_before(self.today, age)
        earliest = years_before(self.today, age + 1) + dt.timedelta(days=1)
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def id_number(self, age: int, male: bool, *, married_in: bool = False) -> str:
        """A valid GB 11643 number: county, birth date, order code (odd for men), check digit."""
        county = data.COUNTY_CODE
        if married_in and self.rng.random() < 0.4:
            county = self.rng.choice(data.NEARBY_COUNTY_CODES)
        birth = self.birth_date(age)
        while True:
            order = self.rng.randrange(1, 500) * 2 - (1 if male else 0)
            body = f"{county}{birth:%Y%m%d}{order:03d}"
            if body not in self._id_bodies:
                self._id_bodies.add(body)
                # calc_check_digit ignores the last character, so pad the 17-digit body.
                return body + ric.calc_check_digit(body + "0")

    def surname(self) -> str:
        return self.fake.last_name()

    def given_name(self, male: bool) -> str:
        return self.fake.first_name_male() if male else self.fake.first_name_female()

    def full_name(self, male: bool, surname: str | None = None) -> str:
        while True:
            name = (surname or self.surname()) + self.given_name(male)
            if name not in self._reserved_names:
                return name

    def person(
        self, relation: str, age: int, male: bool, *, surname=None, married_in=False
    ) -> PersonPlan:
        age = max(0, min(age, 99))
        person = PersonPlan(
            name=self.full_name(male, surname),
            age=age,
            male=male,
            relation=relation,
        )
        person.id_number = self.id_number(age, male, married_in=married_in)
        if age >= 18 and (age < 75 or self.rng.random() < 0.5):
            person.mobile = self.fake.phone_number()
        self.personal_tags(person)
        return person

    # tags ----------------------------------------------------------------------------------

    def personal_tags(self, p: PersonPlan) -> None:
        rng, age = self.rng, p.age
        if age >= 80:
            p.add("80岁以上")
        stage = self.school_stage(age)
        if stage:
            p.add("在校学生", stage)
        if age >= 25 and rng.random() < (0.14 if p.male else 0.06):
            p.add("党员")
        if age >= 50 and rng.random() < 0.12 + (age - 50) * 0.008:
            p.add("慢性病", rng.choice(data.CHRONIC_ILLNESSES))
        if age >= 5 and rng.random() < 0.035:
            p.add("残疾", rng.choices(data.DISABILITY_GRADES, weights=(1, 2, 3, 4))[0])

    def school_stage(self, age: int) -> str:
        if 3 <= age <= 5:
            return "学前" if self.rng.random() < 0.85 else ""
        if 6 <= age <= 11:
            return "小学"
        if 12 <= age <= 14:
            return "初中"
        if 15 <= age <= 17:
            return "高中" if self.rng.random() < 0.85 else ""
        if 18 <= age <= 21:
            return "大学" if self.rng.random() < 0.45 else ""
        return ""

    def household_tags(self, hh: HouseholdPlan, kind: str) -> None:
        rng, members = self.rng, hh.members
        if any(m.has("残疾") for m in members):
            hh.add("残疾人家庭")
        if kind == "single_elderly" and rng.random() < 0.2:
            hh.add("特困")
        chronic = sum(m.has("慢性病") for m in members)
        poor = (
            "特困" in {t for t, _ in hh.tags}
            or ("残疾人家庭" in {t for t, _ in hh.tags} and rng.random() < 0.55)
            or (kind == "single_elderly" and rng.random() < 0.3)
            or (chronic >= 2 and rng.random() < 0.3)
            or rng.random() < 0.02
        )
        if poor:
            hh.add("困难户")
            if rng.random() < 0.45:
                hh.add("低保")
        if any(m.has("党员") for m in members) and rng.random() < 0.35:
            hh.add("党员中心户")
        if any(m.has("外出务工") for m in members):
            hh.add("留守")
        if rng.random() < 0.03:
            hh.add("军属")

    def left_behind(self, hh: HouseholdPlan) -> None:
        """Everyone at home in a household whose working members are away is 留守."""
        hh.add("留守")
        for m in hh.members:
            if m.has("外出务工"):
                continue
            if m.age < 18:
                m.add("留守儿童")
            elif m.age >= 60:
                m.add("留守老人")
            elif not m.male:
                m.add("留守妇女")

    # households ----------------------------------------------------------------------------

    def members(self, kind: str) -> list[PersonPlan]:
        return getattr(self, f"_{kind}")()

    def _young_family(self) -> list[PersonPlan]:
        rng = self.rng
        head_age = rng.randint(28, 45)
        surname = self.surname()
        head = self.person("head", head_age, True, surname=surname)
        spouse = self.person("spouse", head_age + rng.randint(-4, 2), False, married_in=True)
        kids = [
            self.person(
                "child",
                rng.randint(0, min(17, spouse.age - 22)),
                rng.random() < 0.5,
                surname=surname,
            )
            for _ in range(rng.choice((1, 1, 2)))
        ]
        if rng.random() < 0.3:
            head.add("外出务工")
        return [head, spouse, *kids]

    def _three_generations(self) -> list[PersonPlan]:
        rng = self.rng
        head_age = rng.randint(50, 68)
        surname = self.surname()
        head = self.person("head", head_age, True, surname=surname)
        spouse = self.person("spouse", head_age + rng.randint(-4, 2), False, married_in=True)
        son = self.person("child", rng.randint(24, min(38, head_age - 22)), True, surname=surname)
        family = [head, spouse, son]
        if rng.random() < 0.8:
            family.append(
                self.person("child_in_law", son.age + rng.randint(-3, 1), False, married_in=True)
            )
            if son.age >= 24 and rng.random() < 0.8:
                family.append(
                    self.person(
                        "grandchild",
                        rng.randint(0, min(12, son.age - 22)),
                        rng.random() < 0.5,
                        surname=surname,
                    )
                )
        if rng.random() < 0.35:
            son.add("外出务工")
            if len(family) > 3 and rng.random() < 0.4:
                family[3].add("外出务工")
        return family

    def _elderly_couple(self) -> list[PersonPlan]:
        rng = self.rng
        head_age = rng.randint(60, 88)
        head = self.person("head", head_age, True)
        spouse = self.person(
            "spouse", max(58, head_age + rng.randint(-5, 2)), False, married_in=True
        )
        return [head, spouse]

    def _with_parent(self) -> list[PersonPlan]:
        rng = self.rng
        head_age = rng.randint(35, 55)
        surname = self.surname()
        head = self.person("head", head_age, True, surname=surname)
        spouse = self.person("spouse", head_age + rng.randint(-4, 2), False, married_in=True)
        child = self.person(
            "child", rng.randint(0, min(25, spouse.age - 22)), rng.random() < 0.5, surname=surname
        )
        parent_male = rng.random() < 0.3
        parent = self.person(
            "parent",
            min(95, head_age + rng.randint(22, 32)),
            parent_male,
            surname=surname if parent_male else None,
        )
        return [head, spouse, child, parent]

    def _single_elderly(self) -> list[PersonPlan]:
        return [self.person("head", self.rng.randint(66, 93), self.rng.random() < 0.4)]

    def household(self, village: VillagePlan, serial: int, grid: int) -> HouseholdPlan:
        kinds, weights = zip(*self.HOUSEHOLD_KINDS, strict=True)
        kind = self.rng.choices(kinds, weights=weights)[0]
        hh = HouseholdPlan(
            village=village.name,
            grid=grid,
            number=f"{village.code[6:]}{serial:03d}",
            address=f"{village.street}{village.name}{serial}号",
            members=self.members(kind),
        )
        if kind == "elderly_couple" and self.rng.random() < 0.35:
            # Their children live and work elsewhere: the couple are left-behind elderly.
            self.left_behind(hh)
        if any(m.has("外出务工") for m in hh.members):
            self.left_behind(hh)
        self.household_tags(hh, kind)
        return hh

    def named_household(self, village: VillagePlan, who: data.NamedResident) -> HouseholdPlan:
        """The household of a resident the source names, with exactly the facts it gives."""
        head = PersonPlan(who.name, who.age, who.male, "head", list(who.personal_tags))
        head.id_number = self.id_number(who.age, who.male)
        head.mobile = self.fake.phone_number()
        members = [head]
        for relation, name, age, male, tags in who.family:
            person = PersonPlan(name, age, male, relation, list(tags))
            person.id_number = self.id_number(age, male, married_in=relation == "spouse")
            if age >= 18:
                person.mobile = self.fake.phone_number()
            members.append(person)
        return HouseholdPlan(
            village=village.name,
            grid=0,
            number=f"{village.code[6:]}001",
            address=f"{village.street}{village.name}1号",
            members=members,
            tags=list(who.household_tags),
        )

    # villages ------------------------------------------------------------------------------

    def village(self, street: data.StreetData, community: str, name: str, code: str):
        count = self.rng.randint(*data.HOUSEHOLDS_PER_VILLAGE)
        village = VillagePlan(
            name=name,
            code=code,
            street=street.name,
            community=community,
            grids=2 if count > data.TWO_GRID_THRESHOLD else 1,
            households=[],
        )
        named = [p for p in data.NAMED_RESIDENTS if p.village == name]
        for serial in range(1, count + 1):
            grid = 0 if serial <= (count + 1) // 2 else village.grids - 1
            if serial == 1 and named:
                village.households.append(self.named_household(village, named[0]))
            else:
                village.households.append(self.household(village, serial, grid))
        village.secretary = self.branch_secretary(village)
        return village

    def branch_secretary(self, village: VillagePlan) -> PersonPlan:
        """村党支部书记: a household head aged 35–65, a party member; his household is a
        党员中心户. Named residents are left as the source describes them."""
        named = {p.name for p in data.NAMED_RESIDENTS}
        candidates = [
            hh for hh in village.households if 35 <= hh.head.age <= 65 and hh.head.name not in named
        ]
        candidates.sort(key=lambda hh: (not hh.head.has("党员"), hh.number))
        chosen = candidates[0] if candidates else village.households[-1]
        chosen.head.add("党员")
        chosen.add("党员中心户")
        return chosen.head


def village_codes(street: data.StreetData):
    """(community, village, code) for each village of a street; codes 2xx are village
    committees in the national scheme."""
    serial = 200
    for community in street.communities:
        for village in community.villages:
            serial += 1
            yield community.name, village, f"{street.code[:9]}{serial:03d}"


def plan_district(*, seed: int = data.DEFAULT_SEED, today: dt.date | None = None):
    """Every village of the district with its households and people (no database access)."""
    planner = Planner(seed, today or dt.date.today())
    villages = [
        planner.village(street, community, village, code)
        for street in data.STREETS
        for community, village, code in village_codes(street)
    ]
    return planner, villages


# --- writing the plan -----------------------------------------------------------------------


@dataclass
class DemoSummary:
    seed: int
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[data.DemoLogin] = field(default_factory=list)


def demo_exists() -> bool:
    return Area.objects.filter(
        parent=None, kind=AreaKind.DISTRICT, name=data.DISTRICT_NAME, code=data.DISTRICT_CODE
    ).exists()


def check_can_build() -> None:
    if demo_exists():
        raise DemoAlreadyBuilt("The demo district is already built in this database.")
    if Area.objects.exists() or User.objects.exists():
        raise DemoError(
            "This database already holds areas or users that are not the demo's; "
            "build the demo into an empty database (e.g. another LINLI_DATA_DIR)."
        )


def build_demo(*, seed: int = data.DEFAULT_SEED, today: dt.date | None = None) -> DemoSummary:
    """Build the whole demo district in one transaction; refuses a database that already holds
    the demo or anything else."""
    check_can_build()
    started = time.perf_counter()
    planner, villages = plan_district(seed=seed, today=today)
    with transaction.atomic():
        writer = _Writer(planner)
        writer.areas(villages)
        writer.tags()
        writer.organisations()
        writer.households(villages)
        writer.logins(villages)
        writer.posts(villages)
        writer.later_changes()
    summary = DemoSummary(seed=seed, logins=list(data.DEMO_LOGINS))
    summary.counts = demo_counts()
    summary.seconds = time.perf_counter() - started
    return summary


def demo_counts() -> dict[str, int]:
    areas = Area.objects.values_list("kind", flat=True)
    kinds = dict.fromkeys(AreaKind.values, 0)
    for kind in areas:
        kinds[kind] += 1
    return {
        "streets": kinds[AreaKind.STREET],
        "communities": kinds[AreaKind.COMMUNITY],
        "villages": kinds[AreaKind.VILLAGE],
        "grids": kinds[AreaKind.GRID],
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "organisations": Organisation.objects.count(),
        "posts": Post.objects.count(),
        "users": User.objects.count(),
    }


class _Writer:
    """Writes a plan through the services. Keeps the created objects by name for linking."""

    def __init__(self, planner: Planner):
        self.planner = planner
        self.rng = random.Random(planner.rng.random())
        self.areas_by_name: dict[str, Area] = {}
        self.grids: dict[tuple[str, int], Area] = {}
        self.household_tags: dict[str, Tag] = {}
        self.resident_tags: dict[str, Tag] = {}
        self.orgs: dict[str, Organisation] = {}
        self.residents: dict[str, Resident] = {}  # id number → resident
        self.users: dict[str, User] = {}

    def _area(self, name, kind, parent=None, code=""):
        area = area_services.area_create(actor=None, name=name, kind=kind, parent=parent, code=code)
        self.areas_by_name[name] = area
        return area

    def areas(self, villages: list[VillagePlan]) -> None:
        district = self._area(data.DISTRICT_NAME, AreaKind.DISTRICT, code=data.DISTRICT_CODE)
        for street in data.STREETS:
            self._area(street.name, AreaKind.STREET, district, street.code)
            for community in street.communities:
                self._area(community.name, AreaKind.COMMUNITY, self.areas_by_name[street.name])
        for village in villages:
            area = self._area(
                village.name,
                AreaKind.VILLAGE,
                self.areas_by_name[village.community],
                village.code,
            )
            for index in range(village.grids):
                grid_name = f"{village.name}{data.GRID_NAMES[index]}"
                self.grids[village.name, index] = self._area(grid_name, AreaKind.GRID, area)

    def tags(self) -> None:
        for target, vocabulary, store in (
            (TagTarget.HOUSEHOLD, data.HOUSEHOLD_TAGS, self.household_tags),
            (TagTarget.RESIDENT, data.RESIDENT_TAGS, self.resident_tags),
        ):
            for order, tag in enumerate(vocabulary, start=1):
                store[tag.name] = registry_services.tag_save(
                    actor=None,
                    name=tag.name,
                    target=target,
                    description=tag.description,
                    sensitive=tag.sensitive,
                    detail_label=tag.detail_label,
                    detail_choices=list(tag.detail_choices),
                    sort_order=order * 10,
                )

    def _org(self, name, kind, area, parent=None) -> Organisation:
        org = registry_services.organisation_create(
            actor=None, name=name, kind=kind, area=area, parent=parent
        )
        self.orgs[name] = org
        return org

    def organisations(self) -> None:
        district = self.areas_by_name[data.DISTRICT_NAME]
        for _short, full in data.DEPARTMENTS:
            self._org(full, "department", district)
        for street in data.STREETS:
            self._org(f"{street.name}办事处", "street_office", self.areas_by_name[street.name])
            for community in street.communities:
                area = self.areas_by_name[community.name]
                for kind, pattern in data.COMMUNITY_ORGANISATIONS:
                    self._org(pattern.format(name=community.name), kind, area)
                branch = self.orgs[f"{community.name}党总支"]
                for village in community.villages:
                    v_area = self.areas_by_name[village]
                    for kind, pattern in data.VILLAGE_ORGANISATIONS:
                        parent = branch if kind == "village_party_branch" else None
                        self._org(pattern.format(name=village), kind, v_area, parent)

    def _tag_pairs(self, store: dict[str, Tag], tags) -> list[tuple[Tag, str]]:
        return [(store[name], detail) for name, detail in tags]

    def households(self, villages: list[VillagePlan]) -> None:
        for village in villages:
            for plan in village.households:
                household = registry_services.household_create(
                    actor=None,
                    area=self.grids[village.name, plan.grid],
                    number=plan.number,
                    address=plan.address,
                    tags=self._tag_pairs(self.household_tags, plan.tags),
                )
                for person in plan.members:
                    self.residents[person.id_number] = registry_services.resident_create(
                        actor=None,
                        household=household,
                        name=person.name,
                        id_number=person.id_number,
                        mobile=person.mobile,
                        relation=person.relation,
                        tags=self._tag_pairs(self.resident_tags, person.tags),
                    )

    def _login_area(self, login: data.DemoLogin) -> Area:
        if "/" in login.area:
            village, grid = login.area.split("/")
            return self.areas_by_name[f"{village}{grid}"]
        return self.areas_by_name[login.area]

    def logins(self, villages: list[VillagePlan]) -> None:
        secretaries = {v.name: v.secretary for v in villages}
        for login in data.DEMO_LOGINS:
            area = self._login_area(login)
            display = login.display_name
            if "{holder}" in display:
                display = display.format(holder=secretaries[area.name].name)
            user = account_services.user_create(
                actor=None,
                username=login.username,
                password=data.DEMO_PASSWORD,
                display_name=display,
            )
            account_services.grant_create(
                actor=None,
                user=user,
                role=login.role,
                area=area,
                organisation=self.orgs.get(login.organisation) if login.organisation else None,
            )
            self.users[login.role] = user
        liu = Resident.objects.get(name=data.LIU_ZHIHUI.name)
        registry_services.resident_link_account(
            actor=None, resident=liu, account=self.users["resident"]
        )

    def _post(self, **fields) -> Post:
        return registry_services.post_create(actor=None, **fields)

    def _since(self) -> dt.date:
        """Posts began with the 2014–2015 reform that created the new communities."""
        return dt.date(2014, 9, 1) + dt.timedelta(days=self.rng.randrange(300))

    def posts(self, villages: list[VillagePlan]) -> None:
        fake = self.planner.fake
        linked = {(login.post_kind, login.post_title): login for login in data.DEMO_LOGINS}
        for login in data.DEMO_LOGINS:
            if login.post_kind and login.post_kind != "village_branch_secretary":
                self._post(
                    holder_name=self.users[login.role].display_name,
                    kind=login.post_kind,
                    title=login.post_title,
                    area=self._login_area(login),
                    organisation=self.orgs.get(login.post_organisation),
                    starts_on=self._since(),
                    account=self.users[login.role],
                )
        for street in data.STREETS:
            street_area = self.areas_by_name[street.name]
            self._post(
                holder_name=fake.name(),
                kind="graduate_village_official",
                title=f"{street.name}大学生村官",
                area=street_area,
                organisation=self.orgs[f"{street.name}办事处"],
                starts_on=self._since(),
            )
            for community in street.communities:
                self._community_posts(community.name)
        for index, village in enumerate(villages):
            self._village_posts(village, index, linked)

    def _community_posts(self, community: str) -> None:
        fake, area = self.planner.fake, self.areas_by_name[community]
        for kind, title, org in (
            ("general_branch_secretary", "党总支书记", "党总支"),
            ("agency_cadre", "街道下派机关干部", "党总支"),
            ("hall_staff", "便民服务大厅负责人", "便民服务大厅"),
            ("clinic_doctor", "卫生室医生", "卫生室"),
            ("police_officer", "社区民警", "警务室"),
        ):
            self._post(
                holder_name=fake.name(),
                kind=kind,
                title=f"{community}{title}",
                area=area,
                organisation=self.orgs[f"{community}{org}"],
                starts_on=self._since(),
            )

    def _village_posts(self, village: VillagePlan, index: int, linked) -> None:
        fake, area = self.planner.fake, self.areas_by_name[village.name]
        secretary = self.residents[village.secretary.id_number]
        title = f"{village.name}党支部书记"
        login = linked.get(("village_branch_secretary", title))
        self._post(
            holder_name=secretary.name,
            holder=secretary,
            kind="village_branch_secretary",
            title=title,
            area=area,
            organisation=self.orgs[f"{village.name}党支部"],
            starts_on=self._since(),
            account=self.users[login.role] if login else None,
        )
        self._post(
            holder_name=secretary.name,
            holder=secretary,
            kind="general_branch_member",
            title=f"{village.community}党总支委员",
            area=self.areas_by_name[village.community],
            organisation=self.orgs[f"{village.community}党总支"],
            starts_on=self._since(),
        )
        if index % data.FIRST_SECRETARY_EVERY == 0:
            short, department = data.DEPARTMENTS[index // data.FIRST_SECRETARY_EVERY % 6]
            self._post(
                holder_name=fake.name(),
                kind="first_secretary",
                title=f"{village.name}第一书记（{short}选派）",
                area=area,
                organisation=self.orgs[f"{village.name}党支部"],
                starts_on=self._since(),
            )
        for grid in range(village.grids):
            title = f"{village.name}{data.GRID_NAMES[grid]}网格员"
            if ("grid_worker", title) in linked:
                continue  # held by the demo grid worker, created with the logins
            self._post(
                holder_name=fake.name(),
                kind="grid_worker",
                title=title,
                area=self.grids[village.name, grid],
                organisation=self.orgs[f"{village.name}村民委员会"],
                starts_on=self._since(),
            )

    def later_changes(self) -> None:
        """What happened after registration, done by the people who did it: the community
        worker records 刘志辉's household as a poor household (困难户)."""
        liu = Resident.objects.select_related("household").get(name=data.LIU_ZHIHUI.name)
        registry_services.household_update(
            actor=self.users["community_worker"],
            household=liu.household,
            tags=self._tag_pairs(self.household_tags, data.LIU_ZHIHUI_LATER_TAGS),
        )
