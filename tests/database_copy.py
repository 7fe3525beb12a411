"""A copy of the whole test database, taken once in a test process and put back for each test
that needs the same data: the browser tests' demo district (tests/e2e/conftest.py) is built
once per process rather than once per test (a build is ~10 s; putting it back, well under one).

The copy holds every table a flush empties, as the database holds it — no model instance is
made: on SQLite a page-by-page copy of the database file into memory (the backup API), and back;
on PostgreSQL each table's rows in COPY's text format, written back with COPY with the
foreign-key triggers set aside (the rows were consistent when copied), then every sequence set
where it stood — the tables' own and the counters' (core/counters.py `draw`), which a flush
leaves behind or drops.

What lives outside the database goes with it: the audit trail is signed with the keys in the
session's key folder, so a copy is put back only while that folder still holds the same keys
(`matches`); otherwise the caller builds again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction


@dataclass
class DatabaseCopy:
    vendor: str
    key_folder: Path
    keys: dict[str, bytes]
    sqlite: sqlite3.Connection | None = None
    tables: dict[str, bytes] = field(default_factory=dict)  # PostgreSQL: table → COPY text
    sequences: list[tuple[str, int, bool]] = field(default_factory=list)  # name, value, called


def _audit_keys() -> tuple[Path, dict[str, bytes]]:
    folder = Path(settings.LINLI_AUDIT_KEY_DIR)
    if not folder.is_dir():
        return folder, {}
    return folder, {path.name: path.read_bytes() for path in sorted(folder.glob("*.key"))}


def _tables() -> list[str]:
    """The tables a flush empties (Django's own list), in a fixed order."""
    return sorted(connection.introspection.django_table_names(only_existing=True))


def take() -> DatabaseCopy:
    """Copy what the test database holds now (committed: call it outside any transaction)."""
    folder, keys = _audit_keys()
    copy = DatabaseCopy(connection.vendor, folder, keys)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        copy.sqlite = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(copy.sqlite)
        return copy
    if connection.vendor != "postgresql":  # Linli runs on SQLite and PostgreSQL only
        raise RuntimeError(f"no database copy for {connection.vendor}: SQLite or PostgreSQL")
    quote = connection.ops.quote_name
    with connection.connection.cursor() as cursor:
        for table in _tables():
            with cursor.copy(f"COPY {quote(table)} TO STDOUT") as out:
                copy.tables[table] = b"".join(bytes(block) for block in out)
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = "
            "(SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema())"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"SELECT last_value, is_called FROM {quote(name)}")  # noqa: S608
            value, called = cursor.fetchone()
            copy.sequences.append((name, value, called))
    return copy


def matches(copy: DatabaseCopy) -> bool:
    """Whether the copy can stand in for a new build here: the same database engine, and the
    audit keys it was signed with still in the configured key folder, unchanged."""
    folder, keys = _audit_keys()
    return (
        copy.vendor == connection.vendor
        and folder == copy.key_folder
        and all(keys.get(name) == key for name, key in copy.keys.items())
    )


def restore(copy: DatabaseCopy) -> None:
    """Put the copy back in place of whatever the tables hold, committed."""
    connection.ensure_connection()
    if copy.vendor == "sqlite":
        # Every page, the schema's and sqlite_sequence's included: the file is as it was.
        copy.sqlite.backup(connection.connection)
    else:
        _restore_postgresql(copy)
    _forget_cached_rows()


def _restore_postgresql(copy: DatabaseCopy) -> None:
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(quote(t) for t in copy.tables))
        # Rows go in table by table, whatever points where; the foreign keys held when the
        # rows were copied. Only a superuser may set them aside: otherwise they are checked at
        # the commit, as Django's deferred constraints are.
        cursor.execute("SAVEPOINT replica")
        try:
            cursor.execute("SET LOCAL session_replication_role = replica")
        except Exception:  # noqa: BLE001 — not allowed: keep the checks
            cursor.execute("ROLLBACK TO SAVEPOINT replica")
        for table, rows in copy.tables.items():
            if rows:
                with cursor.copy(f"COPY {quote(table)} FROM STDIN") as into:
                    into.write(rows)
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = "
            "(SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema())"
        )
        present = {name for (name,) in cursor.fetchall()}
        for name, value, called in copy.sequences:
            if name not in present:  # a counter's, dropped after the flush
                cursor.execute(f"CREATE SEQUENCE {quote(name)}")
            cursor.execute("SELECT setval(%s, %s, %s)", [quote(name), value, called])


def _forget_cached_rows() -> None:
    """The content types the process remembers may be the ones a flush made again since; the
    copy brings back its own."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
