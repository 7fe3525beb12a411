"""Bulk writing (core/bulk.py): rows go in as written, and a first load gives back every index and
foreign key it set aside."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from linli.core import bulk
from linli.registry.importing.writer import HOUSEHOLD_COLUMNS, RESIDENT_COLUMNS
from linli.registry.models import Household, Resident, Tag

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def village():
    district = f.area("试验区", "district")
    street = f.area("试验街道", "street", district)
    return f.area("第一村", "village", f.area("试验社区", "community", street))


def _households(area_id: int, count: int, *, start: int = 0) -> list[tuple]:
    now = bulk.db_value(timezone.now())
    ids = bulk.reserve_ids(Household, count)
    return [
        (pk, area_id, f"B{start + n:05d}", f"测试路{n}号", None, 1, now, now)
        for n, pk in enumerate(ids)
    ]


def test_text_with_tabs_line_breaks_and_backslashes_is_stored_as_written():
    odd = ["一\t二", "第一行\n第二行", "C:\\村委会\\", "回车\r", "平常的字", ""]
    ids = bulk.reserve_ids(Tag, len(odd))
    rows = [
        (
            pk,
            f"标签{pk}",
            "household",
            text,
            "",
            bulk.db_value(["甲", "乙\t丙"]),
            n % 2 == 0,
            True,
            1,
        )
        for n, (pk, text) in enumerate(zip(ids, odd, strict=True))
    ]
    with transaction.atomic():
        written = bulk.insert_rows(
            Tag,
            (
                "id",
                "name",
                "target",
                "description",
                "detail_label",
                "detail_choices",
                "sensitive",
                "active",
                "sort_order",
            ),
            rows,
        )
    assert written == len(odd)
    stored = {t.pk: t for t in Tag.objects.filter(pk__in=ids)}
    assert [stored[pk].description for pk in ids] == odd
    assert [stored[pk].sensitive for pk in ids] == [n % 2 == 0 for n in range(len(odd))]
    assert {tuple(stored[pk].detail_choices) for pk in ids} == {("甲", "乙\t丙")}


def test_dates_timestamps_numbers_and_nulls_are_stored_as_given(village):
    # A row without None goes to PostgreSQL's COPY joined in one go, one with None cell by cell:
    # both shapes must give back exactly what went in.
    stamp = timezone.now().replace(microsecond=123456)
    at = bulk.db_value(stamp)
    (household,) = bulk.reserve_ids(Household, 1)
    people = bulk.reserve_ids(Resident, 2)
    with transaction.atomic():
        bulk.insert_rows(
            Household,
            HOUSEHOLD_COLUMNS,
            [(household, village.pk, "D00001", "试验路1号", people[0], 7, at, at)],
        )
        bulk.insert_rows(
            Resident,
            RESIDENT_COLUMNS,
            [
                (
                    pk,
                    household,
                    name,
                    "x",
                    "x",
                    number,
                    number[::-1],
                    birth,
                    "female",
                    mobile,
                    mobile[::-1],
                    relation,
                    1,
                    at,
                    at,
                )
                for pk, name, number, birth, mobile, relation in (
                    (
                        people[0],
                        "王秀英",
                        "37070519871003380X",
                        dt.date(1987, 10, 3),
                        "13182255207",
                        "head",
                    ),
                    (people[1], "None", "370705201501010021", "2015-01-01", "", "child"),
                )
            ],
        )
    stored = Household.objects.get(pk=household)
    assert (stored.head_id, stored.version, stored.created_at) == (people[0], 7, stamp)
    first, second = Resident.objects.filter(pk__in=people).order_by("pk")
    assert (first.name, first.birth_date, first.updated_at) == (
        "王秀英",
        dt.date(1987, 10, 3),
        stamp,
    )
    assert (second.name, second.birth_date, second.mobile) == ("None", dt.date(2015, 1, 1), "")


def test_a_first_load_puts_back_every_index_it_dropped(village):
    indexes_before = sorted(sql for _name, sql in bulk._plain_indexes(Household))
    assert indexes_before, "the household table has plain indexes to drop"
    with transaction.atomic():
        rows = _households(village.pk, 1500)
        with bulk.indexes_rebuilt_after({Household: len(rows)}):
            assert bulk._plain_indexes(Household) == []  # set aside during the load
            bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)
    assert sorted(sql for _name, sql in bulk._plain_indexes(Household)) == indexes_before
    assert Household.objects.filter(area=village).count() == 1500


def test_a_small_load_keeps_its_indexes(village):
    indexes_before = bulk._plain_indexes(Household)
    with transaction.atomic():
        rows = _households(village.pk, 50)
        with bulk.indexes_rebuilt_after({Household: len(rows)}):
            assert bulk._plain_indexes(Household) == indexes_before
            bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("foreign keys are set aside on PostgreSQL only")


def test_a_first_load_on_postgresql_checks_its_foreign_keys_again(postgresql, village):
    keys_before = sorted(bulk._foreign_keys(Household))
    assert keys_before, "the household table has foreign keys"
    rows = _households(village.pk, 1200)
    rows[-1] = (*rows[-1][:1], 987_654_321, *rows[-1][2:])  # no such area
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulk.indexes_rebuilt_after({Household: len(rows)}),
    ):
        assert bulk._foreign_keys(Household) == []
        bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)
    assert sorted(bulk._foreign_keys(Household)) == keys_before
    assert not Household.objects.filter(area=village).exists()  # nothing of the load is left


def test_foreign_keys_put_back_on_postgresql_still_refuse_a_bad_row(postgresql, village):
    with transaction.atomic():
        rows = _households(village.pk, 1200)
        with bulk.indexes_rebuilt_after({Household: len(rows)}):
            bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)
    bad = _households(village.pk, 1, start=5000)
    bad[0] = (bad[0][0], 987_654_321, *bad[0][2:])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, bad)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_nulls_beside_backslashes_and_the_text_backslash_n_are_stored_as_written(village):
    # COPY writes None as \N: a cell that holds a backslash, or the text "\N" itself, beside a
    # None must still come back as the text it was, and the None as NULL.
    addresses = ["\\N", "C:\\村委会", "平常路1号", "\\N"]
    now = bulk.db_value(timezone.now())
    ids = bulk.reserve_ids(Household, len(addresses))
    (head,) = bulk.reserve_ids(Resident, 1)
    rows = [
        (pk, village.pk, f"N{n:05d}", address, head if n == 3 else None, 1, now, now)
        for n, (pk, address) in enumerate(zip(ids, addresses, strict=True))
    ]
    person = (head, ids[3], "李四", "lisi", "ls", "370705201501010021", "120101010250703")
    person += ("2015-01-01", "male", "", "", "head", 1, now, now)
    with transaction.atomic():
        bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)
        bulk.insert_rows(Resident, RESIDENT_COLUMNS, [person])
    stored = Household.objects.filter(pk__in=ids).order_by("pk")
    assert [(h.address, h.head_id) for h in stored] == [
        ("\\N", None),
        ("C:\\村委会", None),
        ("平常路1号", None),
        ("\\N", head),
    ]


def test_select_in_answers_from_an_empty_table_and_from_a_filled_one(village):
    numbers = [f"E{n:05d}" for n in range(bulk.CHUNK + 5)]
    assert bulk.select_in(Household, ["id", "number"], "number", numbers) == []
    rows = _households(village.pk, 3)
    with transaction.atomic():
        bulk.insert_rows(Household, HOUSEHOLD_COLUMNS, rows)
    wanted = [rows[0][2], rows[2][2], *numbers]
    found = bulk.select_in(Household, ["id", "number"], "number", wanted)
    assert sorted(found) == [(rows[0][0], rows[0][2]), (rows[2][0], rows[2][2])]
