"""The service hall 便民服务 API: the public catalogue 服务清单, applications 办件 and the
steps 环节 of their routes.

Thin on purpose, like the registry's: each endpoint parses its input, calls the selector or
service the pages call, and shapes the answer. The catalogue is public (no token); everything
else is scoped by the selectors — an application or step the caller may not see is a 404, one
they see but may not act on a 403. The applicant's ID and mobile numbers go out through
`core.masking.mask`. Every write accepts an `Idempotency-Key`; writes that act on a record
carry the `version` the caller read, and someone else acting first is a 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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
    conflict_answer,
    idempotent,
    page,
    responses,
    text,
)
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.registry import selectors as registry_selectors

from .. import selectors, services
from .. import selectors_catalogue as catalogue_selectors
from ..choices import (
    ApplicationChannel,
    ApplicationState,
    HandlingMode,
    OfficeKind,
    RatingSource,
    StepState,
    TripReason,
)
from ..filters import ApplicationFilter
from ..models import Application, ApplicationStep, ServiceItem

MAX_MATERIALS = 50
NOTE_LENGTH = 500
LONG_TEXT_LENGTH = 2000

Materials = Annotated[
    list[text(100, min_length=1)],
    Field(max_length=MAX_MATERIALS, description="Names of the item's materials handed in"),
]
VersionRead = Annotated[
    Version, Field(description="The version you read; a newer one on the server → 409")
]


# --- schemas: the catalogue ---------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class MaterialOut(Schema):
    name: str
    required: bool
    note: str
    in_person: bool = Field(description="Must be brought in person: a photo will not do")


class RouteStepOut(Schema):
    order: int
    name: str
    office_kind: OfficeKind
    office_kind_label: str
    department: Ref | None = Field(description="The district department of a department step")
    time_limit_days: int


class ServiceItemOut(Schema):
    id: int
    code: str
    name: str
    category: Ref
    mode: HandlingMode
    mode_label: str
    promised_days: int = Field(description="Promised time limit in working days (0: same day)")
    online: bool = Field(description="Can be applied for online, not only at the counter")
    description: str
    legal_basis: str
    version: int = Field(description="The item's current version")
    materials: list[MaterialOut]
    route: list[RouteStepOut] = Field(description="The offices a proxy item passes, in order")


class ServiceItemPage(Schema):
    count: int
    items: list[ServiceItemOut]


class CategoryOut(Schema):
    id: int
    name: str
    description: str
    item_count: int = Field(description="Items offered in this category")


class CategoryPage(Schema):
    count: int
    items: list[CategoryOut]


class CatalogueQuery(PageQuery):
    category: Id | None = Field(None, description="Only the items of this category")
    mode: HandlingMode | None = None
    online: bool | None = Field(
        None, description="Only items that can (true) or cannot be applied for online"
    )
    q: SearchText | None = Field(None, description="Part of the name or the item code")


# --- schemas: applications and steps ------------------------------------------------------


class ItemRef(Schema):
    id: int
    name: str
    version: int = Field(description="The item version the application was made under")
    mode: HandlingMode
    mode_label: str


class ApplicantRef(Schema):
    id: int
    name: str


class ApplicantOut(ApplicantRef):
    id_number: str = Field(description="Masked, e.g. 370702********1234")
    mobile: str | None = Field(
        description="Masked, e.g. 138****5678; null for an office that sees only its step"
    )


class CurrentStepOut(Schema):
    id: int
    order: int
    name: str
    office: Ref


class RatingOut(Schema):
    score: int
    comment: str
    source: RatingSource
    source_label: str
    rated_at: dt.datetime


class ApplicationOut(Schema):
    id: int
    number: str
    item: ItemRef
    applicant: ApplicantRef
    area: Ref
    hall: Ref | None
    channel: ApplicationChannel
    channel_label: str
    state: ApplicationState
    state_label: str
    where: str = Field(description="Where it stands, in words the resident understands")
    current_step: CurrentStepOut | None
    created_at: dt.datetime
    received_on: dt.date | None
    promised_days: int
    due_on: dt.date | None
    due_assumed: bool = Field(
        description="The deadline counts Monday–Friday through a year whose official working-day"
        " arrangement is not known yet"
    )
    finished_at: dt.datetime | None
    working_days_used: int | None
    trip_count: int
    rating: RatingOut | None
    version: int


class ApplicationPage(Schema):
    count: int
    items: list[ApplicationOut]


class MaterialStateOut(Schema):
    name: str
    required: bool
    received: bool
    received_at: dt.datetime | None


class StepOut(Schema):
    id: int
    order: int
    name: str
    office_kind: OfficeKind
    office: Ref
    state: StepState
    state_label: str
    handler: str | None = Field(description="Who finished it (shown to staff)")
    received_at: dt.datetime | None
    due_on: dt.date | None
    due_assumed: bool
    finished_at: dt.datetime | None
    result_note: str
    version: int
    can_act: bool = Field(description="It is at your office now: you may finish it")


class TripOut(Schema):
    on: dt.date
    reason: TripReason
    reason_label: str
    note: str


class EventOut(Schema):
    at: dt.datetime
    text: str
    actor: str | None = Field(description="Who did it (shown to staff)")


class ApplicationDetailOut(ApplicationOut):
    full: bool = Field(
        description="False when you see it only because one of its steps reached your office: "
        "then the mobile number, trips, rating and timeline are left out"
    )
    applicant: ApplicantOut
    taken_by: str | None = Field(description="Who took it (shown to staff)")
    return_note: str = Field(description="What is missing, while it is returned")
    outcome: str
    extra_trip_reason: str
    materials: list[MaterialStateOut]
    steps: list[StepOut]
    trips: list[TripOut]
    timeline: list[EventOut]
    actions: list[str] = Field(
        description="What you may do now: submit, resubmit, withdraw, reject, complete, "
        "guidance, trip, rate"
    )


class StepApplicationOut(Schema):
    id: int
    number: str
    item: Ref
    applicant: ApplicantRef
    applicant_id_number: str = Field(description="Masked, e.g. 370702********1234")
    area: Ref
    state: ApplicationState
    state_label: str


class QueueStepOut(StepOut):
    application: StepApplicationOut


class StepPage(Schema):
    count: int
    items: list[QueueStepOut]


class ApplicationQuery(PageQuery):
    q: SearchText | None = Field(
        None,
        description="An application number (BJ…), or the applicant's name, pinyin, initials "
        "or last digits of ID or mobile",
    )
    state: ApplicationState | None = None
    channel: ApplicationChannel | None = None
    item: Id | None = Field(None, description="Only applications for this service item")
    area: Id | None = Field(None, description="Only applications in this area and below")


class ApplicationIn(InputSchema):
    resident: Id = Field(description="The applicant, a resident in your scope")
    item: Id = Field(description="A service item on offer")
    channel: ApplicationChannel = Field(
        ApplicationChannel.COUNTER,
        description="counter or visit for staff; online for a resident applying for their own "
        "household",
    )
    materials: Materials = []
    outreach: Id | None = Field(None, description="The outreach task it comes from, if any")
    submit: bool = Field(True, description="False keeps it as a draft, to submit later")


class ResubmitIn(InputSchema):
    version: VersionRead
    came_in_person: bool = Field(
        description="Whether the resident came in person to bring it (true counts a trip)"
    )
    materials: Materials = []
    note: text(NOTE_LENGTH) = Field("", description="What was brought, if not ticked above")
    extra_trip_reason: text(300) = Field(
        "",
        description="Why the resident had to come more than once (if came_in_person makes it "
        "trip 2 or more and no reason is recorded yet)",
    )


class ReasonIn(InputSchema):
    version: VersionRead
    reason: text(NOTE_LENGTH) = Field(description="Why (the resident is told)")


class CompleteIn(InputSchema):
    version: VersionRead
    outcome: text(LONG_TEXT_LENGTH) = ""


class GuidanceIn(InputSchema):
    version: VersionRead
    guidance: text(LONG_TEXT_LENGTH) = Field(description="The guidance given")
    outcome: text(LONG_TEXT_LENGTH) = Field(description="What came of it")


class TripIn(InputSchema):
    on: dt.date = Field(description="The day the resident came in person")
    reason: TripReason
    note: text(300) = ""
    extra_trip_reason: text(300) = Field(
        "", description="Why the resident had to come more than once (required from trip 2)"
    )


class RatingIn(InputSchema):
    score: int = Field(ge=1, le=5)
    comment: text(NOTE_LENGTH) = ""
    source: RatingSource | None = Field(
        None,
        description="resident (the applicant's household) or return_call (staff, 回访); "
        "left out: the one you may give",
    )


class StepFinishIn(InputSchema):
    version: VersionRead
    result: Literal["approve", "return", "reject"]
    note: text(NOTE_LENGTH) = Field(
        "", description="Required to return or reject: the resident is told"
    )


# --- shaping answers ----------------------------------------------------------------------


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def item_out(item: ServiceItem) -> dict:
    version = item.current
    return {
        "id": item.pk,
        "code": item.code,
        "name": version.name,
        "category": _ref(version.category),
        "mode": version.mode,
        "mode_label": str(version.get_mode_display()),
        "promised_days": version.time_limit_days,
        "online": version.online,
        "description": version.description,
        "legal_basis": version.legal_basis,
        "version": version.number,
        "materials": [
            {"name": m.name, "required": m.required, "note": m.note, "in_person": m.in_person}
            for m in version.materials.all()
        ],
        "route": [
            {
                "order": s.order,
                "name": s.name,
                "office_kind": s.office_kind,
                "office_kind_label": str(s.get_office_kind_display()),
                "department": _ref(s.department) if s.department_id else None,
                "time_limit_days": s.time_limit_days,
            }
            for s in version.route.all()
        ],
    }


def _where(application: Application) -> str:
    """The same words as the pages' "where it is" column."""
    state = application.state
    if state == ApplicationState.IN_PROGRESS:
        current = application.active_steps[0] if application.active_steps else None
        if current is None:
            return _("On its way to the next office")
        return _("At %(office)s: %(step)s") % {
            "office": current.organisation.name,
            "step": current.name,
        }
    if state == ApplicationState.RETURNED:
        return _("Waiting for material: %(missing)s") % {"missing": application.return_note}
    if state == ApplicationState.SUBMITTED:
        return _("At the service hall")
    if state == ApplicationState.COMPLETED:
        days = application.working_days_used or 0
        return ngettext("Done in %(days)s working day", "Done in %(days)s working days", days) % {
            "days": days
        }
    if state == ApplicationState.DRAFT:
        return _("Not submitted yet")
    return str(application.get_state_display())


