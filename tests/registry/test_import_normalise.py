"""Cleaning what real registers hold: full-width characters, stray spaces and line breaks, a
lower-case x, ID numbers Excel made into numbers or wrote with a leading apostrophe, phone
numbers as numbers, dates as text, serials or dates. First each cleaning function on its own,
then the same cells in a workbook imported end to end."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter
from openpyxl.utils.datetime import to_excel
from python_calamine import CalamineWorkbook

from linli.registry.choices import ImportStatus, Relation
from linli.registry.importing import normalise
from linli.registry.importing.normalise import CellError
from linli.registry.models import Household, Resident

from .import_helpers import (
    GRID_NAME,
    HEADERS,
    VILLAGE_CODE,
    errors_of,
    full_width,
    household,
    id_ending_in_x,
    in_chinese,
    new_id,
    place_fixture,  # noqa: F401 - the `place` fixture
    register_state,
    run_import,
    write_workbook,
)

ID = "370702198005171234"  # the shape only; the cleaners do not check digits
ID_X = "37070219800517123X"


# --- each cleaner on its own --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        ("３７０７ＡＢｘｙ", "3707ABxy"),  # full-width digits and letters
        ("王家庄村\u30001号", "王家庄村 1号"),  # the ideographic space
        ("  王家庄村\n 1号\r\n", "王家庄村 1号"),  # stray spaces and line breaks
        ("王家庄村\t\t1号", "王家庄村 1号"),
        ("\u00a0王家庄村\u200b1号\ufeff", "王家庄村1号"),  # no-break space, zero-width marks
        ("文岭社区（东区）", "文岭社区（东区）"),  # Chinese punctuation is left alone
        (13812345678.0, "13812345678"),  # a whole number stays whole
        (201001, "201001"),
        (2.5, "2.5"),
        (None, ""),
        (True, "是"),
        (dt.datetime(1980, 5, 17), "1980-05-17"),
        (dt.date(1980, 5, 17), "1980-05-17"),
    ],
)
def test_text_tidies_any_cell(cell, clean):
    assert normalise.text(cell) == clean


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        (" 370772 001201\n", "370772001201"),
        ("３７０７７２００１２０１", "370772001201"),
        ("３７０７７２\u3000００１２０１", "370772001201"),
        (370772001201.0, "370772001201"),  # a code Excel kept as a number is still whole
    ],
)
def test_compact_leaves_no_space_in_codes(cell, clean):
    assert normalise.compact(cell) == clean


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        ("刘 志\n辉", "刘志辉"),
        ("刘\u3000志辉", "刘志辉"),
        (" 刘志辉\r\n", "刘志辉"),
        ("阿卜杜·热合曼", "阿卜杜·热合曼"),
        ("  John \n Smith ", "John Smith"),  # a Latin name keeps one space
    ],
)
def test_name(cell, clean):
    assert normalise.name(cell) == clean


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        (ID, ID),
        (full_width(ID), ID),
        (full_width(ID_X), ID_X),
        (ID_X.lower(), ID_X),  # a lower-case x
        (full_width(ID_X.lower()), ID_X),  # a full-width lower-case ｘ
        ("'" + ID, ID),  # Excel's leading apostrophe that keeps a number as text
        ("‘" + ID, ID),
        (" 370702 19800517 1234\n", ID),
        (ID + "\u00a0", ID),
    ],
)
def test_id_number(cell, clean):
    assert normalise.id_number(cell) == clean


@pytest.mark.parametrize(
    "cell",
    [
        3.707021980051712e17,  # the number Excel keeps: 15 significant digits
        370702198005171234,
        "3.70702198E+17",  # the same number, as Excel shows it, copied as text
        "3.70702198005171E+17",
        "3.70702198e17",
        "'3.70702198E+17",
    ],
)
def test_an_id_number_that_lost_digits_is_an_error_never_a_guess(cell):
    with pytest.raises(CellError) as caught:
        normalise.id_number(cell)
    assert "last digits are lost" in caught.value.message


def test_the_error_names_what_excel_showed():
    with pytest.raises(CellError) as caught:
        normalise.id_number("3.70702198E+17")
    assert caught.value.params == {"shown": "3.70702198E+17"}


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        (13812345678.0, "13812345678"),  # a phone number Excel made a number
        (13812345678, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("'13812345678", "13812345678"),
        (None, ""),
    ],
)
def test_mobile(cell, clean):
    assert normalise.mobile(cell) == clean


MAY_17 = dt.date(1980, 5, 17)


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        (MAY_17, MAY_17),  # a date cell
        (dt.datetime(1980, 5, 17, 0, 0), MAY_17),
        (29358, MAY_17),  # an Excel serial
        (29358.0, MAY_17),
        (29358.75, MAY_17),  # a serial with a time of day
        ("29358", MAY_17),  # a serial as text
        ("1980-05-17", MAY_17),
        ("1980-5-17", MAY_17),
        ("1980/5/17", MAY_17),
        ("1980.5.17", MAY_17),
        ("1980年5月17日", MAY_17),
        ("1980年5月17", MAY_17),
        ("19800517", MAY_17),
        ("１９８０年５月１７日", MAY_17),  # full-width digits
        (" 1980-05-17\n", MAY_17),
        ("", None),
        (None, None),
    ],
)
def test_date(cell, clean):
    assert normalise.date(cell) == clean


def test_the_serial_is_excels_own():
    for day in (dt.date(1900, 3, 1), MAY_17, dt.date(2015, 8, 10), dt.date(2026, 1, 1)):
        assert normalise.date(int(to_excel(day))) == day


@pytest.mark.parametrize(
    "cell", ["1980-02-30", "1980-13-01", "五月十七日", "1980-05", "17/05/1980", 0, -3, 3e7, True]
)
def test_what_is_not_a_date_is_an_error(cell):
    with pytest.raises(CellError):
        normalise.date(cell)


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        ("户主", Relation.HEAD),
        (" 本人 ", Relation.HEAD),
        ("户\u3000主", Relation.HEAD),
        ("妻", Relation.SPOUSE),
        ("之子", Relation.CHILD),
        ("长女", Relation.CHILD),
        ("岳母", Relation.PARENT),
        ("外孙女", Relation.GRANDCHILD),
        ("奶奶", Relation.GRANDPARENT),
        ("弟弟", Relation.SIBLING),
        ("儿媳", Relation.CHILD_IN_LAW),
        ("非亲属", Relation.OTHER),
        ("head", Relation.HEAD),  # the stored value, as an export by value would write it
    ],
)
def test_relation(cell, clean):
    assert normalise.relation(cell) == clean


@pytest.mark.parametrize("cell", ["朋友", "", "1"])
def test_an_unknown_relation_is_an_error(cell):
    with pytest.raises(CellError) as caught:
        normalise.relation(cell)
    assert "户主" in caught.value.params["choices"]


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        ("是", True),
        (" 是\n", True),
        ("√", True),
        ("Y", True),
        ("迁入", True),
        (1.0, True),
        (True, True),
        ("", False),
        (None, False),
        ("否", False),
        (False, False),
    ],
)
def test_flag(cell, clean):
    assert normalise.flag(cell) is clean


def test_a_flag_that_is_neither_is_an_error():
    with pytest.raises(CellError):
        normalise.flag("也许")


@pytest.mark.parametrize(
    ("cell", "clean"),
    [
        ("困难户；低保", (("困难户", ""), ("低保", ""))),
        ("困难户;低保、 五保户", (("困难户", ""), ("低保", ""), ("五保户", ""))),
        ("残疾：二级；党员", (("残疾", "二级"), ("党员", ""))),
        ("残疾: 二级", (("残疾", "二级"),)),
        ("残疾（二级）", (("残疾", "二级"),)),
        ("残疾(二级)\n党员", (("残疾", "二级"), ("党员", ""))),
        ("党员；党员", (("党员", ""),)),
        ("；", ()),
        (None, ()),
    ],
)
def test_tags(cell, clean):
    assert normalise.tags(cell) == clean


# --- the same cells, imported -------------------------------------------------------------------


def test_a_messy_workbook_imports_clean_values(place, tmp_path):
    liu, wang = new_id(), new_id(dt.date(1982, 3, 4), male=False)
    xin = id_ending_in_x(dt.date(2006, 9, 1))
    zhang = new_id(dt.date(1970, 1, 1))
    people = [
        {
            "name": "刘 志\n辉",
            "id_number": full_width(liu),
            "relation": " 户主 ",
            "mobile": 13812345678.0,  # Excel's number
            "birth_date": dt.date(1980, 5, 17),  # a date cell
            "resident_tags": "残疾（二级）；党员",
        },
        {
            "name": " 王秀英\r\n",
            "id_number": "'" + wang,  # kept as text with an apostrophe
            "relation": "妻",
            "mobile": "138-0000-1111",
            "birth_date": "1982年3月4日",  # text
        },
        {
            "name": "刘\u3000欣怡",
            "id_number": xin.lower(),  # a lower-case x
            "relation": "之女",
            "mobile": "+86 139 0000 2222",
            "birth_date": int(to_excel(dt.date(2006, 9, 1))),  # an Excel serial
            "move": "否",
        },
    ]
    liu_household = household(
        "２０１００１",  # a full-width household number
        people,
        code=" 370772 001201 ",
        grid=f" {GRID_NAME}\n",
        address="王家庄村\n1号 ",
        head_id_number=liu,
        household_tags="困难户",
    )
    # A household's cells may be written differently on each of its rows and still agree.
    liu_household[0][0] = full_width(VILLAGE_CODE)
    liu_household[0][4] = full_width(liu)
    liu_household[1][4] = liu.lower()
    zhang_household = household(
        "201002",
        [
            {
                "name": "张炳利",
                "id_number": zhang + "\u00a0",
                "relation": "本人",
                "mobile": "１３７００００３３３３",
                "birth_date": "19700101",
            }
        ],
        head_id_number="'" + zhang,
    )
    zhang_household[0][0] = int(VILLAGE_CODE)  # codes and numbers Excel kept as numbers
    zhang_household[0][2] = 201002
    headers = list(HEADERS)
    headers[0] = "村（小区）编码"  # full-width brackets and other names registers use
    headers[7] = " 身份证号码 "
    headers[8] = "与户主的关系"
    path = write_workbook(tmp_path / "messy.xlsx", liu_household + zhang_household, headers=headers)

    result = run_import(path)

    assert result.status == ImportStatus.DONE, [
        (e.row, e.column, e.value, in_chinese(e)) for e in errors_of(result)
    ]
    assert result.summary["households_created"] == 2
    assert result.summary["residents_created"] == 4
    first = Household.objects.get(number="201001")
    assert first.area == place.grid
    assert first.address == "王家庄村 1号"
    assert first.head.id_number == liu
    assert [link.tag.name for link in first.tag_links.all()] == ["困难户"]
    stored = {
        r.id_number: (r.name, r.mobile, r.relation, r.birth_date, r.household.number)
        for r in Resident.objects.filter(id_number__in=[liu, wang, xin, zhang])
    }
    assert stored == {
        liu: ("刘志辉", "13812345678", Relation.HEAD, dt.date(1980, 5, 17), "201001"),
        wang: ("王秀英", "13800001111", Relation.SPOUSE, dt.date(1982, 3, 4), "201001"),
        xin: ("刘欣怡", "13900002222", Relation.CHILD, dt.date(2006, 9, 1), "201001"),
        zhang: ("张炳利", "13700003333", Relation.HEAD, dt.date(1970, 1, 1), "201002"),
    }
    assert xin.endswith("X") and Resident.objects.filter(id_number=xin).exists()
    person = Resident.objects.get(id_number=liu)
    assert {(t.tag.name, t.detail) for t in person.tag_links.all()} == {
        ("残疾", "二级"),
        ("党员", ""),
    }
    second = Household.objects.get(number="201002")
    assert second.area == place.village and second.head.id_number == zhang


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (370702198005171234, None),  # a number cell: Excel kept 15 significant digits
        ("3.70702198E+17", "3.70702198E+17"),  # the number as Excel shows it, pasted as text
    ],
)
def test_an_id_number_excel_made_a_number_is_reported_and_nothing_is_written(
    place, tmp_path, cell, shown
):
    good = new_id()
    rows = household(
        "201001",
        [
            {"name": "刘志辉", "id_number": good, "relation": "户主"},
            {"name": "王秀英", "id_number": cell, "relation": "配偶"},
        ],
    )
    before = register_state()

    result = run_import(write_workbook(tmp_path / "numbers.xlsx", rows))

    assert result.status == ImportStatus.REJECTED
    [error] = errors_of(result)
    assert (error.row, error.column) == (3, "id_number")
    if shown:
        assert error.params == {"shown": shown} and error.value == shown
    else:
        # The value reported is the number as Excel showed it, not the 18 digits its float
        # would spell out: those were made up, not typed.
        assert error.value == "3.70702198005171E+17"
    reason = in_chinese(error)
    assert "文本格式" in reason and "丢失" in reason
    assert register_state() == before
    assert not Household.objects.filter(number="201001").exists()
    assert not Resident.objects.filter(id_number=good).exists()


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(1982, 3, 4),
        "1982-03-04",
        "1982/3/4",
        "1982年3月4日",
        "19820304",
        int(to_excel(dt.date(1982, 3, 4))),
        float(to_excel(dt.date(1982, 3, 4))),
    ],
)
def test_a_birth_date_in_any_shape_is_checked_against_the_id_number(place, tmp_path, cell):
    wang = new_id(dt.date(1982, 3, 4), male=False)
    rows = household(
        "201001", [{"name": "王秀英", "id_number": wang, "relation": "户主", "birth_date": cell}]
    )
    result = run_import(write_workbook(tmp_path / "dates.xlsx", rows))
    assert result.status == ImportStatus.DONE, [in_chinese(e) for e in errors_of(result)]
    assert Resident.objects.get(id_number=wang).birth_date == dt.date(1982, 3, 4)


def test_a_birth_date_that_disagrees_in_any_shape_is_reported(place, tmp_path):
    wang = new_id(dt.date(1982, 3, 4), male=False)
    shapes = [dt.date(1982, 4, 3), "1982-04-03", int(to_excel(dt.date(1982, 4, 3))), "1982年4月3日"]
    rows = []
    for index, shape in enumerate(shapes):
        person = new_id(dt.date(1982, 3, 4)) if index else wang
        rows += household(
            f"20100{index}",
            [{"name": "王秀英", "id_number": person, "relation": "户主", "birth_date": shape}],
        )
    result = run_import(write_workbook(tmp_path / "dates.xlsx", rows))
    assert result.status == ImportStatus.REJECTED
    errors = errors_of(result)
    assert [(e.row, e.column) for e in errors] == [(r, "birth_date") for r in (2, 3, 4, 5)]
    assert all(e.params == {"inside": "1982-03-04"} for e in errors)
    assert "不符" in in_chinese(errors[0])
    assert not Household.objects.filter(number__startswith="20100").exists()


def test_a_row_of_spaces_and_line_breaks_is_a_blank_line_not_an_error(place, tmp_path):
    """What is left when someone clears cells by typing a space. Excel keeps such a cell's
    text (openpyxl would drop it on writing), so this file is written with xlsxwriter."""
    people = [{"name": "刘志辉", "id_number": new_id(), "relation": "户主"}]
    path = tmp_path / "spaces.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    lines = [HEADERS, *household("201001", people), [" "] * len(HEADERS), ["", "\n", "\u3000"]]
    for number, cells in enumerate(lines):
        for col, value in enumerate(cells):
            if value is not None:
                sheet.write_string(number, col, value)
    book.close()
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[2][0] == " "

    result = run_import(path)

    errors = errors_of(result)
    # Rows 3 and 4 are blank to a person; the import must not ask them to fill in cells.
    assert result.status == ImportStatus.DONE, [(e.row, e.column, in_chinese(e)) for e in errors]
    assert result.rows_total == 1
    assert Household.objects.filter(number="201001").exists()
