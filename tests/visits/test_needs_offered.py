"""What the visit page offers on a need is what the services allow: for a need in every status
(and one handed on whose application is already done, or raised as an appeal), handing it on,
raising it as an appeal and closing it are on the page exactly when `need_to_application`,
`need_to_appeal` and `need_close` accept them. Each service is tried in a savepoint that is
rolled back, with input it would accept, so only the workflow can refuse it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.appeals import services as appeal_services
from linli.visits import services
from linli.visits.choices import NeedStatus
from linli.visits.workflow import Action

from ..hall import app_helpers as h
from ..hall.test_workflow_offered import accepted

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db


def _hand_on(worker, need, item):
    return services.need_to_application(
        actor=worker, need=need, item=item, materials_received=h.material_names(item)
    )


def _raise_appeal(worker, need, category):
    return services.need_to_appeal(actor=worker, need=need, category=category)


def _close(worker, need, resolved: bool):
    return services.need_close(actor=worker, need=need, resolved=resolved, note="已当场解决")


# The need's own status after each way it can go, and what happened to it.
SCENARIOS = {
    "open": (NeedStatus.OPEN, lambda worker, need, hall: None),
    "handed on": (
        NeedStatus.FOLLOWING,
        lambda worker, need, hall: _hand_on(worker, need, hall.items.loan),
    ),
    "handed on, its application done at once": (
        NeedStatus.FOLLOWING,
        lambda worker, need, hall: _hand_on(worker, need, hall.items.residence),
    ),
    "raised as an appeal": (
        NeedStatus.FOLLOWING,
        lambda worker, need, hall: _raise_appeal(worker, need, hall.appeal_category),
    ),
    "resolved on the spot": (
        NeedStatus.RESOLVED,
        lambda worker, need, hall: _close(worker, need, True),
    ),
    "closed without action": (
        NeedStatus.CLOSED,
        lambda worker, need, hall: _close(worker, need, False),
    ),
}


def test_the_scenarios_reach_every_status():
    assert {status for status, _build in SCENARIOS.values()} == set(NeedStatus.values)


def _offered(client, need) -> set[str]:
    response = client.get(reverse("visits:visit_detail", args=[need.visit_id]))
    assert response.status_code == 200
    [shown] = [n for n in response.context["needs"] if n.pk == need.pk]
    offered = {Action.HAND_ON} if shown.can_apply else set()
    offered |= {Action.RAISE_APPEAL} if shown.can_raise_appeal else set()
    return offered | ({Action.RESOLVE, Action.CLOSE} if shown.can_close else set())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_visit_page_offers_what_the_services_allow(world, scenario):
    hall = h.build_hall(world)
    hall.appeal_category = appeal_services.category_create(
        actor=None,
        code="LLJF",
        name="邻里纠纷",
        village_days=5,
        community_days=5,
        street_days=10,
        department_days=10,
    )
    worker = world.users["grid_worker"]  # records visits and takes applications in the grid
    visit = services.visit_record(
        actor=worker,
        household=world.households[0],
        channel="home",
        needs=[services.NeedInput("schooling", "孩子上学缺学费")],
    )
    [need] = visit.needs.all()
    status, build = SCENARIOS[scenario]
    build(worker, need, hall)
    need.refresh_from_db()
    assert need.status == status
    calls = {
        Action.HAND_ON: lambda: _hand_on(worker, need, hall.items.loan),
        Action.RAISE_APPEAL: lambda: _raise_appeal(worker, need, hall.appeal_category),
        Action.RESOLVE: lambda: _close(worker, need, True),
        Action.CLOSE: lambda: _close(worker, need, False),
    }
    allowed = {action for action, call in calls.items() if accepted(call)}
    assert _offered(h.client_for(worker), need) == allowed
    # One who may see visits but not hand a need on to the hall is not offered that; one who may
    # see visits but raises no appeals (the district leader) is not offered raising one.
    assert Action.HAND_ON not in _offered(h.client_for(world.users["street_cadre"]), need)
    assert Action.RAISE_APPEAL not in _offered(h.client_for(world.users["district_leader"]), need)
