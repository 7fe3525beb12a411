"""What the service hall API takes in (`…In`, `…Query`) and answers (`…Out`, `…Page`).

Answers are read from the objects the selectors return (see `core.api.OutputSchema`): an item
on offer from its `ServiceItem`, an application from its `Application`, a step from its
`ApplicationStep`. What depends on who asks — the handler's and the taker's names (staff only),
whether a step is theirs to finish, the actions they may take — is resolved from the caller in
the context. The applicant's ID and mobile numbers go out through `core.masking.mask`; an office
that sees an application only because one of its steps reached it gets no mobile number, trips,
rating or timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field

from linli.core.api import (
    Id,
    InputSchema,
    Label,
    OutputSchema,
    PageQuery,
    SearchText,
    Version,
    caller,
    text,
)
from linli.core.masking import ID_NUMBER, MOBILE, mask

from ..applications import selectors
from ..choices import (
    ApplicationChannel,
    ApplicationState,
    HandlingMode,
    OfficeKind,
    RatingSource,
    StepState,
    TripReason,
)
from ..models import Application

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


# --- the catalogue ------------------------------------------------------------------------


class Ref(OutputSchema):
    id: int
    name: str


# Read from an `ItemMaterial`.
class MaterialOut(OutputSchema):
    name: str
    required: bool
    note: str
    in_person: bool = Field(description="Must be brought in person: a photo will not do")


# Read from a `RouteStep`.
class RouteStepOut(OutputSchema):
    order: int
    name: str
    office_kind: OfficeKind
    office_kind_label: Label = Field(alias="get_office_kind_display")
    department: Ref | None = Field(description="The district department of a department step")
    time_limit_days: int


# Read from a `ServiceItem`: the item as its current version has it.
class ServiceItemOut(OutputSchema):
    id: int
    code: str
    name: str = Field(alias="current.name")
    category: Ref = Field(alias="current.category")
    mode: HandlingMode = Field(alias="current.mode")
    mode_label: Label = Field(alias="current.get_mode_display")
    promised_days: int = Field(
        alias="current.time_limit_days",
        description="Promised time limit in working days (0: same day)",
    )
    online: bool = Field(
        alias="current.online",
        description="Can be applied for online, not only at the counter",
    )
    description: str = Field(alias="current.description")
    legal_basis: str = Field(alias="current.legal_basis")
    version: int = Field(alias="current.number", description="The item's current version")
    materials: list[MaterialOut]
    route: list[RouteStepOut] = Field(description="The offices a proxy item passes, in order")

    @staticmethod
    def resolve_materials(item):
        return item.current.materials.all()

    @staticmethod
    def resolve_route(item):
        return item.current.route.all()


class ServiceItemPage(OutputSchema):
    count: int
    items: list[ServiceItemOut]


# Read from a `CategoryGroup` of the public catalogue: a category and its items on offer.
class CategoryOut(OutputSchema):
    id: int = Field(alias="category.pk")
    name: str = Field(alias="category.name")
    description: str = Field(alias="category.description")
    item_count: int = Field(description="Items offered in this category")

    @staticmethod
    def resolve_item_count(group):
        return len(group.items)


class CategoryPage(OutputSchema):
    count: int
    items: list[CategoryOut]


class CatalogueQuery(PageQuery):
    category: Id | None = Field(None, description="Only the items of this category")
    mode: HandlingMode | None = None
    online: bool | None = Field(
        None, description="Only items that can (true) or cannot be applied for online"
    )
    q: SearchText | None = Field(None, description="Part of the name or the item code")


# --- applications and steps: answers ------------------------------------------------------


def _active_steps(application: Application) -> list:
    """The steps under way: prefetched into `active_steps` for a list, else picked from all
    the steps the detail loads."""
    if hasattr(application, "active_steps"):
        return application.active_steps
    return [s for s in application.steps.all() if s.state == StepState.ACTIVE]


def _where(application: Application) -> str:
    """The same words as the pages' "where it is" column."""
    state = application.state
    if state == ApplicationState.IN_PROGRESS:
        active = _active_steps(application)
        if not active:
            return _("On its way to the next office")
        return _("At %(office)s: %(step)s") % {
            "office": active[0].organisation.name,
            "step": active[0].name,
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


def _rating(application: Application):
    try:
        return application.rating
    except Application.rating.RelatedObjectDoesNotExist:
        return None


# Read from the `ServiceItemVersion` an application was made under.
class ItemRef(OutputSchema):
    id: int = Field(alias="item_id")
    name: str
    version: int = Field(
        alias="number", description="The item version the application was made under"
    )
    mode: HandlingMode
    mode_label: Label = Field(alias="get_mode_display")


# Read from a `Resident`.
class ApplicantRef(OutputSchema):
    id: int
    name: str


# The applicant, read from the `Application`: the mobile number only for those who see the whole
# application.
class ApplicantOut(OutputSchema):
    id: int = Field(alias="resident_id")
    name: str = Field(alias="resident.name")
    id_number: str = Field(description="Masked, e.g. 370702********1234")
    mobile: str | None = Field(
        description="Masked, e.g. 138****5678; null for an office that sees only its step"
    )

    @staticmethod
    def resolve_id_number(application):
        return mask(application.resident.id_number, ID_NUMBER)

    @staticmethod
    def resolve_mobile(application):
        if application.step_only:
            return None
        return mask(application.resident.mobile, MOBILE)


# Read from an `ApplicationStep` under way.
class CurrentStepOut(OutputSchema):
    id: int
    order: int
    name: str
    office: Ref = Field(alias="organisation")


# Read from a `Rating`.
class RatingOut(OutputSchema):
    score: int
    comment: str
    source: RatingSource
    source_label: Label = Field(alias="get_source_display")
    rated_at: dt.datetime


# Read from an `Application` of a list, its `active_steps` prefetched.
class ApplicationOut(OutputSchema):
    id: int
    number: str
    item: ItemRef = Field(alias="item_version")
    applicant: ApplicantRef = Field(alias="resident")
    area: Ref
    hall: Ref | None
    channel: ApplicationChannel
    channel_label: Label = Field(alias="get_channel_display")
    state: ApplicationState
    state_label: Label = Field(alias="get_state_display")
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

    resolve_where = staticmethod(_where)
    resolve_rating = staticmethod(_rating)

    @staticmethod
    def resolve_current_step(application):
        active = _active_steps(application)
        return active[0] if active else None


class ApplicationPage(OutputSchema):
    count: int
    items: list[ApplicationOut]


# Read from an `ApplicationMaterial`.
class MaterialStateOut(OutputSchema):
    name: str
    required: bool
    received: bool
    received_at: dt.datetime | None


# Read from an `ApplicationStep`; whether the caller may finish it depends on who asks.
class StepOut(OutputSchema):
    id: int
    order: int
    name: str
    office_kind: OfficeKind
    office: Ref = Field(alias="organisation")
    state: StepState
    state_label: Label = Field(alias="get_state_display")
    handler: str | None = Field(description="Who finished it (shown to staff)")
    received_at: dt.datetime | None
    due_on: dt.date | None
    due_assumed: bool
    finished_at: dt.datetime | None
    result_note: str
    version: int
    can_act: bool = Field(description="It is at your office now: you may finish it")

    @staticmethod
    def resolve_handler(step, context):
        if step.handler and caller(context).is_staff_member:
            return str(step.handler)
        return None

    @staticmethod
    def resolve_can_act(step, context):
        return selectors.step_may_finish(caller(context), step)


# Read from a `Trip`.
class TripOut(OutputSchema):
    on: dt.date
    reason: TripReason
    reason_label: Label = Field(alias="get_reason_display")
    note: str


# Read from an entry of an application's timeline.
class EventOut(OutputSchema):
    at: dt.datetime
    text: str
    actor: str | None = Field(description="Who did it (shown to staff)")

    @staticmethod
    def resolve_actor(event, context):
        if event.actor and caller(context).is_staff_member:
            return str(event.actor)
        return None


# Read from an `Application` of `selectors.application_get`, all its steps loaded.
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

    @staticmethod
    def resolve_full(application):
        return not application.step_only

    @staticmethod
    def resolve_applicant(application):
        return application  # ApplicantOut reads the applicant off the application

    @staticmethod
    def resolve_rating(application):
        return None if application.step_only else _rating(application)

    @staticmethod
    def resolve_taken_by(application, context):
        if application.taken_by and caller(context).is_staff_member:
            return str(application.taken_by)
        return None

    @staticmethod
    def resolve_extra_trip_reason(application):
        return "" if application.step_only else application.extra_trip_reason

    @staticmethod
    def resolve_trips(application):
        return [] if application.step_only else application.trips.all()

    @staticmethod
    def resolve_timeline(application):
        if application.step_only:
            return []
        return selectors.application_timeline(application=application)

    @staticmethod
    def resolve_actions(application, context):
        if application.step_only:
            return []
        return selectors.application_actions(user=caller(context), application=application)


# The `Application` a step belongs to, as its office sees it.
class StepApplicationOut(OutputSchema):
    id: int
    number: str
    item: Ref
    applicant: ApplicantRef = Field(alias="resident")
    applicant_id_number: str = Field(description="Masked, e.g. 370702********1234")
    area: Ref
    state: ApplicationState
    state_label: Label = Field(alias="get_state_display")

    @staticmethod
    def resolve_applicant_id_number(application):
        return mask(application.resident.id_number, ID_NUMBER)


class QueueStepOut(StepOut):
    application: StepApplicationOut


class StepPage(OutputSchema):
    count: int
    items: list[QueueStepOut]


# --- applications and steps: input --------------------------------------------------------


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
