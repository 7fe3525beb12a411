"""Liveness 存活检查 (`/healthz`) and readiness 就绪检查 (`/readyz`): open without login,
answered before the host check and the HTTPS redirect, not audited, no personal data; readiness
fails when the database does not answer, a migration is not applied, or the oldest ready job
has waited longer than LINLI_READY_MAX_QUEUE_AGE_MINUTES."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from linli.core import health, outage
from linli.core.models import AuditRecord

from . import jobs_for_tests as t
from .database_away import database_away

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def fresh_checks(monkeypatch):
    monkeypatch.setattr(outage, "state", outage.OutageState())
    health.forget_migrations_check()
    yield
    health.forget_migrations_check()


def readiness(client=None):
    response = (client or Client()).get("/readyz")
    return response.status_code, response.json()


def results(body) -> dict:
    return {name: (check["ok"], check["result"]) for name, check in body["checks"].items()}


def queued_minutes_ago(minutes: float, *, run_after: dt.datetime | None = None) -> DBTaskResult:
    task = t.add.using(run_after=run_after) if run_after else t.add
    job = DBTaskResult.objects.get(pk=task.enqueue(1, 2).id)
    job.enqueued_at = timezone.now() - dt.timedelta(minutes=minutes)
    job.save(update_fields=["enqueued_at"])
    return job


# --- liveness ---------------------------------------------------------------------------------


def test_liveness_answers_without_the_database(db):
    with database_away():
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"


def test_liveness_answers_a_session_cookie_without_reading_it(world):
    client = Client()
    client.force_login(world.users["community_worker"], backend=BACKEND)

    with database_away():
        response = client.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in str(response.cookies) and not response.has_header("Vary")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_checks_are_answered_by_address_over_plain_http(db, settings, path):
    """A balancer or systemd asks 127.0.0.1:8001 over HTTP: no host check, no HTTPS redirect."""
    settings.ALLOWED_HOSTS = ["linli.example.gov.cn"]
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get(path, HTTP_HOST="127.0.0.1:8001")

    assert response.status_code == 200
    assert Client().get("/accounts/login/", HTTP_HOST="127.0.0.1:8001").status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_checks_only_read(db, path):
    assert Client().post(path).status_code == 405
    assert Client().head(path).status_code == 200


def test_checks_are_not_audited_and_need_no_login(world):
    staff = Client()
    staff.force_login(world.users["district_leader"], backend=BACKEND)
    before = AuditRecord.objects.count()

    for client in (Client(), staff):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200

    assert AuditRecord.objects.count() == before


# --- readiness --------------------------------------------------------------------------------


def test_ready_when_every_check_passes(db):
    status, body = readiness()

    assert status == 200
    assert body["status"] == "ready"
    assert results(body) == {
        "database": (True, "answers"),
        "migrations": (True, "all applied"),
        "job_queue": (True, "no job waiting"),
    }


def test_not_ready_when_the_database_does_not_answer(db, caplog):
    caplog.set_level(logging.INFO, logger="linli.core.outage")

    with database_away():
        status, body = readiness()
        readiness()

    assert status == 503
    assert body["status"] == "not ready"
    skipped = (False, "not checked: the database does not answer")
    assert results(body) == {
        "database": (False, "does not answer"),
        "migrations": skipped,
        "job_queue": skipped,
    }
    # Nothing about where the database is or what the driver said: that is in the log.
    assert "unable to open" not in str(body) and "refused" not in str(body)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert readiness()[0] == 200
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]


def unapply(app: str, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])


def test_not_ready_while_a_migration_is_not_applied(db):
    """A new version installed, `linli migrate` not run yet: its last migration is missing."""
    latest = max(n for app, n in MigrationLoader(connection).graph.leaf_nodes() if app == "core")
    unapply("core", latest)

    status, body = readiness()

    assert status == 503
    assert results(body)["migrations"] == (False, "1 not applied; run `linli migrate`")
    assert results(body)["database"] == (True, "answers")


def test_the_migrations_check_is_kept_briefly(db, django_assert_num_queries):
    assert readiness()[0] == 200
    unapply("core", "0001_initial")

    with django_assert_num_queries(2):  # SELECT 1 and the queue's oldest job
        status, body = readiness()

    assert status == 200
    health.forget_migrations_check()
    assert readiness()[0] == 503


def test_not_ready_when_the_oldest_ready_job_waited_too_long(db):
    queued_minutes_ago(3)
    assert readiness()[0] == 200

    queued_minutes_ago(11)
    status, body = readiness()

    assert status == 503
    assert results(body)["job_queue"] == (
        False,
        "the oldest ready job has waited 11 min (limit 10 min); are the workers running?",
    )


def test_the_queue_limit_is_the_operators(db, settings):
    settings.LINLI_READY_MAX_QUEUE_AGE_MINUTES = 30
    queued_minutes_ago(11)

    status, body = readiness()

    assert status == 200
    assert results(body)["job_queue"] == (
        True,
        "the oldest ready job has waited 11 min (limit 30 min)",
    )


def test_a_job_put_off_waits_from_when_it_became_ready(db):
    now = timezone.now()
    queued_minutes_ago(60, run_after=now - dt.timedelta(minutes=4))  # a retry's pause, ended
    queued_minutes_ago(60, run_after=now + dt.timedelta(minutes=30))  # not ready yet

    assert health.oldest_ready_job_age(now).total_seconds() == pytest.approx(240, abs=5)
    assert readiness()[0] == 200


def test_running_and_finished_jobs_do_not_count(db):
    job = queued_minutes_ago(120)
    job.status = "RUNNING"
    job.save(update_fields=["status"])

    assert health.oldest_ready_job_age() is None
    assert readiness()[0] == 200
