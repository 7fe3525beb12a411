"""Validation of Chinese identifiers — ID numbers (GB 11643), mobile numbers, division codes —
and of the names and numbers people type: no control or invisible characters, and no name a
spreadsheet would take for a formula."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from stdnum.cn import ric

# ASCII digits only: `\d` would also take full-width and other scripts' digits, which pass the
# check digit (int() reads them) and would then be stored beside the ASCII form of the number.
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_DIVISION_CODE = re.compile(r"^[0-9]{12}$")

# --- names and numbers: what people type ------------------------------------------------------

# Control 控制字符 and format characters (right-to-left overrides, zero-width spaces and joiners,
# the byte-order mark), surrogate code points, line and paragraph separators. Private-use code
# points are allowed: rare name characters 生僻字 typed with GB18030-era input methods arrive as
# private-use characters, and they draw with the office's font, so they are neither hidden nor
# a reason to turn a resident away.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Letters and symbols that draw nothing: the Hangul fillers (a favourite "blank" name), the
# Braille blank, the combining grapheme joiner, the Mongolian vowel separator.
_HIDDEN_OTHERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")
# What needs no look-up: printable ASCII and the common CJK ideographs (nearly every name).
_PLAIN = re.compile(r"[\u0020-\u007e\u4e00-\u9fff]*")
# Excel, WPS and LibreOffice take a cell starting with one of these for a formula.
FORMULA_STARTS = ("=", "+", "-", "@")

HIDDEN_MESSAGE = gettext_noop(
    "%(field)s contains a control or invisible character (%(characters)s); "
    "type it again without it."
)
FORMULA_MESSAGE = gettext_noop(
    "%(field)s may not start with = + - or @ (a spreadsheet would take it for a formula)."
)


def hidden_characters(value: str) -> list[str]:
    """The control and invisible characters in `value`, each once as U+XXXX, in order."""
    if _PLAIN.fullmatch(value):
        return []
    found: dict[str, None] = {}
    for char in value:
        if char in _HIDDEN_OTHERS or unicodedata.category(char) in _HIDDEN_CATEGORIES:
            found[f"U+{ord(char):04X}"] = None
    return list(found)


def text_problem(value: str, *, name: bool = False) -> tuple[str, dict] | None:
    """Why `value` may not be stored as typed — (msgid, params) with %(field)s left for the
    caller to fill — or None. `name`: a name, which may not start like a formula either."""
    hidden = hidden_characters(value)
    if hidden:
        return HIDDEN_MESSAGE, {"characters": "、".join(hidden)}
    if name and value.lstrip().startswith(FORMULA_STARTS):
        return FORMULA_MESSAGE, {}
    return None


def has_visible_text(value: str) -> bool:
    """Whether `value` shows anything: a text made only of spaces and invisible characters
    (zero-width spaces, direction marks, Hangul fillers …) is empty to whoever reads it."""
    return any(not char.isspace() and not hidden_characters(char) for char in value)


def clean_text(value, field: str, limit: int, *, required: str = "") -> str:
    """A free text as typed (a description, a note; line breaks allowed), trimmed: refused with
    `required` when it shows nothing, when longer than `limit`, or when it holds a NUL byte,
    which the database cannot store. Names and numbers get the stricter `text_problem`."""
    value = str(value if value is not None else "").strip()
    if required and not has_visible_text(value):
        raise ValidationError({field: required})
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(limit)s characters, please.") % {"limit": limit}}
        )
    if "\x00" in value:
        raise ValidationError({field: _("The text holds a character that cannot be stored.")})
    return value


def _refuse_hidden(value: str, label) -> None:
    """A number's own validator names its field: the form shows why, before any shape check."""
    hidden = hidden_characters(value or "")
    if hidden:
        raise ValidationError(
            _(HIDDEN_MESSAGE),
            code="hidden_character",
            params={"field": label, "characters": "、".join(hidden)},
        )


def check_text_fields(obj, *, names: tuple[str, ...] = (), texts: tuple[str, ...] = ()) -> None:
    """Refuse `obj`'s fields that hold a control or invisible character (`names` and `texts`)
    or that start like a formula (`names`): one ValidationError naming every such field, with a
    message that names it too (by the model field's verbose name)."""
    errors = {}
    for field in (*names, *texts):
        value = getattr(obj, field) or ""
        problem = text_problem(value, name=field in names)
        if problem:
            message, params = problem
            label = obj._meta.get_field(field).verbose_name
            errors[field] = ValidationError(
                _(message), code="hidden_character", params={**params, "field": label}
            )
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class IdFacts:
    """What an ID number says about its holder."""

    number: str
    birth_date: dt.date
    sex: str  # "male" / "female"


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdFacts:
    """Check a resident ID number 居民身份证号码 and derive birth date and sex.

    The check digit is verified with stdnum's `calc_check_digit` rather than `ric.validate`,
    whose table of county codes lags behind new and renamed counties.
    """
    _refuse_hidden(value, _("ID number"))
    number = normalise_id_number(value)
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits, then a digit or X."), code="id_shape"
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("The check digit of this ID number is wrong; please check every digit."),
            code="id_check_digit",
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this ID number does not exist."), code="id_birth_date"
        ) from None
    today = today or timezone.localdate()
    if birth > today or birth.year < 1890:
        raise ValidationError(
            _("The birth date inside this ID number is not possible."), code="id_birth_date"
        )
    sex = "male" if int(number[16]) % 2 else "female"
    return IdFacts(number=number, birth_date=birth, sex=sex)


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_mobile(value: str) -> None:
    _refuse_hidden(value, _("Mobile number"))
    if not _MOBILE.match(normalise_mobile(value)):
        raise ValidationError(
            _("A mainland mobile number has 11 digits and starts with 13–19."), code="mobile"
        )


def validate_division_code(value: str) -> None:
    """统计用区划代码: 12 digits; the first six are the county, and no level may skip a parent."""
    if not value:
        return
    if not _DIVISION_CODE.match(value):
        raise ValidationError(_("A division code has exactly 12 digits."), code="division_code")
    province, city, county = value[0:2], value[2:4], value[4:6]
    if province == "00" or (city == "00" and county != "00"):
        raise ValidationError(
            _("This division code is not well formed (province or city part is empty)."),
            code="division_code",
        )
    town, village = value[6:9], value[9:12]
    if town == "000" and village != "000":
        raise ValidationError(
            _("This division code names a village without its town."), code="division_code"
        )
