from django.utils.deprecation import MiddlewareMixin

from . import audit, context, scoping
from .choices import AuditAction, AuditOutcome


class RequestContextMiddleware(MiddlewareMixin):
    """Tags every request's actions with the client address and channel (web or API)."""

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with context.acting(address=context.client_address(request), channel=channel):
            return self.get_response(request)


class DenialAuditMiddleware:
    """Writes a "denied" record 拒绝访问 to the audit trail when a logged-in user is refused.

    Refused means a 403 (no permission, whatever raised it) or a 404 for a record outside the
    user's scope (`core.scoping.OutOfScope`, raised by the selectors). A 404 for an unknown URL
    is not a denial and is not recorded. Doing it here, once, covers pages, partials and the API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scoping.collecting_misses() as misses:
            response = self.get_response(request)
        status = response.status_code
        if status == 403 or (status == 404 and misses):
            user = _acting_user(request)
            if user is not None:
                _record_denial(request, user, status, misses[-1] if status == 404 else None)
        return response


def _acting_user(request):
    """The logged-in user: the session's, or the one an API token authenticated."""
    for candidate in (getattr(request, "user", None), getattr(request, "auth", None)):
        if getattr(candidate, "is_authenticated", False) is True and candidate.pk is not None:
            return candidate
    return None


def _record_denial(request, user, status: int, miss) -> None:
    audit.record(
        action=AuditAction.DENIED,
        outcome=AuditOutcome.FAILURE,
        actor=user,
        object_type=miss.object_type if miss else "",
        object_id=miss.object_id if miss else "",
        object_repr=request.path[:200],
        changes={"method": request.method, "path": request.path[:300], "status": status},
    )
