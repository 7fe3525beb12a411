"""Reads of applications: who sees which (lists and one application), the step queue, the
due-soon and overdue lists for each handler, office and area, and the fixed query cost of
every list at 3 and at 30 records."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from linli.core.scoping import OutOfScope
from linli.hall.applications import selectors

from .. import factories as f
from . import app_helpers as h

# The module's tests run with the clock stopped here, and their world is built at that time.
WORLD_CLOCK = h.BEFORE_NATIONAL_DAY


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(clock, shared):
    return shared("hall")


def _ids(rows) -> set[int]:
    return {row.pk for row in rows}


@pytest.fixture
def spread(hall):
    """One application in 文岭社区 (own), 营辉社区 (sibling, same street) and 东朱社区 (far)."""
    world = hall.world
    own = h.take(hall, hall.items.illness)
    sibling = h.take(
        hall,
        hall.items.guidance,
        actor=hall.users["sibling_worker"],
        resident=hall.sibling_household.head,
    )
    far = h.take(
        hall, hall.items.guidance, actor=hall.users["far_worker"], resident=hall.far_household.head
    )
    neighbour = h.take(hall, hall.items.guidance, resident=world.households[1].head)
    return {"own": own, "sibling": sibling, "far": far, "neighbour": neighbour}


# --- who sees what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("hall_worker", {"own", "neighbour"}),
        ("sibling_worker", {"sibling"}),
        ("far_worker", {"far"}),
        ("street_cadre", {"own", "neighbour", "sibling"}),
        ("resident", {"own"}),
        ("health_staff", set()),
        ("grid_worker", {"own"}),
    ],
)
def test_list_shows_exactly_what_is_in_scope(hall, spread, user_key, expected):
    rows = selectors.application_list(user=hall.users[user_key])
    assert _ids(rows) == {spread[k].pk for k in expected}


def test_list_filters(hall, spread):
    user = hall.users["street_cadre"]
    own = spread["own"]
    by_number = selectors.application_list(user=user, filters={"q": own.number.lower()})
    assert _ids(by_number) == {own.pk}
    by_initials = selectors.application_list(user=user, filters={"q": "wl"})  # 文岭户主0 → wlhz…
    assert own.pk in _ids(by_initials)
    by_state = selectors.application_list(user=user, filters={"state": "in_progress"})
    assert _ids(by_state) == {own.pk}
    by_item = selectors.application_list(user=user, filters={"item": hall.items.guidance.pk})
    assert _ids(by_item) == {spread["neighbour"].pk, spread["sibling"].pk}
    bad = selectors.application_list(user=user, filters={"state": "lost"})
    assert not bad.exists()
    area = hall.world.communities[1]
    assert _ids(selectors.application_list(user=user, filters={"area": area.pk})) == {
        spread["sibling"].pk
    }


def test_worker_of_another_community_does_not_find_it(hall, spread):
    with pytest.raises(OutOfScope):
        selectors.application_get(user=hall.users["far_worker"], pk=spread["own"].pk)
    with pytest.raises(OutOfScope):
        selectors.application_get(user=hall.users["sibling_worker"], pk=spread["own"].pk)
    with pytest.raises(OutOfScope):
        selectors.application_get(user=hall.users["hall_worker"], pk=999_999)


def test_department_sees_an_application_once_its_step_is_reached(hall, spread):
    own = spread["own"]
    health = hall.users["health_staff"]
    with pytest.raises(OutOfScope):
        selectors.application_get(user=health, pk=own.pk)
    h.approve(hall, own, "hall_worker")
    h.approve(hall, own, "street_cadre")
    seen = selectors.application_get(user=health, pk=own.pk)
    assert seen.step_only is True
    h.approve(hall, own, "health_staff")
    assert selectors.application_get(user=health, pk=own.pk).step_only is True
    with pytest.raises(OutOfScope):  # another department: not its step
        selectors.application_get(user=hall.users["education_staff"], pk=own.pk)
    assert selectors.application_get(user=hall.users["hall_worker"], pk=own.pk).step_only is False


def test_step_queue_and_step_get_follow_the_office(hall, spread):
    own = spread["own"]
    assert _ids(selectors.step_queue(user=hall.users["hall_worker"])) == {h.active_step(own).pk}
    assert not selectors.step_queue(user=hall.users["street_cadre"]).exists()
    assert not selectors.step_queue(user=hall.users["resident"]).exists()
    step = h.active_step(own)
    assert selectors.step_get(user=hall.users["hall_worker"], pk=step.pk) == step
    for key in ("sibling_worker", "health_staff", "street_cadre", "resident"):
        with pytest.raises(OutOfScope):
            selectors.step_get(user=hall.users[key], pk=step.pk)
    h.approve(hall, own, "hall_worker")
    assert _ids(selectors.step_queue(user=hall.users["street_cadre"])) == {h.active_step(own).pk}


def test_step_queue_is_ordered_by_deadline(hall, clock):
    late = h.take(hall, hall.items.illness)
    clock.move_to(dt.datetime(2026, 9, 30, 9, 0, tzinfo=h.SHANGHAI))
    early_resident = hall.world.households[1].head
    later = h.take(hall, hall.items.illness, resident=early_resident)
    queue = list(selectors.step_queue(user=hall.users["hall_worker"]))
    assert [s.application_id for s in queue] == [late.pk, later.pk]
    assert queue[0].due_on < queue[1].due_on


def test_actions_offered_follow_state_and_permission(hall, spread):
    own, neighbour = spread["own"], spread["neighbour"]
    worker, resident = hall.users["hall_worker"], hall.users["resident"]
    assert selectors.application_actions(user=worker, application=own) == ["withdraw", "trip"]
    assert selectors.application_actions(user=worker, application=neighbour) == [
        "withdraw",
        "reject",
        "guidance",
        "trip",
    ]
    assert selectors.application_actions(user=resident, application=own) == ["withdraw"]
    done = h.take(hall, hall.items.residence)
    assert selectors.application_actions(user=resident, application=done) == ["rate"]
    assert selectors.application_actions(user=worker, application=done) == ["trip", "rate"]
    assert selectors.application_actions(user=hall.users["street_cadre"], application=done) == []


# --- due soon and overdue -----------------------------------------------------------------


def _due(hall, user_key, scope, which):
    return selectors.due_list(user=hall.users[user_key], scope=scope, which=which)


def test_due_soon_lists_for_handler_office_and_area(hall):
    illness = h.take(hall, hall.items.illness)  # hall step due 29 Sep
    guided = h.take(hall, hall.items.guidance)  # due 30 Sep, handled at the hall itself
    entries = _due(hall, "hall_worker", "office", "due_soon")
    assert [(e.application.pk, e.step is not None) for e in entries] == [
        (illness.pk, True),
        (guided.pk, False),
    ]
    assert [e.due_on for e in entries] == [dt.date(2026, 9, 29), dt.date(2026, 9, 30)]
    mine = _due(hall, "hall_worker", "mine", "due_soon")
    assert [e.application.pk for e in mine] == [illness.pk, guided.pk]
    area = _due(hall, "street_cadre", "area", "due_soon")
    assert {e.application.pk for e in area} == {illness.pk, guided.pk}
    assert _due(hall, "hall_worker", "office", "overdue") == []
    for key, scope in (
        ("sibling_worker", "office"),
        ("sibling_worker", "mine"),
        ("far_worker", "area"),
    ):
        assert _due(hall, key, scope, "due_soon") == []


def test_overdue_after_the_deadline_passes(hall, clock):
    illness = h.take(hall, hall.items.illness)
    clock.move_to(dt.datetime(2026, 9, 30, 9, 0, tzinfo=h.SHANGHAI))
    office = _due(hall, "hall_worker", "office", "overdue")
    assert [(e.application.pk, e.due_on) for e in office] == [(illness.pk, dt.date(2026, 9, 29))]
    assert [e.application.pk for e in _due(hall, "street_cadre", "area", "overdue")] == [illness.pk]
    assert _due(hall, "street_cadre", "office", "overdue") == []  # not at the street office yet
    h.approve(hall, illness, "hall_worker")  # late, on 30 Sep: the street step is due 10 Oct
    assert _due(hall, "hall_worker", "office", "overdue") == []
    assert _due(hall, "street_cadre", "office", "overdue") == []


def test_unknown_due_list_is_a_programming_error(hall):
    with pytest.raises(ValueError):
        selectors.due_list(user=hall.users["hall_worker"], scope="everyone", which="overdue")


# --- a fixed number of queries ------------------------------------------------------------


def _take_many(hall, n: int) -> None:
    world = hall.world
    residents = [world.households[0].head, world.households[1].head]
    items = [hall.items.illness, hall.items.guidance, hall.items.residence]
    for i in range(n):
        h.take(hall, items[i % 3], resident=residents[i % 2])


LISTS = {
    "application_list": (lambda u: selectors.application_list(user=u), 2),
    "application_list_filtered": (
        lambda u: selectors.application_list(user=u, filters={"q": "wl", "state": "submitted"}),
        2,
    ),
    "step_queue": (lambda u: selectors.step_queue(user=u), 1),
    "due_mine": (lambda u: selectors.due_list(user=u, scope="mine", which="due_soon"), 4),
    "due_office": (lambda u: selectors.due_list(user=u, scope="office", which="due_soon"), 4),
    "due_area": (lambda u: selectors.due_list(user=u, scope="area", which="due_soon"), 4),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_lists_cost_the_same_at_3_and_30_records(hall, name, django_assert_num_queries):
    call, expected = LISTS[name]
    user = hall.users["hall_worker"]
    user.active_grants  # noqa: B018 — the grants are read once per request, before the lists
    _take_many(hall, 3)
    with django_assert_num_queries(expected):
        first = list(call(user))
    _take_many(hall, 27)
    with django_assert_num_queries(expected):
        second = list(call(user))
    assert len(second) > len(first) > 0


def test_a_user_with_no_grants_sees_nothing(hall, spread):
    nobody = f.user_with("panel_member", hall.world.district)
    assert not selectors.application_list(user=nobody).exists()
    assert not selectors.step_queue(user=nobody).exists()
    assert selectors.due_list(user=nobody, scope="area", which="overdue") == []
