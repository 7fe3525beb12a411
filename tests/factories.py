"""Test data builders: valid ID numbers, a small area tree, users with grants."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

from stdnum.cn import ric

from linli.accounts import services as account_services
from linli.core import services as area_services
from linli.registry import services as registry_services
from linli.registry.models import Tag

_serial = itertools.count(1)
# Serials (modulo the 500 an ID number has room for) that a module's shared `world` holds
# (tests/conftest.py): the numbers made for the module's tests skip them.
_kept: set[int] = set()
PASSWORD = "Linli-test-2026"


def _next_serial() -> int:
    while (n := next(_serial)) % 500 in _kept:
        pass
    return n


@contextlib.contextmanager
def serials_kept():
    """Keep the serials drawn inside the block from the numbers made after it, until
    `serials_released`: a world built once for many tests keeps its people's ID numbers."""
    drawn: set[int] = set()
    first = _next_serial()
    yield drawn
    last = _next_serial()
    drawn.update(n % 500 for n in range(first, last + 1))
    assert len(_kept | drawn) < 250, "too many serials kept: the tests would run out of them"
    _kept.update(drawn)


def serials_released(drawn: set[int]) -> None:
    _kept.difference_update(drawn)


def make_id_number(
    birth: dt.date = dt.date(1980, 5, 17),
    *,
    male: bool = True,
    county: str = "370702",
    serial: int | None = None,
) -> str:
    """A valid 18-digit ID number (check digit computed with stdnum)."""
    seq = serial if serial is not None else _next_serial() % 500
    order = seq * 2 + (1 if male else 0)
    body = f"{county}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def area(name, kind, parent=None, code=""):
    return area_services.area_create(actor=None, name=name, kind=kind, parent=parent, code=code)


def user_with(role, scope, *, username=None, organisation=None):
    username = username or f"{role}-{_next_serial()}"
    # The password is not validated here: whether "Linli-test-2026" looks too much like a
    # generated name such as "resident-2602" depends on the counter, i.e. on test order.
    user = account_services.user_create(
        actor=None,
        username=username,
        password=PASSWORD,
        display_name=username,
        check_password=False,
    )
    account_services.grant_create(
        actor=None, user=user, role=role, area=scope, organisation=organisation
    )
    return user


def tag(name, target="household", **extra):
    return Tag.objects.get_or_create(name=name, target=target, defaults=extra)[0]


def household(area_, number, *, head_name="张三", head_id=None, tags=(), mobile="13812345678"):
    hh = registry_services.household_create(
        actor=None, area=area_, number=number, address=f"{area_.name}{number}号", tags=tags
    )
    registry_services.resident_create(
        actor=None,
        household=hh,
        name=head_name,
        id_number=head_id or make_id_number(),
        mobile=mobile,
        relation="head",
    )
    hh.refresh_from_db()
    return hh
