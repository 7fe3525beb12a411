"""The database part of a backup 备份: a consistent copy taken while Linli runs, and loading it.

- SQLite: the online backup API copies the whole database in one step under one read
  transaction; in WAL mode the server's writers go on meanwhile, and the copy is the database as
  it stood at that instant.
- PostgreSQL: `pg_dump -Fc` inside a snapshot exported by a repeatable-read transaction, and
  the manifest's facts (counts, migrations, running jobs …) are read in that same transaction,
  so they describe exactly what the dump holds.

Loading is all or nothing on both: SQLite's backup API the other way round, and
`pg_restore --single-transaction`. Facts are read with plain SQL through any DB-API cursor, so
the same code counts a snapshot file, a live database and a restored one.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgresConnection


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the operator."""


JOBS = "django_tasks_database.DBTaskResult"
# The tables whose counts a restore prints first: the ones an operator knows by name.
MAIN_MODELS = (
    "core.Area",
    "accounts.User",
    "registry.Household",
    "registry.Resident",
    "services.Application",
    "visits.Visit",
    "core.AuditRecord",
    "core.Notification",
    JOBS,
)
# The tables whose rows mean a target database already holds someone's data.
DATA_MODELS = ("core.Area", "accounts.User", "registry.Household", "core.AuditRecord")


@dataclass
class Facts:
    """What one copy of the database holds: rows per table and the states a restore acts on."""

    counts: dict[str, int] = field(default_factory=dict)
    migrations: dict[str, list[str]] = field(default_factory=dict)
    running_jobs: list[str] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)
    audit_key_ids: list[int] = field(default_factory=list)
    audit_last_seq: int = 0
    # The snapshot's moment lies between these two: what was committed before `started` is in
    # it, what was written after `finished` is not.
    started: str = ""
    finished: str = ""


def table_of(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def column_of(label: str, field_name: str) -> str:
    return apps.get_model(label)._meta.get_field(field_name).column


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_facts(cursor, tables: list[str]) -> Facts:
    """The facts of the database behind `cursor` (any DB-API cursor), `tables` being its tables."""

    def rows(sql: str) -> list[tuple]:
        cursor.execute(sql)
        return list(cursor.fetchall())

    facts = Facts()
    for table in sorted(tables):
        facts.counts[table] = rows(f"SELECT COUNT(*) FROM {_quoted(table)}")[0][0]  # noqa: S608
    if "django_migrations" in tables:
        for app, name in rows("SELECT app, name FROM django_migrations ORDER BY id"):
            facts.migrations.setdefault(app, []).append(name)
    jobs = table_of(JOBS)
    if jobs in tables:
        status = column_of(JOBS, "status")
        facts.running_jobs = [
            str(uuid.UUID(str(pk)))  # SQLite keeps the id as bare hex
            for (pk,) in rows(
                f"SELECT id FROM {_quoted(jobs)} "  # noqa: S608 — names from the models
                f"WHERE {_quoted(status)} = '{TaskResultStatus.RUNNING.value}' ORDER BY id"
            )
        ]
    outbox = table_of("core.Notification")
    if outbox in tables:
        state = _quoted(column_of("core.Notification", "state"))
        facts.notifications = dict(
            rows(f"SELECT {state}, COUNT(*) FROM {_quoted(outbox)} GROUP BY {state}")  # noqa: S608
        )
    trail = table_of("core.AuditRecord")
    if trail in tables:
        key = _quoted(column_of("core.AuditRecord", "key_id"))
        seq = _quoted(column_of("core.AuditRecord", "seq"))
        distinct = f"SELECT DISTINCT {key} FROM {_quoted(trail)}"  # noqa: S608
        facts.audit_key_ids = sorted(k for (k,) in rows(distinct) if k)
        facts.audit_last_seq = rows(f"SELECT MAX({seq}) FROM {_quoted(trail)}")[0][0] or 0  # noqa: S608
    return facts


def _now() -> str:
    return timezone.localtime().isoformat(timespec="milliseconds")


class Database(ABC):
    """The database Linli is configured with, as a backup and a restore see it."""

    vendor = ""
    member = ""  # the database's name inside the archive

    def __init__(self, alias: str = "default"):
        self.connection = connections[alias]
        self.settings = self.connection.settings_dict

    @abstractmethod
    def describe(self) -> str:
        """Where the database is, for the operator's eyes (never with a password)."""

    def tools(self) -> str:
        """The outside programs a backup or restore needs, with their version; raises
        BackupError when one is missing or cannot work with the server."""
        return ""

    @abstractmethod
    def snapshot(self, into: Path) -> Facts:
        """Write a consistent copy of the database to `into`; return what the copy holds."""

    @abstractmethod
    def load(self, copy: Path) -> None:
        """Replace the database's content with the copy at `into`, all or nothing."""

    def facts(self) -> Facts:
        """What the database holds now (read through Django's connection)."""
        with self.connection.cursor() as cursor:
            return read_facts(cursor, self.connection.introspection.table_names(cursor))

    def data_held(self) -> dict[str, int]:
        """Rows in the tables that hold someone's data, by model label; empty when there are
        none (a new database, migrated or not)."""
        present = set(self.connection.introspection.table_names())
        held = {}
        with self.connection.cursor() as cursor:
            for label in DATA_MODELS:
                table = table_of(label)
                if table in present:
                    cursor.execute(f"SELECT COUNT(*) FROM {_quoted(table)}")  # noqa: S608
                    if count := cursor.fetchone()[0]:
                        held[label] = count
        return held

    def other_sessions(self) -> int:
        """Other connections to the database (a server or worker still running)."""
        return 0


class SqliteDatabase(Database):
    vendor = "sqlite"
    member = "database/linli.sqlite3"

    @property
    def path(self) -> Path:
        return Path(self.settings["NAME"])

    def describe(self) -> str:
        return _("SQLite database %(path)s") % {"path": self.path}

    def tools(self) -> str:
        return f"sqlite {sqlite3.sqlite_version}"

    def snapshot(self, into: Path) -> Facts:
        if not self.path.is_file():
            raise BackupError(_("There is no database at %(path)s.") % {"path": self.path})
        source = sqlite3.connect(self.path, timeout=60)
        copy = sqlite3.connect(into)
        try:
            started = _now()
            source.backup(copy)  # one step: one read transaction, writers go on (WAL)
            finished = _now()
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
            facts = read_facts(copy.cursor(), _sqlite_tables(copy))
        finally:
            copy.close()
            source.close()
        facts.started, facts.finished = started, finished
        return facts

    def load(self, copy: Path) -> None:
        connections.close_all()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        target = sqlite3.connect(self.path, timeout=60)
        try:
            source.backup(target)  # replaces the whole content in one transaction
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
            source.close()


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]


