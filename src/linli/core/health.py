"""The readiness checks 就绪检查 behind `/readyz`: the database answers, its migrations are all
applied, and the job queue is being worked (its oldest ready job has not waited too long).

Each check says in plain words what it found, never the database's address or error text (the
endpoint needs no login); the log has the detail (`core.outage`). The migrations check reads
every migration file and the applied list, so its result is kept for a short while.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.models import Case, F, Min, When
from django.utils import timezone

from . import outage

MIGRATIONS_CHECK_SECONDS = 30.0  # how long a migrations check's result is reused

_cache_lock = threading.Lock()
_migrations_cache: tuple[float, Check] | None = None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    result: str


def database_check() -> Check:
    try:
        outage.check_database()
    except outage.DATABASE_ERRORS as error:
        outage.state.refused(error)
        return Check("database", False, "does not answer")
    outage.state.answered()
    return Check("database", True, "answers")


def _unapplied_migrations() -> int:
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], ignore_no_migrations=True)
    return len(set(loader.graph.nodes) - set(loader.applied_migrations))


def migrations_check() -> Check:
    """Whether every migration of this version is applied (kept MIGRATIONS_CHECK_SECONDS)."""
    global _migrations_cache
    cached = _migrations_cache
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    missing = _unapplied_migrations()
    if missing:
        check = Check("migrations", False, f"{missing} not applied; run `linli migrate`")
    else:
        check = Check("migrations", True, "all applied")
    with _cache_lock:
        _migrations_cache = (time.monotonic() + MIGRATIONS_CHECK_SECONDS, check)
    return check


def forget_migrations_check() -> None:
    """Check the migrations afresh next time (after `migrate`; tests)."""
    global _migrations_cache
    with _cache_lock:
        _migrations_cache = None


def oldest_ready_job_age(now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long the job that has been ready longest has waited for a worker; None if none waits.
    A job is ready from when it was queued, or from its `run_after` if it was put off."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    became_ready = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default="run_after")
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min(became_ready))["oldest"]
    if oldest is None:
        return None
    return max((now or timezone.now()) - oldest, dt.timedelta(0))


def job_queue_check(now: dt.datetime | None = None) -> Check:
    limit = settings.LINLI_READY_MAX_QUEUE_AGE_MINUTES
    age = oldest_ready_job_age(now)
    if age is None:
        return Check("job_queue", True, "no job waiting")
    minutes = age.total_seconds() / 60
    result = f"the oldest ready job has waited {minutes:.0f} min (limit {limit:g} min)"
    if minutes > limit:
        return Check("job_queue", False, f"{result}; are the workers running?")
    return Check("job_queue", True, result)


def _database_away() -> list[Check]:
    skipped = "not checked: the database does not answer"
    return [
        Check("database", False, "does not answer"),
        Check("migrations", False, skipped),
        Check("job_queue", False, skipped),
    ]


def readiness_checks() -> list[Check]:
    if not database_check().ok:
        return _database_away()
    try:
        return [Check("database", True, "answers"), migrations_check(), job_queue_check()]
    except outage.DATABASE_ERRORS as error:  # it went away between the checks
        outage.state.refused(error)
        return _database_away()
