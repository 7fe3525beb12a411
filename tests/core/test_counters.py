"""Counters 计数器: 1, 2, 3 … per name and key, never the same value twice, even when many
writers take one at the same moment (threads with their own connections, on SQLite and
PostgreSQL), with no error on the way."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from linli.core import counters
from linli.core.models import Counter


def test_a_counter_counts_from_one_per_name_and_key(db):
    assert [counters.take("t", "a") for _ in range(3)] == [1, 2, 3]
    assert counters.take("t", "b") == 1
    assert counters.take("other", "a") == 1
    assert counters.take("t", "a") == 4
    assert dict(Counter.objects.filter(name="t").values_list("key", "value")) == {"a": 4, "b": 1}


def test_start_says_where_a_new_counter_counts_on_from_and_is_asked_once(db):
    asked = []

    def start():
        asked.append(1)
        return 41

    assert counters.take("t", "a", start=start) == 42
    assert counters.take("t", "a", start=start) == 43
    assert asked == [1]


def test_a_value_taken_in_a_rolled_back_transaction_is_given_out_again(db):
    counters.take("t", "a")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counters.take("t", "a") == 2
        raise RuntimeError("the write failed")
    assert counters.take("t", "a") == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["new counter", "existing counter"])
def test_many_writers_at_once_get_different_values_and_no_error(existing):
    """Eight transactions take from the same counter at once, a new one (eight first takes,
    which insert its row) or an existing one, and each does a little more work before it
    commits, as a service does."""
    if existing:
        counters.take("t", "day")
    writers = 8
    barrier = threading.Barrier(writers)

    def writer(_n):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                value = counters.take("t", "day")
                Counter.objects.filter(name="t", key="day").exists()
            return value
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=writers) as pool:
        values = list(pool.map(writer, range(writers)))
    first = 2 if existing else 1
    assert sorted(values) == list(range(first, first + writers))
    assert Counter.objects.get(name="t", key="day").value == first + writers - 1
