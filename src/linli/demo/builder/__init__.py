"""Builds the 峡山区 demo district 演示辖区 with the source's figures: 4 streets, 26 communities,
277 villages, 65,549 households of which 2,271 poor (困难户), the organisations (26 general party
branches, 275 village party branches, 26 service halls, 22 clinics, 24 police rooms …), the posts
the source counts (54 first secretaries, 27 civil servants, 6 graduate village officials, 142
agency cadres, 275 village party secretaries on the general branches) and one login per role.

The build has two halves. `plan_district()` draws every person and household from one seeded
random generator and fixed name lists (data.py), so the same seed gives the same district on any
machine on the same day (ages are counted back from today). It touches no database and takes a
few seconds for the full district. `build_demo()` then writes the plan: places, tags,
organisations, logins and posts through the ordinary services (with `actor=None` as a trusted
system job, so each has its audit record), the households and people through the register
writer an Excel import uses (`registry.importing.writer`: bulk rows, one timeline line per
household, one audit record for the batch), and what happened after registration through the
services again, by the people who did it. Last come the five links and a year of visits
(visits.py), with the visit states and coverage summaries the visits module keeps.

`size="small"` builds the same places, organisations and posts with only a handful of
households a village — for tests and for trying things out.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from linli.accounts import services as account_services
from linli.accounts.models import Grant, User
from linli.core import audit, bulk
from linli.core import services as area_services
from linli.core.choices import AreaKind, AuditAction
from linli.core.dates import years_before
from linli.core.models import Area
from linli.registry import services as registry_services
from linli.registry.choices import TagTarget
from linli.registry.importing.records import HouseholdRecord, PersonRecord
from linli.registry.importing.writer import write_households
from linli.registry.models import Household, Organisation, Post, Resident, Tag
from linli.services.models import Application, OutreachTask, ServiceItem
from linli.visits.models import ContactAssignment, Need, Visit

from .. import data
from ..catalogue import build_catalogue
from ..hall import build_hall_history, seed_outreach
from ..visits import build_links_and_visits, refresh_visit_figures

Tags = tuple[tuple[str, str], ...]
# Posts whose holders get a login of their own, and the role it has (see `staff_accounts`).
STAFF_POST_ROLES = {"hall_staff": "community_worker", "grid_worker": "grid_worker"}
SIZES = ("full", "small")
_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"


class DemoError(Exception):
    """The demo cannot be built into this database."""


class DemoAlreadyBuilt(DemoError):
    pass


# --- the plan -------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonPlan:
    name: str
    age: int
    male: bool
    relation: str
    tags: list[tuple[str, str]] = field(default_factory=list)
    mobile: str = ""
    id_number: str = ""

    def has(self, tag: str) -> bool:
        return tag in [name for name, _detail in self.tags]

    def add(self, tag: str, detail: str = "") -> None:
        if not self.has(tag):
            self.tags.append((tag, detail))


@dataclass(slots=True)
class HouseholdPlan:
    village: str
    grid: int  # index into data.GRID_NAMES
    number: str
    address: str
    members: list[PersonPlan]
    tags: list[tuple[str, str]] = field(default_factory=list)
    kind: str = ""  # Planner.HOUSEHOLD_KINDS; "" for a household the source names
    named: bool = False  # the source names someone in it: its facts are left as given

    @property
    def head(self) -> PersonPlan:
        return self.members[0]

    def has(self, tag: str) -> bool:
        return tag in [name for name, _detail in self.tags]

    def add(self, tag: str, detail: str = "") -> None:
        if not self.has(tag):
            self.tags.append((tag, detail))


@dataclass
class VillagePlan:
    name: str
    code: str
    street: str
    community: str
    size: int  # households in the full build; the grids follow from it in either build
    grids: int
    hardship: float  # 0–1, how hard up the village is; first secretaries go to the hardest
    branch: str  # the name of its party branch (a joint branch for two small villages)
    hosts_branch: bool  # the branch sits in this village (and its secretary lives here)
    households: list[HouseholdPlan] = field(default_factory=list)
    secretary: PersonPlan | None = None  # 村党支部书记, when the branch sits here
    # 党员中心户: (its household number, the numbers of the neighbours it keeps in touch with)
    central_households: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


def check_digit(body: str) -> str:
    """The GB 11643 check digit of a 17-digit ID number body."""
    return _CHECK_DIGITS[_weighted(body, _CHECK_WEIGHTS) % 11]


# The weighted sums of the three parts of a body (county, birth date, order code), so that a
# person's check digit is three look-ups rather than seventeen multiplications.
_ORDER_SUMS = tuple(_weighted(f"{n:03d}", _CHECK_WEIGHTS[14:]) for n in range(1000))


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder; ties to the earlier)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


class Planner:
    """Draws the people of the district. All randomness goes through `self.rng`; names come from
    the lists in data.py (a Faker call per name would cost more than the rest of a person)."""

    HOUSEHOLD_KINDS = (
        ("young_family", 30),
        ("three_generations", 24),
        ("elderly_couple", 24),
        ("with_parent", 12),
        ("single_elderly", 10),
    )

    def __init__(self, seed: int, today: dt.date, size: str = "full"):
        if size not in SIZES:
            raise ValueError(f"size must be one of {SIZES}, not {size!r}")
        self.rng = random.Random(seed)
        self.today = today
        self.size = size
        self._id_bodies: set[str] = set()
        self._part_sums: dict[str, int] = {}  # weighted sums of county codes and birth dates
        self._reserved_names = {p.name for p in data.NAMED_RESIDENTS}
        # Per age: the first day of birth that gives that age today, and how many days there are.
        self._birth_days = []
        for age in range(101):
            latest = years_before(today, age)
            earliest = years_before(today, age + 1) + dt.timedelta(days=1)
            self._birth_days.append((earliest.toordinal(), (latest - earliest).days + 1))
        surnames, weights = zip(*data.SURNAMES, strict=True)
        self._surnames = surnames
        self._surname_weights = list(accumulate(weights))
        self._given = {
            sex: sorted(eras.items()) for sex, eras in data.GIVEN_NAMES.items()
        }  # [(last birth year, names)], by sex
        self._clans: tuple[str, ...] = ()  # the village's clan surnames, set per village
        self._clan_share = 0.0
        kinds, weights = zip(*self.HOUSEHOLD_KINDS, strict=True)
        self._kinds, self._kind_weights = kinds, list(accumulate(weights))

    # identity ------------------------------------------------------------------------------

    def birth_date(self, age: int) -> dt.date:
        """A birth date that makes the person exactly `age` today."""
        first, days = self._birth_days[age]
        return dt.date.fromordinal(first + self.rng.randrange(days))

    def id_number(self, age: int, male: bool, *, married_in: bool = False) -> str:
        """A valid GB 11643 number: county, birth date, order code (odd for men), check digit."""
        rng = self.rng
        county = data.COUNTY_CODE
        if married_in and rng.random() < 0.4:
            county = rng.choice(data.NEARBY_COUNTY_CODES)
        birth = self.birth_date(age)
        day = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        sums = self._part_sums
        if county not in sums:
            sums[county] = _weighted(county, _CHECK_WEIGHTS[:6])
        if day not in sums:
            sums[day] = _weighted(day, _CHECK_WEIGHTS[6:14])
        while True:
            order = rng.randrange(1, 500) * 2 - (1 if male else 0)
            body = f"{county}{day}{order:03d}"
            if body not in self._id_bodies:
                self._id_bodies.add(body)
                total = sums[county] + sums[day] + _ORDER_SUMS[order]
                return body + _CHECK_DIGITS[total % 11]

    def mobile(self) -> str:
        return f"{self.rng.choice(data.MOBILE_PREFIXES)}{self.rng.randrange(100_000_000):08d}"

    def surname(self, *, local: bool = True) -> str:
        """A surname of the district; a local family is often of the village's clan."""
        rng = self.rng
        if local and self._clans and rng.random() < self._clan_share:
            return rng.choice(self._clans)
        pick = rng.random() * self._surname_weights[-1]
        return self._surnames[bisect_left(self._surname_weights, pick)]

    def given_name(self, male: bool, age: int) -> str:
        born = self.today.year - age
        eras = self._given["male" if male else "female"]
        for last_year, names in eras:
            if born <= last_year:
                return self.rng.choice(names)
        return self.rng.choice(eras[-1][1])

    def full_name(self, male: bool, age: int, surname: str | None = None) -> str:
        while True:
            name = (surname or self.surname(local=False)) + self.given_name(male, age)
            if name not in self._reserved_names:
                return name

    def cadre_name(self) -> str:
        """A cadre, doctor or police officer who is not in the village register."""
        male = self.rng.random() < 0.65
        return self.full_name(male, self.rng.randint(26, 56))

    def person(
        self, relation: str, age: int, male: bool, *, surname=None, married_in=False
    ) -> PersonPlan:
        age = max(0, min(age, 99))
        person = PersonPlan(
            name=self.full_name(male, age, surname),
            age=age,
            male=male,
            relation=relation,
        )
        person.id_number = self.id_number(age, male, married_in=married_in)
        if age >= 18 and (age < 75 or self.rng.random() < 0.5):
            person.mobile = self.mobile()
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

    def household_tags(self, hh: HouseholdPlan) -> None:
        """The tags that follow from the members; 困难户, 低保 and 特困 are given district-wide
        by `poor_households`, 党员中心户 village by village by `central_households`."""
        if any(m.has("残疾") for m in hh.members):
            hh.add("残疾人家庭")
        if any(m.has("外出务工") for m in hh.members):
            hh.add("留守")
        if self.rng.random() < 0.03:
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
        head = self.person("head", head_age, True, surname=self.surname())
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
        male = self.rng.random() < 0.4
        return [
            self.person("head", self.rng.randint(66, 93), male, surname=self.surname(local=male))
        ]

    def household(self, village: VillagePlan, serial: int, grid: int) -> HouseholdPlan:
        pick = self.rng.random() * self._kind_weights[-1]
        kind = self._kinds[bisect_left(self._kind_weights, pick)]
        hh = HouseholdPlan(
            village=village.name,
            grid=grid,
            number=f"{village.code[6:]}{serial:03d}",
            address=f"{village.street}{village.name}{serial}号",
            members=self.members(kind),
            kind=kind,
        )
        if kind == "elderly_couple" and self.rng.random() < 0.35:
            # Their children live and work elsewhere: the couple are left-behind elderly.
            self.left_behind(hh)
        if any(m.has("外出务工") for m in hh.members):
            self.left_behind(hh)
        self.household_tags(hh)
        return hh

    def named_household(
        self, village: VillagePlan, who: data.NamedResident, serial: int, grid: int
    ) -> HouseholdPlan:
        """The household of a resident the source names, with exactly the facts it gives."""
        head = PersonPlan(who.name, who.age, who.male, "head", list(who.personal_tags))
        head.id_number = self.id_number(who.age, who.male)
        head.mobile = self.mobile()
        members = [head]
        for relation, name, age, male, tags in who.family:
            person = PersonPlan(name, age, male, relation, list(tags))
            person.id_number = self.id_number(age, male, married_in=relation == "spouse")
            if age >= 18:
                person.mobile = self.mobile()
            members.append(person)
        return HouseholdPlan(
            village=village.name,
            grid=grid,
            number=f"{village.code[6:]}{serial:03d}",
            address=f"{village.street}{village.name}{serial}号",
            members=members,
            tags=list(who.household_tags),
            named=True,
        )

    # the district --------------------------------------------------------------------------

    def plan(self) -> list[VillagePlan]:
        """Places first (the same in both sizes, so the organisations and posts are too), then
        the people, then what is decided over many households at once."""
        villages = self.structure()
        for village in villages:
            self.populate(village)
        for village in villages:
            if village.hosts_branch:
                village.secretary = self.branch_secretary(village)
            self.central_households(village)
        self.poor_households(villages)
        return villages

    def structure(self) -> list[VillagePlan]:
        """Every village with its full-build size, grids and hardship; the sizes add up to the
        source's 65,549 households exactly."""
        rng = self.rng
        joint = {}
        for first, second in data.JOINT_BRANCHES:
            name = data.JOINT_BRANCH.format(first=first, second=second)
            joint[first], joint[second] = (name, True), (name, False)
        villages = []
        for street in data.STREETS:
            for community, name, code in village_codes(street):
                branch, hosts = joint.get(name, (data.VILLAGE_BRANCH.format(name=name), True))
                if name in joint:
                    size = rng.randint(*data.SMALL_VILLAGE_HOUSEHOLDS)
                else:
                    low, high = data.VILLAGE_HOUSEHOLDS
                    size = round(rng.triangular(low, high, low + (high - low) / 4))
                villages.append(
                    VillagePlan(
                        name=name,
                        code=code,
                        street=street.name,
                        community=community,
                        size=size,
                        grids=1,
                        hardship=rng.random(),
                        branch=branch,
                        hosts_branch=hosts,
                    )
                )
        # Nudge the sizes one household at a time until they add up to the source's figure.
        adjustable = [v for v in villages if v.name not in joint]
        rng.shuffle(adjustable)
        low, high = data.VILLAGE_HOUSEHOLDS
        missing = data.HOUSEHOLDS - sum(v.size for v in villages)
        step = 1 if missing > 0 else -1
        while missing:
            moved = False
            for village in adjustable:
                if missing and low <= village.size + step <= high:
                    village.size += step
                    missing -= step
                    moved = True
            if not moved:
                raise DemoError("the village size bounds cannot hold the source's households")
        for village in villages:
            village.grids = grid_count(village.size)
        return villages

    def populate(self, village: VillagePlan) -> None:
        rng = self.rng
        if self.size == "full":
            count = village.size
        else:
            count = max(village.grids, rng.randint(*data.SMALL_BUILD_HOUSEHOLDS))
        # A village named after a clan (李家庄村) is half that clan; others have one or two
        # big families.
        if village.name[1:2] == "家":
            self._clans, self._clan_share = (village.name[0],), 0.5
        else:
            clans = (self.surname(local=False) for _ in range(rng.randint(1, 2)))
            self._clans = tuple(dict.fromkeys(clans))
            self._clan_share = 0.35
        named = [p for p in data.NAMED_RESIDENTS if p.village == village.name]
        for serial in range(1, count + 1):
            grid = (serial - 1) * village.grids // count
            if serial == 1 and named:
                village.households.append(self.named_household(village, named[0], serial, grid))
            else:
                village.households.append(self.household(village, serial, grid))
        self._clans, self._clan_share = (), 0.0

    def branch_secretary(self, village: VillagePlan) -> PersonPlan:
        """村党支部书记: a household head aged 35–65, a party member; his household is a
        党员中心户. Named residents are left as the source describes them."""
        ordinary = [hh for hh in village.households if not hh.named]
        candidates = [hh for hh in ordinary if 35 <= hh.head.age <= 65]
        if candidates:
            candidates.sort(key=lambda hh: (not hh.head.has("党员"), not hh.head.male, hh.number))
            chosen = candidates[0]
        else:  # a village of the small build with no head of that age
            chosen = min(ordinary, key=lambda hh: (abs(hh.head.age - 50), hh.number))
        chosen.head.add("党员")
        chosen.add("党员中心户")
        return chosen.head

    def central_households(self, village: VillagePlan) -> None:
        """党员中心户: the village's households, in street order, fall into runs of about 12
        neighbours; in each run one household with a party member keeps in touch with the
        rest (the secretary's household in its own run)."""
        rng, households = self.rng, village.households
        runs = max(1, round(len(households) / data.CENTRAL_HOUSEHOLD_EVERY))
        base, extra = divmod(len(households), runs)
        longer = set(rng.sample(range(runs), extra))
        start = 0
        for run in range(runs):
            block = households[start : start + base + (run in longer)]
            start += len(block)
            central = self._central(block, village.secretary)
            central.add("党员中心户")
            village.central_households.append(
                (central.number, tuple(hh.number for hh in block if hh is not central))
            )

    def _central(self, block: list[HouseholdPlan], secretary: PersonPlan | None) -> HouseholdPlan:
        for hh in block:
            if secretary is not None and hh.head is secretary:
                return hh
        ordinary = [hh for hh in block if not hh.named] or block
        members = [hh for hh in ordinary if any(m.has("党员") for m in hh.members)]
        if members:
            heads = [hh for hh in members if hh.head.has("党员")]
            return self.rng.choice(heads or members)
        # No party member in the run: a working-age head joins the party.
        adults = [hh for hh in ordinary if 30 <= hh.head.age <= 75] or ordinary
        chosen = self.rng.choice(adults)
        chosen.head.add("党员")
        return chosen

    def poor_households(self, villages: list[VillagePlan]) -> None:
        """困难户: exactly the source's 2,271 in the built district (a proportional share in the
        small build). The households most in need by a score — disability, old age alone,
        illness, the village's hardship, a little chance — are taken, less those the source
        names (刘志辉's household is recorded as poor after registration, by the community
        worker). About 45 % of them have 低保; a poor old person living alone may be 特困."""
        rng = self.rng
        households = [hh for v in villages for hh in v.households]
        if self.size == "full":
            target = data.POOR_HOUSEHOLDS
        else:
            target = max(1, round(len(households) * data.POOR_HOUSEHOLDS / data.HOUSEHOLDS))
        later = sum(name == "困难户" for name, _ in data.LIU_ZHIHUI_LATER_TAGS)
        secretaries = {id(v.secretary) for v in villages if v.secretary is not None}
        scored = []
        for village in villages:
            for index, hh in enumerate(village.households):
                if hh.named or id(hh.head) in secretaries:
                    continue
                scored.append((self._need(hh, village.hardship), village.code, index, hh))
        scored.sort(key=lambda item: (-item[0], item[1], item[2]))
        for _score, _code, _index, hh in scored[: target - later]:
            hh.add("困难户")
            if hh.kind == "single_elderly" and rng.random() < 0.45:
                hh.add("特困")
            if rng.random() < 0.45:
                hh.add("低保")

    def _need(self, hh: HouseholdPlan, hardship: float) -> float:
        members = hh.members
        score = 1.2 * hardship + 1.5 * self.rng.random()
        if hh.has("残疾人家庭"):
            score += 1.3
        if hh.kind == "single_elderly":
            score += 1.0
        elif hh.kind == "elderly_couple":
            score += 0.4
        score += 0.45 * sum(m.has("慢性病") for m in members)
        score -= 0.4 * sum(m.has("外出务工") for m in members)  # money sent home
        return score