def _rating_out(application: Application) -> dict | None:
    try:
        rating = application.rating
    except Application.rating.RelatedObjectDoesNotExist:
        return None
    return {
        "score": rating.score,
        "comment": rating.comment,
        "source": rating.source,
        "source_label": str(rating.get_source_display()),
        "rated_at": rating.rated_at,
    }


def application_out(application: Application) -> dict:
    """One row of a list. Needs `active_steps` (the list selector prefetches it)."""
    version = application.item_version
    current = application.active_steps[0] if application.active_steps else None
    return {
        "id": application.pk,
        "number": application.number,
        "item": {
            "id": application.item_id,
            "name": version.name,
            "version": version.number,
            "mode": version.mode,
            "mode_label": str(version.get_mode_display()),
        },
        "applicant": {"id": application.resident_id, "name": application.resident.name},
        "area": _ref(application.area),
        "hall": _ref(application.hall),
        "channel": application.channel,
        "channel_label": str(application.get_channel_display()),
        "state": application.state,
        "state_label": str(application.get_state_display()),
        "where": _where(application),
        "current_step": (
            {
                "id": current.pk,
                "order": current.order,
                "name": current.name,
                "office": _ref(current.organisation),
            }
            if current is not None
            else None
        ),
        "created_at": application.created_at,
        "received_on": application.received_on,
        "promised_days": application.promised_days,
        "due_on": application.due_on,
        "due_assumed": application.due_assumed,
        "finished_at": application.finished_at,
        "working_days_used": application.working_days_used,
        "trip_count": application.trip_count,
        "rating": _rating_out(application),
        "version": application.version,
    }


