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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext_noop
from stdnum.cn import ric

from linli.core import bulk
from linli.core.models import Area
from linli.core.scoping import covers
from linli.registry.choices import Relation, TagTarget
from linli.registry.models import Household

from . import normalise
from .columns import BY_KEY, COLUMNS, HOUSEHOLD_KEYS
from .reader import Sheet
from .records import HouseholdRecord, PersonRecord
from .writer import Snapshot, area_index, load_existing, registry_stamp, tag_index

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
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
class Checked:
    records: list[HouseholdRecord]  # the households with no error, ready to write
    errors: list[RowError]
    rows: int
    households: int
    bad_households: set[str]
    snapshot: Snapshot | None = None  # what the checks loaded of the register

    @property
    def ok(self) -> bool:
        return not self.errors


# --- pass 1: each row ------------------------------------------------------------------------

_CLEANERS = {
    "village_code": normalise.compact,
    "grid": normalise.text,
    "number": normalise.household_number,
    "address": normalise.address,
    "head_id_number": normalise.id_number,
    "household_tags": normalise.tags,
    "name": normalise.person_name,
    "id_number": normalise.id_number,
    "relation": normalise.relation,
    "mobile": normalise.mobile,
    "birth_date": normalise.date,
    "resident_tags": normalise.tags,
    "move": normalise.flag,
}


@dataclass(frozen=True, slots=True)
class _Problem:
    """What is wrong with one cell: a msgid and its params."""

    message: str
    params: dict = field(default_factory=dict)


_REQUIRED = {c.key for c in COLUMNS if c.required}
_MUST_FILL = gettext_noop("This cell must be filled in.")
_BAD_MOBILE = gettext_noop("A mainland mobile number has 11 digits and starts with 13–19.")


def _clean_cell(key: str, value, today: dt.date):
    """The clean value of one cell, or the `_Problem` with it."""
    try:
        clean = _CLEANERS[key](value)
    except normalise.CellError as e:
        return _Problem(e.message, e.params)
    if clean == "" and key in _REQUIRED:
        return _Problem(_MUST_FILL)
    if key in ("id_number", "head_id_number") and clean:
        problem = _id_problem(clean, today)
        if problem:
            return _Problem(*problem)
    elif key == "mobile" and clean and not _MOBILE.match(clean):
        return _Problem(_BAD_MOBILE)
    return clean


_ID_CLEAN = re.compile(r"[0-9]{17}[0-9X]").fullmatch
_MOBILE_CLEAN = re.compile(r"1[3-9][0-9]{9}").fullmatch


def _clean_each(key: str, values: list, today: dt.date) -> list:
    return [_clean_cell(key, value, today) for value in values]


def _clean_id_numbers(key: str, values: list, today: dt.date) -> list:
    # A column of 200,000 distinct ID numbers: the clean ones are recognised by one match each
    # and only their check digit and birth date remain to be checked.
    out = []
    for value in values:
        if type(value) is str and _ID_CLEAN(value):
            problem = _id_problem(value, today)
            out.append(_Problem(*problem) if problem else value)
        else:
            out.append(_clean_cell(key, value, today))
    return out


def _clean_mobiles(key: str, values: list, today: dt.date) -> list:
    return [
        value if type(value) is str and _MOBILE_CLEAN(value) else _clean_cell(key, value, today)
        for value in values
    ]


_CLEAN_MANY = {
    "id_number": _clean_id_numbers,
    "head_id_number": _clean_id_numbers,
    "mobile": _clean_mobiles,
}
_TEXT_CELLS = frozenset((str, type(None)))


