"""Writing the plan's places, tags, organisations and households."""

from __future__ import annotations

import random

from linli.accounts.models import User
from linli.core import services as area_services
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.registry import services as registry_services
from linli.registry.choices import TagTarget
from linli.registry.importing.records import HouseholdRecord, PersonRecord
from linli.registry.importing.writer import write_households
from linli.registry.models import Organisation, Resident, Tag

from .. import data
from .base import HouseholdPlan, VillagePlan
from .planner import Planner


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


class PlaceWriter:
    """Writes a plan's places, tags, organisations and households. Keeps the created objects by
    name for linking."""

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
        city = self._area(data.CITY_NAME, AreaKind.CITY, code=data.CITY_CODE)
        district = self._area(data.DISTRICT_NAME, AreaKind.DISTRICT, city, data.DISTRICT_CODE)
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
