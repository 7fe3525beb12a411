"""The five links and visits 五联走访 API: contact assignments 联系责任, visits 走访, the needs
they found 需求, coverage 覆盖, the gap list 空白点 and the households overdue for a visit.

Thin on purpose, like the registry's and the service hall's: each endpoint parses its input,
calls the selector or service the pages call, and shapes the answer. Every read starts from
what the caller may see (`visits.view`); a record outside it is a 404, as on the pages. Writes
check the caller's role first (403 for a role that never may), then leave the scope to the
service: recording a visit for a household outside the caller's `visits.record` area is a 404
and writes nothing. Names are shown as the pages show them; a household head's mobile number
goes out through `core.masking.mask`. Every write accepts an `Idempotency-Key`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
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
from linli.core.masking import MOBILE, mask
from linli.core.models import Area
from linli.core.scoping import OutOfScope
from linli.registry import selectors as registry_selectors
from linli.registry.models import Household
from linli.services import selectors as hall_selectors
from linli.services.choices import ApplicationState

from .. import coverage, needs, selectors, services
from ..choices import LinkLevel, NeedCategory, NeedStatus, VisitChannel
from ..models import ContactAssignment, Need, Visit
from ..services import (
    ASSIGNMENT_NOTE_LENGTH,
    CLOSING_NOTE_LENGTH,
    MAX_NEEDS,
    NEED_LENGTH,
    NOTE_LENGTH,
)

MAX_TARGETS = 200  # a cadre's villages, a central household's 10–15 neighbours: well within
MAX_MATERIALS = 50
MAX_PERIOD_DAYS = 366 * 5  # as the coverage page: five years at most

ContactKind = Literal["post", "organisation", "household", "resident"]
TargetKind = Literal["area", "resident", "household"]


# --- schemas: shared ----------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class HeadOut(Schema):
    id: int
    name: str
    mobile: str = Field(description="Masked, e.g. 138****5678")


class HouseholdRef(Schema):
    id: int
    number: str
    address: str
    area: Ref = Field(description="Where the household lives now")
    head: HeadOut | None


# --- schemas: contact assignments ---------------------------------------------------------


class ContactOut(Schema):
    kind: ContactKind
    id: int
    name: str


class TargetOut(Schema):
    kind: TargetKind
    id: int
    name: str


class AssignmentOut(Schema):
    id: int
    level: LinkLevel
    level_label: str
    contact: ContactOut = Field(description="Who keeps in touch")
    target: TargetOut = Field(description="With whom")
    scope_area: Ref = Field(description="The area the one contacted belongs to")
    starts_on: dt.date
    ends_on: dt.date | None
    active: bool = Field(description="In force today")
    note: str
    created_at: dt.datetime
    version: int


class AssignmentPage(Schema):
    count: int
    items: list[AssignmentOut]


class AssignmentQuery(PageQuery):
    level: LinkLevel | None = None
    area: Id | None = Field(None, description="Only assignments in this area and below")
    active_on: dt.date | None = Field(None, description="Only assignments in force on this day")
    contact: SearchText | None = Field(None, description="Part of the contact's name")


class ContactIn(InputSchema):
    kind: ContactKind = Field(
        description="post (levels 1, 3, 4), organisation (2: a district department), "
        "household (5: a party-member central household) or resident (4)"
    )
    id: Id


class TargetIn(InputSchema):
    kind: TargetKind = Field(
        description="area (levels 1–3: a street, community or village), resident (4: a party "
        "member) or household (5)"
    )
    id: Id


class AssignmentIn(InputSchema):
    level: LinkLevel
    contact: ContactIn
    targets: list[TargetIn] = Field(
        min_length=1,
        max_length=MAX_TARGETS,
        description="One target, or several for the same contact: all are made or none",
    )
    starts_on: dt.date
    ends_on: dt.date | None = None
    note: text(ASSIGNMENT_NOTE_LENGTH) = ""


class AssignmentEndIn(InputSchema):
    ends_on: dt.date = Field(description="The last day the assignment is in force")
    version: Version | None = Field(
        None, description="The version you read; a newer one on the server → 409"
    )


# --- schemas: visits and needs ------------------------------------------------------------


class ApplicationRef(Schema):
    id: int
    number: str
    state: ApplicationState
    state_label: str


class NeedOut(Schema):
    id: int
    visit_id: int
    household: HouseholdRef
    category: NeedCategory
    category_label: str
    description: str
    status: NeedStatus = Field(
        description="The effective status: once handed on, it follows the application"
    )
    status_label: str
    application: ApplicationRef | None = Field(description="The application it was handed on to")
    found_on: dt.date
    closed_on: dt.date | None
    closing_note: str
    version: int


class NeedPage(Schema):
    count: int
    items: list[NeedOut]


class NeedQuery(PageQuery):
    status: NeedStatus | None = Field(None, description="The effective status")
    category: NeedCategory | None = None
    area: Id | None = Field(None, description="Only needs of households in this area and below")


class VisitOut(Schema):
    id: int
    household: HouseholdRef
    area: Ref = Field(description="Where the household lived on the day of the visit")
    visited_on: dt.date
    channel: VisitChannel
    channel_label: str
    visitor: str
    link_level: LinkLevel | None = Field(description="The link of the five this visit fulfils")
    assignment_id: int | None
    note: str
    photo: bool = Field(description="A photo was taken (shown on the visit's page)")
    created_at: dt.datetime


class VisitDetailOut(VisitOut):
    needs: list[NeedOut]


class VisitPage(Schema):
    count: int
    items: list[VisitOut]


class VisitQuery(PageQuery):
    area: Id | None = Field(None, description="Only visits to households in this area and below")
    household: Id | None = None
    channel: VisitChannel | None = None
    date_from: dt.date | None = Field(None, description="Visited on or after this day")
    date_to: dt.date | None = Field(None, description="Visited on or before this day")


class NeedIn(InputSchema):
    category: NeedCategory
    description: text(NEED_LENGTH, min_length=1)


class VisitIn(InputSchema):
    household: Id = Field(description="A household where you may record visits")
    channel: VisitChannel
    visited_on: dt.date | None = Field(
        None, description="Today when left out; not in the future, at most 90 days back"
    )
    note: text(NOTE_LENGTH) = ""
    needs: list[NeedIn] = Field([], max_length=MAX_NEEDS, description="The needs found")


class NeedApplicationIn(InputSchema):
    item: Id = Field(description="A service item on offer")
    resident: Id | None = Field(
        None, description="The applicant, a member of the household; the head when left out"
    )
    materials: list[text(100, min_length=1)] = Field(
        [], max_length=MAX_MATERIALS, description="Names of the item's materials collected"
    )


class NeedCloseIn(InputSchema):
    resolved: bool = Field(description="true: resolved on the spot; false: closed without action")
    note: text(CLOSING_NOTE_LENGTH, min_length=1) = Field(
        description="What was done, or why nothing is done"
    )
    version: Version | None = Field(
        None, description="The version you read; a newer one on the server → 409"
    )


# --- schemas: coverage, gaps, overdue -----------------------------------------------------


class LevelOut(Schema):
    level: LinkLevel
    label: str
    targets: int
    linked: int = Field(description="Targets with an assignment of this level in the period")
    reached: int = Field(description="Targets visited through a link of this level")
    linked_percent: float | None
    reached_percent: float | None


class CoverageOut(Schema):
    area: Ref
    start: dt.date
    end: dt.date
    villages: int
    villages_reached: int
    villages_percent: float | None
    households: int
    households_reached: int
    households_percent: float | None
    poor: int = Field(description="Households tagged 困难户 now")
    poor_reached: int
    poor_percent: float | None
    visits: int
    needs_found: int
    needs_resolved: int
    needs_resolved_percent: float | None
    overdue: int = Field(description="Households whose next visit is overdue")
    levels: list[LevelOut]
    source: Literal["records", "summary"] = Field(
        description="Counted from the records, or read from the summaries kept by a job"
    )
    computed_at: dt.datetime | None


class CoveragePage(Schema):
    count: int
    items: list[CoverageOut]


class CoverageQuery(Schema):
    area: Id | None = Field(None, description="The top area of your scope when left out")
    start: dt.date | None = Field(
        None, alias="from", description="The first day; 1 January of this year when left out"
    )
    end: dt.date | None = Field(
        None, alias="to", description="The last day; 31 December of this year when left out"
    )


class GapCountOut(Schema):
    level: LinkLevel
    label: str
    targets: int
    linked: int
    gaps: int


class GapTargetOut(Schema):
    kind: TargetKind
    id: int
    name: str
    area: Ref = Field(description="The area itself, or the area the person or household is in")


class GapOut(Schema):
    area: Ref
    on: dt.date
    levels: list[GapCountOut]
    level: LinkLevel | None = Field(description="The level whose targets are listed")
    count: int
    items: list[GapTargetOut]


class GapQuery(PageQuery):
    level: LinkLevel | None = Field(None, description="List the targets of this level")
    area: Id | None = Field(None, description="The top area of your scope when left out")
    on: dt.date | None = Field(None, description="Today when left out")


class OverdueOut(Schema):
    household: HouseholdRef
    last_visited_on: dt.date | None
    due_on: dt.date
    overdue_days: int


class OverduePage(Schema):
    count: int
    items: list[OverdueOut]


class OverdueQuery(PageQuery):
    area: Id | None = Field(None, description="Only households in this area and below")
    worker: Id | None = Field(None, description="Only the households of this grid worker (user id)")


# --- shaping answers ----------------------------------------------------------------------


def _ref(obj) -> dict:
    return {"id": obj.pk, "name": obj.name}


def household_ref(household: Household) -> dict:
    head = household.head
    return {
        "id": household.pk,
        "number": household.number,
        "address": household.address,
        "area": _ref(household.area),
        "head": (
            {"id": head.pk, "name": head.name, "mobile": mask(head.mobile, MOBILE)}
            if head is not None
            else None
        ),
    }


def _contact_out(a: ContactAssignment) -> dict:
    for kind in ("post", "organisation", "household", "resident"):
        pk = getattr(a, f"contact_{kind}_id")
        if pk is not None:
            return {"kind": kind, "id": pk, "name": a.contact_name}
    raise AssertionError("an assignment has a contact")  # a database constraint says so


def _target_out(a: ContactAssignment) -> dict:
    if a.area_id is not None:
        return {"kind": "area", "id": a.area_id, "name": a.area.name}
    if a.resident_id is not None:
        return {"kind": "resident", "id": a.resident_id, "name": a.resident.name}
    return {"kind": "household", "id": a.household_id, "name": a.household.number}


def assignment_out(a: ContactAssignment, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "id": a.pk,
        "level": a.level,
        "level_label": str(a.get_level_display()),
        "contact": _contact_out(a),
        "target": _target_out(a),
        "scope_area": _ref(a.scope_area),
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "active": a.starts_on <= today and (a.ends_on is None or a.ends_on >= today),
        "note": a.note,
        "created_at": a.created_at,
        "version": a.version,
    }


def _application_ref(application) -> dict | None:
    if application is None:
        return None
    return {
        "id": application.pk,
        "number": application.number,
        "state": application.state,
        "state_label": str(application.get_state_display()),
    }


def need_out(need: Need, household: Household | None = None) -> dict:
    """`status_now` where the selector annotated it, else the same rule in Python."""
    status = getattr(need, "status_now", None) or needs.effective_status(need)
    return {
        "id": need.pk,
        "visit_id": need.visit_id,
        "household": household_ref(household or need.household),
        "category": need.category,
        "category_label": str(need.get_category_display()),
        "description": need.description,
        "status": status,
        "status_label": str(NeedStatus(status).label),
        "application": _application_ref(need.application),
        "found_on": need.found_on,
        "closed_on": need.closed_on,
        "closing_note": need.closing_note,
        "version": need.version,
    }


def visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk,
        "household": household_ref(visit.household),
        "area": _ref(visit.area),
        "visited_on": visit.visited_on,
        "channel": visit.channel,
        "channel_label": str(visit.get_channel_display()),
        "visitor": visit.visitor_name,
        "link_level": visit.link_level,
        "assignment_id": visit.assignment_id,
        "note": visit.note,
        "photo": bool(visit.photo),
        "created_at": visit.created_at,
    }


def visit_detail_out(visit: Visit) -> dict:
    needs_found = [need_out(n, visit.household) for n in visit.needs.all()]
    return visit_out(visit) | {"needs": needs_found}


def coverage_out(c) -> dict:
    return {
        "area": _ref(c.area),
        "start": c.start,
        "end": c.end,
        "villages": c.villages,
        "villages_reached": c.villages_reached,
        "villages_percent": c.villages_percent,
        "households": c.households,
        "households_reached": c.households_reached,
        "households_percent": c.households_percent,
        "poor": c.poor,
        "poor_reached": c.poor_reached,
        "poor_percent": c.poor_percent,
        "visits": c.visits,
        "needs_found": c.needs_found,
        "needs_resolved": c.needs_resolved,
        "needs_resolved_percent": c.needs_resolved_percent,
        "overdue": c.overdue,
        "levels": [
            {
                "level": lv.level,
                "label": str(lv.label),
                "targets": lv.targets,
                "linked": lv.linked,
                "reached": lv.reached,
                "linked_percent": lv.linked_percent,
                "reached_percent": lv.reached_percent,
            }
            for lv in c.levels
        ],
        "source": c.source,
        "computed_at": c.computed_at,
    }


def gap_target_out(target) -> dict:
    """A street, community or village; a party member; or a household."""
    if isinstance(target, Area):
        return {"kind": "area", "id": target.pk, "name": target.name, "area": _ref(target)}
    if isinstance(target, Household):
        return {
            "kind": "household",
            "id": target.pk,
            "name": target.number,
            "area": _ref(target.area),
        }
    return {
        "kind": "resident",
        "id": target.pk,
        "name": target.name,
        "area": _ref(target.household.area),
    }


def overdue_out(household: Household) -> dict:
    return {
        "household": household_ref(household),
        "last_visited_on": household.last_visited_on,
        "due_on": household.due_on,
        "overdue_days": household.overdue_days,
    }


def _as_json(schema: type[Schema], data: dict) -> dict:
    """The answer as JSON values (dates as text), so an idempotent replay can store it."""
    return schema.model_validate(data).model_dump(mode="json")


# --- parsing input ------------------------------------------------------------------------


def _gate(user, perm: str) -> None:
    """A role that never may (a resident recording a visit) gets 403 before anything is
    looked up, as on the pages."""
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


def _filter_area(user, pk: int | None) -> Area | None:
    """A list's area filter: one outside the scope is a field error (the selector would
    quietly return nothing)."""
    if pk is None:
        return None
    try:
        return core_selectors.area_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"area": _("There is no such area in your scope.")}) from None


def _top_area(user) -> Area:
    """The highest area where the caller reads visits: the default of coverage and gaps."""
    paths = sorted(user.scope_paths("visits.view"), key=lambda p: (len(p), p))
    area = Area.objects.filter(path=paths[0]).first() if paths else None
    if area is None:
        raise PermissionDenied
    return area


def _report_area(user, pk: int | None) -> Area:
    """The area a report is about: its own 404 when the caller may not read visits there."""
    if pk is None:
        return _top_area(user)
    area = Area.objects.filter(pk=pk).first()
    if area is None or not any(area.path.startswith(p) for p in user.scope_paths("area.view")):
        raise OutOfScope(Area, pk)
    if not any(area.path.startswith(p) for p in user.scope_paths("visits.view")):
        raise PermissionDenied  # the area is visible, its visits are not: as on the page
    return area


def _period(query: CoverageQuery, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for; by default this calendar year, whole, as the coverage page has
    it: no visit lies ahead, so it counts the same as the year to date, and the kept summaries
    serve a whole calendar period where they could not serve part of one."""
    start = query.start or dt.date(today.year, 1, 1)
    end = query.end or max(dt.date(today.year, 12, 31), start)
    if end < start:
        raise ValidationError({"to": _("The end cannot be before the start.")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"to": _("A period of at most five years, please.")})
    return start, end


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