def step_out(step: ApplicationStep, user) -> dict:
    return {
        "id": step.pk,
        "order": step.order,
        "name": step.name,
        "office_kind": step.office_kind,
        "office": _ref(step.organisation),
        "state": step.state,
        "state_label": str(step.get_state_display()),
        "handler": str(step.handler) if step.handler and user.is_staff_member else None,
        "received_at": step.received_at,
        "due_on": step.due_on,
        "due_assumed": step.due_assumed,
        "finished_at": step.finished_at,
        "result_note": step.result_note,
        "version": step.version,
        "can_act": selectors.step_may_finish(user, step),
    }


def queue_step_out(step: ApplicationStep, user) -> dict:
    application = step.application
    person = application.resident
    return step_out(step, user) | {
        "application": {
            "id": application.pk,
            "number": application.number,
            "item": _ref(application.item),
            "applicant": {"id": person.pk, "name": person.name},
            "applicant_id_number": mask(person.id_number, ID_NUMBER),
            "area": _ref(application.area),
            "state": application.state,
            "state_label": str(application.get_state_display()),
        }
    }


def application_detail_out(application: Application, user) -> dict:
    full = not application.step_only
    staff = user.is_staff_member
    steps = list(application.steps.all())
    application.active_steps = [s for s in steps if s.state == StepState.ACTIVE]
    person = application.resident
    events = selectors.application_timeline(application=application) if full else []
    return application_out(application) | {
        "full": full,
        "applicant": {
            "id": person.pk,
            "name": person.name,
            "id_number": mask(person.id_number, ID_NUMBER),
            "mobile": mask(person.mobile, MOBILE) if full else None,
        },
        "rating": _rating_out(application) if full else None,
        "taken_by": str(application.taken_by) if application.taken_by and staff else None,
        "return_note": application.return_note,
        "outcome": application.outcome,
        "extra_trip_reason": application.extra_trip_reason if full else "",
        "materials": [
            {
                "name": m.name,
                "required": m.required,
                "received": m.received,
                "received_at": m.received_at,
            }
            for m in application.materials.all()
        ],
        "steps": [step_out(s, user) for s in steps],
        "trips": [
            {
                "on": t.on,
                "reason": t.reason,
                "reason_label": str(t.get_reason_display()),
                "note": t.note,
            }
            for t in application.trips.all()
        ]
        if full
        else [],
        "timeline": [
            {"at": e.at, "text": e.text, "actor": str(e.actor) if e.actor and staff else None}
            for e in events
        ],
        "actions": (
            selectors.application_actions(user=user, application=application) if full else []
        ),
    }


