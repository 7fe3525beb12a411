"""The areas 区域 API, and the building blocks every router of the JSON API shares.

The building blocks keep bad input at the door: every string has a length limit and may not hold
control characters (NUL breaks PostgreSQL) or lone surrogates (they cannot be stored as UTF-8),
every id fits a 64-bit column, and every list is bounded. What passes is the same input the
pages accept, handed to the same selectors and services.
"""

import re
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.params import Path
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic.functional_validators import ModelWrapValidatorHandler

from . import idempotency, selectors
from .choices import AreaKind
from .errors import Conflict, is_conflict
from .models import Area
from .pagination import slice_by_ids

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        None,
        alias=idempotency.HEADER,
        pattern=idempotency.KEY_PATTERN,
        description="Any unique string (a UUID); a retry with the same key is not written twice",
    ),
]


def idempotent(request, response: HttpResponse, key: str | None, write):
    """Run `write` (returning status and body) once per idempotency key: a retry with the
    same key replays the stored answer and says so in a header."""
    status, body, replayed = idempotency.run(
        user=request.auth,
        key=key,
        method=request.method,
        path=request.path,
        body=request.body,
        write=write,
    )
    if replayed:
        response[idempotency.REPLAY_HEADER] = "true"
    return Status(status, body)


MAX_ID = 2**63 - 1  # a 64-bit signed column, on SQLite and PostgreSQL alike
MAX_VERSION = 2**31 - 1
MAX_OFFSET = 10**9
MAX_PAGE = 200
PAGE_SIZE = 50

# Stated in the schema (so clients and the fuzzer know) and checked again for lone surrogates,
# which a pattern cannot express.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def unprintable_message() -> str:
    return _("Control characters (such as NUL or line breaks) are not allowed.")


def _printable(value: str) -> str:
    if _UNSTORABLE.search(value):
        raise ValueError(unprintable_message())
    return value


def text(max_length: int, *, min_length: int = 0):
    """A trimmed string of bounded length without control characters."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=min_length,
            max_length=max_length,
            pattern=PRINTABLE,
        ),
        AfterValidator(_printable),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
if TYPE_CHECKING:
    SearchText = str  # to the type checker; pydantic checks the length and characters
else:
    SearchText = text(50)
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID, description="Record id")]


class InputSchema(Schema):
    """Request bodies: a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE, description="Rows per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip")


def page(queryset, params: PageQuery, build=None, *, ids_first: bool = False) -> dict:
    """One page of `queryset`: the total and the rows of this page, each made by `build` (the
    rows themselves without it, for an `OutputSchema` to read). `ids_first` sorts only the ids
    and then fetches the page's rows (long lists with many joined columns, see
    core.pagination)."""
    if ids_first and not isinstance(queryset, list):
        rows = slice_by_ids(queryset, params.offset, params.limit)
    else:
        rows = queryset[params.offset : params.offset + params.limit]
    total = len(queryset) if isinstance(queryset, list) else queryset.count()
    return {"count": total, "items": [build(row) if build else row for row in rows]}


# A choice's label in the caller's language (a lazy translation is made text).
Label = Annotated[str, BeforeValidator(str)]


class OutputSchema(Schema):
    """Answers read from the objects the selectors return: each field by attribute, by
    `Field(alias=...)` (a dotted path, or a method such as "get_state_display", which is
    called) or by a `resolve_<field>` static method. A resolver whose answer depends on who
    asks takes `context` and reads the caller with `caller(context)`.

    A dict is an answer already shaped — a page's count and rows, or a write's answer as
    stored for an idempotent retry, which ninja validates once more — and is read by field
    name as it is."""

    model_config = ConfigDict(validate_by_name=True)

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if isinstance(values, dict):
            return handler(values)
        return handler(DjangoGetter(values, cls, info.context))


def caller(context: dict):
    """The user an answer is shaped for (ninja passes the request in a resolver's context)."""
    return context["request"].auth


def as_json(schema: type[Schema], obj, request) -> dict:
    """`obj` answered as `schema`, in JSON values (dates as text), so that an idempotent retry
    can replay it."""
    return schema.model_validate(obj, context={"request": request}).model_dump(mode="json")


class FieldError(Schema):
    field: str | None
    message: str
    code: str | None = None


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


def error_items(error: ValidationError) -> list[dict]:
    """A service's ValidationError as the API's list of errors: field, message, code."""
    if hasattr(error, "error_dict"):
        return [
            {"field": None if name == NON_FIELD_ERRORS else name, "message": m, "code": e.code}
            for name, items in error.error_dict.items()
            for e in items
            for m in e.messages
        ]
    return [
        {"field": None, "message": m, "code": e.code} for e in error.error_list for m in e.messages
    ]


def conflict_answer(error: ValidationError) -> tuple[int, dict] | None:
    """Someone else acted first (`core.errors.Conflict`): 409 with the service's message, as
    the pages answer; None for any other refusal."""
    if not is_conflict(error):
        return None
    errors = error_items(error)
    return Conflict.status, {"detail": errors[0]["message"], "errors": errors}


def responses(ok: dict) -> dict:
    """The operation's success schemas plus the error shapes it may answer with (503: the
    database does not answer; try again after the Retry-After header's seconds)."""
    return ok | dict.fromkeys((400, 401, 403, 404, 409, 422, 503), ErrorOut)


# --- areas --------------------------------------------------------------------------------


class AreaOut(Schema):
    id: int
    name: str
    kind: AreaKind
    kind_label: str
    code: str
    parent_id: int | None
    depth: int


class AreaPage(Schema):
    count: int
    items: list[AreaOut]


class AreaQuery(PageQuery):
    parent: Id | None = Field(None, description="Only the areas directly under this one")
    kind: AreaKind | None = None
    q: SearchText | None = Field(None, description="Part of the name")


def area_out(area: Area) -> dict:
    return {
        "id": area.pk,
        "name": area.name,
        "kind": area.kind,
        "kind_label": str(area.get_kind_display()),
        "code": area.code,
        "parent_id": area.parent_id,
        "depth": area.depth,
    }


router = Router(tags=["areas"])


@router.get("", response=responses({200: AreaPage}), operation_id="area_list")
def list_areas(request, filters: Query[AreaQuery]):
    """Areas in the caller's scope, in tree order."""
    areas = selectors.area_list(user=request.auth)
    if filters.parent is not None:
        areas = areas.filter(parent_id=filters.parent)
    if filters.kind:
        areas = areas.filter(kind=filters.kind)
    if filters.q:
        areas = areas.filter(name__contains=filters.q)
    return page(areas, filters, area_out)


@router.get("/{id}", response=responses({200: AreaOut}), operation_id="area_get")
def get_area(request, id: PathId):
    return area_out(selectors.area_get(user=request.auth, pk=id))


@router.get("/{id}/children", response=responses({200: AreaPage}), operation_id="area_children")
def list_area_children(request, id: PathId, params: Query[PageQuery]):
    """The areas directly under this one that the caller may see."""
    parent = selectors.area_get(user=request.auth, pk=id)
    return page(selectors.area_children(user=request.auth, area=parent), params, area_out)
