"""议事事项 — the matters endpoints (/api/decide/matters)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core import selectors as core_selectors
from linli.core.api import IdempotencyKeyHeader, PathId, as_json, idempotent, page, responses
from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import OutOfScope
from linli.registry.models import Resident

from .. import selectors, services
from ..models import Matter
from .schemas import MatterDetailOut, MatterPage, MatterQuery, MergeIn, ProposeIn, TakeUpIn

router = Router(tags=["decide"])


def _filter_area(user, pk: int | None):
    if pk is None:
        return None
    try:
        return core_selectors.area_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"area": _("There is no such area in your scope.")}) from None


def _detail(user, pk: int, request) -> dict:
    return as_json(MatterDetailOut, selectors.matter_get(user=user, pk=pk), request)


@router.get("", response=responses({200: MatterPage}), operation_id="matter_list")
def list_matters(request, filters: Query[MatterQuery]):
    """议事事项 — the matters you may see, newest first (a resident: their community's); with
    `queue`, those waiting for your action, the longest waiting first."""
    user = request.auth
    if not user.is_staff_member:
        community = selectors.own_community(user)
        rows = Matter.objects.none()
        if community is not None:
            rows = selectors._listed(
                selectors.board_matters(user).filter(starts_with("area__path", community.path))
            ).order_by("-created_at", "-id")
        return page(rows, filters, ids_first=True)
    if filters.queue:
        rows = selectors.matter_queue(user=user)
    else:
        rows = selectors.matter_list(
            user=user,
            filters={
                "stage": filters.stage,
                "category": filters.category,
                "area": _filter_area(user, filters.area),
            },
        )
    return page(rows, filters, ids_first=True)


@router.get("/{id}", response=responses({200: MatterDetailOut}), operation_id="matter_get")
def get_matter(request, id: PathId):
    """One matter with its supporters, opinions, options, meetings, timeline and what you may
    do at its stage."""
    return selectors.matter_get(user=request.auth, pk=id)


def _body_area(user, pk: int | None) -> Area | None:
    if pk is None:
        return None
    area = Area.objects.filter(pk=pk).first()
    if area is None:
        raise ValidationError({"area": _("There is no such area in your scope.")})
    return area


@router.post("", response=responses({201: MatterDetailOut}), operation_id="matter_propose")
def propose_matter(
    request,
    response: HttpResponse,
    payload: ProposeIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """民主提事 — raise a matter: a resident for themselves in their own community; an opinion
    collector or staff (`decide.propose`) on a named resident's behalf, at a place in their
    area (outside it: 404)."""
    user = request.auth
    if not user.has_permission(services.PROPOSE):
        raise PermissionDenied

    def write():
        resident = None
        if payload.resident is not None:
            resident = Resident.objects.filter(pk=payload.resident).first()
            if resident is None:
                raise OutOfScope(Resident, payload.resident)
        matter = services.matter_propose(
            actor=user,
            category=payload.category,
            title=payload.title,
            description=payload.description,
            area=_body_area(user, payload.area),
            resident=resident,
            channel=payload.channel,
        )
        return 201, _detail(user, matter.pk, request)

    return idempotent(request, response, idempotency_key, write)


def _operation(request, response, id: int, key: str | None, act) -> object:
    user = request.auth

    def write():
        matter = selectors.matter_get(user=user, pk=id)
        act(user, matter)
        return 200, _detail(user, id, request)

    return idempotent(request, response, key, write)


@router.post(
    "/{id}/support", response=responses({200: MatterDetailOut}), operation_id="matter_support"
)
def support_matter(
    request, response: HttpResponse, id: PathId, idempotency_key: IdempotencyKeyHeader = None
):
    """附议 — support the matter, as a resident of its community (once; a second is a 409)."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, matter: services.matter_support(actor=user, matter=matter),
    )


@router.post(
    "/{id}/take-up", response=responses({200: MatterDetailOut}), operation_id="matter_take_up"
)
def take_up_matter(
    request,
    response: HttpResponse,
    id: PathId,
    payload: TakeUpIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """受理议事 — take the matter up for deliberation (`decide.manage` over its place)."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, matter: services.matter_take_up(
            actor=user, matter=matter, note=payload.note, expected_version=payload.version
        ),
    )


@router.post("/{id}/merge", response=responses({200: MatterDetailOut}), operation_id="matter_merge")
def merge_matter(
    request,
    response: HttpResponse,
    id: PathId,
    payload: MergeIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """合并 — merge the matter into a similar open one of its community; its supporters and
    opinions are shown there. The answer is the merged (now closed) matter."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, matter: services.matter_merge(
            actor=user,
            matter=matter,
            into=payload.into,
            note=payload.note,
            expected_version=payload.version,
        ),
    )
