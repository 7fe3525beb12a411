"""Checking every row of a register workbook 数据校验 before anything is written.

Three passes: each row on its own (cells cleaned and checked), each household across its rows
(one head, the household's columns agreeing, the same ID number not twice), and the database
(known places within the user's area, known tags, people already registered elsewhere). Every
problem becomes a `RowError` naming row, column, value and reason; the households without any
come back as clean records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop
from stdnum.cn import ric

from linli.core import bulk
from linli.core.models import Area
from linli.core.scoping import covers
from linli.registry.choices import Relation, TagTarget
from linli.registry.models import Household, Resident

from . import normalise
from .columns import BY_KEY, COLUMNS, HOUSEHOLD_KEYS
from .reader import Sheet
from .records import HouseholdRecord, PersonRecord
from .writer import area_index, tag_index

_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
PROGRESS_EVERY = 5000

Progress = Callable[[int, int], None]  # (rows done, errors so far)


@dataclass
class RowError:
    """One problem: spreadsheet row, column key ("" = the whole row), the cell as written, and
    the reason as a msgid with its params (translated when shown)."""

    row: int
    column: str
    value: str
    message: str
    params: dict = field(default_factory=dict)

    @property
    def header(self) -> str:
        return BY_KEY[self.column].header if self.column in BY_KEY else ""

    def as_list(self) -> list:
        return [self.row, self.column, self.value, self.message, self.params]

    @classmethod
    def from_list(cls, data: list) -> RowError:
        return cls(*data)


@dataclass
class _Row:
    row: int
    cells: dict  # column key → clean value
    raw: dict  # column key → text as written, for error messages


@dataclass
class Checked:
    records: list[HouseholdRecord]  # the households with no error, ready to write
    errors: list[RowError]
    rows: int
    households: int
    bad_households: set[str]

    @property
    def ok(self) -> bool:
        return not self.errors


# --- pass 1: each row ------------------------------------------------------------------------

_CLEANERS = {
    "village_code": normalise.compact,
    "grid": normalise.text,
    "number": normalise.compact,
    "address": normalise.text,
    "head_id_number": normalise.id_number,
    "household_tags": normalise.tags,
    "name": normalise.name,
    "id_number": normalise.id_number,
    "relation": normalise.relation,
    "mobile": normalise.mobile,
    "birth_date": normalise.date,
    "resident_tags": normalise.tags,
    "move": normalise.flag,
}


def _id_problem(number: str, today: dt.date) -> tuple[str, dict] | None:
    """Why an ID number is not valid (msgid, params), or None."""
    if not _ID_SHAPE.match(number):
        return gettext_noop("An ID number has 18 characters: 17 digits, then a digit or X."), {}
    if ric.calc_check_digit(number) != number[-1]:
        return gettext_noop(
            "The check digit of this ID number is wrong; please check every digit."
        ), {}
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return gettext_noop("The birth date inside this ID number does not exist."), {}
    if birth > today:
        return gettext_noop("The birth date inside this ID number is in the future."), {}
    if birth.year < 1890:
        return gettext_noop("The birth date inside this ID number is not possible."), {}
    return None


class _Checker:
    def __init__(self, sheet: Sheet, *, user, today: dt.date, progress: Progress | None):
        self.sheet, self.user, self.today, self.progress = sheet, user, today, progress
        self.errors: list[RowError] = []
        self.rows: list[_Row] = []
        self._covered: dict[str, bool] = {}  # area path → within the user's area of work

    def error(self, row: int, column: str, value, message: str, **params) -> None:
        self.errors.append(RowError(row, column, normalise.text(value)[:200], message, params))

    def run(self) -> Checked:
        for count, (number, cells) in enumerate(self.sheet.rows, start=1):
            self.rows.append(self._row(number, cells))
            if self.progress and count % PROGRESS_EVERY == 0:
                self.progress(count, len(self.errors))
        households = self._households()
        self._against_database(households)
        bad = self._bad_households()
        records = [
            self._record(number, rows) for number, rows in households.items() if number not in bad
        ]
        self.errors.sort(key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, -1)))
        if self.progress:
            self.progress(len(self.sheet.rows), len(self.errors))
        return Checked(
            records=records,
            errors=self.errors,
            rows=len(self.sheet.rows),
            households=len(households),
            bad_households=bad,
        )

    def _row(self, number: int, cells: list) -> _Row:
        clean, raw = {}, {}
        width = len(cells)
        for key, index in self.sheet.positions.items():
            value = cells[index] if index < width else None
            raw[key] = value
            try:
                clean[key] = _CLEANERS[key](value)
            except normalise.CellError as e:
                self.error(number, key, value, e.message, **e.params)
                clean[key] = None
        for column in COLUMNS:
            if column.required and clean.get(column.key) == "":
                self.error(number, column.key, "", gettext_noop("This cell must be filled in."))
        self._check_numbers(number, clean, raw)
        return _Row(number, clean, raw)

    def _check_numbers(self, number: int, clean: dict, raw: dict) -> None:
        for key in ("id_number", "head_id_number"):
            value = clean.get(key)
            if value:
                problem = _id_problem(value, self.today)
                if problem:
                    self.error(number, key, raw[key], problem[0], **problem[1])
                    clean[key] = None
        mobile = clean.get("mobile")
        if mobile and not _MOBILE.match(mobile):
            self.error(
                number,
                "mobile",
                raw["mobile"],
                gettext_noop("A mainland mobile number has 11 digits and starts with 13–19."),
            )
        birth, person = clean.get("birth_date"), clean.get("id_number")
        if birth and birth > self.today:
            self.error(
                number, "birth_date", raw["birth_date"], gettext_noop("This date is in the future.")
            )
        elif birth and person and birth.strftime("%Y%m%d") != person[6:14]:
            self.error(
                number,
                "birth_date",
                raw["birth_date"],
                gettext_noop("The birth date does not agree with the ID number (%(inside)s)."),
                inside=f"{person[6:10]}-{person[10:12]}-{person[12:14]}",
            )

    # --- pass 2: each household ---------------------------------------------------------------

    def _households(self) -> dict[str, list[_Row]]:
        households: dict[str, list[_Row]] = defaultdict(list)
        seen_ids: dict[str, int] = {}
        for row in self.rows:
            person = row.cells.get("id_number")
            if person:
                if person in seen_ids:
                    self.error(
                        row.row,
                        "id_number",
                        row.raw["id_number"],
                        gettext_noop("This ID number is already on row %(row)s of the file."),
                        row=seen_ids[person],
                    )
                else:
                    seen_ids[person] = row.row
            if row.cells.get("number"):
                households[row.cells["number"]].append(row)
        for rows in households.values():
            self._one_household(rows)
        return households

    def _one_household(self, rows: list[_Row]) -> None:
        first = rows[0]
        for row in rows[1:]:
            for key in HOUSEHOLD_KEYS:
                if key in self.sheet.positions and row.cells.get(key) != first.cells.get(key):
                    self.error(
                        row.row,
                        key,
                        row.raw[key],
                        gettext_noop("This household's rows disagree: row %(row)s says %(value)s."),
                        row=first.row,
                        value=normalise.text(first.raw[key]) or "—",
                    )
        heads = [r for r in rows if r.cells.get("relation") == Relation.HEAD]
        if not heads:
            self.error(
                first.row,
                "relation",
                first.raw.get("relation"),
                gettext_noop("Household %(number)s has no head: one row must say 户主."),
                number=first.cells["number"],
            )
        for extra in heads[1:]:
            self.error(
                extra.row,
                "relation",
                extra.raw["relation"],
                gettext_noop("Household %(number)s has two heads (rows %(first)s and %(row)s)."),
                number=first.cells["number"],
                first=heads[0].row,
                row=extra.row,
            )
        head_id = first.cells.get("head_id_number")
        if heads and head_id and heads[0].cells.get("id_number") not in (None, head_id):
            self.error(
                first.row,
                "head_id_number",
                first.raw["head_id_number"],
                gettext_noop(
                    "The head's ID number is not the ID number of the 户主 row (row %(row)s)."
                ),
                row=heads[0].row,
            )

    # --- pass 3: the database -------------------------------------------------------------------

    def _against_database(self, households: dict[str, list[_Row]]) -> None:
        probes = [
            HouseholdRecord(
                village_code=rows[0].cells.get("village_code") or "",
                number=number,
                address="",
                head_id_number="",
                grid=rows[0].cells.get("grid") or "",
            )
            for number, rows in households.items()
        ]
        areas = area_index(probes)
        tags = tag_index()
        ids = [
            r.cells["id_number"]
            for rows in households.values()
            for r in rows
            if r.cells.get("id_number")
        ]
        registered = _people_places(ids)
        known_households = _household_places([p.number for p in probes])
        for number, rows in households.items():
            self._place(rows[0], areas, known_households.get(number))
            for row in rows:
                self._tags(row, "household_tags" if row is rows[0] else None, tags)
                self._tags(row, "resident_tags", tags)
                self._moves(row, number, registered)

    def _place(self, first: _Row, areas, known_path: str | None) -> None:
        code, grid = first.cells.get("village_code"), first.cells.get("grid") or ""
        if not code:
            return
        village = areas.get((code, ""))
        if village is None or village.kind not in ("village", "compound", "community"):
            self.error(
                first.row,
                "village_code",
                first.raw["village_code"],
                gettext_noop("No village or compound has the code %(code)s."),
                code=code,
            )
            return
        if self.user is not None and not self._covers_path(village.path):
            self.error(
                first.row,
                "village_code",
                first.raw["village_code"],
                gettext_noop("%(place)s is outside your area of work."),
                place=village.name,
            )
            return
        if grid and (code, grid) not in areas:
            self.error(
                first.row,
                "grid",
                first.raw["grid"],
                gettext_noop("%(place)s has no grid called %(grid)s."),
                place=village.name,
                grid=grid,
            )
        if known_path is not None and self.user is not None and not self._covers_path(known_path):
            self.error(
                first.row,
                "number",
                first.raw["number"],
                gettext_noop(
                    "Household number %(number)s is registered outside your area of work."
                ),
                number=first.cells["number"],
            )

    def _covers_path(self, path: str) -> bool:
        if path not in self._covered:
            area = Area.objects.filter(path=path).first()
            self._covered[path] = area is not None and covers(self.user, area, "registry.change")
        return self._covered[path]

    def _tags(self, row: _Row, key: str | None, tags) -> None:
        if key is None or not row.cells.get(key):
            return
        target = TagTarget.HOUSEHOLD if key == "household_tags" else TagTarget.RESIDENT
        for name, detail in row.cells[key]:
            tag = tags.get((target, name))
            if tag is None:
                self.error(
                    row.row,
                    key,
                    row.raw[key],
                    gettext_noop("Unknown tag %(tag)s; the tags in use are on the tags page."),
                    tag=name,
                )
            elif tag.detail_choices and detail not in tag.detail_choices:
                self.error(
                    row.row,
                    key,
                    row.raw[key],
                    gettext_noop("Tag %(tag)s needs one of: %(choices)s."),
                    tag=name,
                    choices="、".join(tag.detail_choices),
                )

    def _moves(self, row: _Row, number: str, registered) -> None:
        person = row.cells.get("id_number")
        if not person or person not in registered:
            return
        current, path = registered[person]
        if current == number:
            return
        if not row.cells.get("move"):
            self.error(
                row.row,
                "id_number",
                row.raw["id_number"],
                gettext_noop(
                    "This person is registered in household %(number)s. If they move to this "
                    "household, write 是 in the 迁户 column."
                ),
                number=current,
            )
        elif self.user is not None and not self._covers_path(path):
            self.error(
                row.row,
                "id_number",
                row.raw["id_number"],
                gettext_noop("This person's household %(number)s is outside your area of work."),
                number=current,
            )

    # --- the result -----------------------------------------------------------------------------

    def _bad_households(self) -> set[str]:
        by_row = {row.row: row.cells.get("number") for row in self.rows}
        return {by_row.get(e.row) or "" for e in self.errors}

    def _record(self, number: str, rows: list[_Row]) -> HouseholdRecord:
        first = rows[0].cells
        return HouseholdRecord(
            village_code=first["village_code"],
            grid=first.get("grid") or "",
            number=number,
            address=first["address"],
            head_id_number=first["head_id_number"],
            tags=first.get("household_tags") or (),
            members=[
                PersonRecord(
                    name=r.cells["name"],
                    id_number=r.cells["id_number"],
                    relation=r.cells["relation"],
                    mobile=r.cells.get("mobile") or "",
                    tags=r.cells.get("resident_tags") or (),
                    move=bool(r.cells.get("move")),
                    row=r.row,
                )
                for r in rows
            ],
            rows=[r.row for r in rows],
        )


_COLUMN_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}


def _household_places(numbers: list[str]) -> dict[str, str]:
    """Household number → the path of its area, for the numbers already registered."""
    rows = bulk.select_in(Household, ["number", "area_id"], "number", numbers)
    paths = _paths({area for _number, area in rows})
    return {number: paths[area] for number, area in rows}


def _people_places(ids: list[str]) -> dict[str, tuple[str, str]]:
    """ID number → (household number, area path), for the people already registered."""
    rows = bulk.select_in(Resident, ["id_number", "household_id"], "id_number", ids)
    households = {
        pk: (number, area)
        for pk, number, area in bulk.select_in(
            Household, ["id", "number", "area_id"], "id", sorted({h for _i, h in rows})
        )
    }
    paths = _paths({area for _number, area in households.values()})
    return {i: (households[h][0], paths[households[h][1]]) for i, h in rows}


def _paths(area_ids: set[int]) -> dict[int, str]:
    return dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "path")) if area_ids else {}


def check_sheet(
    sheet: Sheet, *, user, today: dt.date | None = None, progress: Progress | None = None
) -> Checked:
    """Check every row of `sheet` for `user` (None = a trusted operator at the command line)."""
    return _Checker(sheet, user=user, today=today or dt.date.today(), progress=progress).run()
