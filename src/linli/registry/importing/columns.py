"""The register workbook's columns 户籍登记表列 — one row per resident, with their household's
columns repeated on every row. The template, the reader, the error report and the export all use
this one list, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as printed in the template; the file's headers are matched against it
    required: bool
    household: bool  # a household's column: the same on every row of that household
    note: object  # guidance printed in the template's notes sheet (lazy translation)
    aliases: tuple[str, ...] = ()
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column(
        "village_code",
        "村(小区)编码",
        True,
        True,
        _("12-digit statistical code of the village or compound, e.g. 370772001201."),
        ("村编码", "小区编码", "村(社区)编码", "村居编码", "区划代码"),
    ),
    Column("grid", "网格", False, True, _("Name of the grid in the village, if it has grids.")),
    Column("number", "户号", True, True, _("The household's number; unique in the district.")),
    Column(
        "address", "地址", True, True, _("Where the household lives."), ("家庭住址", "住址"), 28
    ),
    Column(
        "head_id_number",
        "户主身份证号",
        True,
        True,
        _("ID number of the head of household (the row whose relation is 户主)."),
        ("户主身份证号码", "户主公民身份号码"),
        22,
    ),
    Column(
        "household_tags",
        "户标签",
        False,
        True,
        _("Household tags separated by ；, e.g. 困难户；低保."),
        ("家庭标签",),
        18,
    ),
    Column("name", "姓名", True, False, _("The resident's name.")),
    Column(
        "id_number",
        "身份证号",
        True,
        False,
        _("18-character resident ID number. Format the column as text in Excel."),
        ("身份证号码", "公民身份号码", "身份证"),
        22,
    ),
    Column(
        "relation",
        "与户主关系",
        True,
        False,
        _("户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 儿媳/女婿 or 其他."),
        ("关系", "与户主的关系"),
    ),
    Column(
        "mobile",
        "联系电话",
        False,
        False,
        _("Mainland mobile number."),
        ("手机号码", "手机号", "电话"),
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        False,
        _("Optional; checked against the ID number."),
        ("出生年月日",),
    ),
    Column(
        "resident_tags",
        "个人标签",
        False,
        False,
        _("Personal tags separated by ；, with a detail after ：, e.g. 残疾：二级；党员."),
        ("人员标签",),
        22,
    ),
    Column(
        "move",
        "迁户",
        False,
        False,
        _("是 when the person moves in from another household already registered."),
        ("迁入",),
        8,
    ),
)

BY_KEY = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household)
ERROR_HEADER = "错误说明"
