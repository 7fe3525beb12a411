"""Clean register records: what a workbook row becomes once normalised, and what the demo
builder hands to the same writer. One `HouseholdRecord` per household 户, holding its members."""

from __future__ import annotations

from dataclasses import dataclass, field

TagPairs = tuple[tuple[str, str], ...]  # (tag name, detail) — detail "" when the tag has none


@dataclass(slots=True)
class PersonRecord:
    """One resident row. `row` is the spreadsheet row (header = 1), 0 when not from a file."""

    name: str
    id_number: str
    relation: str  # a registry.choices.Relation value
    mobile: str = ""
    tags: TagPairs = ()
    move: bool = False  # 迁户: the file says this person moves in from another household
    row: int = 0


@dataclass(slots=True)
class HouseholdRecord:
    """One household: where it is (village code + grid name), its number, address, head and
    tags, and its members in file order."""

    village_code: str
    number: str
    address: str
    head_id_number: str
    grid: str = ""  # a grid's name under the village; "" = the village itself
    tags: TagPairs = ()
    members: list[PersonRecord] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # spreadsheet rows, for error reports
