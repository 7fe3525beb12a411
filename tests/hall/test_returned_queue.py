"""A returned application 退回补正 sits in the to-do list and on the workbench of the office that
returned it: the hall that took it (returned at submission for missing material) or the office
of the step that returned it; nobody else's. It leaves the list when the material is in or the
application is withdrawn."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core.selectors import workbench_tiles
from linli.hall.applications import selectors, services

from . import app_helpers as h

RETURNED_TILE = "Returned: waiting for material"


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


def html(response) -> str:
    return response.content.decode()


def _queue(user) -> str:
    return html(h.client_for(user).get(reverse("services:step_queue")))


def _returned_section(page: str) -> str:
    return page[page.index('id="returned"') :]


def _tile(user, area) -> int:
    return {t["label"]: t["value"] for t in workbench_tiles(user=user, area=area)}[RETURNED_TILE]


def test_returned_at_submission_waits_on_the_halls_to_do_list(hall):
    app = h.take(hall, hall.items.illness, materials=["身份证"])
    assert app.state == "returned"
    worker = hall.users["hall_worker"]
    section = _returned_section(_queue(worker))
    assert app.number in section and "户口本、大病证明、医疗费用票据" in section
    assert reverse("services:application_detail", args=[app.pk]) in section
    assert [e.application.pk for e in selectors.returned_queue(user=worker)] == [app.pk]
    assert _tile(worker, hall.world.communities[0]) == 1
    # The hall next door and the department do not have it.
    for other in ("sibling_worker", "far_worker", "health_staff"):
        assert app.number not in _queue(hall.users[other]), other
        assert selectors.returned_count(user=hall.users[other]) == 0


def test_returned_by_a_step_waits_at_the_office_of_that_step(hall):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)
    services.step_finish(
        actor=hall.users["health_staff"], step=step, result="return", note="需补充近三个月病历"
    )
    health = hall.users["health_staff"]
    section = _returned_section(_queue(health))
    assert app.number in section and "需补充近三个月病历" in section and step.name in section
    assert _tile(health, hall.world.district) == 1
    # It was not the hall that returned it: not on the hall's list of returns.
    assert selectors.returned_count(user=hall.users["hall_worker"]) == 0
    assert app.number not in _returned_section(_queue(hall.users["hall_worker"]))
    # The material comes in: it is back at the department's step, off the returns list.
    services.application_resubmit(
        actor=hall.users["hall_worker"], application=app, came_in_person=False, note="病历已补交"
    )
    assert selectors.returned_count(user=health) == 0
    assert h.active_step(app).pk == step.pk


def test_a_withdrawn_application_leaves_the_list(hall):
    app = h.take(hall, hall.items.guidance, materials=[])
    worker = hall.users["hall_worker"]
    assert selectors.returned_count(user=worker) == 1
    services.application_withdraw(actor=worker, application=app, reason="居民不办了")
    assert selectors.returned_count(user=worker) == 0
    assert app.number not in _returned_section(_queue(worker))


def test_the_longest_waiting_comes_first(hall):
    first = h.take(hall, hall.items.guidance, materials=[])
    second = h.take(hall, hall.items.residence, materials=["身份证"])
    order = [e.application.pk for e in selectors.returned_queue(user=hall.users["hall_worker"])]
    assert order == [first.pk, second.pk]


def test_the_to_do_page_reads_the_same_number_of_queries_for_few_and_many_returns(hall):
    worker = hall.users["hall_worker"]
    client = h.client_for(worker)
    url = reverse("services:step_queue")

    def count_queries() -> int:
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        h.take(hall, hall.items.guidance, materials=[])
    few = count_queries()
    for _ in range(8):
        h.take(hall, hall.items.guidance, materials=[])
    assert selectors.returned_count(user=worker) == 10
    assert count_queries() == few


def test_the_workbench_page_links_to_the_returns(hall):
    h.take(hall, hall.items.guidance, materials=[])
    page = html(h.client_for(hall.users["hall_worker"]).get("/"))
    assert RETURNED_TILE in page and reverse("services:step_queue") + "#returned" in page
