"""The households 户 and residents 居民 API.

Thin on purpose: each endpoint parses its input, calls one selector or service — the same ones
the pages call — and shapes the answer. ID numbers and mobile numbers go out through
`core.masking.mask` in every answer except the reveal, which the service audits.
"""

from collections.abc import Iterable
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from linli.core import selectors as core_selectors
from linli.core.api import (
    Id,
    IdempotencyKeyHeader,
    InputSchema,
    PageQuery,
    PathId,
    SearchText,
    Version,
    idempotent,
    page,
    responses,
    text,
)
from linli.core.dates import age_on
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.scoping import covers

from . import selectors, services
from .choices import Relation, Sex
from .filters import HouseholdFilter, ResidentFilter
from .models import Household, Resident, Tag

MAX_TAGS = 30
MAX_FILTER_TAGS = 20


# --- schemas ------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    name: str
    detail: str


class AreaRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str


class HouseholdRef(Schema):
    id: int
    number: str


class MemberOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="Masked, e.g. 370702********1234")
    mobile: str = Field(description="Masked, e.g. 138****5678")
    sex: Sex
    age: int
    relation: Relation
    relation_label: str
    tags: list[TagOut]
    version: int


class ResidentOut(MemberOut):
    household: HouseholdRef
    area: AreaRef


class HouseholdOut(Schema):
    id: int
    number: str
    address: str
    area: AreaRef
    head: PersonRef | None
    tags: list[TagOut]
    version: int


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdOut]


class ResidentPage(Schema):
    count: int
    items: list[ResidentOut]


class TagIn(InputSchema):
    tag: Id
    detail: text(60) = ""


Tags = Annotated[list[TagIn], Field(max_length=MAX_TAGS)]


class HouseholdIn(InputSchema):
    area: Id
    number: text(32, min_length=1)
    address: text(200, min_length=1)
    tags: Tags = []


class HouseholdPatch(InputSchema):
    version: Version = Field(description="The version you read; a newer one on the server → 409")
    area: Id | None = None
    number: text(32, min_length=1) | None = None
    address: text(200, min_length=1) | None = None
    tags: Tags | None = None


class ResidentIn(InputSchema):
    household: Id
    name: text(50, min_length=1)
    id_number: text(18, min_length=1)
    mobile: text(20) = ""
    relation: Relation = Relation.OTHER
    tags: Tags = []


class ResidentPatch(InputSchema):
    version: Version = Field(description="The version you read; a newer one on the server → 409")
    name: text(50, min_length=1) | None = None
    id_number: text(18, min_length=1) | None = None
    mobile: text(20) | None = None
    relation: Relation | None = None
    tags: Tags | None = None


class RevealIn(InputSchema):
    field: Literal["id_number", "mobile"]
    reason: text(500) = Field(description="Why the full value is needed (kept in the audit trail)")


class RevealOut(Schema):
    field: str
    value: str


class RegistryQuery(PageQuery):
    q: SearchText | None = Field(
        None, description="Name, full pinyin or initials (lzh), or last digits of ID or mobile"
    )
    area: Id | None = Field(None, description="Only records in this area and below")
    tag: list[Id] = Field([], max_length=MAX_FILTER_TAGS, description="Tag ids, all required")


# --- shaping answers ----------------------------------------------------------------------


def _tags_out(links, *, show_sensitive: bool) -> list[dict]:
    """Sensitive tags (poverty, disability, health) only for those who may reveal them."""
    return [
        {"id": link.tag_id, "name": link.tag.name, "detail": link.detail}
        for link in links.all()
        if show_sensitive or not link.tag.sensitive
    ]


def member_out(person: Resident, *, show_sensitive: bool, today=None) -> dict:
    return {
        "id": person.pk,
        "name": person.name,
        "id_number": mask(person.id_number, ID_NUMBER),
        "mobile": mask(person.mobile, MOBILE),
        "sex": person.sex,
        "age": age_on(person.birth_date, today or timezone.localdate()),
        "relation": person.relation,
        "relation_label": str(person.get_relation_display()),
        "tags": _tags_out(person.tag_links, show_sensitive=show_sensitive),
        "version": person.version,
    }


def resident_out(person: Resident, user) -> dict:
    household = person.household
    show = covers(user, household.area, "registry.reveal")
    return member_out(person, show_sensitive=show) | {
        "household": {"id": household.pk, "number": household.number},
        "area": {"id": household.area_id, "name": household.area.name},
    }


def household_out(household: Household, user) -> dict:
    head = household.head
    return {
        "id": household.pk,
        "number": household.number,
        "address": household.address,
        "area": {"id": household.area_id, "name": household.area.name},
        "head": {"id": head.pk, "name": head.name} if head else None,
        "tags": _tags_out(
            household.tag_links,
            show_sensitive=covers(user, household.area, "registry.reveal"),
        ),
        "version": household.version,
    }


def household_detail_out(household: Household, user) -> dict:
    show = covers(user, household.area, "registry.reveal")
    today = timezone.localdate()
    members = [member_out(p, show_sensitive=show, today=today) for p in household.members.all()]
    return household_out(household, user) | {"members": members}


# --- parsing input ------------------------------------------------------------------------


def _filter_data(user, query: RegistryQuery, filterset) -> MultiValueDict:
    """The query as the shared filter set reads it; unknown areas or tags are a field error
    here (the selector would quietly return nothing)."""
    data = MultiValueDict()
    if query.q:
        data.setlist("q", [query.q])
    if query.area is not None:
        _area(user, query.area)  # an area outside the scope is as unknown as a missing one
        data.setlist("area", [str(query.area)])
    if query.tag:
        data.setlist("tag", [str(t) for t in query.tag])
    if data:
        form = filterset(data, queryset=filterset._meta.model.objects.none(), user=user)
        if not form.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
    return data