def grid_count(households: int) -> int:
    """How many grids a village of this many households has: grids as near GRID_HOUSEHOLDS as
    can be (a village of 180 has two of 90 rather than one of 180)."""
    return min(
        range(1, len(data.GRID_NAMES) + 1),
        key=lambda grids: abs(math.log(households / grids / data.GRID_HOUSEHOLDS)),
    )


def village_codes(street: data.StreetData):
    """(community, village, code) for each village of a street; codes 201–299 are village
    committees 村民委员会 in the national scheme, so a street holds at most 99 villages."""
    serial = 200
    for community in street.communities:
        for village in community.villages:
            serial += 1
            if serial > 299:
                raise DemoError(f"{street.name} has more than 99 villages")
            yield community.name, village, f"{street.code[:9]}{serial:03d}"


def plan_district(
    *, seed: int = data.DEFAULT_SEED, today: dt.date | None = None, size: str = "full"
):
    """Every village of the district with its households and people (no database access)."""
    planner = Planner(seed, today or timezone.localdate(), size)
    with bulk.collector_paused():
        return planner, planner.plan()


# --- writing the plan -----------------------------------------------------------------------


@dataclass
class DemoSummary:
    seed: int
    size: str = "full"
    seconds: float = 0.0
    today: dt.date | None = None  # the day the demo was built for
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
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


