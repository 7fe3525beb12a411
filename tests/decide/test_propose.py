"""Raising a matter 民主提事, supporting it, the opinions collected, and the community's first
moves on it (take up, merge, drop, raise from an appeal): every refusal says why and changes
nothing."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.errors import Conflict
from linli.core.models import TimelineEvent
from linli.core.scoping import OutOfScope
from linli.decide import selectors, services
from linli.decide.choices import ClosedBecause, MatterChannel, Stage
from linli.decide.models import Matter, MatterSupport, StageSpell

from . import helpers
from .helpers import WORLD_CLOCK

SHARED = {"decide": helpers.build_decide}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False):
        yield


@pytest.fixture
def d(shared):
    return shared("decide")


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_resident_proposes_in_their_community(d):
    matter = helpers.propose(d)
    assert matter.number == "YS20261125000001"
    assert matter.stage == Stage.PROPOSE
    assert matter.area == d.community
    assert matter.channel == MatterChannel.RESIDENT_PHONE
    assert matter.proposer == d.wang and matter.household == d.households[0]
    spell = StageSpell.objects.get(matter=matter)
    assert spell.stage == Stage.PROPOSE and spell.left_at is None
    assert TimelineEvent.objects.filter(object_id=matter.pk, verb="created").exists()
    # The community worker is told a matter waits.
    from linli.core.models import Notification

    assert Notification.objects.filter(recipient_user=d.users["community_worker"]).count() == 1
    second = helpers.propose(d, title="楼道灯不亮", area=d.buildings[0])
    assert second.number == "YS20261125000002" and second.area == d.buildings[0]


def test_a_collector_proposes_for_a_named_neighbour(d):
    matter = helpers.propose(d, actor=d.users["collector"], resident=d.li, area=d.buildings[0])
    assert matter.channel == MatterChannel.COLLECTOR and matter.proposer == d.li
    staff = helpers.propose(d, actor=d.users["community_worker"], resident=d.li, area=d.community)
    assert staff.channel == MatterChannel.STAFF


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "NOPE"}, "category"),
        ({"category": 999999}, "category"),
        ({"title": "   "}, "title"),
        ({"title": "\u200b\u200b"}, "title"),
        ({"description": "\u200b \u3164"}, "description"),
        ({"description": "长" * 2001}, "description"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(d, fields, field):
    with pytest.raises(ValidationError) as refused:
        helpers.propose(d, **fields)
    assert field in refused.value.message_dict
    assert not Matter.objects.exists()


def test_a_withdrawn_category_takes_no_matters(d):
    services.category_set_offered(actor=None, category=d.market, offered=False)
    with pytest.raises(ValidationError, match="no longer offered"):
        helpers.propose(d)
    assert not Matter.objects.exists()


def test_a_resident_cannot_propose_elsewhere_or_for_someone_else(d):
    with pytest.raises(ValidationError, match="own community or building"):
        helpers.propose(d, area=d.other_community)
    with pytest.raises(ValidationError, match="own community or building"):
        helpers.propose(d, area=d.buildings[1])
    with pytest.raises(ValidationError, match="in their own name"):
        helpers.propose(d, resident=d.li)
    assert not Matter.objects.exists()


def test_staff_cannot_propose_for_another_communitys_resident(d):
    with pytest.raises(ValidationError, match="does not live in"):
        helpers.propose(
            d, actor=d.users["community_worker"], resident=d.other_household.head, area=d.community
        )
    with pytest.raises(OutOfScope):
        helpers.propose(d, actor=d.users["community_worker"], resident=d.li, area=d.other_community)
    with pytest.raises(ValidationError, match="Name the resident"):
        helpers.propose(d, actor=d.users["community_worker"], area=d.community)
    assert not Matter.objects.exists()


def test_support_once_per_person(d):
    matter = helpers.propose(d)
    services.matter_support(actor=d.users["li"], matter=matter)
    with pytest.raises(Conflict, match="already supported"):
        services.matter_support(actor=d.users["li"], matter=matter)
    assert MatterSupport.objects.filter(matter=matter).count() == 1
    assert selectors.supporter_count(matter) == 1


def test_only_residents_of_the_community_support(d):
    matter = helpers.propose(d)
    with pytest.raises(OutOfScope):
        services.matter_support(actor=d.users["other_resident"], matter=matter)
    with pytest.raises(PermissionDenied):
        services.matter_support(actor=d.users["community_worker"], matter=matter)
    assert not MatterSupport.objects.exists()


def test_the_database_refuses_a_second_support(d):
    from django.db import IntegrityError, transaction

    matter = helpers.propose(d)
    MatterSupport.objects.create(matter=matter, resident=d.li)
    with pytest.raises(IntegrityError), transaction.atomic():
        MatterSupport.objects.create(matter=matter, resident=d.li)


def test_opinions_named_or_not(d):
    matter = helpers.propose(d)
    collector = d.users["collector"]
    services.opinion_add(actor=collector, matter=matter, text="早上买菜车都过不去", resident=d.li)
    services.opinion_add(actor=collector, matter=matter, text="摊贩垃圾不清理", name="楼下张大爷")
    services.opinion_add(actor=collector, matter=matter, text="希望规范时间")
    with pytest.raises(ValidationError) as refused:
        services.opinion_add(actor=collector, matter=matter, text="\u200b")
    assert "text" in refused.value.message_dict
    with pytest.raises(ValidationError, match="community"):
        services.opinion_add(
            actor=collector, matter=matter, text="有意见", resident=d.other_household.head
        )
    assert [o.name for o in selectors.matter_opinions(matter)] == ["", "楼下张大爷", ""]


def test_take_up_drop_and_the_table(d):
    worker = d.users["community_worker"]
    matter = helpers.propose(d)
    with pytest.raises(PermissionDenied):
        services.matter_take_up(actor=d.users["collector"], matter=matter)
    with pytest.raises(OutOfScope):
        services.matter_take_up(actor=d.users["other_worker"], matter=matter)
    up = services.matter_take_up(actor=worker, matter=matter, expected_version=matter.version)
    assert up.stage == Stage.DELIBERATE
    with pytest.raises(ValidationError, match="not possible"):
        services.matter_take_up(actor=worker, matter=matter)
    with pytest.raises(ValidationError) as refused:
        services.matter_drop(actor=worker, matter=matter, reason="\u200b")
    assert "reason" in refused.value.message_dict
    dropped = services.matter_drop(actor=worker, matter=matter, reason="已由物业解决")
    assert dropped.stage == Stage.CLOSED and dropped.closed_because == ClosedBecause.DROPPED


def test_a_stale_page_is_a_conflict(d):
    worker = d.users["community_worker"]
    matter = helpers.propose(d)
    seen = matter.version
    services.matter_take_up(actor=worker, matter=matter, expected_version=seen)
    with pytest.raises(Conflict):
        services.matter_drop(actor=worker, matter=matter, reason="重复", expected_version=seen)
    assert helpers.fresh(matter).stage == Stage.DELIBERATE


def test_merge_keeps_supporters_and_opinions(d):
    worker = d.users["community_worker"]
    first = helpers.propose(d)
    second = helpers.propose(d, actor=d.users["li"], title="早市堵路")
    services.matter_support(actor=d.users["wang"], matter=second)
    services.opinion_add(actor=d.users["collector"], matter=second, text="确实很堵")
    merged = services.matter_merge(actor=worker, matter=second, into=first, note="同一件事")
    assert merged.stage == Stage.CLOSED and merged.merged_into == first
    assert merged.closed_because == ClosedBecause.MERGED
    assert selectors.supporter_count(first) == 1
    assert [o.text for o in selectors.matter_opinions(first)] == ["确实很堵"]
    third = helpers.propose(d, title="第三件")
    with pytest.raises(ValidationError, match="closed"):
        services.matter_merge(actor=worker, matter=third, into=second)
    with pytest.raises(ValidationError, match="itself"):
        services.matter_merge(actor=worker, matter=third, into=third)
    assert helpers.fresh(third).stage == Stage.PROPOSE


def test_a_matter_from_an_appeal(d):
    from linli.appeals import services as appeal_services

    category = appeal_services.category_create(
        actor=None,
        code="HJWS",
        name="环境卫生",
        village_days=3,
        community_days=5,
        street_days=5,
        department_days=10,
    )
    appeal = appeal_services.appeal_create(
        actor=d.users["community_worker"],
        category=category,
        channel="counter",
        area=d.buildings[1],
        description="游麟路早市垃圾无人清理",
        reporter=d.li,
    )
    matter = services.matter_from_appeal(
        actor=d.users["community_worker"], appeal=appeal, category=d.market
    )
    assert matter.channel == MatterChannel.APPEAL and matter.appeal == appeal
    assert matter.proposer == d.li and matter.area == d.community
    with pytest.raises(Conflict, match="already been raised"):
        services.matter_from_appeal(
            actor=d.users["community_worker"], appeal=appeal, category=d.market
        )
    with pytest.raises(OutOfScope):
        services.matter_from_appeal(actor=d.users["other_worker"], appeal=appeal, category=d.market)


def test_board_matters(d):
    matter = helpers.propose(d)
    assert list(selectors.board_matters(d.users["li"])) == [matter]
    assert not selectors.board_matters(d.users["other_resident"]).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.board_matters(AnonymousUser()).exists()
    with pytest.raises(OutOfScope):
        selectors.matter_get(user=d.users["other_worker"], pk=matter.pk)
    from linli.decide.models import PublicBoard

    PublicBoard.objects.create(area=d.community, without_login=True)
    assert list(selectors.board_matters(AnonymousUser())) == [matter]
    assert list(selectors.board_matters(d.users["other_resident"])) == [matter]
    assert list(selectors.matter_list(user=d.users["community_worker"])) == [matter]
    assert not selectors.matter_list(user=d.users["other_worker"]).exists()
    assert selectors.matter_get(user=d.users["other_worker"], pk=matter.pk) == matter
