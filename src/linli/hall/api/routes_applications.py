"""Applications 办件: the list and one application, taking one, and the actions on it.

An application or step the caller may not see is a 404, one they see but may not act on a 403
(the same rule as the pages). Every write accepts an `Idempotency-Key`; writes that act on a
record carry the `version` the caller read, and someone else acting first is a 409.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core import selectors as core_selectors
from linli.core.api import (
    IdempotencyKeyHeader,
    PathId,
    as_json,
    conflict_answer,
    idempotent,
    page,
    responses,
)
from linli.registry import selectors as registry_selectors

from ..applications import selectors, services
from ..choices import RatingSource
from ..filters import ApplicationFilter
from ..models import Application, ServiceItem
from .schemas import (
    ApplicationDetailOut,
    ApplicationIn,
    ApplicationPage,
    ApplicationQuery,
    CompleteIn,
    GuidanceIn,
    RatingIn,
    ReasonIn,
    ResubmitIn,
    TripIn,
)

# --- parsing input ------------------------------------------------------------------------


def _filter_data(user, query: ApplicationQuery) -> dict:
    """The query as `ApplicationFilter` reads it; an area outside the scope or an unknown item
    is a field error here (the selector would quietly return nothing)."""
    data = {}
    if query.q:
        data["q"] = query.q
    if query.state:
        data["state"] = query.state.value
    if query.channel:
        data["channel"] = query.channel.value
    if query.item is not None:
        data["item"] = str(query.item)
    if query.area is not None:
        try:
            core_selectors.area_get(user=user, pk=query.area)
        except Http404:
            raise ValidationError({"area": _("There is no such area in your scope.")}) from None
        data["area"] = str(query.area)
    if data:
        form = ApplicationFilter(data, queryset=Application.objects.none(), user=user)
        if not form.is_valid():
            raise ValidationError(
                {
                    name: [e["message"] for e in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
    return data


def _resident(user, pk: int):
    try:
        return registry_selectors.resident_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"resident": _("There is no such resident in your scope.")}) from None


def _offered_item(pk: int) -> ServiceItem:
    item = selectors.offered_item_get(pk=pk)
    if item is None:
        raise ValidationError({"item": _("There is no such service item on offer.")})
    return item


def _outreach_task(user, pk: int | None):
    if pk is None:
        return None
    try:
        return selectors.outreach_task_get(user=user, pk=pk)
    except Http404:
        raise ValidationError(
            {"outreach": _("There is no such outreach task in your scope.")}
        ) from None


def _application_for(user, pk: int, action: str) -> Application:
    """The application, if the user may take `action` on it at all: 404 when they cannot see
    it, 403 when they see it but may not (the same rule as the pages)."""
    application = selectors.application_get(user=user, pk=pk)
    if application.step_only or not selectors.may_take_action(user, application, action):
        raise PermissionDenied
    return application


def _detail(request, pk: int, status: int = 200) -> tuple[int, dict]:
    application = selectors.application_get(user=request.auth, pk=pk)
    return status, as_json(ApplicationDetailOut, application, request)


def _act(request, response, key, pk: int, action: str, perform, status: int = 200):
    """An action on one application, idempotent with `key`; answers the application as it
    is afterwards."""
    user = request.auth

    def write():
        application = _application_for(user, pk, action)
        try:
            perform(user, application)
        except ValidationError as error:
            conflict = conflict_answer(error)
            if conflict is None:
                raise
            return conflict
        return _detail(request, pk, status)

    return idempotent(request, response, key, write)


# --- the endpoints ------------------------------------------------------------------------

router = Router(tags=["applications"])


@router.get("", response=responses({200: ApplicationPage}), operation_id="application_list")
def list_applications(request, filters: Query[ApplicationQuery]):
    """Applications in the caller's scope (a resident: their household's), newest first."""
    user = request.auth
    data = _filter_data(user, filters)
    rows = selectors.application_list(user=user, filters=data)
    return page(rows, filters, ids_first=True)


@router.get(
    "/{id}", response=responses({200: ApplicationDetailOut}), operation_id="application_get"
)
def get_application(request, id: PathId):
    """One application with its materials, route, trips, rating and timeline. An office that
    sees it only because one of its steps reached them gets what that step needs."""
    return selectors.application_get(user=request.auth, pk=id)


@router.post("", response=responses({201: ApplicationDetailOut}), operation_id="application_create")
def create_application(
    request,
    response: HttpResponse,
    payload: ApplicationIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """受理 — take an application: staff at the counter or on a visit for a resident of
    their area, or a resident online for their own household. It is submitted at once unless
    `submit` is false; required material missing → returned with the list (补正)."""
    user = request.auth

    def write():
        application = services.application_create(
            actor=user,
            resident=_resident(user, payload.resident),
            item=_offered_item(payload.item),
            channel=payload.channel,
            materials_received=payload.materials,
            submit=payload.submit,
            outreach_task=_outreach_task(user, payload.outreach),
        )
        return _detail(request, application.pk, 201)

    return idempotent(request, response, idempotency_key, write)


@router.post(
    "/{id}/submit",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_submit",
)
def submit_application(
    request, response: HttpResponse, id: PathId, idempotency_key: IdempotencyKeyHeader = None
):
    """Submit a draft; required material missing → returned with the list (补正)."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "submit",
        lambda u, a: services.application_submit(actor=u, application=a),
    )


