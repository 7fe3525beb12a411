"""Where an Open311 request is: the district it serves (`jurisdiction_id` is its division code;
the setting `OPEN311_JURISDICTION` names it where the tree holds more than one district),
the place a posted location names, and the village-level address public reads give.

The area tree has no shapes, so a location is read from what names a place: `address_id` (an
area's 12-digit division code), or `address_string` (the names of the street, community and
village it holds, the deepest that matches). Coordinates are kept when they fall inside the
district's bounding box (`OPEN311_BOUNDS`, south, west, north, east); on their own they place
the request in the district as a whole, which only a category with a department can take.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from linli.core.choices import AreaKind
from linli.core.models import Area

# 峡山区 (Weifang, Shandong), a little wider than its boundary.
DEFAULT_BOUNDS = (36.30, 119.20, 36.70, 119.70)
CACHE_SECONDS = 60.0
PUBLIC_DECIMALS = Decimal("0.01")  # about a kilometre: the village, not the house
PLACE_KINDS = (
    AreaKind.STREET,
    AreaKind.TOWN,
    AreaKind.COMMUNITY,
    AreaKind.VILLAGE,
    AreaKind.COMPOUND,
    AreaKind.GRID,
)
VILLAGE_KINDS = (AreaKind.VILLAGE, AreaKind.COMPOUND)
ADDRESS_KINDS = (AreaKind.STREET, AreaKind.TOWN, AreaKind.COMMUNITY, *VILLAGE_KINDS)


@dataclass(frozen=True)
class Node:
    pk: int
    name: str
    kind: str
    code: str
    parent_id: int | None
    depth: int


class Directory:
    """The district and the places under it, read once a minute per process (a few hundred
    rows for a district), so a post or a list asks the database nothing about places."""

    def __init__(self, district: Area, nodes: dict[int, Node]):
        self.district = district
        self.nodes = nodes
        self.by_code = {n.code: n for n in nodes.values() if n.code}

    def chain(self, pk: int) -> list[Node]:
        """The node and its ancestors below the district, root first."""
        found: list[Node] = []
        node = self.nodes.get(pk)
        while node is not None and node.pk != self.district.pk:
            found.append(node)
            node = self.nodes.get(node.parent_id) if node.parent_id else None
        return found[::-1]

    def village(self, pk: int) -> Node | None:
        """The village (or compound) at or above the place; None above village level."""
        for node in reversed(self.chain(pk)):
            if node.kind in VILLAGE_KINDS:
                return node
        return None

    def address(self, pk: int) -> tuple[str, str]:
        """The public address of a place, to village level only (street, community, village),
        and the village's division code."""
        parts = [n for n in self.chain(pk) if n.kind in ADDRESS_KINDS]
        village = self.village(pk)
        return (
            self.district.name + "".join(n.name for n in parts),
            village.code if village else "",
        )

    def match(self, text: str) -> Node | None:
        """The deepest place the text names (a village named under its community wins over a
        namesake elsewhere); None when it names none or two equally."""
        text = text or ""
        hits = [
            n for n in self.nodes.values() if n.kind in PLACE_KINDS and n.name and n.name in text
        ]
        if not hits:
            return None
        named = {n.pk for n in hits}

        def score(node: Node) -> tuple[int, int]:
            return (node.depth, sum(1 for a in self.chain(node.pk) if a.pk in named))

        hits.sort(key=score, reverse=True)
        if len(hits) > 1 and score(hits[0]) == score(hits[1]):
            return None
        return hits[0]


_cache: dict[str, tuple[float, Directory | None]] = {}


def district() -> Area | None:
    """The district Open311 serves (its `jurisdiction_id` is the district's division code):
    the district whose code `OPEN311_JURISDICTION` names (a city's tree holds several
    districts: in the demo's 潍坊市, 峡山区 370772000000 by default), or where none has that
    code, the district at the root of the tree. None when there is neither."""
    code = getattr(settings, "OPEN311_JURISDICTION", "")
    named = Area.objects.filter(kind=AreaKind.DISTRICT, code=code).first() if code else None
    if named is not None:
        return named
    return Area.objects.filter(kind=AreaKind.DISTRICT, parent__isnull=True).order_by("pk").first()


def directory() -> Directory | None:
    now = time.monotonic()
    cached = _cache.get("directory")
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    root = district()
    found: Directory | None = None
    if root is not None:
        rows = Area.objects.filter(path__startswith=root.path, kind__in=PLACE_KINDS).values_list(
            "pk", "name", "kind", "code", "parent_id", "depth"
        )
        found = Directory(root, {r[0]: Node(*r) for r in rows})
    _cache["directory"] = (now, found)
    return found


def forget() -> None:
    """Read the places afresh on the next request (tests that change the tree)."""
    _cache.clear()


def bounds() -> tuple[float, float, float, float]:
    return tuple(getattr(settings, "OPEN311_BOUNDS", DEFAULT_BOUNDS))  # type: ignore[return-value]


def inside(lat: Decimal, lon: Decimal) -> bool:
    south, west, north, east = bounds()
    return Decimal(str(south)) <= lat <= Decimal(str(north)) and Decimal(
        str(west)
    ) <= lon <= Decimal(str(east))


def rounded(value: Decimal | None) -> float | None:
    """A coordinate for public reads: two decimals (about a kilometre)."""
    if value is None:
        return None
    return float(Decimal(value).quantize(PUBLIC_DECIMALS, rounding=ROUND_HALF_UP))
