"""Query planning on PostgreSQL 查询计划.

A detail page reads one record with its related rows in one statement of ten tables or so.
PostgreSQL then spends longer choosing the order of the joins than running them: with the
default `join_collapse_limit` (8) it searches the orders of up to eight tables, 7 ms of
planning for a statement that runs in 0.2 ms. For a read that starts from one row by its
primary key the order as written — that row first, then each related row by its key — is
already the best one, so these reads ask the planner to keep it (0.6 ms of planning).
SQLite plans such joins in microseconds; nothing changes there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError, connection


@contextlib.contextmanager
def joins_as_written() -> Iterator[None]:
    """Within the block, PostgreSQL joins tables in the order the statement lists them. Only
    for reads that start from one row by its key (lists filter and sort on joined tables,
    and need the planner's search)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET join_collapse_limit = 1")
    try:
        yield
    finally:
        # Put back for the rest of the connection's life. Where the block broke the
        # transaction the SET was made in, the reset cannot run and need not: the rollback
        # that follows undoes the SET too.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET join_collapse_limit")
