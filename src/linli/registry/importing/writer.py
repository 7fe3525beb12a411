"""Writing clean register records 户籍记录 to the database — the one path for Excel imports and
for the demo district.

New households and new people (the bulk of a first import) are inserted in bulk (core/bulk.py):
one timeline line per new household, and one audit record for the whole batch, which names the
source file by its hash. Anything that already exists and differs — an address, a phone number,
tags, a person moving in — goes through the ordinary registry services, so each such change has
its own audit record (with the import as its source) and timeline line. A record that matches the
database exactly writes nothing: importing the same file twice changes nothing.

The caller has validated the records (importing/validate.py); what the writer still finds wrong
is a programming error and raises `WriteError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from linli.core import audit, bulk
from linli.core.choices import AuditAction
from linli.core.models import Area, TimelineEvent
from linli.registry import events, services
from linli.registry.choices import Sex, TagTarget
from linli.registry.models import Household, HouseholdTag, Resident, ResidentTag, Tag

from .records import HouseholdRecord, PersonRecord, TagPairs

STATISTICS_AFTER = 10_000  # new residents after which the planner's statistics are refreshed
HOUSEHOLD_COLUMNS = (
    "id",
    "area",
    "number",
    "address",
    "head",
    "version",
    "created_at",
    "updated_at",
)
RESIDENT_COLUMNS = (
    "id",
    "household",
    "name",
    "name_pinyin",
    "name_initials",
    "id_number",
    "id_number_reversed",
    "birth_date",
    "sex",
    "mobile",
    "mobile_reversed",
    "relation",
    "version",
    "created_at",
    "updated_at",
)
TAG_COLUMNS = (("household", "tag", "detail"), ("resident", "tag", "detail"))
TIMELINE_COLUMNS = ("content_type", "object_id", "at", "actor", "verb", "summary", "params", "data")


class WriteError(Exception):
    """The records disagree with the database in a way validation should have caught."""


@dataclass
class WriteSummary:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    residents_moved: int = 0
    residents_unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.households_created,
                self.households_updated,
                self.residents_created,
                self.residents_updated,
                self.residents_moved,
            )
        )


@lru_cache(maxsize=64)
def _params(source: str, members: int) -> str:
    return json.dumps({"source": source, "members": members}, ensure_ascii=False)


_PINYIN: dict[str, tuple[str, str]] = {}
_PINYIN_KEPT = 400_000  # names; a district holds some 60,000 different ones


def _pinyin(name: str) -> tuple[str, str]:
    # Names repeat a great deal in a district; pypinyin is the slow part of a new resident.
    found = _PINYIN.get(name)
    if found is None:
        if len(_PINYIN) >= _PINYIN_KEPT:
            _PINYIN.clear()
        found = _PINYIN[name] = services.name_pinyin(name)
    return found


def names_pinyin(names) -> dict[str, tuple[str, str]]:
    """Full pinyin and initials of each distinct name: worked out ahead, beside the checks."""
    return {name: services.name_pinyin(name) for name in set(names) if name}


def forget_pinyin() -> None:
    """Drop the names remembered so far, as a fresh process starts."""
    _PINYIN.clear()


def remember_pinyin(known: dict[str, tuple[str, str]]) -> None:
    """Names whose pinyin was worked out ahead (see `names_pinyin`)."""
    if len(_PINYIN) + len(known) >= _PINYIN_KEPT:
        _PINYIN.clear()
    _PINYIN.update(known)


_MALE_DIGITS = frozenset("13579")
_MALE, _FEMALE = Sex.MALE.value, Sex.FEMALE.value  # plain str, not the enum: COPY writes it as is


# --- looking things up ---------------------------------------------------------------------


def area_index(records: list[HouseholdRecord]) -> dict[tuple[str, str], Area]:
    """(village code, grid name or "") → area, for every place the records name."""
    codes = {r.village_code for r in records}
    index: dict[tuple[str, str], Area] = {}
    places = {}
    for chunk in bulk.chunks(sorted(codes)):
        for area in Area.objects.filter(code__in=chunk):
            index[area.code, ""] = area
            places[area.pk] = area.code
    for chunk in bulk.chunks(sorted(places)):
        for area in Area.objects.filter(parent_id__in=chunk):
            index[places[area.parent_id], area.name] = area
    return index


def tag_index() -> dict[tuple[str, str], Tag]:
    """(target, name) → tag, for the tags in use."""
    return {(t.target, t.name): t for t in Tag.objects.filter(active=True)}


@dataclass
class RegisteredHousehold:
    """What the database holds of a household the records name (plain values, no model)."""

    pk: int
    area_id: int
    address: str
    head_id: int | None


@dataclass
class RegisteredPerson:
    pk: int
    household_id: int
    name: str
    mobile: str
    relation: str


@dataclass
class _Existing:
    households: dict[str, RegisteredHousehold]  # by number
    household_tags: dict[int, set[tuple[str, str]]]
    residents: dict[str, RegisteredPerson]  # by ID number
    resident_tags: dict[int, set[tuple[str, str]]]


def load_existing(
    numbers: list[str], ids: list[str], tags: dict[tuple[str, str], Tag]
) -> _Existing:
    """The households (by number) and people (by ID number) already registered, with tags."""
    names = {t.pk: t.name for t in tags.values()}
    households = {
        number: RegisteredHousehold(pk, area, address, head)
        for pk, number, area, address, head in bulk.select_in(
            Household, ["id", "number", "area_id", "address", "head_id"], "number", numbers
        )
    }
    residents = {
        id_number: RegisteredPerson(pk, household, name, mobile, relation)
        for pk, id_number, household, name, mobile, relation in bulk.select_in(
            Resident,
            ["id", "id_number", "household_id", "name", "mobile", "relation"],
            "id_number",
            ids,
        )
    }
    return _Existing(
        households=households,
        household_tags=_tags_of(HouseholdTag, "household_id", households.values(), names),
        residents=residents,
        resident_tags=_tags_of(ResidentTag, "resident_id", residents.values(), names),
    )


def registry_stamp() -> tuple:
    """Changes whenever a household or resident is added, removed or changed (every change
    saves `updated_at` or bumps `version`): lets the writer trust what the checks loaded."""
    return tuple(
        tuple(
            model.objects.aggregate(n=Count("id"), at=Max("updated_at"), v=Sum("version")).values()
        )
        for model in (Household, Resident)
    )


@dataclass
class Snapshot:
    """What the checks loaded of the register, and the stamp it was loaded under."""

    stamp: tuple
    existing: _Existing


def _tags_of(link_model, owner: str, registered, names: dict[int, str]):
    tags: dict[int, set[tuple[str, str]]] = defaultdict(set)
    rows = bulk.select_in(
        link_model, [owner, "tag_id", "detail"], owner, [r.pk for r in registered]
    )
    for pk, tag, detail in rows:
        tags[pk].add((names.get(tag, f"#{tag}"), detail))
    return tags


# --- writing --------------------------------------------------------------------------------


class _Batch:
    """Rows for the bulk insert of new households and people, built up record by record."""

    def __init__(self, tags: dict[tuple[str, str], Tag], now: dt.datetime):
        self.tags, self.now = tags, now
        self.stamp = bulk.db_value(now)
        self.households: list[tuple] = []
        self.residents: list[tuple] = []
        self.household_tags: list[tuple] = []
        self.resident_tags: list[tuple] = []
        self.timeline: list[tuple] = []  # each new household's "registered by import" line

    def _tag_rows(self, target: str, owner: int, pairs: TagPairs) -> list[tuple]:
        if not pairs:
            return []
        try:
            return [(owner, self.tags[target, name].pk, detail) for name, detail in pairs]
        except KeyError as e:
            raise WriteError(f"unknown tag {e.args[0]!r}") from None

    def add_household(self, pk: int, area: Area, record: HouseholdRecord, head: int | None):
        now = self.stamp
        self.households.append((pk, area.pk, record.number, record.address, head, 1, now, now))
        self.household_tags += self._tag_rows(TagTarget.HOUSEHOLD, pk, record.tags)

    def add_resident(self, pk: int, household: int, person: PersonRecord) -> None:
        # Runs for each of a district's 200,000 people, so written out flat. What a checked ID
        # number says: the birth date (sliced, as the database takes it; the checks have parsed
        # it already) and the sex (odd 17th digit = male).
        full, initials = _pinyin(person.name)
        number, mobile = person.id_number, person.mobile
        self.residents.append(
            (
                pk,
                household,
                person.name,
                full,
                initials,
                number,
                number[::-1],
                f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                _MALE if number[16] in _MALE_DIGITS else _FEMALE,
                mobile,
                mobile[::-1],
                person.relation,
                1,
                self.stamp,
                self.stamp,
            )
        )
        if person.tags:
            self.resident_tags += self._tag_rows(TagTarget.RESIDENT, pk, person.tags)

    def flush(self) -> None:
        # Households first: a resident row names its household, a household its head; both
        # foreign keys are checked at commit.
        loads = {
            Household: len(self.households),
            Resident: len(self.residents),
            HouseholdTag: len(self.household_tags),
            ResidentTag: len(self.resident_tags),
            TimelineEvent: len(self.timeline),
        }
        with bulk.indexes_rebuilt_after(loads):
            bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, self.households)
            bulk.insert_rows(Resident, RESIDENT_COLUMNS, self.residents)
            bulk.insert_rows(HouseholdTag, TAG_COLUMNS[0], self.household_tags)
            bulk.insert_rows(ResidentTag, TAG_COLUMNS[1], self.resident_tags)
            bulk.insert_rows(TimelineEvent, TIMELINE_COLUMNS, self.timeline)
        if len(self.residents) >= STATISTICS_AFTER:
            bulk.refresh_statistics(loads)


def write_households(
    records: list[HouseholdRecord],
    *,
    actor,
    source: str,
    source_hash: str = "",
    snapshot: Snapshot | None = None,
) -> WriteSummary:
    """Create or update the households and people in `records`. One transaction; the audit trail
    gets one record for what was created and one per existing record that changed. A
    `snapshot` from the checks is used when the register has not changed since."""
    with transaction.atomic():
        return _Writer(records, actor=actor, source=source, snapshot=snapshot).run(source_hash)


class _Writer:
    def __init__(self, records: list[HouseholdRecord], *, actor, source: str, snapshot=None):
        self.records, self.actor, self.source = records, actor, source
        self.areas = area_index(records)
        self.tags = tag_index()
        if snapshot is not None and snapshot.stamp == registry_stamp():
            self.existing = snapshot.existing
        else:
            self.existing = load_existing(
                [r.number for r in records],
                [p.id_number for r in records for p in r.members],
                self.tags,
            )
        self.summary = WriteSummary()
        self.batch = _Batch(self.tags, timezone.now())
        self.later: list = []  # changes to existing records, made through the services
        self.heads_changed: set[int] = set()
        self.moved: set[str] = set()  # ID numbers of the people this import moved

    def run(self, source_hash: str) -> WriteSummary:
        new_households = [r for r in self.records if r.number not in self.existing.households]
        new_people = [
            p for r in self.records for p in r.members if p.id_number not in self.existing.residents
        ]
        household_ids = iter(bulk.reserve_ids(Household, len(new_households)))
        resident_ids = iter(bulk.reserve_ids(Resident, len(new_people)))
        person_ids: dict[str, int] = {}
        registered = []
        for record in self.records:
            area = self._area(record)
            household = self.existing.households.get(record.number)
            # New people, whether their household is new or already registered (a newborn).
            for person in record.members:
                if person.id_number not in self.existing.residents:
                    person_ids[person.id_number] = next(resident_ids)
            if household is None:
                pk = next(household_ids)
                head = person_ids.get(record.head_id_number)
                self.batch.add_household(pk, area, record, head)
                registered.append((pk, len(record.members)))
                self.summary.households_created += 1
                if head is None:  # the head moves in from another household
                    self.later.append(("head", pk, record))
            elif self._same_household(household, area, record):
                pk = household.pk
                self.summary.households_unchanged += 1
            else:
                pk = household.pk
                self.later.append(("household", household, area, record))
            for person in record.members:
                if person.id_number in person_ids:
                    self.batch.add_resident(person_ids[person.id_number], pk, person)
                    self.summary.residents_created += 1
                elif self._same_person(self.existing.residents[person.id_number], pk, person):
                    self.summary.residents_unchanged += 1
                else:
                    self.later.append(("person", pk, person))
        self._timeline(registered)
        self.batch.flush()
        self._apply_later()
        self._audit(source_hash)
        return self.summary

    # A re-import finds nearly everything unchanged: these decide it without the services.

    def _same_household(
        self, household: RegisteredHousehold, area: Area, record: HouseholdRecord
    ) -> bool:
        head = self.existing.residents.get(record.head_id_number)
        return (
            head is not None
            and household.head_id == head.pk
            and household.area_id == area.pk
            and household.address == record.address
            and self.existing.household_tags.get(household.pk, set()) == set(record.tags)
        )

    def _same_person(self, current: RegisteredPerson, household_pk: int, person) -> bool:
        return (
            current.household_id == household_pk
            and current.name == person.name
            and current.mobile == person.mobile
            and current.relation == person.relation
            and self.existing.resident_tags.get(current.pk, set()) == set(person.tags)
        )

    def _area(self, record: HouseholdRecord) -> Area:
        try:
            return self.areas[record.village_code, record.grid]
        except KeyError:
            raise WriteError(f"unknown place {record.village_code} {record.grid}") from None

    def _timeline(self, registered: list[tuple[int, int]]) -> None:
        content_type = ContentType.objects.get_for_model(Household).pk
        actor = self.actor.pk if getattr(self.actor, "is_authenticated", False) else None
        now, empty = self.batch.stamp, bulk.db_value({})
        line = events.HOUSEHOLD_IMPORTED
        params = {n: _params(self.source, n) for n in {n for _pk, n in registered}}
        self.batch.timeline += [
            (content_type, pk, now, actor, line.verb, line.message, params[n], empty)
            for pk, n in registered
        ]

    # existing records -------------------------------------------------------------------------

    def _apply_later(self) -> None:
        # Order matters: people move in before a head can be named among them, and heads are
        # settled before relations, since naming a head resets the old head's relation.
        households, people = {}, []
        for item in self.later:
            if item[0] == "household":
                households[item[1].pk] = self._update_household(*item[1:])
            elif item[0] == "person":
                people.append((self._move_in(*item[1:]), item[2]))
        for item in self.later:
            if item[0] == "head":
                self._set_head(item[1], item[2])
            elif item[0] == "household":
                self._check_head(households[item[1].pk], item[3])
        for current, person in people:
            self._update_person(current, person)

    def _tag_objects(self, target: str, pairs: TagPairs):
        return [(self.tags[target, name], detail) for name, detail in pairs]

    def _update_household(
        self, household: RegisteredHousehold, area: Area, record: HouseholdRecord
    ) -> RegisteredHousehold:
        tags = self.existing.household_tags.get(household.pk, set())
        same = (
            household.area_id == area.pk
            and household.address == record.address
            and tags == set(record.tags)
        )
        if same:
            self.summary.households_unchanged += 1
            return household
        self.summary.households_updated += 1
        services.household_update(
            actor=self.actor,
            household=Household.objects.get(pk=household.pk),
            area=area,
            address=record.address,
            tags=self._tag_objects(TagTarget.HOUSEHOLD, record.tags),
        )
        return household

    def _move_in(self, household_pk: int, person: PersonRecord) -> RegisteredPerson:
        current = self.existing.residents[person.id_number]
        if current.household_id == household_pk:
            return current
        if not person.move:
            raise WriteError(f"{person.id_number} is registered in another household")
        self.summary.residents_moved += 1
        self.moved.add(person.id_number)
        services.resident_move(
            actor=self.actor,
            resident=Resident.objects.get(pk=current.pk),
            household=Household.objects.get(pk=household_pk),
        )
        current.household_id = household_pk
        return current

    def _update_person(self, current: RegisteredPerson, person: PersonRecord) -> None:
        if current.household_id in self.heads_changed:
            current.relation = Resident.objects.get(pk=current.pk).relation
        tags = self.existing.resident_tags.get(current.pk, set())
        same = (
            current.name == person.name
            and current.mobile == person.mobile
            and current.relation == person.relation
            and tags == set(person.tags)
        )
        if same:
            # One already in this household counts as unchanged, whatever 迁户 says.
            self.summary.residents_unchanged += person.id_number not in self.moved
            return
        self.summary.residents_updated += 1
        services.resident_update(
            actor=self.actor,
            resident=Resident.objects.get(pk=current.pk),
            name=person.name,
            mobile=person.mobile,
            relation=person.relation,
            tags=self._tag_objects(TagTarget.RESIDENT, person.tags),
        )

    def _set_head(self, household_pk: int, record: HouseholdRecord) -> None:
        self.heads_changed.add(household_pk)
        household = Household.objects.get(pk=household_pk)
        head = Resident.objects.get(id_number=record.head_id_number)
        services.household_set_head(actor=self.actor, household=household, resident=head)

    def _check_head(self, household: RegisteredHousehold, record: HouseholdRecord) -> None:
        head = self.existing.residents.get(record.head_id_number)
        if head is None or household.head_id != head.pk:
            self._set_head(household.pk, record)

    def _audit(self, source_hash: str) -> None:
        if not (self.summary.households_created or self.summary.residents_created):
            return
        audit.record(
            action=AuditAction.IMPORT,
            actor=self.actor,
            object_type="registry.household",
            object_repr=self.source[:200],
            changes={"created": self.summary.as_dict(), "file_sha256": source_hash},
        )
