"""When the database does not answer 数据库中断: what the process knows about it.

A database that is stopped, restarting, unreachable over the network or (SQLite) whose file
cannot be opened makes every query fail at once with `OperationalError` or `InterfaceError` —
the DB-API's errors "related to the database's operation and not under the control of the
programmer", which is also where Django puts a lost connection. Such a request is answered 503
with `Retry-After` (`core.views_errors.database_unavailable`), never with a 500 and a traceback.

The log gets one WARNING when an outage begins and one INFO when a query is answered again,
with how long it lasted and how many requests were turned away meanwhile; the state is the
process's (shared by its serving threads, behind a lock). A query answered again is seen by
`core.middleware.DatabaseOutageMiddleware`, which watches the queries of every request only
while an outage lasts, and by the readiness check (`/readyz`), which asks the database itself.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TypeGuard

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# What a 503 tells clients to wait before trying again: a database restart or a failover takes
# seconds to a minute; a person reading the page can always reload sooner.
RETRY_AFTER_SECONDS = 30


def is_database_error(
    error: BaseException | None,
) -> TypeGuard[OperationalError | InterfaceError]:
    return isinstance(error, DATABASE_ERRORS)


def _first_line(error: BaseException) -> str:
    """The driver's own words, first line only (psycopg adds hints on the lines after)."""
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""


class OutageState:
    """Since when the database has not answered, and how many requests were turned away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._refused = 0

    @property
    def active(self) -> bool:
        # Read without the lock: a stale answer costs one request a watched query, nothing more.
        return self._since is not None

    def refused(self, error: BaseException) -> None:
        """A request was turned away because of `error`; the first one of an outage is logged."""
        with self._lock:
            self._refused += 1
            if self._since is not None:
                return
            self._since, self._refused = time.monotonic(), 1
        logger.warning(
            "The database does not answer (%s: %s); answering 503 until it does.",
            type(error).__name__,
            _first_line(error),
        )

    def answered(self) -> None:
        """A query was answered: an outage, if there was one, is over."""
        with self._lock:
            if self._since is None:
                return
            lasted, refused = time.monotonic() - self._since, self._refused
            self._since, self._refused = None, 0
        logger.info(
            "The database answers again after %.1f s; %d requests were answered 503 meanwhile.",
            lasted,
            refused,
        )


state = OutageState()


def check_database(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Ask the database a trivial question; raises one of DATABASE_ERRORS if it cannot answer.

    For pages that would otherwise answer without the database (the login form) and for the
    readiness check; a kept connection that died meanwhile fails here too."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
