"""Validation of Chinese identifiers: ID numbers (GB 11643), mobile numbers, division codes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_DIVISION_CODE = re.compile(r"^\d{12}$")


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
    today = today or dt.date.today()
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
