"""A handler's work on an appeal at its tier: taking it, settling it, handing it up with a reason,
sending it to the category's department; who may act where (404 outside the appeal's area, 403
for one who only reads, a conflict for one it has just moved away from); the version check; and
the tiers' queues and the appeal's page, read through the selectors."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.appeals import selectors, services
from linli.appeals.models import Appeal, AppealStep
from linli.appeals.workflow import Operation
from linli.core.errors import Conflict
from linli.core.models import AuditRecord, Notification, TimelineEvent
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


def _verbs(appeal) -> list[str]:
    return list(
        TimelineEvent.objects.filter(content_type__model="appeal", object_id=appeal.pk)
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- take and settle ------------------------------------------------------------------------------


def test_take_then_settle_at_the_village(a):
    appeal = h.raise_appeal(a)
    cadre = a.users["village_cadre"]
    appeal = services.appeal_take(actor=cadre, appeal=appeal, expected_version=1)
    assert (appeal.state, appeal.handler, appeal.version) == ("taken", cadre, 2)
    step = AppealStep.objects.get(appeal=appeal)
    assert step.handler == cadre and step.taken_at is not None
    appeal = services.appeal_settle(
        actor=cadre, appeal=appeal, what_was_done="组织村民疏通了排水沟", expected_version=2
    )
    assert appeal.state == "settled" and appeal.settlement == "组织村民疏通了排水沟"
    assert appeal.due_on is None and appeal.settled_at is not None
    step.refresh_from_db()
    assert (step.outcome, step.note, step.ended_at is not None) == (
        "settled",
        "组织村民疏通了排水沟",
        True,
    )
    assert _verbs(appeal) == ["created", "arrived", "taken", "settled"]
    trail = AuditRecord.objects.filter(object_type="appeals.appeal", object_id=str(appeal.pk))
    assert list(trail.order_by("id").values_list("action", flat=True)) == [
        "create",
        "update",
        "update",
    ]
    told = Notification.objects.filter(recipient_resident=a.household.head).order_by("id")
    assert told.count() == 2 and told.last().params["what"] == "组织村民疏通了排水沟"


def test_a_grid_worker_settles_on_the_spot_from_the_queue(a):
    appeal = h.raise_appeal(a)
    worker = a.users["grid_worker"]
    appeal = services.appeal_settle(actor=worker, appeal=appeal, what_was_done="当场清理")
    assert appeal.state == "settled" and appeal.handler == worker
    assert AppealStep.objects.get(appeal=appeal).handler == worker


def test_settling_says_what_was_done(a):
    appeal = h.raise_appeal(a)
    with pytest.raises(ValidationError) as refused:
        services.appeal_settle(actor=a.users["village_cadre"], appeal=appeal, what_was_done=" ")
    assert "what_was_done" in refused.value.message_dict
    assert h.fresh(appeal).state == "waiting"


def test_a_second_take_is_a_conflict_naming_who_took_it(a):
    appeal = h.raise_appeal(a)
    services.appeal_take(actor=a.users["village_cadre"], appeal=appeal, expected_version=1)
    with pytest.raises(Conflict) as conflict:
        services.appeal_take(actor=a.users["village_colleague"], appeal=appeal, expected_version=1)
    assert conflict.value.code == "taken"
    assert str(a.users["village_cadre"]) in conflict.value.messages[0]
    assert h.fresh(appeal).handler == a.users["village_cadre"]


def test_settling_what_someone_else_settled_is_a_conflict(a):
    appeal = h.raise_appeal(a)
    services.appeal_settle(actor=a.users["village_cadre"], appeal=appeal, what_was_done="已疏通")
    with pytest.raises(Conflict) as conflict:
        services.appeal_settle(
            actor=a.users["village_colleague"], appeal=appeal, what_was_done="我也疏通了"
        )
    assert conflict.value.code == "settled"
    assert "已疏通" in conflict.value.messages[0]
    assert h.fresh(appeal).settlement == "已疏通"


def test_a_stale_page_is_a_conflict_saying_where_it_is(a):
    appeal = h.raise_appeal(a)
    services.appeal_take(actor=a.users["village_cadre"], appeal=appeal)
    with pytest.raises(Conflict) as conflict:
        services.appeal_hand_up(
            actor=a.users["village_colleague"],
            appeal=appeal,
            reason="村里解决不了",
            expected_version=1,
        )
    assert conflict.value.code == "moved"
    assert "Being handled" in conflict.value.messages[0]
    assert "文岭一村" in conflict.value.messages[0]


# --- who may act where -----------------------------------------------------------------------------


def test_a_handler_outside_the_appeals_area_gets_404(a):
    appeal = h.raise_appeal(a)
    for user in ("sibling_cadre", "far_cadre", "far_street_cadre", "housing_staff", "city_staff"):
        with pytest.raises(OutOfScope):
            services.appeal_take(actor=a.users[user], appeal=appeal)
        with pytest.raises(OutOfScope):
            services.appeal_settle(actor=a.users[user], appeal=appeal, what_was_done="x")
        with pytest.raises(OutOfScope):
            services.appeal_hand_up(actor=a.users[user], appeal=appeal, reason="x")
    assert h.fresh(appeal).version == 1


def test_one_who_only_reads_or_another_tier_gets_403(a):
    appeal = h.raise_appeal(a)  # at the village
    for user in ("district_leader", "resident"):
        with pytest.raises(PermissionDenied):
            services.appeal_take(actor=a.users[user], appeal=appeal)
    # The community handles what the village hands up, not what waits at the village.
    with pytest.raises(PermissionDenied):
        services.appeal_take(actor=a.users["community_worker"], appeal=appeal)
    assert h.fresh(appeal).version == 1


def test_the_village_loses_it_once_handed_up(a):
    appeal = h.raise_appeal(a)
    services.appeal_hand_up(actor=a.users["village_cadre"], appeal=appeal, reason="需要社区协调")
    with pytest.raises(Conflict) as conflict:
        services.appeal_settle(
            actor=a.users["grid_worker"], appeal=appeal, what_was_done="x", expected_version=1
        )
    assert conflict.value.code == "moved" and "文岭社区" in conflict.value.messages[0]


# --- hand up and send to the department -------------------------------------------------------------


def test_hand_up_village_community_street_department(a):
    appeal = h.raise_appeal(a)
    chain = [
        ("village_cadre", "community", a.community, dt.date(2026, 12, 2)),
        ("community_worker", "street", a.street, dt.date(2026, 12, 2)),
        ("street_cadre", "department", None, dt.date(2026, 12, 9)),
    ]
    for n, (role, tier, area, due) in enumerate(chain, start=1):
        appeal = services.appeal_hand_up(
            actor=a.users[role], appeal=appeal, reason=f"第{n}次上报", expected_version=n
        )
        assert (appeal.state, appeal.tier, appeal.tier_area, appeal.due_on) == (
            "waiting",
            tier,
            area,
            due,
        )
    assert appeal.department == a.city
    steps = list(AppealStep.objects.filter(appeal=appeal).order_by("order"))
    assert [(s.tier, s.outcome, s.note) for s in steps] == [
        ("village", "handed_up", "第1次上报"),
        ("community", "handed_up", "第2次上报"),
        ("street", "handed_up", "第3次上报"),
        ("department", "", ""),
    ]
    assert steps[0].handler == a.users["village_cadre"]
    # The department's staff take it; above the department there is no tier.
    staff = a.users["city_staff"]
    appeal = services.appeal_take(actor=staff, appeal=appeal)
    with pytest.raises(ValidationError) as refused:
        services.appeal_hand_up(actor=staff, appeal=appeal, reason="x")
    assert refused.value.code == "top"
    assert "峡山区综合行政执法局 is the last tier" in refused.value.messages[0]
    assert h.fresh(appeal).state == "taken"


def test_hand_up_tells_the_next_tier_and_needs_a_reason(a):
    appeal = h.raise_appeal(a)
    with pytest.raises(ValidationError) as refused:
        services.appeal_hand_up(actor=a.users["village_cadre"], appeal=appeal, reason="")
    assert "reason" in refused.value.message_dict
    services.appeal_hand_up(actor=a.users["village_cadre"], appeal=appeal, reason="涉及两个村")
    told = Notification.objects.filter(recipient_user=a.users["community_worker"])
    assert told.count() == 1 and told.get().params["reason"] == "涉及两个村"
    assert told.get().params["source"] == "文岭一村"
    assert _verbs(appeal)[-2:] == ["handed_up", "arrived"]


def test_a_category_without_a_department_stops_at_the_street(a):
    appeal = h.raise_appeal(a, category=a.categories.safety)  # starts at the street
    cadre = a.users["street_cadre"]
    for call in (
        lambda: services.appeal_hand_up(actor=cadre, appeal=appeal, reason="x"),
        lambda: services.appeal_send_to_department(actor=cadre, appeal=appeal, reason="x"),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.code in ("top", "no_department")
    assert h.fresh(appeal).version == 1


def test_send_straight_to_the_department(a):
    appeal = h.raise_appeal(a)
    appeal = services.appeal_send_to_department(
        actor=a.users["grid_worker"], appeal=appeal, reason="属于执法局职责"
    )
    assert (appeal.tier, appeal.department, appeal.due_on) == (
        "department",
        a.city,
        dt.date(2026, 12, 9),  # ten working days
    )
    assert AppealStep.objects.get(appeal=appeal, order=1).outcome == "sent_to_department"
    assert Notification.objects.filter(recipient_user=a.users["city_staff"]).count() == 1
    assert not Notification.objects.filter(recipient_user=a.users["housing_staff"]).exists()
    with pytest.raises(ValidationError) as refused:
        services.appeal_send_to_department(actor=a.users["city_staff"], appeal=appeal, reason="x")
    assert refused.value.code == "at_department"
    appeal = services.appeal_settle(
        actor=a.users["city_staff"], appeal=appeal, what_was_done="执法队清理了违规倾倒"
    )
    assert appeal.state == "settled"


def test_nothing_is_handed_on_after_settling(a):
    appeal = h.raise_appeal(a)
    services.appeal_settle(actor=a.users["village_cadre"], appeal=appeal, what_was_done="已处理")
    with pytest.raises(Conflict):
        services.appeal_hand_up(actor=a.users["village_cadre"], appeal=appeal, reason="x")
    with pytest.raises(Conflict):
        services.appeal_take(actor=a.users["village_cadre"], appeal=appeal)


# --- what the selectors read ------------------------------------------------------------------------


def test_each_tiers_queue_nearest_deadline_first(a, clock):
    first = h.raise_appeal(a)  # village, due 30 November
    clock.move_to(dt.datetime(2026, 11, 26, 9, 0, tzinfo=h.SHANGHAI))
    second = h.raise_appeal(a, category=a.categories.neighbours)  # village, due 3 December
    third = h.raise_appeal(a, category=a.categories.sanitation, area=a.village)  # due 1 December
    elsewhere = h.raise_appeal(a, actor=None, area=a.world.grids[1])  # 文岭二村
    at_community = h.raise_appeal(a, area=a.community)
    cadre = a.users["village_cadre"]
    assert list(selectors.appeal_queue(user=cadre)) == [first, third, second]
    # The grid worker's grid holds the first two; the third is on the village itself.
    assert list(selectors.appeal_queue(user=a.users["grid_worker"])) == [first, second]
    assert list(selectors.appeal_queue(user=a.users["community_worker"])) == [at_community]
    assert list(selectors.appeal_queue(user=a.users["sibling_cadre"])) == [elsewhere]
    assert list(selectors.appeal_queue(user=a.users["district_leader"])) == []
    assert list(selectors.appeal_queue(user=a.users["city_staff"])) == []
    services.appeal_settle(actor=cadre, appeal=first, what_was_done="已处理")
    assert list(selectors.appeal_queue(user=cadre, tier="village")) == [third, second]
    assert list(selectors.appeal_queue(user=cadre, tier="community")) == []


def test_the_queue_costs_a_fixed_number_of_queries(a):
    cadre = a.users["village_cadre"]
    h.raise_appeal(a)
    cadre.active_grants  # noqa: B018 — the grants are read once per request, not per list
    with CaptureQueriesContext(connection) as one:
        rows = list(selectors.appeal_queue(user=cadre))
        [(r.place_name, r.category_version.name, r.area.name) for r in rows]
    for _ in range(5):
        h.raise_appeal(a)
    with CaptureQueriesContext(connection) as six:
        rows = list(selectors.appeal_queue(user=cadre))
        [(r.place_name, r.category_version.name, r.area.name) for r in rows]
    assert len(rows) == 6 and len(six) == len(one) == 1


def test_who_sees_an_appeal(a):
    appeal = h.raise_appeal(a)
    for role in (
        "grid_worker",
        "village_cadre",
        "community_worker",
        "street_cadre",
        "district_leader",
        "resident",  # the reporter's household
    ):
        assert selectors.appeal_get(user=a.users[role], pk=appeal.pk) == appeal, role
        assert list(selectors.appeal_list(user=a.users[role])) == [appeal], role
    for role in ("sibling_cadre", "far_street_cadre", "city_staff", "administrator", "auditor"):
        with pytest.raises(OutOfScope):
            selectors.appeal_get(user=a.users[role], pk=appeal.pk)
        assert list(selectors.appeal_list(user=a.users[role])) == [], role


def test_a_department_sees_the_appeals_that_reached_it(a):
    appeal = h.raise_appeal(a)
    staff = a.users["city_staff"]
    services.appeal_send_to_department(actor=a.users["village_cadre"], appeal=appeal, reason="x")
    detail = selectors.appeal_get(user=staff, pk=appeal.pk)
    assert [s.tier for s in detail.steps.all()] == ["village", "department"]
    assert list(selectors.appeal_list(user=staff)) == [appeal]
    with pytest.raises(OutOfScope):
        selectors.appeal_get(user=a.users["housing_staff"], pk=appeal.pk)


def test_the_appeal_page_reads_steps_and_timeline(a):
    appeal = h.raise_appeal(a)
    services.appeal_hand_up(actor=a.users["village_cadre"], appeal=appeal, reason="需社区协调")
    detail = selectors.appeal_get(user=a.users["community_worker"], pk=appeal.pk)
    with CaptureQueriesContext(connection) as queries:
        steps = [(s.tier, s.area.name, s.handler) for s in detail.steps.all()]
        photos = list(detail.photos.all())
        visits = list(detail.return_visits.all())
        names = (detail.category_version.name, detail.place_name, detail.area.name)
    assert len(queries) == 0
    assert steps == [
        ("village", "文岭一村", a.users["village_cadre"]),
        ("community", "文岭社区", None),
    ]
    assert (photos, visits, names) == ([], [], ("环境卫生", "文岭社区", "文岭一村第1网格"))
    lines = selectors.appeal_timeline(appeal=detail)
    assert [line.verb for line in lines] == ["arrived", "handed_up", "arrived", "created"]


def test_the_actions_offered_follow_tier_and_permission(a):
    appeal = h.raise_appeal(a)
    cadre, worker = a.users["village_cadre"], a.users["community_worker"]
    take_all = [
        Operation.TAKE,
        Operation.SETTLE,
        Operation.HAND_UP,
        Operation.SEND_TO_DEPARTMENT,
    ]
    assert selectors.appeal_actions(user=cadre, appeal=appeal) == take_all
    assert selectors.appeal_actions(user=worker, appeal=appeal) == []
    assert selectors.appeal_actions(user=a.users["district_leader"], appeal=appeal) == []
    appeal = services.appeal_settle(actor=cadre, appeal=appeal, what_was_done="已处理")
    assert selectors.appeal_actions(user=worker, appeal=appeal) == [Operation.RETURN_VISIT]
    assert selectors.appeal_actions(user=a.users["resident"], appeal=appeal) == [
        Operation.RETURN_VISIT
    ]
    assert selectors.appeal_actions(user=a.users["district_leader"], appeal=appeal) == []
    assert Appeal.objects.count() == 1


def test_a_leader_of_the_whole_district_who_also_staffs_a_department_sees_everything(a):
    from linli.accounts import services as account_services

    leader = a.users["district_leader"]
    account_services.grant_create(
        actor=None, user=leader, role="department_staff", area=a.world.district, organisation=a.city
    )
    leader = type(leader).objects.get(pk=leader.pk)  # its grants read afresh
    appeals = {h.raise_appeal(a), h.raise_appeal(a, category=a.categories.policy)}
    assert set(selectors.appeal_list(user=leader)) == appeals