def _clean_column(key: str, values: list, memo: dict, today: dt.date) -> tuple[list, bool]:
    """The column's clean values (or `_Problem`s), and whether it holds a problem. Each
    distinct text cell is cleaned once: a register repeats its codes, addresses and tags."""
    clean_many = _CLEAN_MANY.get(key, _clean_each)
    if _TEXT_CELLS.issuperset(map(type, values)):
        # Memo only what cannot collide: 1 == 1.0 == True would share a clean value.
        distinct = dict.fromkeys(values)
        new = [value for value in distinct if value not in memo]
        memo.update(zip(new, clean_many(key, new, today), strict=True))
        # The problem is looked for among all the distinct cells, not only the new ones: a memo
        # shared by two columns (a head's ID number) may hold one the other column met first.
        return list(map(memo.__getitem__, values)), _has_problem(map(memo.__getitem__, distinct))
    cleaned = clean_many(key, values, today)
    return cleaned, _has_problem(cleaned)


def _has_problem(cleaned: Iterable) -> bool:
    return any(type(value) is _Problem for value in cleaned)


def _id_problem(number: str, today: dt.date) -> tuple[str, dict] | None:
    """Why an ID number is not valid (msgid, params), or None."""
    if not _ID_SHAPE.match(number):
        return gettext_noop("An ID number has 18 characters: 17 digits, then a digit or X."), {}
    if ric.calc_check_digit(number) != number[-1]:
        return gettext_noop(
            "The check digit of this ID number is wrong; please check every digit."
        ), {}
    problem = _birth_problem(number[6:14], today)
    return (problem, {}) if problem else None


@lru_cache(maxsize=65536)  # a district's people share their birth dates by the thousand
def _birth_problem(digits: str, today: dt.date) -> str | None:
    """What is wrong with the birth date inside an ID number (a msgid), or None."""
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return gettext_noop("The birth date inside this ID number does not exist.")
    if birth > today:
        return gettext_noop("The birth date inside this ID number is in the future.")
    if birth.year < 1890:
        return gettext_noop("The birth date inside this ID number is not possible.")
    return None


def _columns(rows: list[tuple[int, list]], positions: dict[str, int]) -> dict[str, list]:
    """The data rows as one list per column key (None where a short row lacks the cell)."""
    cells = [cells for _number, cells in rows]
    width = max(positions.values()) + 1
    if cells and min(map(len, cells)) >= width:  # calamine's rows are all as wide as the sheet
        transposed = list(zip(*cells, strict=False))
        return {key: list(transposed[index]) for key, index in positions.items()}
    return {
        key: [row[index] if index < len(row) else None for row in cells]
        for key, index in positions.items()
    }


