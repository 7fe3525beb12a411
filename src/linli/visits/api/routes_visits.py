"""走访 — visits to households and the needs 需求 they found: recording a visit, handing a
need on to the service hall or closing it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core.api import IdempotencyKeyHeader, PathId, as_json, idempotent, page, responses
from linli.core.scoping import OutOfScope
from linli.hall.applications import selectors as hall_selectors
from linli.registry import selectors as registry_selectors
from linli.registry.models import Household

from .. import selectors, services
from ..models import Need
from .checks import filter_area, gate
from .schemas import (
    NeedApplicationIn,
    NeedCloseIn,
    NeedOut,
    NeedPage,
    NeedQuery,
    VisitDetailOut,
    VisitIn,
    VisitPage,
    VisitQuery,
)

router = Router()


def _dates(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise ValidationError({"date_to": _("The end cannot be before the start.")})


def _household_to_visit(pk: int) -> Household:
    """The household named in a visit; whether the caller may record a visit there is the
    service's call (out of scope → 404, the same answer as one that does not exist)."""
    household = Household.objects.select_related("area").filter(pk=pk).first()
    if household is None:
        raise OutOfScope(Household, pk)
    return household


def _offered_item(pk: int):
    item = hall_selectors.offered_item_get(pk=pk)
    if item is None:
        raise ValidationError({"item": _("There is no such service item on offer.")})
    return item


def _member(user, need: Need, pk: int | None):
    """The applicant: a member of the need's household (the service takes the head when
    none is named)."""
    if pk is None:
        return None
    try:
        person = registry_selectors.resident_get(user=user, pk=pk)
    except Http404:
        person = None
    if person is None or person.household_id != need.household_id:
        raise ValidationError({"resident": _("Choose a member of this household.")})
    return person


@router.get("/visits", response=responses({200: VisitPage}), operation_id="visit_list")
def list_visits(request, filters: Query[VisitQuery]):
    """走访 — visits to households in the caller's scope, the latest first."""
    user = request.auth
    _dates(filters.date_from, filters.date_to)
    data = {
        "area": filter_area(user, filters.area),
        "household": filters.household,
        "channel": filters.channel,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
    }
    return page(selectors.visit_list(user=user, filters=data), filters, ids_first=True)


@router.get("/visits/{id}", response=responses({200: VisitDetailOut}), operation_id="visit_get")
def get_visit(request, id: PathId):
    """One visit with the needs it found and where each stands now."""
    return selectors.visit_get(user=request.auth, pk=id)


@router.post("/visits", response=responses({201: VisitDetailOut}), operation_id="visit_record")
def record_visit(
    request,
    response: HttpResponse,
    payload: VisitIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """记录走访 — a visit to a household in your area: how, when (today unless given; not in
    the future, at most 90 days back), a note and the needs found. A household where you may
    not record visits is a 404 and nothing is written."""
    user = request.auth
    gate(user, "visits.record")

    def write():
        visit = services.visit_record(
            actor=user,
            household=_household_to_visit(payload.household),
            channel=payload.channel,
            visited_on=payload.visited_on,
            note=payload.note,
            needs=[services.NeedInput(n.category, n.description) for n in payload.needs],
        )
        return 201, as_json(VisitDetailOut, selectors.visit_get(user=user, pk=visit.pk), request)

    return idempotent(request, response, idempotency_key, write)


# --- needs --------------------------------------------------------------------------------


@router.get("/needs", response=responses({200: NeedPage}), operation_id="need_list")
def list_needs(request, filters: Query[NeedQuery]):
    """需求 — needs found on visits in the caller's scope, the latest first."""
    user = request.auth
    data = {
        "status": filters.status,
        "category": filters.category,
        "area": filter_area(user, filters.area),
    }
    return page(selectors.need_list(user=user, filters=data), filters, ids_first=True)


@router.get("/needs/{id}", response=responses({200: NeedOut}), operation_id="need_get")
def get_need(request, id: PathId):
    return selectors.need_get(user=request.auth, pk=id)


@router.post(
    "/needs/{id}/application",
    response=responses({201: NeedOut}),
    operation_id="need_to_application",
)
def hand_need_to_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: NeedApplicationIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """转为服务申请 — hand the need on to the service hall in one step: an application for a
    member of the household (the head unless named), submitted at once. The need then follows
    the application; answers the need with the application's number and state."""
    user = request.auth

    def write():
        need = selectors.need_get(user=user, pk=id)
        gate(user, "visits.record")
        services.need_to_application(
            actor=user,
            need=need,
            item=_offered_item(payload.item),
            resident=_member(user, need, payload.resident),
            materials_received=payload.materials,
        )
        return 201, as_json(NeedOut, selectors.need_get(user=user, pk=id), request)

    return idempotent(request, response, idempotency_key, write)


@router.post("/needs/{id}/close", response=responses({200: NeedOut}), operation_id="need_close")
def close_need(
    request,
    response: HttpResponse,
    id: PathId,
    payload: NeedCloseIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Close a need: resolved on the spot, or closed without action; a note either way."""
    user = request.auth

    def write():
        need = selectors.need_get(user=user, pk=id)
        gate(user, "visits.record")
        services.need_close(
            actor=user,
            need=need,
            resolved=payload.resolved,
            note=payload.note,
            version=payload.version,
        )
        return 200, as_json(NeedOut, selectors.need_get(user=user, pk=id), request)

    return idempotent(request, response, idempotency_key, write)
