"""The step queue and the application lists: a fixed number of queries whatever the number of
rows (bench/list_pages.py holds them to 100 ms with the demo district loaded), the step queue's
result forms written out as the form's widgets would write them, and the application list's
cells written out as their partials write them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertHTMLEqual

from linli.hall.applications import selectors, services, workflow
from linli.hall.applications.forms import StepFinishForm
from linli.hall.choices import ApplicationState, StepState
from linli.hall.models import Application, ApplicationStep

from . import app_helpers as h


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hall(world):
    return h.build_hall(world)


def _take(hall, n: int) -> None:
    residents = [hall.world.households[0].head, hall.world.households[1].head]
    items = [hall.items.illness, hall.items.guidance, hall.items.residence]
    for i in range(n):
        h.take(hall, items[i % 3], resident=residents[i % 2])


def _fill_queues(hall, n: int) -> None:
    """`n` applications for 大病救助, by sixes: one returned at the hall for missing material,
    three waiting at the hall, one carried to the health bureau's step and one returned there."""
    for i in range(n):
        if i % 6 == 0:
            h.take(hall, hall.items.illness, materials=["身份证"])
            continue
        application = h.take(hall, hall.items.illness)
        if i % 6 in (4, 5):
            h.approve(hall, application, "hall_worker")
            h.approve(hall, application, "street_cadre")
        if i % 6 == 5:
            services.step_finish(
                actor=hall.users["health_staff"],
                step=h.active_step(application),
                result="return",
                note="需补充近三个月病历",
            )


def _page(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


# Every page: the session, its user, the user's grants.
SIGNED_IN = 3
# The queue's count and page; the steps that returned their application and the applications
# returned at a hall, and the count of each; the areas of the workspace switcher.
STEP_QUEUE = SIGNED_IN + 7


@pytest.mark.parametrize("who", ["hall_worker", "health_staff"])
def test_step_queue_costs_the_same_queries_at_few_and_many_rows(hall, who):
    client, url = h.client_for(hall.users[who]), reverse("services:step_queue")
    _fill_queues(hall, 6)
    client.get(url)  # the first request of a session also writes the session
    queries, few = _page(client, url)
    assert queries == STEP_QUEUE
    _fill_queues(hall, 36)
    queries, many = _page(client, url)
    assert queries == STEP_QUEUE
    for rows in ('class="step-form"', 'data-testid="returned-application"'):
        assert 0 < few.count(rows) < many.count(rows), rows


# The count, the page's ids and then its rows (sorting only ids keeps the sort narrow), the
# active steps of the page's rows, the workspace's areas and the service items of the filter;
# the whole district asks once which areas are the tops of the tree (its scope then needs no
# test on the area).
APPLICATION_LIST = {"hall_worker": SIGNED_IN + 6, "district_leader": SIGNED_IN + 7}


@pytest.mark.parametrize("who", sorted(APPLICATION_LIST))
def test_application_lists_cost_the_same_queries_at_3_and_30_applications(hall, world, who):
    user = hall.users.get(who) or world.users[who]
    client, url = h.client_for(user), reverse("services:application_list")
    _take(hall, 3)
    client.get(url)
    queries, few = _page(client, url)
    assert queries == APPLICATION_LIST[who]
    _take(hall, 27)
    queries, many = _page(client, url)
    assert queries == APPLICATION_LIST[who]
    assert 0 < few.count('data-testid="state-') < many.count('data-testid="state-')


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_fresh_step_form_is_written_as_its_widgets_write_it(hall, language):
    """The queue writes an unbound result form out by hand (twenty to a page, the widgets'
    templates cost ten times as much); the same form bound to its initial values goes through
    the widgets: both give the same HTML, field by field."""
    h.take(hall, hall.items.illness)
    step = ApplicationStep.objects.get(state=StepState.ACTIVE)
    auto_id = f"step{step.pk}_%s"
    fresh = StepFinishForm(step=step, auto_id=auto_id)
    bound = StepFinishForm(
        {"version": step.version, "result": "approve", "note": ""}, auto_id=auto_id
    )
    assert not fresh.is_bound and bound.is_valid()
    template = "services/applications/partials/step_form.html"
    with translation.override(language):
        by_hand = render_to_string(template, {"step": step, "form": fresh, "next": "/q/?a=1&b"})
        by_widgets = render_to_string(template, {"step": step, "form": bound, "next": "/q/?a=1&b"})
    assert 'type="radio"' in by_hand and "<textarea" in by_hand and "checked" in by_hand
    assert f'id="step{step.pk}_note"' in by_hand
    assertHTMLEqual(by_hand, by_widgets)


def _one_of_each_state(hall) -> None:
    """Applications in every state the list shows; one running and one completed are past their
    deadline, a provisional one (only the running one is overdue)."""
    worker = hall.users["hall_worker"]
    h.take(hall, hall.items.illness, submit=False)  # draft
    h.take(hall, hall.items.guidance)  # submitted: guidance at the counter, no route
    h.take(hall, hall.items.illness, materials=["身份证"])  # returned
    moving = h.take(hall, hall.items.illness)
    h.approve(hall, moving, "hall_worker")  # in progress, at the street office
    done = h.take(hall, hall.items.illness)
    h.carry_illness_through(hall, done)  # completed
    refused = h.take(hall, hall.items.guidance)
    services.application_reject(actor=worker, application=refused, reason="不符合条件")
    dropped = h.take(hall, hall.items.guidance)
    services.application_withdraw(actor=worker, application=dropped, reason="本人撤回")
    late = timezone.localdate() - dt.timedelta(days=3)
    Application.objects.filter(pk__in=[moving.pk, done.pk]).update(due_on=late, due_assumed=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_application_lists_cells_are_written_as_their_partials_write_them(hall, language):
    """The list writes each row's state, where it stands and its deadline out by hand (fifty
    rows to a page); the partials the other pages include give the same HTML, state by state."""
    _one_of_each_state(hall)
    user = hall.users["hall_worker"]
    client = h.client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    page = client.get(reverse("services:application_list")).content.decode()
    rows = page.split("<tr>")
    applications = list(selectors.application_list(user=user))
    assert {a.state for a in applications} == set(ApplicationState.values)
    today = timezone.localdate()
    with translation.override(language):
        labels = {key: translation.gettext(key) for key in ("State", "Where it is", "Due")}
        for a in applications:
            (row,) = [r for r in rows if f">{a.number}</a>" in r]
            due = {
                "due": a.due_on,
                "assumed": a.due_assumed,
                "open": a.state in workflow.RUNNING_STATES,
                "today": today,
            }
            cells = {
                "State": render_to_string(
                    "services/applications/partials/state.html", {"application": a}
                ),
                "Where it is": render_to_string(
                    "services/applications/partials/where.html", {"application": a}
                ),
                "Due": render_to_string("partials/due.html", due),
            }
            for key, html in cells.items():
                assert f'<td data-label="{labels[key]}">{html}</td>' in row, (a.state, key)
    assert "text-danger fw-semibold" in page and "text-bg-warning text-wrap" in page
