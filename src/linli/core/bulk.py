"""Bulk writing for imports of many thousand rows: reserve primary keys, then insert plain rows.

Django's `bulk_create` builds a model instance and compiles SQL for every row, which costs more
than reading the workbook the rows came from. Here rows are tuples in a stated column order;
SQLite takes them with one `executemany`, PostgreSQL with `COPY`. Keys are reserved first so
that rows pointing at each other (a household and its head) go in without a second pass —
Django's foreign keys are deferred to the end of the transaction on both databases.

Call inside `transaction.atomic()`: on SQLite the write lock is held from the transaction's
start (IMMEDIATE mode), so the highest key cannot move under us.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models

SQLITE_CACHE_KIB = 131072


CHUNK = 2000  # values per IN (…) on SQLite; far below its 32,766 parameters
COPY_BLOCK = 10000  # rows per block sent to PostgreSQL's COPY


@contextmanager
def collector_paused():
    """Python's cycle collector paused for a bulk job. A district's workbook or demo plan is
    millions of small objects, none of them in a reference cycle, and each of the collector's
    passes walks them all: a third of an import's checks went to it (measured: 4.0 s → 2.5 s),
    a third of the demo's planning. Reference counting still frees everything; the collector
    resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_in(model, columns: list[str], key: str, values: list) -> list[tuple]:
    """Rows of `columns` where `key` is one of `values`, a chunk at a time. Plain SQL: on a
    re-import of a whole district the ORM's per-value lookup preparation costs seconds."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    key = connection.ops.quote_name(key)
    rows: list[tuple] = []
    if len(values) >= CHUNK and _holds_fewer_than(model, 1):
        # A first import asks after a district's 200,000 ID numbers in an empty table: sending
        # them costs half a second on PostgreSQL (the array is quoted client-side) for no answer.
        return rows
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter, one plan
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {key} = ANY(%s)", [values])  # noqa: S608
            return cursor.fetchall()
        for chunk in chunks(values):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {cols} FROM {table} WHERE {key} IN ({marks})", chunk)  # noqa: S608
            rows += cursor.fetchall()
    return rows


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, in ascending order."""
    if count <= 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Other writers wait for the table until we commit (readers do not), so nobody
            # draws from the sequence between our two calls.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [model._meta.db_table, model._meta.pk.column],
            )
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return list(range(first, first + count))
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608
        highest = cursor.fetchone()[0]
    return list(range(highest + 1, highest + 1 + count))