router = Router(tags=["visits"])


# --- contact assignments ------------------------------------------------------------------


@router.get(
    "/assignments", response=responses({200: AssignmentPage}), operation_id="assignment_list"
)
def list_assignments(request, filters: Query[AssignmentQuery]):
    """联系责任 — the contact assignments in the caller's scope, by level."""
    user = request.auth
    data = {
        "level": filters.level,
        "area": _filter_area(user, filters.area),
        "active_on": filters.active_on,
        "contact": filters.contact,
    }
    rows = selectors.assignment_list(user=user, filters=data)
    today = timezone.localdate()
    return page(rows, filters, lambda a: assignment_out(a, today), ids_first=True)


@router.get(
    "/assignments/{id}", response=responses({200: AssignmentOut}), operation_id="assignment_get"
)
def get_assignment(request, id: PathId):
    return assignment_out(selectors.assignment_get(user=request.auth, pk=id))


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
    _gate(user, "visits.assign")

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
        body = {"count": len(rows), "items": [assignment_out(a) for a in rows]}
        return 201, _as_json(AssignmentPage, body)

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
        _gate(user, "visits.assign")
        services.assignment_end(
            actor=user, assignment=assignment, ends_on=payload.ends_on, version=payload.version
        )
        return 200, _as_json(
            AssignmentOut, assignment_out(selectors.assignment_get(user=user, pk=id))
        )

    return idempotent(request, response, idempotency_key, write)


