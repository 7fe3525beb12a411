"""Drawing the demo's people and households one at a time: names, ID numbers, ages, tags."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_left
from itertools import accumulate

from linli.core.dates import years_before

from .. import data
from .base import SIZES, HouseholdPlan, PersonPlan, VillagePlan

_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


def check_digit(body: str) -> str:
    """The GB 11643 check digit of a 17-digit ID number body."""
    return _CHECK_DIGITS[_weighted(body, _CHECK_WEIGHTS) % 11]


# The weighted sums of the three parts of a body (county, birth date, order code), so that a
# person's check digit is three look-ups rather than seventeen multiplications.
_ORDER_SUMS = tuple(_weighted(f"{n:03d}", _CHECK_WEIGHTS[14:]) for n in range(1000))


class PeoplePlanner:
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
        self.county = data.COUNTY_CODE  # where the people drawn now were born
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
        county = self.county
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

    def city_household(self, *, number: str, address: str, grid: int = 0) -> HouseholdPlan:
        """A household of an old city estate: drawn as the countryside's are, but its people
        live and work in the city, so nobody is away as a migrant worker or left behind."""
        pick = self.rng.random() * self._kind_weights[-1]
        kind = self._kinds[bisect_left(self._kind_weights, pick)]
        members = self.members(kind)
        for person in members:
            person.tags = [(name, detail) for name, detail in person.tags if name != "外出务工"]
        hh = HouseholdPlan(
            village="", grid=grid, number=number, address=address, members=members, kind=kind
        )
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
