"""The JSON API 接口 at /api/: OpenAPI 3 at /api/openapi.json, interactive docs at /api/docs.

Two ways in: integrations send `Authorization: Bearer lk_…` (tokens from `accounts.services`),
the pages' own scripts use the login session (with the CSRF token on writes). Every answer that
is not a success has one shape, in the user's language:
`{"detail": "…", "errors": [{"field": "id_number", "message": "…", "code": "…"}]}`.
"""

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from linli.accounts.services import api_token_find
from linli.appeals.api import categories as appeal_categories
from linli.appeals.api import router as appeals
from linli.core import context, views_errors
from linli.core.api import PRINTABLE, conflict_answer, error_items, unprintable_message
from linli.core.api import router as areas
from linli.decide.api import router as decide_matters
from linli.decide.board.api import router as decide_commitments
from linli.decide.manage.api import router as decide_tasks
from linli.decide.votes.api import router as votes
from linli.hall.api import applications, catalogue, steps
from linli.registry.api import households, residents
from linli.visits.api import router as visits

logger = logging.getLogger("linli.api")

TOKEN_PREFIX = "lk_"  # noqa: S105 — a prefix, not a secret
MAX_TOKEN_LENGTH = 200


class BearerToken(HttpBearer):
    """接口令牌 — a person's own API token, or a system account's. What the request records in
    the audit trail carries the token's id."""

    def authenticate(self, request, token: str):
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = api_token_find(token)
        if found is None:
            return None
        context.using_api_token(found.pk)
        if found.user.must_change_password:
            # An administrator reset the password (or chose it): until the person sets their
            # own, nothing acts as them, their tokens included.
            raise HttpError(
                403, _("This account must change its password before its API tokens work again.")
            )
        return found.user


class LoginSession(SessionAuth):
    """The pages' login session. Writes need the CSRF token, as any Django form does; a request
    without a session falls through to 401 rather than failing the CSRF check."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def _get_key(self, request):
        if self.csrf and check_csrf(request) is not None:
            raise HttpError(403, _("The CSRF token is missing or wrong; reload the page."))
        return request.COOKIES.get(self.param_name)


class LinliAPI(NinjaAPI):
    """The OpenAPI document is made once per process (and language), not on every request
    for /api/openapi.json (~0.5 s each): it is made from the routes and schemas alone, the
    same for every caller — nothing in it depends on who asks. Read it, never change it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._openapi_documents: dict[tuple[str, str | None], OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, translation.get_language())
        document = self._openapi_documents.get(key)
        if document is None:
            document = super().get_openapi_schema(path_prefix=path_prefix)
            self._openapi_documents[key] = document
        return document


api = LinliAPI(
    title="Linli API",
    version="1",
    description=(
        "Areas, households and residents of the Linli registry; the service hall's public "
        "catalogue, applications and the steps of their routes; visits; appeals 诉求 and their "
        "categories. Every list and record is "
        "limited to the caller's scope (the catalogue is public); ID and mobile numbers are "
        "masked except in a reveal."
    ),
    auth=[BearerToken(), LoginSession()],
    urls_namespace="api",
)
api.add_router("/areas", areas)
api.add_router("/households", households)
api.add_router("/residents", residents)
api.add_router("/catalogue", catalogue)
api.add_router("/applications", applications)
api.add_router("/steps", steps)
api.add_router("/visits", visits)
api.add_router("/appeals", appeals)
api.add_router("/appeal-categories", appeal_categories)
api.add_router("/decide/votes", votes)
api.add_router("/decide/tasks", decide_tasks)
api.add_router("/decide/commitments", decide_commitments)
api.add_router("/decide/matters", decide_matters)


# --- errors -------------------------------------------------------------------------------


def _error(request, status: int, detail: str, errors: list | None = None):
    return api.create_response(
        request, {"detail": str(detail), "errors": errors or []}, status=status
    )


def _schema_message(error: dict) -> str:
    """A schema error in the user's language (pydantic's own messages are English only)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    n = ctx.get("max_length", ctx.get("min_length", ctx.get("ge", ctx.get("le"))))
    bounds = {
        "string_too_long": _("At most %(n)s characters."),
        "too_long": _("At most %(n)s items."),
        "string_too_short": _("At least %(n)s characters."),
        "too_short": _("At least %(n)s items."),
        "greater_than_equal": _("Must be at least %(n)s."),
        "less_than_equal": _("Must be at most %(n)s."),
    }
    if kind == "string_too_short" and n == 1:
        return _("This field cannot be empty.")
    if kind in bounds:
        return bounds[kind] % {"n": n}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == PRINTABLE:
        return unprintable_message()
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    simple = {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "string_type": _("Enter text."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "list_type": _("Enter a list."),
        "model_attributes_type": _("Enter an object."),
        "dict_type": _("Enter an object."),
        "extra_forbidden": _("There is no such field."),
        "string_pattern_mismatch": _("This value has characters that are not allowed."),
        "json_invalid": _("The request body is not valid JSON."),
    }
    return str(simple.get(kind, _("This value is not valid.")))


def _schema_field(location) -> str:
    """("body", "payload", "tags", 0, "tag") → "tags.0.tag"; ("query", "limit") → "limit"."""
    parts = [str(p) for p in location]
    skip = 2 if parts[:1] == ["body"] else 1  # the source, and for a body the payload's name
    return ".".join(parts[skip:]) or "body"


@api.exception_handler(SchemaError)
def schema_error(request, exc: SchemaError):
    errors = [
        {
            "field": _schema_field(e.get("loc", ())),
            "message": _schema_message(e),
            "code": e.get("type"),
        }
        for e in exc.errors
    ]
    return _error(request, 422, _("Some fields are not valid."), errors)


@api.exception_handler(ValidationError)
def rule_error(request, exc: ValidationError):
    conflict = conflict_answer(exc)
    if conflict is not None:
        status, body = conflict
        return _error(request, status, body["detail"], body["errors"])
    return _error(request, 422, _("Some fields are not valid."), error_items(exc))


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    response = _error(
        request, 401, _("Log in, or send a valid API token (Authorization: Bearer …).")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, _("You do not have permission to do this."))


@api.exception_handler(Http404)
def not_found(request, exc):
    # The same answer whether the record does not exist or is outside the caller's scope.
    return _error(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400:  # ninja could not parse the body
        return _error(
            request,
            400,
            _("The request body is not valid JSON."),
            [
                {
                    "field": "body",
                    "message": _("The request body is not valid JSON."),
                    "code": "parse",
                }
            ],
        )
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return _error(request, 413, _("The request is too large."))


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc):
    return _error(request, 400, _("The request is malformed."))


@api.exception_handler(IntegrityError)
def conflict(request, exc):
    # Two requests raced to create the same thing; the loser changed nothing.
    return _error(
        request, 409, _("This clashes with a record saved at the same moment; try again.")
    )


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def unstorable(request, exc):
    logger.warning("API input the database could not store: %s", type(exc).__name__)
    return _error(request, 400, _("A value in the request cannot be stored."))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    # 503 with Retry-After in the usual error shape; logged once per outage, not per request.
    return views_errors.database_unavailable(request, exc)


@api.exception_handler(Exception)
def server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, _("Something went wrong on our side; it has been logged."))
