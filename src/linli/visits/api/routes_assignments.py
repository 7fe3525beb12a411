"""联系责任 — contact assignments: who keeps in touch with whom at each of the five levels."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core import selectors as core_selectors
from linli.core.api import IdempotencyKeyHeader, PathId, as_json, idempotent, page, responses
from linli.registry import selectors as registry_selectors

from .. import selectors, services
from .checks import filter_area, gate
from .schemas import (
    AssignmentEndIn,
    AssignmentIn,
    AssignmentOut,
    AssignmentPage,
    AssignmentQuery,
    ContactIn,
    TargetIn,
)

router = Router()


def _contact(user, contact: ContactIn):
    """The contact, among the posts, organisations, households and people the caller sees."""
    getters = {
        "post": registry_selectors.post_get,
        "organisation": registry_selectors.organisation_get,
        "household": registry_selectors.household_get,
        "resident": registry_selectors.resident_get,
    }
    try:
        return getters[contact.kind](user=user, pk=contact.id)
    except Http404:
        raise ValidationError({"contact": _("There is no such contact in your scope.")}) from None


def _target(user, target: TargetIn):
    getters = {
        "area": core_selectors.area_get,
        "household": registry_selectors.household_get,
        "resident": registry_selectors.resident_get,
    }
    try:
        return getters[target.kind](user=user, pk=target.id)
    except Http404:
        raise ValidationError({"targets": _("There is no such target in your scope.")}) from None


@router.get(
    "/assignments", response=responses({200: AssignmentPage}), operation_id="assignment_list"
)
def list_assignments(request, filters: Query[AssignmentQuery]):
    """联系责任 — the contact assignments in the caller's scope, by level."""
    user = request.auth
    data = {
        "level": filters.level,
        "area": filter_area(user, filters.area),
        "active_on": filters.active_on,
        "contact": filters.contact,
    }
    rows = selectors.assignment_list(user=user, filters=data)
    return page(rows, filters, ids_first=True)


@router.get(
    "/assignments/{id}", response=responses({200: AssignmentOut}), operation_id="assignment_get"
)
def get_assignment(request, id: PathId):
    return selectors.assignment_get(user=request.auth, pk=id)


@router.post(
    "/assignments",
    response=responses({201: AssignmentPage}),
    operation_id="assignment_create",
)
def create_assignments(
    request,
    response: HttpResponse,
    payload: AssignmentIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Who keeps in touch with whom at one of the five levels, from when: one target, or
    several for the same contact at once (a cadre's villages, a central household's
    neighbours) — all are made or none. Answers the assignments made."""
    user = request.auth
    gate(user, "visits.assign")

    def write():
        made = services.assignment_bulk_create(
            actor=user,
            level=payload.level,
            contact=_contact(user, payload.contact),
            targets=[_target(user, t) for t in payload.targets],
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            note=payload.note,
        )
        rows = [selectors.assignment_get(user=user, pk=a.pk) for a in made]
        return 201, as_json(AssignmentPage, {"count": len(rows), "items": rows}, request)

    return idempotent(request, response, idempotency_key, write)


@router.post(
    "/assignments/{id}/end",
    response=responses({200: AssignmentOut}),
    operation_id="assignment_end",
)
def end_assignment(
    request,
    response: HttpResponse,
    id: PathId,
    payload: AssignmentEndIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """End an assignment on a day; it stays in the history."""
    user = request.auth

    def write():
        assignment = selectors.assignment_get(user=user, pk=id)
        gate(user, "visits.assign")
        services.assignment_end(
            actor=user, assignment=assignment, ends_on=payload.ends_on, version=payload.version
        )
        return 200, as_json(AssignmentOut, selectors.assignment_get(user=user, pk=id), request)

    return idempotent(request, response, idempotency_key, write)
