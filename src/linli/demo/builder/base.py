"""What both halves of the demo build share: the sizes, the errors and the plan's records."""

from __future__ import annotations

from dataclasses import dataclass, field

SIZES = ("full", "small")


class DemoError(Exception):
    """The demo cannot be built into this database."""


class DemoAlreadyBuilt(DemoError):
    pass


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
    kind: str = ""  # PeoplePlanner.HOUSEHOLD_KINDS; "" for a household the source names
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