def _as_json(schema: type[Schema], data: dict) -> dict:
    """The answer as JSON values (dates as text), so an idempotent replay can store it."""
    return schema.model_validate(data).model_dump(mode="json")


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


def _detail(user, pk: int, status: int = 200) -> tuple[int, dict]:
    application = selectors.application_get(user=user, pk=pk)
    return status, _as_json(ApplicationDetailOut, application_detail_out(application, user))


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
        return _detail(user, pk, status)

    return idempotent(request, response, key, write)


# --- the catalogue (public) ---------------------------------------------------------------

catalogue = Router(tags=["catalogue"])


def _catalogue_items() -> list[ServiceItem]:
    return [item for group in catalogue_selectors.public_catalogue() for item in group.items]


@catalogue.get(
    "",
    response=responses({200: ServiceItemPage}),
    operation_id="catalogue_list",
    auth=None,
)
def list_catalogue(request, filters: Query[CatalogueQuery]):
    """服务清单 — every service item on offer, in catalogue order, with its materials and
    route. Public: no token needed."""
    items = _catalogue_items()
    if filters.category is not None:
        items = [i for i in items if i.category_id == filters.category]
    if filters.mode is not None:
        items = [i for i in items if i.current.mode == filters.mode]
    if filters.online is not None:
        items = [i for i in items if i.current.online == filters.online]
    if filters.q:
        q = filters.q.lower()
        items = [i for i in items if q in i.current.name.lower() or q in i.code.lower()]
    return page(items, filters, item_out)