# --- visits -------------------------------------------------------------------------------


@router.get("/visits", response=responses({200: VisitPage}), operation_id="visit_list")
def list_visits(request, filters: Query[VisitQuery]):
    """走访 — visits to households in the caller's scope, the latest first."""
    user = request.auth
    _dates(filters.date_from, filters.date_to)
    data = {
        "area": _filter_area(user, filters.area),
        "household": filters.household,
        "channel": filters.channel,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
    }
    return page(selectors.visit_list(user=user, filters=data), filters, visit_out, ids_first=True)


@router.get("/visits/{id}", response=responses({200: VisitDetailOut}), operation_id="visit_get")
def get_visit(request, id: PathId):
    """One visit with the needs it found and where each stands now."""
    return visit_detail_out(selectors.visit_get(user=request.auth, pk=id))


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
    _gate(user, "visits.record")

    def write():
        visit = services.visit_record(
            actor=user,
            household=_household_to_visit(payload.household),
            channel=payload.channel,
            visited_on=payload.visited_on,
            note=payload.note,
            needs=[services.NeedInput(n.category, n.description) for n in payload.needs],
        )
        detail = visit_detail_out(selectors.visit_get(user=user, pk=visit.pk))
        return 201, _as_json(VisitDetailOut, detail)

    return idempotent(request, response, idempotency_key, write)


