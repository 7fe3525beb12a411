"""Query conditions that must use an index on both databases."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def starts_with(field: str, prefix: str) -> Q:
    """Rows whose `field` starts with `prefix` (case-sensitive).

    On SQLite the same prefix is also given as a range, which the column's index can serve: its
    LIKE is case-insensitive and cannot use the index, and its text compares byte by byte.
    PostgreSQL serves LIKE from the pattern index (varchar_pattern_ops), and under a non-C
    collation a range of punctuated strings would not be a prefix, so it gets the plain prefix.
    """
    condition = Q(**{f"{field}__startswith": prefix})
    if connection.vendor == "sqlite" and prefix:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        condition &= Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    return condition
