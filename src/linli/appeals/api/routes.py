"""诉求 — the appeals endpoints (/api/appeals) and the categories (/api/appeal-categories)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from linli.core import selectors as core_selectors
from linli.core.api import (
    IdempotencyKeyHeader,
    PageQuery,
    PathId,
    as_json,
    idempotent,
    page,
    responses,
)
from linli.core.scoping import OutOfScope
from linli.registry.models import Resident

from .. import selectors, services
from .schemas import (
    AppealDetailOut,
    AppealIn,
    AppealPage,
    AppealQuery,
    CategoryPage,
    ReasonIn,
    ReturnVisitIn,
    SettleIn,
    VersionIn,
)

router = Router(tags=["appeals"])
categories = Router(tags=["appeals"])


def _gate(user, perm: str) -> None:
    """A role that never may (a resident raising one at the counter) gets 403 before anything
    is looked up."""
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


def _filter_area(user, pk: int | None):
    if pk is None:
        return None
    try:
        return core_selectors.area_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"area": _("There is no such area in your scope.")}) from None


def _reporter(pk: int | None) -> Resident | None:
    """The reporter named in the body; whether the caller may see them is the service's call
    (out of scope → 404, the same answer as one that does not exist)."""
    if pk is None:
        return None
    person = Resident.objects.filter(pk=pk).first()
    if person is None:
        raise OutOfScope(Resident, pk)
    return person


def _detail(user, pk: int, request) -> dict:
    return as_json(AppealDetailOut, selectors.appeal_get(user=user, pk=pk), request)


@categories.get("", response=responses({200: CategoryPage}), operation_id="appeal_category_list")
def list_categories(request, params: Query[PageQuery]):
    """诉求类别 — the categories a new appeal may be raised in, in order."""
    return page(selectors.offered_categories(), params)


@router.get("", response=responses({200: AppealPage}), operation_id="appeal_list")
def list_appeals(request, filters: Query[AppealQuery]):
    """诉求 — the appeals you may see, newest first; with `queue`, those waiting or being
    handled where you handle them, the nearest deadline first."""
    user = request.auth
    if filters.queue:
        rows = selectors.appeal_queue(user=user, tier=filters.tier)
    else:
        rows = selectors.appeal_list(
            user=user,
            filters={
                "state": filters.state,
                "tier": filters.tier,
                "channel": filters.channel,
                "category": filters.category,
                "area": _filter_area(user, filters.area),
            },
        )
    return page(rows, filters, ids_first=True)


@router.get("/{id}", response=responses({200: AppealDetailOut}), operation_id="appeal_get")
def get_appeal(request, id: PathId):
    """One appeal with its steps at each tier, return visits, timeline and what you may do."""
    return selectors.appeal_get(user=request.auth, pk=id)


@router.post("", response=responses({201: AppealDetailOut}), operation_id="appeal_create")
def create_appeal(
    request,
    response: HttpResponse,
    payload: AppealIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """登记诉求 — raise an appeal at a place in your area (`appeals.report`), from the
    counter, a visit, the hotline or another system; it starts at the lowest tier covering
    the place. The reporter is a person in the registry, a name with a mobile number, or
    nobody (anonymous, where the category allows). A place outside your area is a 404."""
    user = request.auth
    _gate(user, services.REPORT)

    def write():
        appeal = services.appeal_create(
            actor=user,
            category=payload.category,
            channel=payload.channel,
            area=payload.area,
            description=payload.description,
            address=payload.address,
            latitude=payload.latitude,
            longitude=payload.longitude,
            reporter=_reporter(payload.reporter),
            reporter_name=payload.reporter_name,
            reporter_mobile=payload.reporter_mobile,
            anonymous=payload.anonymous,
        )
        return 201, _detail(user, appeal.pk, request)

    return idempotent(request, response, idempotency_key, write)


def _operation(request, response, id: int, key: str | None, act) -> object:
    user = request.auth

    def write():
        appeal = selectors.appeal_get(user=user, pk=id)
        act(user, appeal)
        return 200, _detail(user, id, request)

    return idempotent(request, response, key, write)


@router.post("/{id}/take", response=responses({200: AppealDetailOut}), operation_id="appeal_take")
def take_appeal(
    request,
    response: HttpResponse,
    id: PathId,
    payload: VersionIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """受理 — take the appeal where it waits (you handle that tier there)."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, appeal: services.appeal_take(
            actor=user, appeal=appeal, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/settle", response=responses({200: AppealDetailOut}), operation_id="appeal_settle"
)
def settle_appeal(
    request,
    response: HttpResponse,
    id: PathId,
    payload: SettleIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """办结 — settle it, saying what was done; a return visit is then due."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, appeal: services.appeal_settle(
            actor=user,
            appeal=appeal,
            what_was_done=payload.what_was_done,
            expected_version=payload.version,
        ),
    )


@router.post(
    "/{id}/hand-up", response=responses({200: AppealDetailOut}), operation_id="appeal_hand_up"
)
def hand_up_appeal(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """上报 — hand it up to the next tier, with the reason."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, appeal: services.appeal_hand_up(
            actor=user, appeal=appeal, reason=payload.reason, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/send-to-department",
    response=responses({200: AppealDetailOut}),
    operation_id="appeal_send_to_department",
)
def send_appeal_to_department(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReasonIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """转办 — send it to the category's district department, with the reason."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, appeal: services.appeal_send_to_department(
            actor=user, appeal=appeal, reason=payload.reason, expected_version=payload.version
        ),
    )


@router.post(
    "/{id}/return-visit",
    response=responses({200: AppealDetailOut}),
    operation_id="appeal_return_visit",
)
def return_visit(
    request,
    response: HttpResponse,
    id: PathId,
    payload: ReturnVisitIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """回访 — the reporter's satisfaction with a settled appeal: 满意 or 基本满意 closes it;
    不满意 (with a note) reopens it once at the same tier, a second time hands it up. Staff
    record it by phone or in person; the resident answers on the phone."""
    return _operation(
        request,
        response,
        id,
        idempotency_key,
        lambda user, appeal: services.return_visit_record(
            actor=user,
            appeal=appeal,
            satisfaction=payload.satisfaction,
            method=payload.method,
            note=payload.note,
            expected_version=payload.version,
        ),
    )