# --- needs --------------------------------------------------------------------------------


@router.get("/needs", response=responses({200: NeedPage}), operation_id="need_list")
def list_needs(request, filters: Query[NeedQuery]):
    """需求 — needs found on visits in the caller's scope, the latest first."""
    user = request.auth
    data = {
        "status": filters.status,
        "category": filters.category,
        "area": _filter_area(user, filters.area),
    }
    return page(selectors.need_list(user=user, filters=data), filters, need_out, ids_first=True)


@router.get("/needs/{id}", response=responses({200: NeedOut}), operation_id="need_get")
def get_need(request, id: PathId):
    return need_out(selectors.need_get(user=request.auth, pk=id))


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
        _gate(user, "visits.record")
        services.need_to_application(
            actor=user,
            need=need,
            item=_offered_item(payload.item),
            resident=_member(user, need, payload.resident),
            materials_received=payload.materials,
        )
        return 201, _as_json(NeedOut, need_out(selectors.need_get(user=user, pk=id)))

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
        _gate(user, "visits.record")
        services.need_close(
            actor=user,
            need=need,
            resolved=payload.resolved,
            note=payload.note,
            version=payload.version,
        )
        return 200, _as_json(NeedOut, need_out(selectors.need_get(user=user, pk=id)))

    return idempotent(request, response, idempotency_key, write)


