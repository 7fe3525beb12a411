"""Planning the demo district: its villages, their households, and what is decided over many
households at once. No database access."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone

from linli.core import bulk

from .. import data
from .base import DemoError, HouseholdPlan, PersonPlan, VillagePlan
from .people import PeoplePlanner


class Planner(PeoplePlanner):
    """Plans the district: its villages, their people (drawn one household at a time, see
    `PeoplePlanner`), and what is decided over many households at once — the branch
    secretaries, the 党员中心户 and the 困难户."""

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
