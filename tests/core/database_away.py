"""Taking the database away from the test's own thread, as an outage does.

`database_away()` makes every new connection attempt fail with the driver's real error for a
database that cannot be reached — SQLite's "unable to open database file" (the database file's
place holds a folder), PostgreSQL's "connection refused" (a closed port) — raised through
Django's own error wrapping, so the application sees exactly what it sees in production.
`lost=True` fails instead as a connection that died under it does (InterfaceError).
`everywhere=True` takes it away from every thread (a live server's too), not only this one.
"""

from __future__ import annotations

import socket
import tempfile
from contextlib import contextmanager
from unittest import mock

from django.db import DEFAULT_DB_ALIAS, InterfaceError, connections


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unreachable_params(connection, nowhere: str) -> dict:
    params = connection.get_connection_params()
    if connection.vendor == "sqlite":
        return {**params, "database": nowhere}
    return {**params, "host": "127.0.0.1", "port": _closed_port(), "connect_timeout": 2}


@contextmanager
def database_away(*, lost: bool = False, everywhere: bool = False, alias: str = DEFAULT_DB_ALIAS):
    connection = connections[alias]

    with tempfile.TemporaryDirectory() as nowhere:

        def fail_to_connect(*_self):
            if lost:
                raise InterfaceError("connection already closed")
            with connection.wrap_database_errors:
                connection.get_new_connection(_unreachable_params(connection, nowhere))
            raise AssertionError("the database was expected to be unreachable")

        if everywhere:
            # Every thread's cursor fails: a live server thread may hold a connection opened
            # before (PostgreSQL keeps them), which Django checks between requests without a
            # cursor; a database that went away fails at the next query, as here.
            patch = mock.patch.object(type(connection), "_cursor", fail_to_connect)
        else:
            patch = mock.patch.object(connection, "ensure_connection", fail_to_connect)
        with patch:
            yield