# --- coverage, gaps, overdue --------------------------------------------------------------


@router.get("/coverage", response=responses({200: CoverageOut}), operation_id="coverage_get")
def get_coverage(request, query: Query[CoverageQuery]):
    """覆盖 — an area's coverage in a period: villages, households and poor households
    reached, visits, needs found and resolved, households overdue, and each of the five
    levels. Defaults: the top area of your scope, this calendar year to date."""
    user = request.auth
    area = _report_area(user, query.area)
    start, end = _period(query, timezone.localdate())
    return coverage_out(coverage.coverage_for(user=user, area=area, start=start, end=end))


@router.get(
    "/coverage/children",
    response=responses({200: CoveragePage}),
    operation_id="coverage_children",
)
def get_coverage_children(request, query: Query[CoverageQuery]):
    """The same figures for each area directly under the area (the drill-down)."""
    user = request.auth
    area = _report_area(user, query.area)
    start, end = _period(query, timezone.localdate())
    rows = coverage.coverage_by_child(user=user, area=area, start=start, end=end)
    return {"count": len(rows), "items": [coverage_out(c) for c in rows]}


@router.get("/gaps", response=responses({200: GapOut}), operation_id="gap_list")
def list_gaps(request, query: Query[GapQuery]):
    """空白点 — per level, the targets in the area with no assignment in force on the day;
    with `level`, those targets themselves (one page)."""
    user = request.auth
    area = _report_area(user, query.area)
    on = query.on or timezone.localdate()
    counts = selectors.gap_counts(user=user, area=area, on=on)
    listed = {"count": 0, "items": []}
    if query.level is not None:
        targets = selectors.gap_list(user=user, level=query.level, area=area, on=on)
        listed = page(targets, query, gap_target_out, ids_first=True)
    return {
        "area": _ref(area),
        "on": on,
        "levels": [
            {
                "level": row["level"],
                "label": str(row["label"]),
                "targets": row["targets"],
                "linked": row["linked"],
                "gaps": row["gaps"],
            }
            for row in counts
        ],
        "level": query.level,
        **listed,
    }


@router.get("/overdue", response=responses({200: OverduePage}), operation_id="overdue_list")
def list_overdue(request, filters: Query[OverdueQuery]):
    """Households whose next visit is overdue, the most overdue first."""
    user = request.auth
    data = {"area": _filter_area(user, filters.area), "worker": filters.worker}
    rows = selectors.overdue_list(user=user, filters=data)
    return page(rows, filters, overdue_out, ids_first=True)
