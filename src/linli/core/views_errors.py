"""Error pages that need a view of their own. 403 and 404 are templates (templates/403.html,
templates/404.html) rendered by Django's own handlers.

The 500 page (a real error) and the 503 answer (the database does not answer, see
`core.outage`) are rendered from the request alone: the context processors read the session and
the user, i.e. the database, which may be the very thing that failed. They show the site's
layout without the menu (it depends on the user) and the language switch still works.
"""

from __future__ import annotations

import sys

from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from . import outage


def csrf_failure(request, reason: str = ""):
    """A form refused by the CSRF check: the site's Chinese page in its own layout, instead of
    Django's English one. The reason stays out of the page (it is for developers)."""
    return render(request, "403_csrf.html", status=403)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_without_database(request, template_name: str) -> str:
    """`template_name` rendered with no context processor: only the request and the CSRF token
    (from its cookie) are known."""
    return loader.render_to_string(
        template_name, {"request": request, "csrf_token": get_token(request)}
    )


def _api_error(status: int, detail: str) -> JsonResponse:
    """The API's one error shape (see linli/api.py)."""
    return JsonResponse({"detail": detail, "errors": []}, status=status)


def database_unavailable(request, error: BaseException) -> HttpResponse:
    """503 with Retry-After for a request the database could not serve: the Chinese page for
    people, the API's error shape for the API. The outage is logged once, when it begins."""
    outage.state.refused(error)
    response: HttpResponse
    if _is_api(request):
        response = _api_error(
            503, _("The database cannot be reached at the moment; try again in a minute.")
        )
    else:
        response = HttpResponse(page_without_database(request, "503.html"), status=503)
    response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Django logs every answer of 500 or more as an error, one line per request; this one is
    # already in the log as part of its outage.
    mark_logged(response)
    return response


def mark_logged(response: HttpResponse) -> None:
    """Keep Django from logging this answer as an error (its own flag, which django-stubs do
    not declare)."""
    response._has_been_logged = True  # type: ignore[attr-defined]


def server_error(request):
    """handler500: a real error gets the styled Chinese page (the API its error shape), and
    Django logs its traceback; a database that stopped answering while the request went
    through the middleware (the session, the user) gets the 503 answer instead."""
    error = sys.exc_info()[1]
    if outage.is_database_error(error):
        return database_unavailable(request, error)
    if _is_api(request):
        return _api_error(500, _("Something went wrong on our side; it has been logged."))
    return HttpResponse(page_without_database(request, "500.html"), status=500)
