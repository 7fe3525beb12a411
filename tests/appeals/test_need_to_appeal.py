"""A need 需求 found on a visit becomes an appeal 诉求 in one step (visits.services.need_to_appeal),
and from then on the need's status follows the appeal: being followed up while it is handled,
resolved once its return visit closes it — in the list's SQL and for one need alike."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from linli.appeals import services as appeal_services
from linli.appeals.models import Appeal
from linli.core.models import TimelineEvent
from linli.core.scoping import OutOfScope
from linli.registry import services as registry_services
from linli.visits import selectors as visit_selectors
from linli.visits import services as visit_services
from linli.visits.models import Need
from linli.visits.needs import effective_status

from .. import factories as f
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


@pytest.fixture
def need(a):
    visit = visit_services.visit_record(
        actor=a.users["grid_worker"],
        household=a.household,
        channel="home",
        needs=[visit_services.NeedInput("dispute", "和邻居因排水沟起了争执")],
    )
    return Need.objects.get(visit=visit)


def _status(user, need) -> str:
    return visit_selectors.need_get(user=user, pk=need.pk).status_now


def test_a_need_becomes_an_appeal_in_one_step(a, need, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    worker = a.users["grid_worker"]
    appeal = visit_services.need_to_appeal(
        actor=worker, need=need, category="LLJF", photos_sent=[h.photo()]
    )
    assert (appeal.channel, appeal.area, appeal.tier) == ("visit", a.grid, "village")
    assert appeal.description == "和邻居因排水沟起了争执"
    assert appeal.reporter == a.household.head and appeal.address == a.household.address
    assert appeal.created_by == worker and appeal.photos.count() == 1
    need.refresh_from_db()
    assert (need.appeal, need.status) == (appeal, "following")
    assert list(appeal.needs.all()) == [need]
    household_line = TimelineEvent.objects.filter(
        content_type__model="household", object_id=a.household.pk, verb="need_handed_on"
    ).get()
    assert household_line.params == {
        "description": "和邻居因排水沟起了争执",
        "number": appeal.number,
    }
    assert TimelineEvent.objects.filter(
        object_id=appeal.pk, summary__startswith="Raised on a visit"
    )


def test_the_needs_status_follows_the_appeal(a, need):
    worker = a.users["grid_worker"]
    appeal = visit_services.need_to_appeal(actor=worker, need=need, category="LLJF")
    assert _status(worker, need) == "following"
    appeal = appeal_services.appeal_settle(
        actor=a.users["village_cadre"], appeal=appeal, what_was_done="村调委会调解，双方和解"
    )
    assert _status(worker, need) == "following"  # settled, but the return visit is to come
    appeal_services.return_visit_record(
        actor=a.users["community_worker"], appeal=appeal, satisfaction="satisfied", method="phone"
    )
    assert _status(worker, need) == "resolved"
    shown = Need.objects.select_related("appeal", "application").get(pk=need.pk)
    assert effective_status(shown) == "resolved"
    resolved = visit_selectors.need_list(user=worker, filters={"status": "resolved"})
    assert list(resolved) == [need]


def test_a_need_is_handed_on_once(a, need):
    worker = a.users["grid_worker"]
    visit_services.need_to_appeal(actor=worker, need=need, category="LLJF")
    with pytest.raises(ValidationError) as refused:
        visit_services.need_to_appeal(actor=worker, need=need, category="LLJF")
    assert refused.value.code == "handed_on"
    assert "already raised as an appeal" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        visit_services.need_close(actor=worker, need=need, resolved=True, note="x")
    assert Appeal.objects.count() == 1


def test_bad_input_leaves_the_need_open(a, need):
    worker = a.users["grid_worker"]
    with pytest.raises(ValidationError) as refused:
        visit_services.need_to_appeal(actor=worker, need=need, category="NOPE")
    assert "category" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        visit_services.need_to_appeal(
            actor=worker, need=need, category="LLJF", reporter=a.world.households[1].head
        )
    assert "reporter" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        visit_services.need_to_appeal(
            actor=worker, need=need, category="LLJF", photos_sent=[h.not_a_photo()]
        )
    assert "photos" in refused.value.message_dict
    far_worker = f.user_with("grid_worker", a.world.grids[4])
    with pytest.raises(OutOfScope):
        visit_services.need_to_appeal(actor=far_worker, need=need, category="LLJF")
    need.refresh_from_db()
    assert (need.appeal, need.status) == (None, "open")
    assert not Appeal.objects.exists()


def test_a_member_other_than_the_head_may_be_the_reporter(a, need):
    spouse = registry_services.resident_create(
        actor=None,
        household=a.household,
        name="配偶",
        id_number=f.make_id_number(),
        relation="spouse",
    )
    appeal = visit_services.need_to_appeal(
        actor=a.users["grid_worker"], need=need, category="LLJF", reporter=spouse
    )
    assert appeal.reporter == spouse and appeal.household == a.household
