"""The register as rows of the template 导出: households under an area, a chunk at a time, so
that a whole district streams out without holding 200,000 people in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from linli.core import bulk
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.registry.models import HouseholdTag, Resident, ResidentTag

from .normalise import RELATION_LABELS

EXPORT_CHUNK = 2000  # households per round of queries


def _tag_text(pairs: list[tuple[str, str]]) -> str:
    return "；".join(f"{name}：{detail}" if detail else name for name, detail in pairs)


class _Places:
    """Area id → (village code, grid name): a grid's household is filed under its village."""

    def __init__(self):
        self.known: dict[int, tuple[str, str]] = {}

    def load(self, area_ids: set[int]) -> None:
        missing = area_ids - self.known.keys()
        if not missing:
            return
        for pk, kind, name, code, parent_code in Area.objects.filter(pk__in=missing).values_list(
            "pk", "kind", "name", "code", "parent__code"
        ):
            self.known[pk] = (parent_code or "", name) if kind == "grid" else (code, "")

    def __getitem__(self, pk: int) -> tuple[str, str]:
        return self.known[pk]


def _tags(link_model, owner: str, pks: list[int], reveal: bool) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    rows = link_model.objects.filter(**{f"{owner}__in": pks}).order_by(
        "tag__target", "tag__sort_order", "tag__name"
    )
    for pk, name, detail, sensitive in rows.values_list(
        owner, "tag__name", "detail", "tag__sensitive"
    ):
        if reveal or not sensitive:
            found[pk].append((name, detail))
    return found


def export_rows(households, *, reveal: bool) -> Iterator[list[str]]:
    """Rows in the template's column order for `households` (a queryset already restricted to
    what the user may see). Without `reveal`, ID and phone numbers are masked, sensitive tags
    left out and birth dates left blank."""
    places = _Places()
    keys = list(households.order_by("number").values_list("pk", "number", "address", "area_id"))
    for chunk in bulk.chunks(keys, EXPORT_CHUNK):
        places.load({area for _pk, _n, _a, area in chunk})
        pks = [pk for pk, *_rest in chunk]
        household_tags = _tags(HouseholdTag, "household_id", pks, reveal)
        members: dict[int, list] = defaultdict(list)
        people = Resident.objects.filter(household_id__in=pks).values_list(
            "pk", "household_id", "name", "id_number", "relation", "mobile", "birth_date"
        )
        for person in people.order_by("household_id", "id"):
            members[person[1]].append(person)
        resident_tags = _tags(
            ResidentTag, "resident_id", [p[0] for m in members.values() for p in m], reveal
        )
        for pk, number, address, area in chunk:
            yield from _household_rows(
                places[area],
                number,
                address,
                household_tags.get(pk, []),
                members[pk],
                resident_tags,
                reveal,
            )


def _household_rows(place, number, address, tags, members, resident_tags, reveal):
    members = sorted(members, key=lambda p: p[4] != "head")  # the head's row first
    head = next((p[3] for p in members if p[4] == "head"), "")
    shown = (lambda v, kind: v) if reveal else (lambda v, kind: mask(v, kind) if v else "")
    for pk, _household, name, id_number, relation, mobile, birth in members:
        yield [
            place[0],
            place[1],
            number,
            address,
            shown(head, ID_NUMBER),
            _tag_text(tags),
            name,
            shown(id_number, ID_NUMBER),
            RELATION_LABELS.get(relation, relation),
            shown(mobile, MOBILE),
            birth.isoformat() if reveal and birth else "",
            _tag_text(resident_tags.get(pk, [])),
            "",
        ]


def records_as_rows(records) -> Iterator[list[str]]:
    """Clean records as rows of the template (what a complete, tidy register looks like)."""
    for record in records:
        household = [
            record.village_code,
            record.grid,
            record.number,
            record.address,
            record.head_id_number,
            _tag_text(list(record.tags)),
        ]
        for person in record.members:
            yield [
                *household,
                person.name,
                person.id_number,
                RELATION_LABELS.get(person.relation, person.relation),
                person.mobile,
                "",
                _tag_text(list(person.tags)),
                "是" if person.move else "",
            ]
