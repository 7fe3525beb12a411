"""Counters 计数器: numbers handed out 1, 2, 3 … that two writers can never both get.

    serial = counters.take("services.application", "BJ20260928", start=last_number_today)

`take` moves the counter on by one and returns the new value, in one statement, inside the
caller's transaction: the counter's row stays locked until that transaction ends, so a second
writer of the same name and key waits for the first (a few milliseconds) and gets the next
value; if the first rolls back, its value is given out again and no number is skipped. Nothing
is retried and nothing clashes, unlike "the largest number so far plus one", which two writers
read at the same moment.

The first take of a name and key inserts its row (`INSERT … ON CONFLICT DO UPDATE`, on
PostgreSQL and SQLite alike): two first takes at once get 1 and 2, never an error. `start`,
called only then, says where to count on from — the numbers already given out another way
(records made before the counter existed, imported or built by the demo).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from .models import Counter


def _names() -> tuple[str, str, str, str]:
    quote = connection.ops.quote_name
    meta = Counter._meta
    return (
        quote(meta.db_table),
        quote(meta.get_field("name").column),
        quote(meta.get_field("key").column),
        quote(meta.get_field("value").column),
    )


def take(name: str, key: str = "", *, start: Callable[[], int] | None = None) -> int:
    """The counter's next value (1 for a new counter, or `start()` + 1); the counter stays locked
    until the caller's transaction ends. Call it inside that transaction, as late as it can be."""
    table, name_col, key_col, value_col = _names()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {value_col} = {value_col} + 1 "  # noqa: S608 — our own names
            f"WHERE {name_col} = %s AND {key_col} = %s RETURNING {value_col}",
            [name, key],
        )
        row = cursor.fetchone()
        if row is not None:
            return row[0]
        first = (start() if start is not None else 0) + 1
        cursor.execute(
            f"INSERT INTO {table} ({name_col}, {key_col}, {value_col}) "  # noqa: S608
            f"VALUES (%s, %s, %s) ON CONFLICT ({name_col}, {key_col}) "
            f"DO UPDATE SET {value_col} = {table}.{value_col} + 1 RETURNING {value_col}",
            [name, key, first],
        )
        return cursor.fetchone()[0]
