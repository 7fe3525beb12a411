"""The return visit 回访 that closes an appeal: 满意 and 基本满意 close it; 不满意 reopens it once at
the same tier, and a second 不满意 there hands it up (at the top, it closes with the
dissatisfaction on record); who may make it, how, and what a second one at the same moment
finds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.appeals import services
from linli.appeals.models import AppealStep, ReturnVisit
from linli.core.errors import Conflict
from linli.core.models import TimelineEvent
from linli.core.scoping import OutOfScope

from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


def _settled(a, appeal=None, who="village_cadre", what="已疏通"):
    appeal = appeal or h.raise_appeal(a)
    return services.appeal_settle(actor=a.users[who], appeal=appeal, what_was_done=what)


def _visit(a, appeal, satisfaction, note="", who="community_worker", method="phone", **extra):
    return services.return_visit_record(
        actor=a.users[who] if who else None,
        appeal=appeal,
        satisfaction=satisfaction,
        method=method,
        note=note,
        **extra,
    )


@pytest.mark.parametrize("satisfaction", ["satisfied", "basically"])
def test_satisfied_closes(a, satisfaction):
    appeal = _settled(a)
    visit = _visit(a, appeal, satisfaction, "排水通畅了")
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.closed_at is not None) == ("closed", True)
    assert (visit.result, visit.visited_by, visit.step.outcome) == (
        "closed",
        a.users["community_worker"],
        "settled",
    )
    verbs = TimelineEvent.objects.filter(content_type__model="appeal", object_id=appeal.pk)
    assert list(verbs.order_by("id").values_list("verb", flat=True))[-2:] == [
        "return_visit",
        "closed",
    ]


def test_dissatisfied_reopens_once_then_hands_up(a):
    appeal = _settled(a)
    _visit(a, appeal, "dissatisfied", "沟里还有积水")
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.tier, appeal.tier_area) == ("waiting", "village", a.village)
    assert (appeal.reopened_count, appeal.reopens_at_tier) == (1, 1)
    assert appeal.due_on == dt.date(2026, 11, 30)  # the village's three days, from today
    # Settled again at the village, and again not satisfied: up to the community.
    appeal = _settled(a, appeal, what="重新疏通并加了盖板")
    visit = _visit(a, appeal, "dissatisfied", "盖板不平")
    appeal = h.fresh(appeal)
    assert visit.result == "handed_up"
    assert (appeal.state, appeal.tier, appeal.tier_area) == ("waiting", "community", a.community)
    assert (appeal.reopened_count, appeal.reopens_at_tier) == (1, 0)
    steps = list(AppealStep.objects.filter(appeal=appeal).order_by("order"))
    assert [(s.tier, s.outcome) for s in steps] == [
        ("village", "settled"),
        ("village", "settled"),
        ("community", ""),
    ]
    # At the community the rule starts again: one reopening there.
    appeal = _settled(a, appeal, who="community_worker", what="社区协调施工队返修")
    _visit(a, appeal, "dissatisfied", "还是不平", who="street_cadre")
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.tier, appeal.reopened_count) == ("waiting", "community", 2)


def test_at_the_top_a_second_dissatisfaction_closes_with_it_on_record(a):
    appeal = h.raise_appeal(a, category=a.categories.safety)  # street, and no department
    for _ in range(2):
        appeal = _settled(a, appeal, who="street_cadre", what="加装了路灯")
        _visit(a, appeal, "dissatisfied", "不够亮")
    appeal = h.fresh(appeal)
    assert appeal.state == "closed"
    assert list(
        ReturnVisit.objects.filter(appeal=appeal).order_by("id").values_list("result", flat=True)
    ) == ["reopened", "closed"]
    line = TimelineEvent.objects.filter(object_id=appeal.pk, verb="closed").get()
    assert "dissatisfied" in line.summary and line.params == {"place": "太保庄街道"}


def test_the_resident_answers_on_the_phone(a):
    appeal = _settled(a)
    resident = a.users["resident"]
    with pytest.raises(ValidationError) as refused:
        _visit(a, appeal, "satisfied", who="resident", method="phone")
    assert "method" in refused.value.message_dict
    _visit(a, appeal, "satisfied", who="resident", method="resident_phone")
    assert ReturnVisit.objects.get(appeal=appeal).visited_by == resident


def test_staff_do_not_answer_for_the_resident(a):
    appeal = _settled(a)
    with pytest.raises(ValidationError) as refused:
        _visit(a, appeal, "satisfied", method="resident_phone")
    assert "method" in refused.value.message_dict


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("satisfaction", {"satisfaction": "so-so"}),
        ("method", {"method": "letter"}),
        ("note", {"satisfaction": "dissatisfied", "note": ""}),
        ("note", {"satisfaction": "satisfied", "note": "好" * 501}),
    ],
)
def test_bad_input_changes_nothing(a, field, extra):
    appeal = _settled(a)
    fields = {"satisfaction": "satisfied", "note": "", **extra}
    with pytest.raises(ValidationError) as refused:
        _visit(a, appeal, **fields)
    assert field in refused.value.message_dict
    assert h.fresh(appeal).state == "settled"
    assert not ReturnVisit.objects.exists()


def test_no_return_visit_before_it_is_settled(a):
    appeal = h.raise_appeal(a)
    with pytest.raises(ValidationError) as refused:
        _visit(a, appeal, "satisfied")
    assert refused.value.code == "illegal_transition"


def test_a_second_return_visit_for_the_same_settlement_is_a_conflict(a):
    appeal = _settled(a)
    _visit(a, appeal, "dissatisfied", "还有积水", expected_version=appeal.version)
    with pytest.raises(Conflict) as conflict:
        _visit(a, appeal, "satisfied", who="street_cadre", expected_version=appeal.version)
    assert conflict.value.code == "return_visit_recorded"
    assert ReturnVisit.objects.count() == 1
    closed = _settled(a)
    _visit(a, closed, "satisfied")
    with pytest.raises(Conflict):
        _visit(a, closed, "basically")


def test_who_may_make_the_return_visit(a):
    appeal = _settled(a)
    with pytest.raises(OutOfScope):
        _visit(a, appeal, "satisfied", who="sibling_cadre")
    with pytest.raises(PermissionDenied):
        _visit(a, appeal, "satisfied", who="district_leader")
    assert h.fresh(appeal).state == "settled"
    _visit(a, appeal, "satisfied", who=None)  # a trusted system job
    assert h.fresh(appeal).state == "closed"
