"""What the appeals API takes in (`…In`, `…Query`) and answers (`…Out`, `…Page`).

Answers are read from the objects the selectors return (see `core.api.OutputSchema`). The
reporter's mobile number goes out masked (`core.masking.mask`), their ID number never; who
handled a step and who acted on the timeline are shown to staff only. Photos are not sent
through the API (the pages take them, checked by their bytes).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from linli.core.api import Id, InputSchema, Label, OutputSchema, PageQuery, Version, caller, text
from linli.core.masking import MOBILE, mask

from .. import selectors
from ..choices import AppealChannel, AppealState, ReturnVisitMethod, Satisfaction, Tier
from ..services import (
    ADDRESS_LENGTH,
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    NOTE_LENGTH,
    RETURN_VISIT_NOTE_LENGTH,
)

Channel = Literal["visit", "counter", "hotline", "resident_phone", "api", "open311"]
StaffChannel = Literal["visit", "counter", "hotline", "api", "open311"]
StateChoice = Literal["waiting", "taken", "settled", "closed"]
TierChoice = Literal["village", "community", "street", "department"]
SatisfactionChoice = Literal["satisfied", "basically", "dissatisfied"]
MethodChoice = Literal["phone", "visit", "resident_phone"]

assert set(Channel.__args__) == set(AppealChannel.values)  # type: ignore[attr-defined]
assert set(StateChoice.__args__) == set(AppealState.values)  # type: ignore[attr-defined]
assert set(TierChoice.__args__) == set(Tier.values)  # type: ignore[attr-defined]
assert set(SatisfactionChoice.__args__) == set(Satisfaction.values)  # type: ignore[attr-defined]
assert set(MethodChoice.__args__) == set(ReturnVisitMethod.values)  # type: ignore[attr-defined]


class Ref(OutputSchema):
    id: int
    name: str


# Read from an `AppealCategory` (its current version).
class CategoryOut(OutputSchema):
    id: int
    code: str
    name: str
    description: str = Field(alias="current.description")
    starts_at: TierChoice = Field(alias="current.default_tier")
    public: bool = Field(alias="current.public")
    anonymous_allowed: bool = Field(alias="current.anonymous_allowed")
    department: Ref | None = Field(alias="current.department")
    limits: dict[str, int] = Field(description="Working days at each tier")
    version: int = Field(alias="current.number")

    @staticmethod
    def resolve_limits(category):
        version = category.current
        return {tier: version.limit_days(tier) for tier in Tier.values}


class CategoryPage(Schema):
    count: int
    items: list[CategoryOut]


# The reporter, read from an `Appeal`.
class ReporterOut(OutputSchema):
    anonymous: bool
    resident: int | None = Field(alias="reporter_id", description="A person in the registry")
    name: str
    mobile: str = Field(description="Masked, e.g. 138****5678")

    @staticmethod
    def resolve_name(appeal):
        if appeal.anonymous:
            return ""
        return appeal.reporter.name if appeal.reporter_id else appeal.reporter_name

    @staticmethod
    def resolve_mobile(appeal):
        if appeal.anonymous:
            return ""
        number = appeal.reporter.mobile if appeal.reporter_id else appeal.reporter_mobile
        return mask(number, MOBILE)


# Read from an `Appeal` of `selectors.appeal_list`.
class AppealOut(OutputSchema):
    id: int
    number: str
    category: Ref
    channel: Channel
    channel_label: Label = Field(alias="get_channel_display")
    area: Ref = Field(description="The place it concerns")
    address: str
    state: StateChoice
    state_label: Label = Field(alias="get_state_display")
    tier: TierChoice
    tier_label: Label = Field(alias="get_tier_display")
    waits_at: str = Field(
        alias="place_name", description="The village, community, street or department"
    )
    handler: str | None = Field(description="Who has taken it (shown to staff)")
    due_on: dt.date | None
    due_provisional: bool = Field(
        alias="due_assumed",
        description="The deadline is counted Monday to Friday through a year whose official "
        "working-day arrangement is not entered yet",
    )
    created_at: dt.datetime
    settled_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopened_count: int
    version: int

    @staticmethod
    def resolve_handler(appeal, context):
        if appeal.handler_id and caller(context).is_staff_member:
            return str(appeal.handler)
        return None


class AppealPage(Schema):
    count: int
    items: list[AppealOut]


# Read from an `AppealStep`.
class StepOut(OutputSchema):
    order: int
    tier: TierChoice
    tier_label: Label = Field(alias="get_tier_display")
    waits_at: str
    handler: str | None = Field(description="Shown to staff")
    started_at: dt.datetime
    time_limit_days: int
    due_on: dt.date
    due_provisional: bool = Field(alias="due_assumed")
    taken_at: dt.datetime | None
    ended_at: dt.datetime | None
    outcome: str
    note: str

    @staticmethod
    def resolve_waits_at(step):
        place = step.department if step.tier == Tier.DEPARTMENT else step.area
        return str(place) if place is not None else "—"

    @staticmethod
    def resolve_handler(step, context):
        if step.handler_id and caller(context).is_staff_member:
            return str(step.handler)
        return None


# Read from a `ReturnVisit`.
class ReturnVisitOut(OutputSchema):
    satisfaction: SatisfactionChoice
    satisfaction_label: Label = Field(alias="get_satisfaction_display")
    method: MethodChoice
    note: str
    result: str
    visited_at: dt.datetime


class EventOut(OutputSchema):
    at: dt.datetime
    text: str
    actor: str | None = Field(description="Who did it (shown to staff)")

    @staticmethod
    def resolve_actor(event, context):
        if event.actor and caller(context).is_staff_member:
            return str(event.actor)
        return None


# Read from an `Appeal` of `selectors.appeal_get`.
class AppealDetailOut(AppealOut):
    description: str
    latitude: Decimal | None
    longitude: Decimal | None
    media_url: str
    reporter: ReporterOut
    settlement: str
    steps: list[StepOut]
    return_visits: list[ReturnVisitOut]
    photos: int = Field(description="How many photos it has (seen on its page)")
    actions: list[str] = Field(description="What you may do now: take, settle, hand_up, …")
    timeline: list[EventOut]

    @staticmethod
    def resolve_reporter(appeal):
        return appeal

    @staticmethod
    def resolve_steps(appeal):
        return appeal.steps.all()

    @staticmethod
    def resolve_return_visits(appeal):
        return appeal.return_visits.all()

    @staticmethod
    def resolve_photos(appeal):
        return len(appeal.photos.all())

    @staticmethod
    def resolve_actions(appeal, context):
        return selectors.appeal_actions(user=caller(context), appeal=appeal)

    @staticmethod
    def resolve_timeline(appeal):
        return selectors.appeal_timeline(appeal=appeal, limit=50)


class AppealQuery(PageQuery):
    state: StateChoice | None = None
    tier: TierChoice | None = None
    channel: Channel | None = None
    category: Id | None = None
    area: Id | None = Field(None, description="Only those under this area (in your scope)")
    queue: bool = Field(
        False,
        description="Only those waiting or being handled where you handle them, the "
        "nearest deadline first",
    )


class AppealIn(InputSchema):
    category: Id
    channel: StaffChannel
    area: Id = Field(description="The place it concerns: down to a village or grid")
    description: text(DESCRIPTION_LENGTH, min_length=1)  # type: ignore[valid-type]
    address: text(ADDRESS_LENGTH) = ""  # type: ignore[valid-type]
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    reporter: Id | None = Field(None, description="A person in the registry")
    reporter_name: text(NAME_LENGTH) = ""  # type: ignore[valid-type]
    reporter_mobile: text(11) = ""  # type: ignore[valid-type]
    anonymous: bool = False


class VersionIn(InputSchema):
    version: Version | None = Field(None, description="The version you saw (409 if it moved on)")


class SettleIn(VersionIn):
    what_was_done: text(NOTE_LENGTH, min_length=1)  # type: ignore[valid-type]


class ReasonIn(VersionIn):
    reason: text(NOTE_LENGTH, min_length=1)  # type: ignore[valid-type]


class ReturnVisitIn(VersionIn):
    satisfaction: SatisfactionChoice
    method: MethodChoice
    note: text(RETURN_VISIT_NOTE_LENGTH) = ""  # type: ignore[valid-type]
