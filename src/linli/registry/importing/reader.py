"""Reading a register workbook with python-calamine: find the header row, map its headers to our
columns, hand back the data rows with their real spreadsheet row numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_noop
from python_calamine import CalamineError, CalamineWorkbook

from . import limits, normalise
from .columns import COLUMNS, ERROR_HEADER

HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the headers


class FileError(Exception):
    """The file as a whole cannot be read; `message` is a msgid, `params` fill it."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message, self.params = message, params


@dataclass
class Sheet:
    name: str
    header_row: int  # spreadsheet row number of the headers (1 = first row)
    headers: list[str]  # as written in the file
    positions: dict[str, int]  # column key → index in a row
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, cells)
    # The columns the import does not read, as [header ("" when it has none), column letter]:
    # every column with a header we do not know (备注, a misspelt optional one, a second 姓名),
    # and every column without a header that holds something.
    ignored_columns: list[list[str]] = field(default_factory=list)


def _header_key(value) -> str:
    return normalise.compact(value).replace("（", "(").replace("）", ")")


_KNOWN = {}
for _column in COLUMNS:
    for _header in (_column.header, *_column.aliases):
        _KNOWN[_header_key(_header)] = _column.key


def _positions(cells: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _KNOWN.get(_header_key(cell))
        if key and key not in found:
            found[key] = index
    return found


def _is_content(cell) -> bool:
    return bool(cell) and (type(cell) is not str or not cell.isspace())


def _has_content(cells: list) -> bool:
    # A register row nearly always starts with a real cell: looking at it first spares a
    # district's 200,000 rows a generator each.
    if cells and _is_content(cells[0]):
        return True
    return any(map(_is_content, cells))


def read_rows(path: str | Path) -> list[list]:
    """Every row of the first sheet, as calamine gives it — what the benchmark calls reading."""
    return (
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    )


def read_workbook(path: str | Path) -> Sheet:
    """The first sheet that has our headers, with its data rows (blank rows left out). The
    file is checked against the import's limits first (`limits.check_file`); an old .xls file,
    whose binary format cannot be checked that way, is read in a child process with capped
    memory (`limits.read_apart`)."""
    if limits.check_file(path) == "ole":
        return limits.read_apart(_read_sheets, path)
    return _read_sheets(path)


def _read_sheets(path: str | Path) -> Sheet:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as e:
        raise FileError(
            gettext_noop("This file cannot be read as an Excel workbook (%(reason)s)."),
            reason=str(e)[:200],
        ) from None
    for sheet_name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except CalamineError:
            continue
        sheet = _find_headers(sheet_name, rows)
        if sheet is not None:
            return sheet
    raise FileError(
        gettext_noop(
            "No sheet of this workbook has the register's headers (%(headers)s). "
            "Download the template and copy your data into it."
        ),
        headers="、".join(c.header for c in COLUMNS if c.required),
    )


def _find_headers(sheet_name: str, rows: list[list]) -> Sheet | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions = _positions(cells)
        if len(positions) < 3:
            continue
        missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
        if missing:
            raise FileError(
                gettext_noop("Sheet %(sheet)s lacks the required columns: %(columns)s."),
                sheet=sheet_name,
                columns="、".join(missing),
            )
        headers = [normalise.text(c) for c in cells]
        sheet = Sheet(name=sheet_name, header_row=index + 1, headers=headers, positions=positions)
        # A blank row reads as empty strings (or zeros, which no register row is made of), or
        # as cells holding only spaces and line breaks where someone "cleared" them that way.
        sheet.rows = [
            (number, data)
            for number, data in enumerate(rows[index + 1 :], start=index + 2)
            if _has_content(data)
        ]
        sheet.ignored_columns = _ignored_columns(headers, set(positions.values()), sheet.rows)
        return sheet
    return None


def _ignored_columns(headers: list[str], used: set[int], rows) -> list[list[str]]:
    # An error workbook handed back in carries our error column and the row number after it:
    # ours, read by nobody, and not worth a word.
    ours = set()
    if ERROR_HEADER in headers:
        ours = {headers.index(ERROR_HEADER), headers.index(ERROR_HEADER) + 1}
    ignored = []
    for index, header in enumerate(headers):
        if index in used or index in ours:
            continue
        if header or any(index < len(cells) and _is_content(cells[index]) for _n, cells in rows):
            ignored.append([header, column_letters(index + 1)])
    return ignored


def column_letters(number: int) -> str:
    """A column's letters as Excel names it: 1 → A, 27 → AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