class _Checker:
    """Rows are numbered by their position among the data rows (`i`); `self.clean[key][i]` is a
    cell's clean value (None where it has an error), `self.raw[key][i]` the cell as read, and
    `self.numbers[i]` its spreadsheet row. Working by column keeps 200,000 rows cheap."""

    def __init__(self, sheet: Sheet, *, user, today: dt.date, progress: Progress | None):
        self.sheet, self.user, self.today, self.progress = sheet, user, today, progress
        self.errors: list[RowError] = []
        self.numbers = [number for number, _cells in sheet.rows]
        self.clean: dict[str, list] = {}
        self.raw: dict[str, list] = {}
        self._covered: dict[str, bool] = {}  # area path → within the user's area of work
        self.snapshot: Snapshot | None = None

    def error(self, i: int, column: str, message: str, **params) -> None:
        value = self.raw[column][i] if column in self.raw else ""
        text = normalise.as_shown(value)[:200]
        self.errors.append(RowError(self.numbers[i], column, text, message, params))

    def cell(self, key: str, i: int):
        column = self.clean.get(key)
        return column[i] if column is not None else None

    def run(self) -> Checked:
        self._clean_all()
        households = self._households()
        self._against_database(households)
        bad = self._bad_households()
        make = self._record_maker()
        records = [make(number, rows) for number, rows in households.items() if number not in bad]
        self.errors.sort(key=lambda e: (e.row, _COLUMN_ORDER.get(e.column, -1)))
        if self.progress:
            self.progress(len(self.numbers), len(self.errors))
        return Checked(
            records=records,
            errors=self.errors,
            rows=len(self.numbers),
            households=len(households),
            bad_households=bad,
            snapshot=self.snapshot,
        )

    # --- pass 1: each cell, a column at a time ---------------------------------------------------
    # A register repeats itself: village codes, grids, addresses, relations, tags and the head's
    # ID number recur on many rows. Cleaning and checking go a column at a time with one memo
    # per column, so each distinct cell is cleaned and checked once.

    def _clean_all(self) -> None:
        positions = self.sheet.positions
        self.raw = _columns(self.sheet.rows, positions)
        self.clean = {key: [] for key in positions}
        memos: dict[str, dict] = {key: {} for key in positions}
        if "head_id_number" in memos and "id_number" in memos:
            # The same cleaning and checks: a head's number is checked once, not in both columns.
            memos["head_id_number"] = memos["id_number"]
        troubled: set[str] = set()  # columns with a problem somewhere
        for start in range(0, len(self.numbers), PROGRESS_EVERY):
            for key in positions:
                raw = self.raw[key][start : start + PROGRESS_EVERY]
                cleaned, problem = _clean_column(key, raw, memos[key], self.today)
                self.clean[key] += cleaned
                if problem:
                    troubled.add(key)
            if self.progress:
                self.progress(min(start + PROGRESS_EVERY, len(self.numbers)), len(self.errors))
        for key in [key for key in positions if key in troubled]:
            column = self.clean[key]
            # A message may name its column as the pages name a field. Added here, not in the
            # memo that the two ID number columns share.
            field = {"field": BY_KEY[key].header}
            for i in [i for i, v in enumerate(column) if type(v) is _Problem]:
                problem = column[i]
                params = (
                    {**field, **problem.params}
                    if "%(field)s" in problem.message
                    else problem.params
                )
                self.error(i, key, problem.message, **params)
                column[i] = None
        births = self.clean.get("birth_date")
        if births:
            for i in [i for i, v in enumerate(births) if v]:
                self._check_birth(i)

    def _check_birth(self, i: int) -> None:
        birth, person = self.clean["birth_date"][i], self.cell("id_number", i)
        if birth > self.today:
            self.error(i, "birth_date", gettext_noop("This date is in the future."))
        elif person and birth.strftime("%Y%m%d") != person[6:14]:
            self.error(
                i,
                "birth_date",
                gettext_noop("The birth date does not agree with the ID number (%(inside)s)."),
                inside=f"{person[6:10]}-{person[10:12]}-{person[12:14]}",
            )

    # --- pass 2: each household ---------------------------------------------------------------

    def _households(self) -> dict[str, list[int]]:
        households: dict[str, list[int]] = defaultdict(list)
        for i, number in enumerate(self.clean["number"]):
            if number:
                households[number].append(i)
        seen: dict[str, int] = {}
        for i, person in enumerate(self.clean["id_number"]):
            if not person:
                continue
            if person in seen:
                self.error(
                    i,
                    "id_number",
                    gettext_noop("This ID number is already on row %(row)s of the file."),
                    row=self.numbers[seen[person]],
                )
            else:
                seen[person] = i
        keys = [k for k in HOUSEHOLD_KEYS if k in self.clean]
        for rows in households.values():
            if len(rows) > 1:
                self._agree(rows, keys)
            self._head(rows)
        return households

    def _agree(self, rows: list[int], keys: list[str]) -> None:
        first = rows[0]
        for key in keys:
            column = self.clean[key]
            expected = column[first]
            for i in rows[1:]:
                if column[i] != expected:
                    self.error(
                        i,
                        key,
                        gettext_noop("This household's rows disagree: row %(row)s says %(value)s."),
                        row=self.numbers[first],
                        value=normalise.as_shown(self.raw[key][first]) or "—",
                    )

    def _head(self, rows: list[int]) -> None:
        relations, first = self.clean["relation"], rows[0]
        number = self.clean["number"][first]
        heads = [i for i in rows if relations[i] == Relation.HEAD]
        if not heads:
            self.error(
                first,
                "relation",
                gettext_noop("Household %(number)s has no head: one row must say 户主."),
                number=number,
            )
        for extra in heads[1:]:
            self.error(
                extra,
                "relation",
                gettext_noop("Household %(number)s has two heads (rows %(first)s and %(row)s)."),
                number=number,
                first=self.numbers[heads[0]],
                row=self.numbers[extra],
            )
        head_id = self.cell("head_id_number", first)
        if heads and head_id and self.cell("id_number", heads[0]) not in (None, head_id):
            self.error(
                first,
                "head_id_number",
                gettext_noop(
                    "The head's ID number is not the ID number of the 户主 row (row %(row)s)."
                ),
                row=self.numbers[heads[0]],
            )

    # --- pass 3: the database -------------------------------------------------------------------

    def _against_database(self, households: dict[str, list[int]]) -> None:
        probes = [
            HouseholdRecord(
                village_code=self.cell("village_code", rows[0]) or "",
                number=number,
                address="",
                head_id_number="",
                grid=self.cell("grid", rows[0]) or "",
            )
            for number, rows in households.items()
        ]
        areas = area_index(probes)
        tags = tag_index()
        stamp = registry_stamp()
        ids = [p for p in self.clean["id_number"] if p]
        existing = load_existing([p.number for p in probes], ids, tags)
        self.snapshot = Snapshot(stamp=stamp, existing=existing)
        paths = _household_paths(existing)
        for number, rows in households.items():
            known = existing.households.get(number)
            self._place(rows[0], areas, paths[known.pk][1] if known else None)
        # A household's tags repeat on each of its rows: checked (and reported) on its first.
        firsts = [rows[0] for rows in households.values()]
        self._tags("household_tags", TagTarget.HOUSEHOLD, tags, firsts)
        self._tags("resident_tags", TagTarget.RESIDENT, tags, range(len(self.numbers)))
        self._moves({i: paths[person.household_id] for i, person in existing.residents.items()})

    def _place(self, first: int, areas, known_path: str | None) -> None:
        code, grid = self.cell("village_code", first), self.cell("grid", first) or ""
        if not code:
            return
        village = areas.get((code, ""))
        if village is None or village.kind not in ("village", "compound", "community"):
            self.error(
                first,
                "village_code",
                gettext_noop("No village or compound has the code %(code)s."),
                code=code,
            )
            return
        if self.user is not None and not self._covers_path(village.path):
            self.error(
                first,
                "village_code",
                gettext_noop("%(place)s is outside your area of work."),
                place=village.name,
            )
            return
        if grid and (code, grid) not in areas:
            self.error(
                first,
                "grid",
                gettext_noop("%(place)s has no grid called %(grid)s."),
                place=village.name,
                grid=grid,
            )
        if known_path is not None and self.user is not None and not self._covers_path(known_path):
            self.error(
                first,
                "number",
                gettext_noop(
                    "Household number %(number)s is registered outside your area of work."
                ),
                number=self.clean["number"][first],
            )

    def _covers_path(self, path: str) -> bool:
        if path not in self._covered:
            area = Area.objects.filter(path=path).first()
            self._covered[path] = area is not None and covers(self.user, area, "registry.change")
        return self._covered[path]

    def _tags(self, key: str, target: str, tags, rows) -> None:
        """Every tag named in column `key` on `rows` must be in use, with an allowed detail.
        Checked once per distinct cell; each of those rows with a bad cell gets the error."""
        column = self.clean.get(key)
        if not column:
            return
        verdicts: dict[tuple, list] = {}
        for i in rows:
            pairs = column[i]
            if not pairs:
                continue
            found = verdicts.get(pairs)
            if found is None:
                found = verdicts[pairs] = _tag_problems(pairs, target, tags)
            for message, params in found:
                self.error(i, key, message, **params)

    def _moves(self, registered: dict[str, tuple[str, str]]) -> None:
        if not registered:
            return
        numbers, moves = self.clean["number"], self.clean.get("move")
        for i, person in enumerate(self.clean["id_number"]):
            if not person or person not in registered:
                continue
            current, path = registered[person]
            if current == numbers[i]:
                continue
            if self.user is not None and not self._covers_path(path):
                # Outside the user's area: say so, without naming the other household.
                self.error(
                    i,
                    "id_number",
                    gettext_noop(
                        "This person is registered in a household outside your area of work."
                    ),
                )
            elif not (moves and moves[i]):
                self.error(
                    i,
                    "id_number",
                    gettext_noop(
                        "This person is registered in household %(number)s. If they move to "
                        "this household, write 是 in the 迁户 column."
                    ),
                    number=current,
                )

    # --- the result -----------------------------------------------------------------------------

    def _bad_households(self) -> set[str]:
        index = {number: i for i, number in enumerate(self.numbers)}
        numbers = self.clean["number"]
        return {numbers[index[e.row]] or "" for e in self.errors}

    def _record_maker(self):
        c, numbers = self.clean, self.numbers
        empty = [None] * len(numbers)
        names, ids, relations = c["name"], c["id_number"], c["relation"]
        mobiles, tags, moves = (c.get(k, empty) for k in ("mobile", "resident_tags", "move"))
        grids, household_tags = c.get("grid", empty), c.get("household_tags", empty)

        def record(number: str, rows: list[int]) -> HouseholdRecord:
            first = rows[0]
            return HouseholdRecord(
                village_code=c["village_code"][first],
                grid=grids[first] or "",
                number=number,
                address=c["address"][first],
                head_id_number=c["head_id_number"][first],
                tags=household_tags[first] or (),
                members=[
                    PersonRecord(
                        name=names[i],
                        id_number=ids[i],
                        relation=relations[i],
                        mobile=mobiles[i] or "",
                        tags=tags[i] or (),
                        move=bool(moves[i]),
                        row=numbers[i],
                    )
                    for i in rows
                ],
                rows=[numbers[i] for i in rows],
            )

        return record