@catalogue.get(
    "/categories",
    response=responses({200: CategoryPage}),
    operation_id="catalogue_categories",
    auth=None,
)
def list_catalogue_categories(request, params: Query[PageQuery]):
    """The categories that have items on offer, in catalogue order. Public."""
    groups = catalogue_selectors.public_catalogue()
    return page(
        groups,
        params,
        lambda g: {
            "id": g.category.pk,
            "name": g.category.name,
            "description": g.category.description,
            "item_count": len(g.items),
        },
    )


@catalogue.get(
    "/{id}",
    response=responses({200: ServiceItemOut}),
    operation_id="catalogue_item_get",
    auth=None,
)
def get_catalogue_item(request, id: PathId):
    """One item on offer; 404 for an unknown or withdrawn one. Public."""
    return item_out(catalogue_selectors.public_item_get(pk=id))


# --- applications -------------------------------------------------------------------------

applications = Router(tags=["applications"])


@applications.get("", response=responses({200: ApplicationPage}), operation_id="application_list")
def list_applications(request, filters: Query[ApplicationQuery]):
    """Applications in the caller's scope (a resident: their household's), newest first."""
    user = request.auth
    data = _filter_data(user, filters)
    rows = selectors.application_list(user=user, filters=data)
    return page(rows, filters, application_out)


@applications.get(
    "/{id}", response=responses({200: ApplicationDetailOut}), operation_id="application_get"
)
def get_application(request, id: PathId):
    """One application with its materials, route, trips, rating and timeline. An office that
    sees it only because one of its steps reached them gets what that step needs."""
    user = request.auth
    return application_detail_out(selectors.application_get(user=user, pk=id), user)


@applications.post(
    "", response=responses({201: ApplicationDetailOut}), operation_id="application_create"
)
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
        return _detail(user, application.pk, 201)

    return idempotent(request, response, idempotency_key, write)


@applications.post(
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


@applications.post(
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


@applications.post(
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


@applications.post(
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


@applications.post(
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


@applications.post(
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


@applications.post(
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


@applications.post(
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


# --- steps --------------------------------------------------------------------------------

steps = Router(tags=["steps"])


@steps.get("", response=responses({200: StepPage}), operation_id="step_queue")
def list_steps(request, params: Query[PageQuery]):
    """待办 — the steps waiting at the caller's offices, the nearest deadline first."""
    user = request.auth
    return page(selectors.step_queue(user=user), params, lambda s: queue_step_out(s, user))


@steps.get("/{id}", response=responses({200: QueueStepOut}), operation_id="step_get")
def get_step(request, id: PathId):
    """A step of one of the caller's offices, in any state; 404 for any other."""
    user = request.auth
    return queue_step_out(selectors.step_get(user=user, pk=id), user)


@steps.post("/{id}/finish", response=responses({200: QueueStepOut}), operation_id="step_finish")
def finish_step(
    request,
    response: HttpResponse,
    id: PathId,
    payload: StepFinishIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """The result of the active step at its office: `approve` passes it on (or completes the
    application after the last step), `return` sends it back for missing material, `reject`
    ends it. Someone finished it first → 409 saying who and when; nothing changes."""
    user = request.auth

    def write():
        step = selectors.step_get(user=user, pk=id)
        try:
            services.step_finish(
                actor=user,
                step=step,
                result=payload.result,
                note=payload.note,
                expected_version=payload.version,
            )
        except ValidationError as error:
            conflict = conflict_answer(error)
            if conflict is None:
                raise
            return conflict
        return 200, _as_json(
            QueueStepOut, queue_step_out(selectors.step_get(user=user, pk=id), user)
        )

    return idempotent(request, response, idempotency_key, write)