@router.post(
    "/{id}/resubmit",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_resubmit",
)
def resubmit_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ResubmitIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """补正 — the missing material was handed in: back to the hall or the step that
    returned it."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "resubmit",
        lambda u, a: services.application_resubmit(
            actor=u,
            application=a,
            came_in_person=payload.came_in_person,
            materials_received=payload.materials,
            note=payload.note,
            extra_trip_reason=payload.extra_trip_reason,
            expected_version=payload.version,
        ),
    )


@router.post(
    "/{id}/withdraw",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_withdraw",
)
def withdraw_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """撤回 — at the resident's wish, from any open state."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "withdraw",
        lambda u, a: services.application_withdraw(
            actor=u, application=a, reason=payload.reason, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/reject",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_reject",
)
def reject_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """The hall refuses a submitted application (one on its route is rejected by the office
    of its current step, through the step)."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "reject",
        lambda u, a: services.application_reject(
            actor=u, application=a, reason=payload.reason, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/complete",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_complete",
)
def complete_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: CompleteIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Complete an item done at the counter (即时办理)."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "complete",
        lambda u, a: services.application_complete(
            actor=u, application=a, outcome=payload.outcome, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/guidance",
    response=responses({200: ApplicationDetailOut}),
    operation_id="application_guidance",
)
def record_guidance(
    request,
    response: HttpResponse,
    id: PathId,
    payload: GuidanceIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """指导办理 — the guidance given and its outcome; that completes a guided application."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "guidance",
        lambda u, a: services.application_record_guidance(
            actor=u,
            application=a,
            guidance=payload.guidance,
            outcome=payload.outcome,
            expected_version=payload.version,
        ),
    )


@router.post(
    "/{id}/trips",
    response=responses({201: ApplicationDetailOut}),
    operation_id="trip_record",
)
def record_trip(
    request,
    response: HttpResponse,
    id: PathId,
    payload: TripIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """跑腿 — the resident had to come in person once more; answers the application with
    its trips."""
    return _act(
        request,
        response,
        idempotency_key,
        id,
        "trip",
        lambda u, a: services.trip_record(
            actor=u,
            application=a,
            on=payload.on,
            reason=payload.reason,
            note=payload.note,
            extra_trip_reason=payload.extra_trip_reason,
        ),
        status=201,
    )


@router.post(
    "/{id}/rating",
    response=responses({201: ApplicationDetailOut}),
    operation_id="application_rate",
)
def rate_application(
    request,
    response: HttpResponse,
    id: PathId,
    payload: RatingIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """评价 — rate a completed application once, 1–5: the resident for their own, staff on a
    return call (回访). Rated already → 409."""

    def perform(user, application):
        source = payload.source
        if source is None:
            sources = selectors.rating_sources(user, application)
            source = sources[0] if sources else RatingSource.RESIDENT
        services.rating_give(
            actor=user,
            application=application,
            score=payload.score,
            comment=payload.comment,
            source=source,
        )

    return _act(request, response, idempotency_key, id, "rate", perform, status=201)
