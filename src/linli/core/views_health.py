"""Liveness 存活检查 and readiness 就绪检查, for the reverse proxy, systemd and monitoring.

`/healthz` answers 200 as long as the process serves requests; it asks nothing of the
database. `/readyz` answers 200 when the database answers, every migration is applied and the
job queue is worked, 503 otherwise; its JSON body lists each check and what it found. Both are
open without login, hold no personal data and are not audited; they are answered by
`core.middleware.HealthCheckMiddleware` before the rest of the middleware. Their words are
fixed English, like the log's, so that a monitor may match them whatever the language.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from . import health
from .views_errors import mark_logged

NO_STORE = {"Cache-Control": "no-store"}


@require_safe
def liveness(request):
    return JsonResponse({"status": "alive"}, headers=NO_STORE)


@require_safe
def readiness(request):
    checks = health.readiness_checks()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: {"ok": check.ok, "result": check.result} for check in checks},
    }
    response = JsonResponse(body, status=200 if ready else 503, headers=NO_STORE)
    # Not one error line per probe in the log: the body is the report, and a database that
    # does not answer is logged once per outage (core.outage).
    mark_logged(response)
    return response