_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# The connection options that libpq also reads from the environment.
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service")


class PostgresDatabase(Database):
    vendor = "postgresql"
    member = "database/linli.pgdump"

    @property
    def driver(self) -> Any:
        """The connection's DB-API module (psycopg), for a connection of our own and its errors."""
        return self.connection.Database  # type: ignore[attr-defined]  # Django's; not in the stubs

    def describe(self) -> str:
        s = self.settings
        return _("PostgreSQL database %(name)s on %(host)s:%(port)s") % {
            "name": s.get("NAME") or "",
            "host": s.get("HOST") or "localhost",
            "port": s.get("PORT") or 5432,
        }

    # --- the client programs ------------------------------------------------------------

    def _program(self, name: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise BackupError(
                _(
                    "%(program)s is not installed on this machine; a PostgreSQL backup and "
                    "restore need it. Install the PostgreSQL client of the server's version "
                    "(Debian: apt install postgresql-client-%(major)d)."
                )
                % {"program": name, "major": self.server_major()}
            )
        return path

    def program_major(self, name: str) -> tuple[str, int]:
        """(path, major version) of the client program `name`."""
        path = self._program(name)
        answer = subprocess.run(  # noqa: S603 — a fixed program and argument
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
        match = _VERSION.search(answer)
        if match is None:
            raise BackupError(
                _("Could not tell the version of %(program)s from: %(answer)s")
                % {"program": path, "answer": answer.strip()}
            )
        return path, int(match.group(1))

    def server_major(self) -> int:
        self.connection.ensure_connection()
        return cast("PostgresConnection", self.connection).pg_version // 10000

    def tools(self) -> str:
        server = self.server_major()
        versions = []
        for name in ("pg_dump", "pg_restore"):
            _path, major = self.program_major(name)
            if major < server:
                raise BackupError(
                    _(
                        "%(program)s %(tool)d cannot work with a PostgreSQL %(server)d server: "
                        "install the PostgreSQL %(server)d client (Debian: apt install "
                        "postgresql-client-%(server)d) and make it the first on the PATH."
                    )
                    % {"program": name, "tool": major, "server": server}
                )
            versions.append(f"{name} {major}")
        return ", ".join(versions) + f"; server {server}"

    def environment(self) -> dict[str, str]:
        """libpq's environment for the client programs: the password never on a command line."""
        s, env = self.settings, dict(os.environ)
        for variable, key in (
            ("PGHOST", "HOST"),
            ("PGPORT", "PORT"),
            ("PGUSER", "USER"),
            ("PGPASSWORD", "PASSWORD"),
            ("PGDATABASE", "NAME"),
        ):
            if s.get(key):
                env[variable] = str(s[key])
        for option in _LIBPQ_OPTIONS:
            if value := (s.get("OPTIONS") or {}).get(option):
                env["PG" + option.upper()] = str(value)
        env["PGAPPNAME"] = "linli-backup"
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        return env

    def _run(self, args: list[str], what: str) -> str:
        done = subprocess.run(  # noqa: S603 — our own arguments, no shell
            args, env=self.environment(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise BackupError(
                _("%(what)s failed: %(error)s") % {"what": what, "error": done.stderr.strip()}
            )
        return done.stdout

    # --- backup -------------------------------------------------------------------------

    def snapshot(self, into: Path) -> Facts:
        pg_dump, _major = self.program_major("pg_dump")
        try:
            return self._snapshot(pg_dump, into)
        except self.driver.Error as e:
            raise BackupError(str(e).strip()) from e

    def _snapshot(self, pg_dump: str, into: Path) -> Facts:
        raw = self.driver.connect(**self.connection.get_connection_params())
        try:
            raw.autocommit = True
            with raw.cursor() as cursor:
                started = _now()
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot_id = cursor.fetchone()[0]
                finished = _now()
                dump = subprocess.Popen(  # noqa: S603 — our own arguments, no shell
                    [
                        pg_dump,
                        "--format=custom",
                        "--compress=0",  # the archive compresses it once
                        "--no-password",
                        f"--snapshot={snapshot_id}",
                        f"--file={into}",
                    ],
                    env=self.environment(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    cursor.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                    tables = [name for (name,) in cursor.fetchall()]
                    facts = read_facts(cursor, tables)
                finally:
                    _out, error = dump.communicate()  # the snapshot lives until pg_dump is done
                cursor.execute("COMMIT")
        finally:
            raw.close()
        if dump.returncode != 0:
            raise BackupError(_("pg_dump failed: %(error)s") % {"error": error.strip()})
        facts.started, facts.finished = started, finished
        return facts

    # --- restore ------------------------------------------------------------------------

    def dump_tables(self, copy: Path) -> set[str]:
        """The tables a dump creates, read from its table of contents."""
        pg_restore, _major = self.program_major("pg_restore")
        listing = self._run([pg_restore, "--list", str(copy)], "pg_restore --list")
        tables = set()
        for line in listing.splitlines():
            # e.g. "215; 1259 16390 TABLE public core_area postgres"
            parts = line.split()
            if len(parts) >= 6 and parts[3] == "TABLE" and parts[4] != "DATA":
                tables.add(parts[5])
        return tables

    def load(self, copy: Path) -> None:
        pg_restore, _major = self.program_major("pg_restore")
        extra = set(self.connection.introspection.table_names()) - self.dump_tables(copy)
        if extra:
            # Tables of a newer Linli than the backup's: `migrate` makes them again afterwards.
            with self.connection.cursor() as cursor:
                for table in sorted(extra):
                    cursor.execute(f"DROP TABLE IF EXISTS {_quoted(table)} CASCADE")
        connections.close_all()
        self._run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-password",
                f"--dbname={self.settings['NAME']}",
                str(copy),
            ],
            "pg_restore",
        )

    def other_sessions(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            return cursor.fetchone()[0]


def configured(alias: str = "default") -> Database:
    """The configured database, as one of the two kinds Linli backs up."""
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return SqliteDatabase(alias)
    if vendor == "postgresql":
        return PostgresDatabase(alias)
    raise BackupError(
        _("Linli backs up SQLite and PostgreSQL databases, not %(vendor)s.") % {"vendor": vendor}
    )
