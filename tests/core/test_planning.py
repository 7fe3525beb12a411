"""Detail reads ask PostgreSQL to join in the written order, and put the setting back."""

import pytest
from django.db import connection, transaction

from linli.core.planning import joins_as_written

pytestmark = pytest.mark.django_db


def _limit() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


def test_the_written_order_holds_inside_the_block_only():
    before = _limit()
    with joins_as_written():
        inside = _limit()
    assert _limit() == before
    if connection.vendor == "postgresql":
        assert (before, inside) == ("8", "1")


def test_the_setting_is_put_back_when_the_read_fails():
    before = _limit()
    with pytest.raises(LookupError), joins_as_written():
        raise LookupError("no such record")
    assert _limit() == before


def test_a_transaction_broken_inside_the_block_rolls_the_setting_back_too():
    before = _limit()
    with (
        pytest.raises(Exception),  # noqa: B017 (the error differs between the databases)
        transaction.atomic(),
        joins_as_written(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM no_such_table")
    assert _limit() == before
