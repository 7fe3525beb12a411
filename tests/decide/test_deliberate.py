"""Deliberating 民主议事: the advisory panel's options (only by a member studying the matter's
category, or the community's staff), panels, and the meetings — arranged with their invitees,
the roll of who came and the minutes. Each refusal says why and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.errors import Conflict
from linli.core.models import Notification
from linli.core.scoping import OutOfScope
from linli.decide import selectors, services
from linli.decide.choices import AttendeeRole, MeetingKind, PanelKind
from linli.decide.models import MatterOption, Meeting, MeetingInvitee

from . import helpers
from .helpers import WORLD_CLOCK

SHARED = {"decide": helpers.build_decide}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def d(shared):
    return shared("decide")


def test_taking_up_tells_the_proposer_and_the_advisers_of_the_category(d):
    matter = helpers.taken_up(d)
    assert Notification.objects.filter(recipient_resident=d.wang).count() == 1
    told = set(
        Notification.objects.filter(message__contains="options").values_list(
            "recipient_user_id", flat=True
        )
    )
    assert told == {d.users["adviser"].pk}
    assert list(selectors.matter_queue(user=d.users["adviser"])) == [matter]
    assert not selectors.matter_queue(user=d.users["other_adviser"]).exists()


def test_options_by_the_adviser_of_the_category(d):
    matter = helpers.taken_up(d)
    first = services.option_add(
        actor=d.users["adviser"], matter=matter, title="规定早市时间", description="8:30前撤摊"
    )
    second = services.option_add(actor=d.users["community_worker"], matter=matter, title="迁址")
    assert (first.order, second.order) == (1, 2)
    assert first.written_by == d.adviser_seat and second.written_by is None
    with pytest.raises(PermissionDenied) as refused:
        services.option_add(actor=d.users["other_adviser"], matter=matter, title="取消早市")
    assert "advisory panel members who study it" in str(refused.value)
    with pytest.raises(ValidationError) as blank:
        services.option_add(actor=d.users["adviser"], matter=matter, title="\u200b ")
    assert "title" in blank.value.message_dict
    with pytest.raises(OutOfScope):
        services.option_add(actor=d.users["other_worker"], matter=matter, title="别的")
    assert MatterOption.objects.filter(matter=matter).count() == 2


def test_no_options_before_the_matter_is_taken_up(d):
    matter = helpers.propose(d)
    with pytest.raises(Conflict, match="no longer possible"):
        services.option_add(actor=d.users["adviser"], matter=matter, title="规定早市时间")
    assert not MatterOption.objects.exists()


def test_one_panel_of_each_kind(d):
    with pytest.raises(ValidationError) as refused:
        services.panel_create(
            actor=d.users["community_worker"],
            area=d.community,
            kind=PanelKind.ADVISORY,
            name="又一个",
        )
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError, match="community"):
        services.panel_create(
            actor=d.users["community_worker"], area=d.buildings[0], kind="advisory", name="楼院"
        )
    with pytest.raises(OutOfScope):
        services.panel_create(
            actor=d.users["community_worker"], area=d.other_community, kind="advisory", name="苇湾"
        )


def _arrange(d, matter, **fields):
    defaults = {
        "actor": d.users["community_worker"],
        "matter": matter,
        "kind": MeetingKind.PARLOUR,
        "title": "工福会客厅：游麟路早市",
        "starts_at": dt.datetime(2026, 11, 27, 15, 0, tzinfo=helpers.SHANGHAI),
        "place": "工福街社区会客厅",
        "agenda": "1. 听取居民意见\n2. 讨论顾问团方案\n3. 划分任务",
        "invitees": [
            services.Invitee(role=AttendeeRole.BUILDING_HEAD, resident=d.building_heads[0]),
            services.Invitee(role=AttendeeRole.REPRESENTATIVE, resident=d.li),
            services.Invitee(role=AttendeeRole.DEPARTMENT, organisation=d.market_office),
            services.Invitee(role=AttendeeRole.DEPARTMENT, organisation=d.city),
            services.Invitee(role=AttendeeRole.PANEL, name="马振华"),
        ],
    }
    return services.meeting_arrange(**{**defaults, **fields})


def test_a_meeting_arranged_rolled_and_minuted(d, clock):
    matter = helpers.taken_up(d)
    meeting = _arrange(d, matter)
    invitees = list(meeting.invitees.order_by("pk"))
    assert [i.name for i in invitees] == [
        "王大威",
        "李秀英",
        "市场服务中心",
        "综合行政执法局",
        "马振华",
    ]
    assert Notification.objects.filter(message__contains="invited").count() == 2
    came = [i.pk for i in invitees[:4]]
    services.meeting_roll(actor=d.users["community_worker"], meeting=meeting, present=came)
    assert list(
        MeetingInvitee.objects.filter(meeting=meeting)
        .order_by("pk")
        .values_list("present", flat=True)
    ) == [True, True, True, True, False]
    with pytest.raises(ValidationError, match="Mark only"):
        services.meeting_roll(actor=d.users["community_worker"], meeting=meeting, present=[999999])
    clock.move_to(dt.datetime(2026, 11, 27, 17, 0, tzinfo=helpers.SHANGHAI))
    with pytest.raises(ValidationError) as blank:
        services.meeting_minutes(actor=d.users["community_worker"], meeting=meeting, minutes=" ")
    assert "minutes" in blank.value.message_dict
    held = services.meeting_minutes(
        actor=d.users["community_worker"],
        meeting=meeting,
        minutes="会议决定：早市8:30前撤摊，市场服务中心负责管理，综合行政执法局负责巡查。",
    )
    assert held.held_at == meeting.starts_at and "8:30" in held.minutes


def test_bad_meetings_are_refused(d):
    matter = helpers.taken_up(d)
    with pytest.raises(ValidationError) as nobody:
        _arrange(d, matter, invitees=[])
    assert "invitees" in nobody.value.message_dict
    with pytest.raises(ValidationError, match="does not live in"):
        _arrange(
            d,
            matter,
            invitees=[
                services.Invitee(role=AttendeeRole.REPRESENTATIVE, resident=d.other_household.head)
            ],
        )
    with pytest.raises(ValidationError) as agenda:
        _arrange(d, matter, agenda="\u200b")
    assert "agenda" in agenda.value.message_dict
    with pytest.raises(PermissionDenied):
        _arrange(d, matter, actor=d.users["collector"])
    assert not Meeting.objects.exists()


def test_no_meeting_at_propose(d):
    matter = helpers.propose(d)
    with pytest.raises(Conflict):
        _arrange(d, matter)
    assert not Meeting.objects.exists()