def _tag_problems(pairs, target: str, tags) -> list[tuple[str, dict]]:
    problems = []
    for name, detail in pairs:
        tag = tags.get((target, name))
        if tag is None:
            problems.append(
                (
                    gettext_noop("Unknown tag %(tag)s; the tags in use are on the tags page."),
                    {"tag": name},
                )
            )
        elif tag.detail_choices and detail not in tag.detail_choices:
            problems.append(
                (
                    gettext_noop("Tag %(tag)s needs one of: %(choices)s."),
                    {"tag": name, "choices": "、".join(tag.detail_choices)},
                )
            )
    return problems


_COLUMN_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}


def _household_paths(existing) -> dict[int, tuple[str, str]]:
    """Household pk → (number, area path) for every household the loaded register names:
    those in the file and those its people are registered in."""
    known = {h.pk: (number, h.area_id) for number, h in existing.households.items()}
    others = sorted({p.household_id for p in existing.residents.values()} - known.keys())
    for pk, number, area in bulk.select_in(Household, ["id", "number", "area_id"], "id", others):
        known[pk] = (number, area)
    paths = _paths({area for _number, area in known.values()})
    return {pk: (number, paths[area]) for pk, (number, area) in known.items()}


def _paths(area_ids: set[int]) -> dict[int, str]:
    return dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "path")) if area_ids else {}


def check_sheet(
    sheet: Sheet, *, user, today: dt.date | None = None, progress: Progress | None = None
) -> Checked:
    """Check every row of `sheet` for `user` (None = a trusted operator at the command line)."""
    return _Checker(sheet, user=user, today=today or timezone.localdate(), progress=progress).run()
