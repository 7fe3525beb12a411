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


# --- draws: no writer waits (PostgreSQL sequences; `take` on SQLite) --------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time: a draw is a take there",
)


def test_draws_count_from_one_per_key_and_on_from_start(db):
    assert [counters.draw("t", "a") for _ in range(3)] == [1, 2, 3]
    assert counters.draw("t", "b", start=lambda: 41) == 42
    assert counters.draw("t", "b", start=lambda: 1 / 0) == 43  # start asked once only
    assert counters.last_drawn("t", "a") == 3
    assert counters.last_drawn("t", "never") == 0


def test_a_counter_name_and_key_too_long_for_a_sequence_is_refused():
    with pytest.raises(ValueError, match="too long"):
        counters.sequence_name("t" * 40, "k" * 40)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_draw_waits_for_no_transaction_still_open():
    """One transaction draws and stays open; another draws under a lock timeout of one second:
    it gets the next value at once instead of timing out."""
    counters.draw("t", "day")  # the sequence exists (committed)
    drawn, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                counters.draw("t", "day")
                drawn.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert drawn.wait(timeout=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
            assert counters.draw("t", "day") == 3
    finally:
        release.set()
        thread.join()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_many_first_draws_at_once_make_one_sequence_and_different_values():
    writers = 8
    barrier = threading.Barrier(writers)

    def writer(_n):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                return counters.draw("t", "day", start=lambda: 100)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=writers) as pool:
        values = list(pool.map(writer, range(writers)))
    assert sorted(values) == list(range(101, 101 + writers))
    assert counters.sequences("t") == [counters.sequence_name("t", "day")]


@postgresql_only
def test_a_rolled_back_draw_leaves_a_gap_and_a_rolled_back_first_draw_starts_again(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counters.draw("t", "new") == 1
        raise RuntimeError("the write failed")
    assert counters.draw("t", "new") == 1  # the sequence went with the transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counters.draw("t", "new") == 2
        raise RuntimeError("the write failed")
    assert counters.draw("t", "new") == 3
    assert counters.last_drawn("t", "new") == 3


@postgresql_only
def test_a_new_keys_sequence_retires_all_but_the_newest_others(db):
    for day in ("d20261201", "d20261202", "d20261203"):
        counters.draw("t", day)
    counters.draw("u", "d20261201")  # another name's are not touched
    counters.draw("t", "d20261204", keep=2)
    assert counters.sequences("t") == [
        counters.sequence_name("t", day) for day in ("d20261202", "d20261203", "d20261204")
    ]
    assert counters.sequences("u") == [counters.sequence_name("u", "d20261201")]
