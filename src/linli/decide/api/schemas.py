"""What the matters API takes in (`…In`, `…Query`) and answers (`…Out`, `…Page`).

Answers are read from the objects the selectors return (see `core.api.OutputSchema`). The
proposer goes out as staff see them on the page (name, masked mobile) or, to a resident, with
the name masked; who acted on the timeline is shown to staff only.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from linli.core.api import Id, InputSchema, Label, OutputSchema, PageQuery, Version, caller, text
from linli.core.masking import NAME, mask

from .. import selectors, services
from ..choices import MatterChannel, Stage
from ..services import DESCRIPTION_LENGTH, NOTE_LENGTH, TITLE_LENGTH

StageChoice = Literal["propose", "deliberate", "decide", "manage", "supervise", "done", "closed"]
Channel = Literal["resident_phone", "collector", "staff", "appeal"]
StaffChannel = Literal["collector", "staff"]

assert set(StageChoice.__args__) == set(Stage.values)  # type: ignore[attr-defined]
assert set(Channel.__args__) == set(MatterChannel.values)  # type: ignore[attr-defined]


class Ref(OutputSchema):
    id: int
    name: str


class MatterOut(OutputSchema):
    id: int
    number: str
    title: str
    category: Ref
    area: Ref = Field(description="The community or building it concerns")
    channel: Channel
    channel_label: Label = Field(alias="get_channel_display")
    stage: StageChoice
    stage_label: Label = Field(alias="get_stage_display")
    stage_since: dt.datetime
    closed_because: str
    merged_into: int | None = Field(alias="merged_into_id")
    round: int
    created_at: dt.datetime
    version: int


class MatterPage(Schema):
    count: int
    items: list[MatterOut]


class OpinionOut(OutputSchema):
    text: str
    said_by: str = Field(description="A name (masked to residents), or empty")
    collected_at: dt.datetime
    matter: int = Field(alias="matter_id", description="The matter it was written for")

    @staticmethod
    def resolve_said_by(opinion, context):
        said = opinion.resident.name if opinion.resident_id else opinion.name
        if not said:
            return ""
        return said if services.sees_names(caller(context), opinion.matter) else mask(said, NAME)


class OptionOut(OutputSchema):
    order: int
    title: str
    description: str
    written_by: str | None

    @staticmethod
    def resolve_written_by(option):
        return option.written_by.name if option.written_by_id else None


class InviteeOut(OutputSchema):
    id: int
    role: str
    role_label: Label = Field(alias="get_role_display")
    name: str
    present: bool | None = Field(description="Came (empty until the roll is taken)")


class MeetingOut(OutputSchema):
    id: int
    kind: str
    kind_label: Label = Field(alias="get_kind_display")
    title: str
    starts_at: dt.datetime
    place: str
    agenda: str
    minutes: str
    held_at: dt.datetime | None
    invitees: list[InviteeOut]

    @staticmethod
    def resolve_invitees(meeting):
        return meeting.invitees.all()


class EventOut(OutputSchema):
    at: dt.datetime
    text: str
    actor: str | None = Field(description="Who did it (shown to staff)")

    @staticmethod
    def resolve_actor(event, context):
        if event.actor and caller(context).is_staff_member:
            return str(event.actor)
        return None


class MatterDetailOut(MatterOut):
    description: str
    proposer: str = Field(
        description="The community's staff: name and masked mobile; others: the masked name"
    )
    supporters: int
    supported: bool = Field(description="You support it")
    closing_note: str
    appeal: int | None = Field(alias="appeal_id")
    opinions: list[OpinionOut]
    options: list[OptionOut]
    meetings: list[MeetingOut]
    actions: list[str] = Field(description="What you may do now: deliberate, merge, drop, …")
    timeline: list[EventOut]

    @staticmethod
    def resolve_proposer(matter, context):
        return services.proposer_shown(caller(context), matter)

    @staticmethod
    def resolve_supporters(matter):
        return selectors.supporter_count(matter)

    @staticmethod
    def resolve_supported(matter, context):
        return selectors.has_supported(caller(context), matter)

    @staticmethod
    def resolve_opinions(matter):
        return selectors.matter_opinions(matter)

    @staticmethod
    def resolve_options(matter):
        return matter.options.all()

    @staticmethod
    def resolve_meetings(matter):
        return matter.meetings.all()

    @staticmethod
    def resolve_actions(matter, context):
        return sorted(selectors.matter_actions(user=caller(context), matter=matter))

    @staticmethod
    def resolve_timeline(matter):
        return selectors.matter_timeline(matter=matter, limit=50)


class MatterQuery(PageQuery):
    stage: StageChoice | Literal["open"] | None = None
    category: Id | None = None
    area: Id | None = Field(None, description="Only those under this area (in your scope)")
    queue: bool = Field(False, description="Only those waiting for you, the longest first")


class ProposeIn(InputSchema):
    category: Id
    title: text(TITLE_LENGTH, min_length=1)  # type: ignore[valid-type]
    description: text(DESCRIPTION_LENGTH, min_length=1)  # type: ignore[valid-type]
    area: Id | None = Field(
        None,
        description="The community or building (staff: required; a resident: their community "
        "unless their building is given)",
    )
    resident: Id | None = Field(
        None, description="Staff: the resident on whose behalf it is raised"
    )
    channel: StaffChannel | None = Field(
        None, description="Staff: as an opinion collector or staff"
    )


class VersionIn(InputSchema):
    version: Version | None = Field(None, description="The version you saw (409 if it moved on)")


class TakeUpIn(VersionIn):
    note: text(NOTE_LENGTH) = ""  # type: ignore[valid-type]


class MergeIn(VersionIn):
    into: Id = Field(description="The open matter of the same community it is merged into")
    note: text(NOTE_LENGTH) = ""  # type: ignore[valid-type]
