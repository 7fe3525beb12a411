"""Resident ID numbers 居民身份证号码 (GB 11643), mobile numbers and division codes.

The check digit oracle here is written from the standard (weights 2^(17-i) mod 11, residues
mapped to 1 0 X 9 8 7 6 5 4 3 2), independently of the library the validator uses."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.core.validators import (
    normalise_mobile,
    parse_id_number,
    validate_division_code,
    validate_mobile,
)

WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHECK_CHARS = "10X98765432"
TODAY = timezone.localdate()

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_char(body17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True)) % 11]


def id_number(county: int, birth: dt.date, order: int) -> str:
    body = f"{county:06d}{birth:%Y%m%d}{order:03d}"
    return body + check_char(body)


counties = st.integers(min_value=100000, max_value=999999)
births = st.dates(min_value=dt.date(1890, 1, 1), max_value=TODAY)
orders = st.integers(min_value=0, max_value=999)


@PROPERTY
@given(county=counties, birth=births, order=orders)
def test_valid_numbers_are_accepted_and_tell_birth_date_and_sex(county, birth, order):
    number = id_number(county, birth, order)
    facts = parse_id_number(number)
    assert facts.number == number
    assert facts.birth_date == birth
    assert facts.sex == ("male" if order % 2 else "female")


@PROPERTY
@given(
    county=counties,
    birth=births,
    order=orders,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_changed_character_is_rejected(county, birth, order, position, replacement):
    number = id_number(county, birth, order)
    if number[position] == replacement:
        replacement = "0" if replacement != "0" else "1"
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError) as refused:
        parse_id_number(changed)
    # A changed digit always breaks the mod-11 sum (each weight is a unit mod 11); an X in the
    # body breaks the shape.
    assert refused.value.code in {"id_check_digit", "id_shape"}


@PROPERTY
@given(county=counties, birth=births)
def test_lower_case_x_is_normalised(county, birth):
    number = next(
        n for n in (id_number(county, birth, order) for order in range(1000)) if n.endswith("X")
    )
    facts = parse_id_number(" " + number.lower() + " ")
    assert facts.number == number
    assert facts.number.endswith("X")


@PROPERTY
@given(
    digits=st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 18)
)
def test_wrong_lengths_are_rejected(digits):
    with pytest.raises(ValidationError) as refused:
        parse_id_number(digits)
    assert refused.value.code == "id_shape"


@pytest.mark.parametrize(
    "bad",
    [
        "3707021980051712",  # 16 digits
        "370702800517123",  # the old 15-digit form
        "37070219800517123X1",  # 19 characters
        "37070219800517A234",  # a letter in the body
        "",
    ],
)
def test_malformed_numbers_are_rejected(bad):
    with pytest.raises(ValidationError):
        parse_id_number(bad)


@pytest.mark.parametrize(
    "birth_digits",
    ["19801301", "19800132", "19810229", "19800230", "19800431", "18800101", "00000000"],
)
def test_impossible_birth_dates_are_rejected(birth_digits):
    body = f"370702{birth_digits}123"
    with pytest.raises(ValidationError) as refused:
        parse_id_number(body + check_char(body))
    assert refused.value.code == "id_birth_date"


def test_a_birth_date_in_the_future_is_rejected():
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        parse_id_number(id_number(370702, tomorrow, 123), today=TODAY)
    assert refused.value.code == "id_birth_date"


def test_a_leap_day_is_a_real_birth_date():
    facts = parse_id_number(id_number(370702, dt.date(2000, 2, 29), 124))
    assert facts.birth_date == dt.date(2000, 2, 29)
    assert facts.sex == "female"


def test_new_county_codes_are_accepted():
    # A county code no table lists yet: only the check digit decides.
    facts = parse_id_number(id_number(999999, dt.date(1990, 1, 1), 1))
    assert facts.sex == "male"


def test_the_message_names_the_problem():
    number = id_number(370702, dt.date(1980, 5, 17), 11)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        parse_id_number(wrong)
    assert "check digit" in refused.value.messages[0]


# --- mobile numbers ---------------------------------------------------------------------------


@PROPERTY
@given(
    second=st.sampled_from("3456789"), rest=st.text(alphabet="0123456789", min_size=9, max_size=9)
)
def test_mainland_mobile_numbers_are_accepted(second, rest):
    number = f"1{second}{rest}"
    validate_mobile(number)
    validate_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}")
    assert normalise_mobile(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number


@pytest.mark.parametrize(
    "bad", ["12812345678", "1381234567", "138123456789", "23812345678", "1381234567a", "", "+1 138"]
)
def test_bad_mobile_numbers_are_rejected(bad):
    with pytest.raises(ValidationError) as refused:
        validate_mobile(bad)
    assert refused.value.code == "mobile"


# --- division codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good", ["", "370000000000", "370700000000", "370702000000", "370702001000", "370702001203"]
)
def test_well_formed_division_codes_are_accepted(good):
    validate_division_code(good)


@pytest.mark.parametrize(
    "bad",
    [
        "37070200100",  # 11 digits
        "3707020010000",  # 13 digits
        "37070200100a",
        "000000000000",  # no province
        "370002000000",  # a county without its city
        "370702000001",  # a village without its town
    ],
)
def test_malformed_division_codes_are_rejected(bad):
    with pytest.raises(ValidationError) as refused:
        validate_division_code(bad)
    assert refused.value.code == "division_code"


@PROPERTY
@given(code=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_division_code_rule_holds_for_any_twelve_digits(code):
    province_ok = code[:2] != "00"
    levels_ok = not (code[2:4] == "00" and code[4:6] != "00") and not (
        code[6:9] == "000" and code[9:] != "000"
    )
    if province_ok and levels_ok:
        validate_division_code(code)
    else:
        with pytest.raises(ValidationError):
            validate_division_code(code)