def db_value(value):
    """A timestamp, date or JSON value as the database driver takes it, for rows given to
    `insert_rows`: an import converts its one timestamp once, not once a row."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        if connection.vendor == "sqlite":
            return connection.ops.adapt_datetimefield_value(value)
        # As text, which PostgreSQL reads as the timestamp it is: COPY would otherwise format
        # the same timestamp again in every row.
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def column_of(model: type[models.Model], name: str) -> str:
    """The table column of `model`'s field `name`."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model._meta.label}.{name} is not a column")
    return field.column


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `columns`, which are field names) into `model`'s
    table. The rows hold what the driver takes: text, numbers, None, and `db_value()` for
    timestamps, dates and JSON. Returns the number of rows written."""
    db_columns = [column_of(model, name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in db_columns)
    if connection.vendor == "postgresql":
        return _copy(table, quoted, len(db_columns), rows)
    rows = list(rows)
    placeholders = ", ".join(["%s"] * len(db_columns))
    with connection.cursor() as cursor:
        # A bigger page cache for this connection: index pages of the new rows stay in memory
        # instead of being re-read for every row.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",  # noqa: S608
            rows,
        )
    return len(rows)


_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def _copy_text(value) -> str:
    """One value in COPY's text format. Called for every cell of a district's rows, so the
    common types are tested first and text is translated only where it holds a special."""
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value
    if kind is int:
        return str(value)
    if value is None:
        return _COPY_NULL
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _copy_block(rows: Sequence[Sequence], width: int) -> str:
    """Rows in COPY's text format, one line each. `str()` already writes ints, dates, timestamps
    and booleans as PostgreSQL reads them, so each row is joined in one go, None as \\N, and the
    block is checked once: as many tabs as the rows have cell boundaries, one backslash per None
    and one line break per row boundary mean no cell held any of them. Otherwise (an address
    with a tab or a backslash, say) the block goes again cell by cell."""
    nulls, lines = 0, []
    for row in rows:
        count = row.count(None)
        if count:
            nulls += count
            lines.append("\t".join([_COPY_NULL if value is None else str(value) for value in row]))
        else:
            lines.append("\t".join(map(str, row)))
    text = "\n".join(lines)
    if (
        text.count("\t") == len(lines) * (width - 1)
        and text.count("\\") == nulls
        and text.count("\n") == len(lines) - 1
        and "\r" not in text
    ):
        return text
    return "\n".join(["\t".join(map(_copy_text, row)) for row in rows])


def _copy(table: str, quoted_columns: str, width: int, rows: Iterable[Sequence]) -> int:
    # Lines formatted here and sent in large blocks: several times faster than write_row().
    written, block = 0, []
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({quoted_columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            block.append(row)
            if len(block) == COPY_BLOCK:
                copy.write(_copy_block(block, width) + "\n")
                written, block = written + len(block), []
        if block:
            copy.write(_copy_block(block, width) + "\n")
            written += len(block)
    return written


def _plain_indexes(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's non-unique secondary indexes."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        rows = cursor.fetchall()
    return [(name, sql) for name, sql in rows if "UNIQUE" not in sql.upper()]


def _holds_fewer_than(model: type[models.Model], count: int) -> bool:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1 OFFSET %s", [max(count - 1, 0)])  # noqa: S608
        return cursor.fetchone() is None


def _foreign_keys(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, definition) of the table's foreign-key constraints, on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        return cursor.fetchall()


def _first_loads(loads: dict[type[models.Model], int]) -> list[type[models.Model]]:
    """The tables for which the load dwarfs what they hold."""
    return [
        model
        for model, incoming in loads.items()
        if incoming >= 1000 and _holds_fewer_than(model, incoming)
    ]


@contextmanager
def indexes_rebuilt_after(loads: dict[type[models.Model], int]):
    """For a load that dwarfs what a table holds (a first import), drop the table's plain
    indexes and build them again afterwards: building an index over sorted rows once is about
    twice as fast as updating it row by row. On PostgreSQL the table's foreign keys go the same
    way: checking them again is one join, where keeping them fires a trigger query per row
    (2.7 s of a district's 15 s import). Tables that already hold as many rows as are coming
    keep theirs — rebuilding would cost more, and would lock readers out."""
    tables = _first_loads(loads)
    postgres = connection.vendor == "postgresql"
    indexes: list[str] = []
    constraints: list[tuple[str, str, str]] = []  # (table, name, definition)
    with connection.cursor() as cursor:
        if tables and postgres:
            # Run what is pending now: a table with pending foreign-key checks cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            for name, sql in _plain_indexes(model):
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                indexes.append(sql)
            for name, definition in _foreign_keys(model) if postgres else []:
                cursor.execute(
                    f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}"
                )
                constraints.append((table, name, definition))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in indexes:
                cursor.execute(sql)
            for table, name, definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                    f"{definition}"
                )
            if tables and postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def refresh_statistics(models_: Iterable[type[models.Model]]) -> None:
    """After a large load, let the query planner know the tables' new sizes (a freshly loaded
    district otherwise plans its counts as if the tables were empty). SQLite samples a bounded
    number of rows, so this stays cheap."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def refresh_all_statistics() -> None:
    """After building a whole district on PostgreSQL: the statistics of every table, as
    autovacuum would gather them in its own time (and never where it is turned off), so that
    the first pages are planned from the district's real sizes rather than from empty tables.
    SQLite keeps the sampled statistics of its bulk loads (refresh_statistics): without
    histograms, exact figures mislead its planner on skewed columns (four street-level links
    among seventy-six thousand)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
