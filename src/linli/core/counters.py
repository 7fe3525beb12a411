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

Where a gap in the numbers is no harm (application numbers), `draw` does better on PostgreSQL:
a sequence per key, which no writer waits for at all, however long its transaction goes on
after the number (building the answer, storing the idempotency key). On SQLite it is `take`.
"""

from __future__ import annotations

import hashlib
import re
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


# --- draws: numbers no writer waits for (PostgreSQL sequences) -------------------------------

SEQUENCE_PREFIX = "linli_ctr_"
_SLUG = re.compile(r"[^a-z0-9]+")


def sequence_name(name: str, key: str = "") -> str:
    """The PostgreSQL sequence behind a draw: readable in `\\ds` (linli_ctr_services_application__
    bj20261207), so an operator can tell what each one counts."""
    slug = f"{SEQUENCE_PREFIX}{_SLUG.sub('_', name.lower())}__{_SLUG.sub('_', key.lower())}"
    if len(slug) > 63:  # PostgreSQL's longest name
        raise ValueError(f"counter name and key too long for a sequence name: {slug}")
    return slug


def _lock_id(sequence: str) -> int:
    """A 63-bit key for pg_advisory_xact_lock, the same in every process."""
    return int(hashlib.sha256(sequence.encode()).hexdigest()[:15], 16)


def draw(
    name: str, key: str = "", *, start: Callable[[], int] | None = None, keep: int | None = None
) -> int:
    """The next value of a counter that no writer waits for: on PostgreSQL a sequence per name
    and key, whose `nextval` locks nothing, so transactions that draw at the same moment run side
    by side to their ends. The price: a value drawn by a transaction that rolls back is not given
    out again (a gap in the numbers). On SQLite, which runs one write transaction at a time
    anyway, a draw is a `take`.

    `start`, called only when the key's sequence is made, says where to count on from, as for
    `take`. With `keep`, the keys of `name` sort by age (day keys such as BJ20261207): when a new
    key's sequence is made, all but the `keep` newest of the others are dropped."""
    if connection.vendor != "postgresql":
        return take(name, key, start=start)
    sequence = sequence_name(name, key)
    with connection.cursor() as cursor:
        value = _next(cursor, sequence)
        if value is not None:
            return value
        # The key's first draw: make its sequence, one maker at a time. A maker's sequence is
        # seen by others when its transaction commits, which also frees the lock; if it rolls
        # back, the sequence goes with it and the next one makes it again.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(sequence)])
        value = _next(cursor, sequence)
        if value is not None:
            return value
        first = (start() if start is not None else 0) + 1
        cursor.execute(f"CREATE SEQUENCE {sequence} START WITH {int(first)}")
        if keep is not None:
            _retire(cursor, name, sequence, keep)
        cursor.execute("SELECT nextval(%s::regclass)", [sequence])  # made by this transaction
        return cursor.fetchone()[0]


# The sequence is found by reading pg_class, not by its name (`to_regclass`, `'name'::regclass`):
# a name lookup may answer from the process's catalogue cache, which can still say "no such
# sequence" just after another transaction made it and committed; a read of pg_class sees what
# is committed, and nextval by oid needs no lookup. No row: no sequence yet, and no error, so
# the transaction goes on.
_FIND = (
    "FROM pg_class c WHERE c.relkind = 'S' AND c.relname = %s AND c.relnamespace = "
    "(SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema())"
)


def _next(cursor, sequence: str) -> int | None:
    cursor.execute(f"SELECT nextval(c.oid) {_FIND}", [sequence])  # noqa: S608 — our own SQL
    row = cursor.fetchone()
    return row[0] if row else None


def sequences(name: str) -> list[str]:
    """The sequences of a counter name's keys, oldest key first (none on SQLite, which keeps
    its counters in rows)."""
    if connection.vendor != "postgresql":
        return []
    prefix = sequence_name(name, "")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s",
            [prefix.replace("_", r"\_") + "%"],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _retire(cursor, name: str, made: str, keep: int) -> None:
    """Drop the sequences of keys older than the `keep` newest others: a transaction that began
    just before midnight still finds yesterday's."""
    older = [s for s in sequences(name) if s < made]
    for sequence in older[: max(len(older) - keep, 0)]:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")


def last_drawn(name: str, key: str = "") -> int:
    """The last value drawn (or taken) for a name and key, 0 if none yet."""
    if connection.vendor != "postgresql":
        row = Counter.objects.filter(name=name, key=key).values_list("value", flat=True).first()
        return row or 0
    sequence = sequence_name(name, key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.oid {_FIND}", [sequence])  # noqa: S608 — our own SQL
        if cursor.fetchone() is None:
            return 0
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
        value, called = cursor.fetchone()
        return value if called else value - 1