def _area(user, pk: int) -> Area:
    try:
        return core_selectors.area_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"area": _("There is no such area in your scope.")}) from None


def _household(user, pk: int) -> Household:
    try:
        return selectors.household_get(user=user, pk=pk)
    except Http404:
        raise ValidationError(
            {"household": _("There is no such household in your scope.")}
        ) from None


def _tags(items: Iterable[TagIn]) -> list[tuple[Tag, str]]:
    """Tag ids → tags of the vocabulary in use; whether each applies is the service's call."""
    items = list(items)
    ids = [item.tag for item in items]
    if len(set(ids)) != len(ids):
        raise ValidationError({"tags": _("Each tag may be given only once.")})
    known = selectors.tag_vocabulary().in_bulk(ids)
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise ValidationError(
            {"tags": _("There is no tag in use with id %(ids)s.") % {"ids": ", ".join(unknown)}}
        )
    return [(known[item.tag], item.detail) for item in items]


# --- households ---------------------------------------------------------------------------

households = Router(tags=["households"])


@households.get("", response=responses({200: HouseholdPage}), operation_id="household_list")
def list_households(request, filters: Query[RegistryQuery]):
    """Households in the caller's scope, searchable by a member's name, pinyin or digits."""
    user = request.auth
    data = _filter_data(user, filters, HouseholdFilter)
    rows = selectors.household_list(user=user, filters=data)
    return page(rows, filters, lambda h: household_out(h, user))


@households.get(
    "/{id}", response=responses({200: HouseholdDetailOut}), operation_id="household_get"
)
def get_household(request, id: PathId):
    return household_detail_out(selectors.household_get(user=request.auth, pk=id), request.auth)


@households.post("", response=responses({201: HouseholdDetailOut}), operation_id="household_create")
def create_household(
    request,
    response: HttpResponse,
    payload: HouseholdIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    user = request.auth

    def write():
        household = services.household_create(
            actor=user,
            area=_area(user, payload.area),
            number=payload.number,
            address=payload.address,
            tags=_tags(payload.tags),
        )
        return 201, household_detail_out(selectors.household_get(user=user, pk=household.pk), user)

    return idempotent(request, response, idempotency_key, write)


@households.patch(
    "/{id}", response=responses({200: HouseholdDetailOut}), operation_id="household_update"
)
def update_household(
    request,
    response: HttpResponse,
    id: PathId,
    payload: HouseholdPatch,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Change what is given; `version` must be the one you read (else 409, nothing changed)."""
    user = request.auth

    def write():
        household = selectors.household_get(user=user, pk=id)
        changes = {}
        if payload.area is not None:
            changes["area"] = _area(user, payload.area)
        if payload.number is not None:
            changes["number"] = payload.number
        if payload.address is not None:
            changes["address"] = payload.address
        if payload.tags is not None:
            changes["tags"] = _tags(payload.tags)
        services.household_update(
            actor=user, household=household, expected_version=payload.version, **changes
        )
        return 200, household_detail_out(selectors.household_get(user=user, pk=id), user)

    return idempotent(request, response, idempotency_key, write)


# --- residents ----------------------------------------------------------------------------

residents = Router(tags=["residents"])


@residents.get("", response=responses({200: ResidentPage}), operation_id="resident_list")
def list_residents(request, filters: Query[RegistryQuery]):
    """Residents in the caller's scope; household tags count for their members too."""
    user = request.auth
    data = _filter_data(user, filters, ResidentFilter)
    rows = selectors.resident_list(user=user, filters=data)
    return page(rows, filters, lambda p: resident_out(p, user))


@residents.get("/{id}", response=responses({200: ResidentOut}), operation_id="resident_get")
def get_resident(request, id: PathId):
    return resident_out(selectors.resident_get(user=request.auth, pk=id), request.auth)


@residents.post("", response=responses({201: ResidentOut}), operation_id="resident_create")
def create_resident(
    request,
    response: HttpResponse,
    payload: ResidentIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    user = request.auth

    def write():
        person = services.resident_create(
            actor=user,
            household=_household(user, payload.household),
            name=payload.name,
            id_number=payload.id_number,
            mobile=payload.mobile,
            relation=payload.relation,
            tags=_tags(payload.tags),
        )
        return 201, resident_out(selectors.resident_get(user=user, pk=person.pk), user)

    return idempotent(request, response, idempotency_key, write)


@residents.patch("/{id}", response=responses({200: ResidentOut}), operation_id="resident_update")
def update_resident(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ResidentPatch,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Change what is given; `version` must be the one you read (else 409, nothing changed)."""
    user = request.auth

    def write():
        person = selectors.resident_get(user=user, pk=id)
        services.resident_update(
            actor=user,
            resident=person,
            expected_version=payload.version,
            name=payload.name,
            id_number=payload.id_number,
            mobile=payload.mobile,
            relation=payload.relation,
            tags=None if payload.tags is None else _tags(payload.tags),
        )
        return 200, resident_out(selectors.resident_get(user=user, pk=id), user)

    return idempotent(request, response, idempotency_key, write)


@residents.post(
    "/{id}/reveal", response=responses({200: RevealOut}), operation_id="resident_reveal"
)
def reveal_resident(request, response: HttpResponse, id: PathId, payload: RevealIn):
    """查看明文 — the full ID or mobile number, with a stated reason; every reveal is audited.
    Not idempotent on purpose: each reveal is its own audit record."""
    user = request.auth
    person = selectors.resident_get(user=user, pk=id)
    value = services.resident_reveal(
        actor=user, resident=person, field=payload.field, reason=payload.reason
    )
    response["Cache-Control"] = "no-store"
    return {"field": payload.field, "value": value}
