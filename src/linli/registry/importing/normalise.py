"""Cleaning what real registers hold 数据清洗: full-width characters, stray spaces and line
breaks, numbers Excel made of ID numbers and phone numbers, dates in every shape.

Each function takes a cell as python-calamine returns it (str, float, int, bool, date, datetime,
time or None) and returns the clean value — or raises `CellError` with a msgid saying why the
cell cannot be used. Nothing here guesses: an ID number that lost digits stays an error.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext_noop

from linli.core.validators import FORMULA_MESSAGE, FORMULA_STARTS, HIDDEN_MESSAGE, hidden_characters
from linli.registry.choices import Relation


class CellError(Exception):
    """A cell that cannot be used; `message` is an English msgid, `params` fill it."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message, self.params = message, params


# Full-width digits, letters and the ideographic space → ASCII. Punctuation is left alone:
# （ and ： are at home in Chinese addresses and tags.
_FULL_WIDTH = {0x3000: " "}
_FULL_WIDTH.update({0xFF10 + i: chr(0x30 + i) for i in range(10)})
_FULL_WIDTH.update({0xFF21 + i: chr(0x41 + i) for i in range(26)})
_FULL_WIDTH.update({0xFF41 + i: chr(0x61 + i) for i in range(26)})
_FULL_WIDTH.update({0x00A0: " ", 0x200B: "", 0xFEFF: ""})  # no-break space, zero-width marks
_SPACES = re.compile(r"\s+")
# Anything `text` would change: a character of _FULL_WIDTH, doubled or end spaces.
_UNTIDY = re.compile("[" + "".join(chr(c) for c in sorted(_FULL_WIDTH)) + "]|\\s\\s|^\\s|\\s$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
_LEADING_QUOTES = "'‘’`"


def text(value) -> str:
    """Any cell as tidy text: full-width letters and digits made ASCII, whitespace (line
    breaks included) collapsed to single spaces, ends trimmed. A whole number stays whole."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.isprintable() and not _UNTIDY.search(value):
            return value  # already tidy: the common case, cheaply
        return _SPACES.sub(" ", value.translate(_FULL_WIDTH)).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def compact(value) -> str:
    """Text with no spaces at all: codes, household numbers."""
    return text(value).replace(" ", "")


# Excel keeps 15 significant digits: a number cell from 10^15 up has lost what came after.
_EXACT_BELOW = 10**15
_LAYOUT = str.maketrans("\t\n\r", "   ")  # a cell's line breaks and tabs: text() tidies them


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_shown(value) -> str:
    """A cell as the person saw it in Excel: a number too long for Excel's 15 significant
    digits as Excel shows it (3.70772198405156E+17), never the digits its float would spell
    out (370772198405155968) — those were invented, not typed. Anything else as `text`."""
    if _is_number(value) and abs(value) >= _EXACT_BELOW:
        mantissa, exponent = f"{value:.14E}".split("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    return text(value)


def refuse_hidden(value) -> None:
    """A name or number may not hold a control or invisible character (a right-to-left
    override, a zero-width space, a Hangul filler): said, not silently dropped."""
    if type(value) is str:
        hidden = hidden_characters(value.translate(_LAYOUT))
        if hidden:
            raise CellError(HIDDEN_MESSAGE, characters="、".join(hidden))


def _refuse_lost_digits(value) -> None:
    if _is_number(value) and abs(value) >= _EXACT_BELOW:
        raise CellError(
            gettext_noop(
                "Excel stored this as the number %(shown)s and its last digits are lost; "
                "format the column as text and type it again."
            ),
            shown=as_shown(value),
        )


def household_number(value) -> str:
    """A household number 户号: no spaces; one Excel made into a long number is refused."""
    refuse_hidden(value)
    _refuse_lost_digits(value)
    cleaned = compact(value)
    if _SCIENTIFIC.match(cleaned):
        raise CellError(
            gettext_noop(
                "Excel turned this number into %(shown)s and its last digits are lost; "
                "format the column as text and type it again."
            ),
            shown=cleaned,
        )
    return cleaned


def address(value) -> str:
    refuse_hidden(value)
    return text(value)


def name(value) -> str:
    """A person's name. Spaces inside a Chinese name are typing slips (刘 志辉 → 刘志辉); a
    name in Latin letters keeps single spaces."""
    cleaned = text(value)
    return cleaned.replace(" ", "") if _CJK.search(cleaned) else cleaned


def person_name(value) -> str:
    """A resident's name as `name` cleans it, refused if it holds a control or invisible
    character or starts like a formula (= + - @): the cell's text is taken as text, and a
    name that a spreadsheet would run is not registered."""
    refuse_hidden(value)
    cleaned = name(value)
    if cleaned.startswith(FORMULA_STARTS):
        raise CellError(FORMULA_MESSAGE)
    return cleaned


def id_number(value) -> str:
    """A resident ID number as 18 characters with an upper-case X. A number cell cannot be
    trusted: Excel keeps 15 significant digits, so the last three are already lost."""
    if type(value) is str and len(value) == 18 and value[:17].isdigit() and value.isascii():
        return value.upper()  # already clean: the common case, cheaply
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            gettext_noop(
                "Excel stored this ID number as a number and its last digits are lost; "
                "format the column as text and type the number again."
            )
        )
    refuse_hidden(value)
    cleaned = compact(value).lstrip(_LEADING_QUOTES).upper()
    if _SCIENTIFIC.match(cleaned):
        raise CellError(
            gettext_noop(
                "Excel turned this ID number into %(shown)s and its last digits are lost; "
                "format the column as text and type the number again."
            ),
            shown=cleaned,
        )
    return cleaned


def mobile(value) -> str:
    """Digits only: separators and a +86 prefix dropped."""
    if type(value) is str and len(value) == 11 and value.isdigit() and value.isascii():
        return value  # already clean: the common case, cheaply
    refuse_hidden(value)
    cleaned = compact(value).lstrip(_LEADING_QUOTES).replace("-", "")
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("86") and len(cleaned) == 13:
        cleaned = cleaned[2:]
    return cleaned


_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (it counts a 29 February 1900 that was not)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date(value) -> dt.date | None:
    """A date from a date cell, an Excel serial number, or text (2015-08-10, 2015/8/10,
    2015.8.10, 2015年8月10日, 20150810). Empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # up to 9999-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(gettext_noop("This is not a date."))
    cleaned = compact(value)
    if cleaned.isdigit() and len(cleaned) <= 5:
        return _EXCEL_EPOCH + dt.timedelta(days=int(cleaned))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(gettext_noop("This is not a date; write it as 2015-08-10."))


_TAG_SEPARATORS = re.compile(r"[;；、,，\r\n]+")
_TAG_DETAIL = re.compile(r"^(.+?)\s*(?:[:：]\s*(.*)|[(（]\s*(.*?)\s*[)）])$")


def tags(value) -> tuple[tuple[str, str], ...]:
    """ "困难户；残疾：二级" → (("困难户", ""), ("残疾", "二级")); a detail may also follow in
    brackets: 残疾（二级）. Order is kept, repeats dropped."""
    # Split before tidying: text() would turn a line break between two tags into a space.
    raw = value if isinstance(value, str) else text(value)
    if not raw:
        return ()
    pairs: dict[str, str] = {}
    for part in _TAG_SEPARATORS.split(raw):
        part = text(part)
        if not part:
            continue
        match = _TAG_DETAIL.match(part)
        if match:
            tag, detail = match.group(1).strip(), (match.group(2) or match.group(3) or "").strip()
        else:
            tag, detail = part, ""
        pairs.setdefault(tag, detail)
    return tuple(pairs.items())


_YES = {"是", "y", "yes", "true", "1", "√", "迁入", "迁户"}
_NO = {"", "否", "n", "no", "false", "0"}


def flag(value) -> bool:
    cleaned = compact(value).lower()
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    raise CellError(gettext_noop("Write 是 or leave the cell empty."))


# How registers write the relation to the head 与户主关系 (GB/T 4761 and everyday words).
RELATION_WORDS: dict[str, str] = {
    Relation.HEAD: "户主 本人 户主本人",
    Relation.SPOUSE: "配偶 妻 妻子 夫 丈夫 之妻 之夫 爱人",
    Relation.CHILD: "子女 子 女 儿子 女儿 之子 之女 长子 次子 三子 长女 次女 三女 养子 养女 继子 继女",
    Relation.PARENT: "父母 父亲 母亲 父 母 之父 之母 公公 婆婆 岳父 岳母",
    Relation.GRANDCHILD: "孙子女 孙子 孙女 外孙 外孙子 外孙女 孙",
    Relation.GRANDPARENT: "祖父母 祖父 祖母 外祖父 外祖母 爷爷 奶奶 姥爷 姥姥",
    Relation.SIBLING: "兄弟姐妹 兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹",
    Relation.CHILD_IN_LAW: "儿媳/女婿 儿媳 女婿 媳妇 之儿媳 之女婿",
    Relation.OTHER: "其他 其它 其他亲属 非亲属",
}
_RELATIONS = {word: value for value, words in RELATION_WORDS.items() for word in words.split()}
RELATION_LABELS = {value: words.split()[0] for value, words in RELATION_WORDS.items()}


def relation(value) -> str:
    cleaned = compact(value)
    found = _RELATIONS.get(cleaned) or _RELATIONS.get(cleaned.lower())
    if found is None and cleaned in Relation.values:
        found = cleaned
    if found is None:
        raise CellError(
            gettext_noop("Unknown relation to the head; use one of: %(choices)s."),
            choices="、".join(RELATION_LABELS.values()),
        )
    return found
