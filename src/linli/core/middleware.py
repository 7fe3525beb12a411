from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.deprecation import MiddlewareMixin

from . import audit, context, outage, scoping, views_errors, views_health
from .actors import Actor
from .choices import AuditAction, AuditOutcome

# No cache anywhere may keep the answer; `private` for old proxies that ignore no-store.
NO_STORE = "no-store, private"


class DatabaseOutageMiddleware:
    """A request the database could not serve answers 503 with Retry-After (see `core.outage`).

    A view's database error comes here (`process_exception`); one raised by another middleware
    (the session or the user being read) reaches Django's handler500,
    `core.views_errors.server_error`, which answers the same. While an outage lasts, every
    request's queries are watched so that the first one answered ends it. First in the list,
    so that the queries of every other middleware are watched too (the session saved on the
    way out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not outage.state.active:
            return self.get_response(request)
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_answered):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if outage.is_database_error(exception):
            return views_errors.database_unavailable(request, exception)
        return None


def _answered(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    outage.state.answered()
    return result


class HealthCheckMiddleware:
    """Answers the liveness and readiness checks (`/healthz`, `/readyz`, see
    `core.views_health`) before any other middleware: a balancer or systemd asks by address
    over plain HTTP and without cookies, so no host check, HTTPS redirect, session or user
    stands in the way, and nothing is audited. Other methods go on to the URL's view (405)."""

    PATHS = {"/healthz": views_health.liveness, "/readyz": views_health.readiness}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.PATHS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)


class RequestContextMiddleware(MiddlewareMixin):
    """Tags every request's actions with the client address and channel (web or API)."""

    def __call__(self, request):
        channel = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with context.acting(address=context.client_address(request), channel=channel):
            return self.get_response(request)


class PrivateAnswersMiddleware:
    """Answers to a signed-in user — through a page or an API token — carry personal data, so
    they say `Cache-Control: no-store, private`: no browser, proxy or shared computer keeps a
    copy. A view that set its own Cache-Control keeps it; answers to anonymous visitors (the
    public catalogue, the login page) are left as they are, and static files never come here
    (whitenoise answers them first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _acting_user(request) is not None:
            response["Cache-Control"] = NO_STORE
        return response


class DenialAuditMiddleware:
    """Writes a "denied" record 拒绝访问 to the audit trail when a logged-in user is refused.

    Refused means a 403 (no permission, whatever raised it), or any other client error (404,
    422) of a request that reached for a record outside the user's scope
    (`core.scoping.OutOfScope`, raised by the selectors: another area's household on a page, in
    an API body or in `?area=`), or an attempt answered without an error but noted as refused
    (`core.scoping.refuse`: a list page asked for another area). A 404 for an unknown URL or a
    field error about nothing out of scope is not a denial and is not recorded. Doing it here,
    once, covers pages, partials and the API; one request leaves at most one record.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scoping.collecting_misses() as misses:
            response = self.get_response(request)
        status = response.status_code
        miss = _refused_miss(status, misses)
        if status == 403 or miss is not None:
            user = _acting_user(request)
            if user is not None:
                _record_denial(request, user, status, miss)
        return response


def _refused_miss(status: int, misses: list):
    """The out-of-scope attempt this answer refused, if any: the last one noted. A miss that was
    caught and led to a successful answer (a fallback) is no refusal."""
    refused = misses if 400 <= status < 500 else [m for m in misses if m.answered]
    return refused[-1] if refused else None


def _acting_user(request) -> Actor | None:
    """The logged-in user: the session's, or the one an API token authenticated."""
    for candidate in (getattr(request, "user", None), getattr(request, "auth", None)):
        if (
            candidate is not None
            and getattr(candidate, "is_authenticated", False) is True
            and candidate.pk is not None
        ):
            return candidate
    return None


def _record_denial(request, user: Actor, status: int, miss) -> None:
    audit.record(
        action=AuditAction.DENIED,
        outcome=AuditOutcome.FAILURE,
        actor=user,
        object_type=miss.object_type if miss else "",
        object_id=miss.object_id if miss else "",
        object_repr=request.path[:200],
        changes={"method": request.method, "path": request.path[:300], "status": status},
    )
