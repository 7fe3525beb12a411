"""Workbooks Linli writes 表格输出: the blank template, the error report (the file's own rows with
an error column) and the export — all with the same columns, written with xlsxwriter through
`core.spreadsheets`, so that every cell of text stays text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext as _

from linli.core.spreadsheets import Workbook

from . import normalise
from .columns import COLUMNS, ERROR_HEADER
from .reader import Sheet
from .validate import RowError

SHEET_NAME = "户籍登记"
NOTES_SHEET = "填写说明"
# Numbers that must stay text, or Excel turns 370702198001011234 into 3.70702198E+17.
TEXT_COLUMNS = {"village_code", "number", "head_id_number", "id_number", "mobile"}


def _new(target, *, big: bool = False):
    # constant_memory streams rows to disk as they are written: an export of a whole district
    # (200,000 rows) then needs no more memory than one row.
    workbook = Workbook(target, big=big)
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1}),
        "required": workbook.add_format(
            {"bold": True, "bg_color": "#FDE7E9", "border": 1, "font_color": "#9C1C1C"}
        ),
        "text": workbook.add_format({"num_format": "@"}),
        "error": workbook.add_format({"font_color": "#9C1C1C", "text_wrap": True}),
    }
    return workbook, formats


def _register_sheet(workbook, formats, extra_headers: Iterable[str] = ()):
    sheet = workbook.add_worksheet(SHEET_NAME)
    for index, column in enumerate(COLUMNS):
        style = formats["required"] if column.required else formats["header"]
        sheet.write_string(0, index, column.header, style)
        sheet.set_column(
            index,
            index,
            column.width,
            formats["text"] if column.key in TEXT_COLUMNS else None,
        )
    for offset, header in enumerate(extra_headers):
        sheet.write_string(0, len(COLUMNS) + offset, header, formats["required"])
        sheet.set_column(len(COLUMNS) + offset, len(COLUMNS) + offset, 60)
    sheet.freeze_panes(1, 0)
    return sheet


def _notes_sheet(workbook, formats, tags) -> None:
    notes = workbook.add_worksheet(NOTES_SHEET)
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 80)
    for index, header in enumerate((_("Column"), _("Required"), _("How to fill it in"))):
        notes.write_string(0, index, header, formats["header"])
    row = 1
    for column in COLUMNS:
        notes.write_string(row, 0, column.header)
        notes.write_string(row, 1, _("yes") if column.required else "")
        notes.write_string(row, 2, str(column.note))
        row += 1
    row += 1
    notes.write_string(
        row,
        0,
        _("One row per resident; the household's columns repeat on each row of the household."),
    )
    row += 2
    notes.write_string(row, 0, _("Tags in use"), formats["header"])
    row += 1
    for tag in tags:
        detail = "、".join(tag.detail_choices) if tag.detail_choices else tag.detail_label
        notes.write_string(row, 0, tag.name)
        notes.write_string(row, 1, tag.get_target_display())
        notes.write_string(row, 2, detail or tag.description)
        row += 1


def write_template(target, *, tags) -> None:
    """The empty register workbook with a notes sheet naming every column and tag in use."""
    workbook, formats = _new(target)
    _register_sheet(workbook, formats)
    _notes_sheet(workbook, formats, tags)
    workbook.close()


def write_error_report(target, sheet: Sheet, errors: list[RowError], render) -> None:
    """The file's data rows as they were read, in our column order, plus a column saying what
    is wrong with each. `render(error)` gives an error's reason in the reader's language."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        prefix = f"【{error.header}】" if error.header else ""
        by_row[error.row].append(prefix + render(error))
    # Streamed (constant_memory): each row goes to a temporary file as it is written, so a
    # district's report costs the memory of one row, not of the whole workbook.
    workbook, formats = _new(target, big=True)
    out = _register_sheet(workbook, formats, [ERROR_HEADER, _("Row in your file")])
    for index, (number, cells) in enumerate(sheet.rows, start=1):
        for col, column in enumerate(COLUMNS):
            position = sheet.positions.get(column.key)
            value = cells[position] if position is not None and position < len(cells) else None
            # As it was shown: an ID number Excel made into 3.70772198405156E+17 stays that,
            # not the 18 digits of the float, which would pass for a number someone typed.
            out.write_string(index, col, normalise.as_shown(value))
        if number in by_row:
            out.write_string(index, len(COLUMNS), "；".join(by_row[number]), formats["error"])
        out.write_number(index, len(COLUMNS) + 1, number)
    out.autofilter(0, 0, len(sheet.rows), len(COLUMNS) + 1)
    workbook.close()


def write_rows(target, rows: Iterable[list[str]], *, big: bool) -> int:
    """An export: the template's columns filled with `rows` (lists of text, in column order)."""
    workbook, formats = _new(target, big=big)
    sheet = _register_sheet(workbook, formats)
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.write_row(count, 0, row)
    workbook.close()
    return count
