"""What the visits API takes in (`…In`, `…Query`) and answers (`…Out`, `…Page`).

Answers are read from the objects the selectors return (see `core.api.OutputSchema`): an
assignment from its `ContactAssignment`, a visit from its `Visit`, a need from its `Need`,
coverage from `coverage.Coverage`, a gap from the area, household or party member without a
link, an overdue household from its `Household`. A household head's mobile number goes out
through `core.masking.mask`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Schema

from linli.core.api import (
    Id,
    InputSchema,
    Label,
    OutputSchema,
    PageQuery,
    SearchText,
    Version,
    text,
)
from linli.core.masking import MOBILE, mask
from linli.core.models import Area
from linli.hall.choices import ApplicationState
from linli.registry.models import Household

from .. import needs
from ..choices import LinkLevel, NeedCategory, NeedStatus, VisitChannel
from ..models import ContactAssignment
from ..services import (
    ASSIGNMENT_NOTE_LENGTH,
    CLOSING_NOTE_LENGTH,
    MAX_NEEDS,
    NEED_LENGTH,
    NOTE_LENGTH,
)

MAX_TARGETS = 200  # a cadre's villages, a central household's 10–15 neighbours: well within
MAX_MATERIALS = 50

ContactKind = Literal["post", "organisation", "household", "resident"]
TargetKind = Literal["area", "resident", "household"]


# --- shared -------------------------------------------------------------------------------


class Ref(OutputSchema):
    id: int
    name: str


# Read from a `Resident`, the head of a household.
class HeadOut(OutputSchema):
    id: int
    name: str
    mobile: str = Field(description="Masked, e.g. 138****5678")

    @staticmethod
    def resolve_mobile(person):
        return mask(person.mobile, MOBILE)


# Read from a `Household`.
class HouseholdRef(OutputSchema):
    id: int
    number: str
    address: str
    area: Ref = Field(description="Where the household lives now")
    head: HeadOut | None


# --- contact assignments ------------------------------------------------------------------


def _contact_kind(assignment: ContactAssignment) -> str:
    for kind in ("post", "organisation", "household", "resident"):
        if getattr(assignment, f"contact_{kind}_id") is not None:
            return kind
    raise AssertionError("an assignment has a contact")  # a database constraint says so


def _target_kind(assignment: ContactAssignment) -> str:
    if assignment.area_id is not None:
        return "area"
    if assignment.resident_id is not None:
        return "resident"
    return "household"


# The contact, read from its `ContactAssignment`.
class ContactOut(OutputSchema):
    kind: ContactKind
    id: int
    name: str = Field(alias="contact_name")

    resolve_kind = staticmethod(_contact_kind)

    @staticmethod
    def resolve_id(assignment):
        return getattr(assignment, f"contact_{_contact_kind(assignment)}_id")


# The one contacted, read from its `ContactAssignment`.
class TargetOut(OutputSchema):
    kind: TargetKind
    id: int
    name: str

    resolve_kind = staticmethod(_target_kind)

    @staticmethod
    def resolve_id(assignment):
        return getattr(assignment, f"{_target_kind(assignment)}_id")

    @staticmethod
    def resolve_name(assignment):
        kind = _target_kind(assignment)
        if kind == "household":
            return assignment.household.number
        return getattr(assignment, kind).name


# Read from a `ContactAssignment`.
class AssignmentOut(OutputSchema):
    id: int
    level: LinkLevel
    level_label: Label = Field(alias="get_level_display")
    contact: ContactOut = Field(description="Who keeps in touch")
    target: TargetOut = Field(description="With whom")
    scope_area: Ref = Field(description="The area the one contacted belongs to")
    starts_on: dt.date
    ends_on: dt.date | None
    active: bool = Field(description="In force today")
    note: str
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_contact(assignment):
        return assignment  # ContactOut reads the contact off the assignment

    @staticmethod
    def resolve_target(assignment):
        return assignment  # as TargetOut the one contacted

    @staticmethod
    def resolve_active(assignment):
        today = timezone.localdate()
        ends_on = assignment.ends_on
        return assignment.starts_on <= today and (ends_on is None or ends_on >= today)


class AssignmentPage(OutputSchema):
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


# --- visits and needs ---------------------------------------------------------------------


# Read from the `Application` a need was handed on to.
class ApplicationRef(OutputSchema):
    id: int
    number: str
    state: ApplicationState
    state_label: Label = Field(alias="get_state_display")


def _need_status(need) -> str:
    """`status_now` where the selector annotated it, else the same rule in Python."""
    return getattr(need, "status_now", None) or needs.effective_status(need)


# Read from a `Need`.
class NeedOut(OutputSchema):
    id: int
    visit_id: int
    household: HouseholdRef
    category: NeedCategory
    category_label: Label = Field(alias="get_category_display")
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

    resolve_status = staticmethod(_need_status)

    @staticmethod
    def resolve_status_label(need):
        return str(NeedStatus(_need_status(need)).label)


class NeedPage(OutputSchema):
    count: int
    items: list[NeedOut]


class NeedQuery(PageQuery):
    status: NeedStatus | None = Field(None, description="The effective status")
    category: NeedCategory | None = None
    area: Id | None = Field(None, description="Only needs of households in this area and below")


# Read from a `Visit`.
class VisitOut(OutputSchema):
    id: int
    household: HouseholdRef
    area: Ref = Field(description="Where the household lived on the day of the visit")
    visited_on: dt.date
    channel: VisitChannel
    channel_label: Label = Field(alias="get_channel_display")
    visitor: str = Field(alias="visitor_name")
    link_level: LinkLevel | None = Field(description="The link of the five this visit fulfils")
    assignment_id: int | None
    note: str
    photo: bool = Field(description="A photo was taken (shown on the visit's page)")
    created_at: dt.datetime

    @staticmethod
    def resolve_photo(visit):
        return bool(visit.photo)


# Read from a `Visit` of `selectors.visit_get`, its needs prefetched.
class VisitDetailOut(VisitOut):
    needs: list[NeedOut]

    @staticmethod
    def resolve_needs(visit):
        found = list(visit.needs.all())
        for need in found:
            need.household = visit.household  # the visit's own: no query for each need
        return found


class VisitPage(OutputSchema):
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


# --- coverage, gaps, overdue --------------------------------------------------------------


# Read from a `coverage.LevelCoverage`.
class LevelOut(OutputSchema):
    level: LinkLevel
    label: Label
    targets: int
    linked: int = Field(description="Targets with an assignment of this level in the period")
    reached: int = Field(description="Targets visited through a link of this level")
    linked_percent: float | None
    reached_percent: float | None


# Read from a `coverage.Coverage`.
class CoverageOut(OutputSchema):
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


class CoveragePage(OutputSchema):
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


# A row of `selectors.gap_counts`.
class GapCountOut(OutputSchema):
    level: LinkLevel
    label: Label
    targets: int
    linked: int
    gaps: int


def _gap_kind(target) -> str:
    if isinstance(target, Area):
        return "area"
    if isinstance(target, Household):
        return "household"
    return "resident"


# Read from a target without a link: a street, community or village (`Area`), a party member
# (`Resident`) or a `Household`.
class GapTargetOut(OutputSchema):
    kind: TargetKind
    id: int
    name: str
    area: Ref = Field(description="The area itself, or the area the person or household is in")

    resolve_kind = staticmethod(_gap_kind)

    @staticmethod
    def resolve_name(target):
        return target.number if _gap_kind(target) == "household" else target.name

    @staticmethod
    def resolve_area(target):
        kind = _gap_kind(target)
        if kind == "area":
            return target
        return target.area if kind == "household" else target.household.area


class GapOut(OutputSchema):
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


# Read from a `Household` of `selectors.overdue_list`.
class OverdueOut(OutputSchema):
    household: HouseholdRef
    last_visited_on: dt.date | None
    due_on: dt.date
    overdue_days: int

    @staticmethod
    def resolve_household(household):
        return household


class OverduePage(OutputSchema):
    count: int
    items: list[OverdueOut]


class OverdueQuery(PageQuery):
    area: Id | None = Field(None, description="Only households in this area and below")
    worker: Id | None = Field(None, description="Only the households of this grid worker (user id)")