def build_demo(
    *, seed: int = data.DEFAULT_SEED, today: dt.date | None = None, size: str = "full"
) -> DemoSummary:
    """Build the whole demo district; refuses a database that already holds the demo or
    anything else. `size` is "full" (the source's figures) or "small".

    Each step is a transaction of its own, and so are the posts of each place: every service
    call is a savepoint, and PostgreSQL slows down quadratically with thousands of savepoints
    that update the same row (the audit chain's head) in one transaction. A build that fails
    half-way leaves part of a district: `linli demo --rebuild` (SQLite) or a fresh database."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    check_can_build()
    summary = DemoSummary(seed=seed, size=size, logins=list(data.DEMO_LOGINS))
    started = last = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal last
        now = time.perf_counter()
        summary.timings[step] = now - last
        last = now

    planner, villages = plan_district(seed=seed, today=today, size=size)
    lap("plan")
    with bulk.collector_paused():
        writer = _Writer(planner, seed)
        with transaction.atomic():
            writer.areas(villages)
        with transaction.atomic():
            writer.tags()
            writer.organisations(villages)
        lap("areas and organisations")
        with transaction.atomic():
            build_catalogue(departments=writer.orgs)
        lap("service catalogue")
        with transaction.atomic():
            writer.households(villages)
        lap("households")
        with transaction.atomic():
            writer.logins(villages)
        writer.posts(villages)
        with transaction.atomic():
            writer.staff_accounts(villages)
        with transaction.atomic():
            writer.later_changes()
        lap("logins and posts")
        with transaction.atomic():
            build_hall_history(seed=seed, today=planner.today, users=writer.users)
        lap("service hall history")
        with transaction.atomic():
            seed_outreach(seed=seed, today=planner.today, users=writer.users)
        lap("outreach")
        with transaction.atomic():
            build_links_and_visits(seed=seed, today=planner.today, villages=villages)
        lap("five links and visits")
        with transaction.atomic():
            refresh_visit_figures(today=planner.today)
        lap("visit states and coverage")
        bulk.refresh_all_statistics()
        lap("planner statistics")
    summary.today = planner.today
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
        "service_items": ServiceItem.objects.count(),
        "applications": Application.objects.count(),
        "outreach_tasks": OutreachTask.objects.count(),
        "contact_assignments": ContactAssignment.objects.count(),
        "visits": Visit.objects.count(),
        "needs": Need.objects.count(),
    }


def grid_name(village: str, index: int) -> str:
    return f"{village}{data.GRID_NAMES[index]}"


def household_record(village: VillagePlan, plan: HouseholdPlan) -> HouseholdRecord:
    """A planned household as the clean record an Excel import would make of it."""
    return HouseholdRecord(
        village_code=village.code,
        number=plan.number,
        address=plan.address,
        head_id_number=plan.head.id_number,
        grid=grid_name(village.name, plan.grid),
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


class _Writer:
    """Writes a plan. Keeps the created objects by name for linking."""

    def __init__(self, planner: Planner, seed: int):
        self.planner = planner
        self.rng = random.Random(planner.rng.random())
        self.source = f"{data.DISTRICT_NAME}演示辖区（{seed}）"
        self.areas_by_name: dict[str, Area] = {}
        self.grids: dict[tuple[str, int], Area] = {}
        self.household_tags: dict[str, Tag] = {}
        self.resident_tags: dict[str, Tag] = {}
        self.orgs: dict[str, Organisation] = {}
        self.residents: dict[str, Resident] = {}  # id number → resident, for the secretaries
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
                self.grids[village.name, index] = self._area(
                    grid_name(village.name, index), AreaKind.GRID, area
                )

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

    def _org(self, name, kind, area, parent=None, address: str = "") -> Organisation:
        org = registry_services.organisation_create(
            actor=None, name=name, kind=kind, area=area, parent=parent, address=address
        )
        self.orgs[name] = org
        return org

    def organisations(self, villages: list[VillagePlan]) -> None:
        district = self.areas_by_name[data.DISTRICT_NAME]
        for _short, full in data.DEPARTMENTS:
            self._org(full, "department", district)
        parents = {
            "service_hall": None,  # the street office, below
            "clinic": self.orgs[data.CLINIC_DEPARTMENT],
            "police_room": self.orgs[data.POLICE_DEPARTMENT],
        }
        for street in data.STREETS:
            office = self._org(
                f"{street.name}办事处",
                "street_office",
                self.areas_by_name[street.name],
                address=data.STREET_OFFICE_ADDRESS.format(street=street.name),
            )
            parents["service_hall"] = office
            for community in street.communities:
                area = self.areas_by_name[community.name]
                for kind, pattern in data.COMMUNITY_ORGANISATIONS:
                    if (kind == "clinic" and community.name in data.COMMUNITIES_WITHOUT_CLINIC) or (
                        kind == "police_room"
                        and community.name in data.COMMUNITIES_WITHOUT_POLICE_ROOM
                    ):
                        continue
                    address = data.HALL_ADDRESS.format(street=street.name, name=community.name)
                    self._org(
                        pattern.format(name=community.name),
                        kind,
                        area,
                        parents.get(kind),
                        address=address if kind == "service_hall" else "",
                    )
        for village in villages:
            area = self.areas_by_name[village.name]
            if village.hosts_branch:
                general = self.orgs[f"{village.community}党总支"]
                self._org(village.branch, "village_party_branch", area, general)
            self._org(data.VILLAGE_COMMITTEE.format(name=village.name), "village_committee", area)

    def households(self, villages: list[VillagePlan]) -> None:
        records = [household_record(v, hh) for v in villages for hh in v.households]
        write_households(records, actor=None, source=self.source)
        wanted = [v.secretary.id_number for v in villages if v.secretary is not None]
        self.residents = {r.id_number: r for r in Resident.objects.filter(id_number__in=wanted)}

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
        return registry_services.post_create(actor=None, starts_on=self._since(), **fields)

    def _since(self) -> dt.date:
        """Posts began with the 2014–2015 reform that created the new communities."""
        return dt.date(2014, 9, 1) + dt.timedelta(days=self.rng.randrange(300))

    def posts(self, villages: list[VillagePlan]) -> None:
        linked = {(login.post_kind, login.post_title): login for login in data.DEMO_LOGINS}
        for login in data.DEMO_LOGINS:
            if login.post_kind and login.post_kind != "village_branch_secretary":
                self._post(
                    holder_name=self.users[login.role].display_name,
                    kind=login.post_kind,
                    title=login.post_title,
                    area=self._login_area(login),
                    organisation=self.orgs.get(login.post_organisation),
                    account=self.users[login.role],
                )
        with transaction.atomic():
            self._street_posts(villages)
        for street in data.STREETS:
            with transaction.atomic():
                for community in street.communities:
                    self._community_posts(street.name, community.name)
        with transaction.atomic():
            self._first_secretaries(villages)
        for start in range(0, len(villages), 50):
            with transaction.atomic():
                for village in villages[start : start + 50]:
                    self._village_posts(village, linked)

    def _street_posts(self, villages: list[VillagePlan]) -> None:
        """公务员 and 大学生村官 sent down to the streets, shared out by households."""
        weights = [sum(v.size for v in villages if v.street == s.name) for s in data.STREETS]
        civil = apportion(data.CIVIL_SERVANTS, weights)
        graduates = apportion(data.GRADUATE_VILLAGE_OFFICIALS, weights)
        for street, n_civil, n_graduates in zip(data.STREETS, civil, graduates, strict=True):
            area, office = self.areas_by_name[street.name], self.orgs[f"{street.name}办事处"]
            for kind, title, count in (
                ("civil_servant", "下沉公务员", n_civil),
                ("graduate_village_official", "大学生村官", n_graduates),
            ):
                for _ in range(count):
                    self._post(
                        holder_name=self.planner.cadre_name(),
                        kind=kind,
                        title=f"{street.name}{title}",
                        area=area,
                        organisation=office,
                    )
        # 机关干部 from each street office to its communities, shared out by households.
        communities = [(s, c) for s in data.STREETS for c in s.communities]
        weights = [sum(v.size for v in villages if v.community == c.name) for _s, c in communities]
        for (street, community), count in zip(
            communities, apportion(data.AGENCY_CADRES, weights), strict=True
        ):
            for _ in range(count):
                self._post(
                    holder_name=self.planner.cadre_name(),
                    kind="agency_cadre",
                    title=f"{community.name}街道下派机关干部",
                    area=self.areas_by_name[community.name],
                    organisation=self.orgs[f"{street.name}办事处"],
                )

    def _community_posts(self, street: str, community: str) -> None:
        area = self.areas_by_name[community]
        for kind, title, org in (
            ("general_branch_secretary", "党总支书记", "党总支"),
            ("hall_staff", "便民服务大厅负责人", "便民服务大厅"),
            ("clinic_doctor", "卫生室医生", "卫生室"),
            ("police_officer", "社区民警", "警务室"),
        ):
            organisation = self.orgs.get(f"{community}{org}")
            if organisation is None:  # no clinic or police room here
                continue
            self._post(
                holder_name=self.planner.cadre_name(),
                kind=kind,
                title=f"{community}{title}",
                area=area,
                organisation=organisation,
            )

    def _first_secretaries(self, villages: list[VillagePlan]) -> None:
        """第一书记: the 54 hardest-up villages get one each, sent by the district departments
        in turn."""
        hardest = sorted(villages, key=lambda v: (-v.hardship, v.code))[: data.FIRST_SECRETARIES]
        for index, village in enumerate(sorted(hardest, key=lambda v: v.code)):
            short, department = data.DEPARTMENTS[index % len(data.DEPARTMENTS)]
            self._post(
                holder_name=self.planner.cadre_name(),
                kind="first_secretary",
                title=f"{village.name}第一书记（{short}选派）",
                area=self.areas_by_name[village.name],
                organisation=self.orgs[department],
            )

    def _village_posts(self, village: VillagePlan, linked) -> None:
        area = self.areas_by_name[village.name]
        if village.secretary is not None:
            secretary = self.residents[village.secretary.id_number]
            title = f"{village.name}党支部书记"
            login = linked.get(("village_branch_secretary", title))
            self._post(
                holder_name=secretary.name,
                holder=secretary,
                kind="village_branch_secretary",
                title=f"{village.branch}书记",
                area=area,
                organisation=self.orgs[village.branch],
                account=self.users[login.role] if login else None,
            )
            self._post(
                holder_name=secretary.name,
                holder=secretary,
                kind="general_branch_member",
                title=f"{village.community}党总支委员",
                area=self.areas_by_name[village.community],
                organisation=self.orgs[f"{village.community}党总支"],
            )
        committee = self.orgs[data.VILLAGE_COMMITTEE.format(name=village.name)]
        for grid in range(village.grids):
            title = f"{grid_name(village.name, grid)}网格员"
            if ("grid_worker", title) in linked:
                continue  # held by the demo grid worker, created with the logins
            self._post(
                holder_name=self.planner.cadre_name(),
                kind="grid_worker",
                title=title,
                area=self.grids[village.name, grid],
                organisation=committee,
            )

    def staff_accounts(self, villages: list[VillagePlan]) -> int:
        """Every community's service hall staff (便民服务大厅负责人) and every grid's grid
        worker get a login with the role their post implies — community worker over the
        community, grid worker over the grid — so that every outreach task has someone to do
        it. Written in bulk as the households are: one password hash (the demo password) for
        all, one audit record for the batch. Their user names (`hall_<community in pinyin>`,
        `grid_<village code>_<grid number>`) are not printed with the demo logins."""
        posts = list(
            Post.objects.filter(account__isnull=True, kind__in=STAFF_POST_ROLES)
            .select_related("area")
            .order_by("pk")
        )
        codes = {v.name: v.code for v in villages}
        grids = {area.pk: (codes[v], index + 1) for (v, index), area in self.grids.items()}
        password = make_password(data.DEMO_PASSWORD)
        users = []
        for post in posts:
            if post.kind == "grid_worker":
                username = "grid_{}_{}".format(*grids[post.area_id])
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
        roles = Counter(grant.role for grant in grants)
        audit.record(
            action=AuditAction.CREATE,
            object_type="accounts.user",
            object_repr=f"{self.source}: staff accounts of the halls and grids",
            changes={"users": len(users), "grants": dict(roles), "posts_linked": len(posts)},
        )
        return len(users)

    def later_changes(self) -> None:
        """What happened after registration, done by the people who did it: the community
        worker records 刘志辉's household as a poor household (困难户)."""
        liu = Resident.objects.select_related("household").get(name=data.LIU_ZHIHUI.name)
        registry_services.household_update(
            actor=self.users["community_worker"],
            household=liu.household,
            tags=[
                (self.household_tags[name], detail) for name, detail in data.LIU_ZHIHUI_LATER_TAGS
            ],
        )


def build_places(*, seed: int = data.DEFAULT_SEED, today: dt.date | None = None) -> None:
    """Only the demo's area tree and tag vocabularies — an empty register for a whole district
    to be imported into (bench/import_registry.py)."""
    check_can_build()
    planner, villages = plan_district(seed=seed, today=today, size="small")
    writer = _Writer(planner, seed)
    with transaction.atomic():
        writer.areas(villages)
    with transaction.atomic():
        writer.tags()
