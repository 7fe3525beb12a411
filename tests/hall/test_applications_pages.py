"""The application pages through Django's test client: the counter, the application page and
its actions, the step page and queue, due lists, the resident's own pages; scope (404, nothing
in lists), permissions (403), masking, and the same number of queries at 3 and 30 records."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.core.masking import mask_id_number, mask_mobile
from linli.hall.models import Application, OutreachTask, Rating

from .. import factories as f
from . import app_helpers as h


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


@pytest.fixture
def clients(hall):
    return {key: h.client_for(user) for key, user in hall.users.items()}


def html(response) -> str:
    return response.content.decode()


def detail_url(app) -> str:
    return reverse("services:application_detail", args=[app.pk])


# --- the counter --------------------------------------------------------------------------


def test_counter_finds_the_resident_by_initials(hall, clients):
    url = reverse("services:counter")
    page = html(clients["hall_worker"].get(url, {"q": "wlhz"}))
    head = hall.resident
    assert head.name in page and mask_id_number(head.id_number) in page
    assert head.id_number not in page
    assert hall.sibling_household.head.name not in page  # another community: not found
    partial = clients["hall_worker"].get(
        url, {"q": "wlhz"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="resident-results"
    )
    assert head.name in html(partial) and "<html" not in html(partial)


def test_counter_shows_the_items_materials_and_takes_the_application(hall, clients):
    url = reverse("services:counter")
    item = hall.items.illness
    page = html(clients["hall_worker"].get(url, {"resident": hall.resident.pk, "item": item.pk}))
    for name in h.ILLNESS_MATERIALS:
        assert name in page
    assert "社会救助类" in page  # items are grouped by category
    partial = html(
        clients["hall_worker"].get(
            url,
            {"resident": hall.resident.pk, "item": item.pk},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="take-form",
        )
    )
    assert "大病证明" in partial and "<html" not in partial and 'id="take-form"' in partial
    response = clients["hall_worker"].post(
        url,
        {
            "resident": hall.resident.pk,
            "item": item.pk,
            "channel": "counter",
            "materials": list(h.ILLNESS_MATERIALS),
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(app)
    assert app.state == "in_progress" and app.trip_count == 1


def test_counter_with_missing_material_returns_it_with_the_list(hall, clients):
    response = clients["hall_worker"].post(
        reverse("services:counter"),
        {
            "resident": hall.resident.pk,
            "item": hall.items.illness.pk,
            "channel": "counter",
            "materials": ["身份证", "户口本"],
        },
        follow=True,
    )
    page = html(response)
    assert "returned for missing material: 大病证明、医疗费用票据" in page
    assert Application.objects.get().state == "returned"


def test_counter_refuses_unknown_material_with_the_form_again(hall, clients):
    response = clients["hall_worker"].post(
        reverse("services:counter"),
        {
            "resident": hall.resident.pk,
            "item": hall.items.residence.pk,
            "channel": "counter",
            "materials": ["结婚证"],
        },
    )
    assert response.status_code == 400
    assert "结婚证" in html(response)
    assert not Application.objects.exists()


def test_counter_for_a_resident_outside_the_scope_is_not_found(hall, clients):
    far = hall.far_household.head
    url = reverse("services:counter")
    assert clients["hall_worker"].get(url, {"resident": far.pk}).status_code == 404
    response = clients["hall_worker"].post(
        url, {"resident": far.pk, "item": hall.items.residence.pk, "channel": "counter"}
    )
    assert response.status_code == 404
    assert not Application.objects.exists()


@pytest.mark.parametrize("user_key", ["resident", "health_staff", "street_cadre"])
def test_counter_is_for_staff_who_take_applications(clients, user_key):
    assert clients[user_key].get(reverse("services:counter")).status_code == 403


def test_counter_starts_from_an_outreach_task(hall, clients):
    item = hall.items.loan
    task = OutreachTask.objects.create(
        item=item,
        item_version=item.current,
        household=hall.household,
        resident=hall.resident,
        area=hall.household.area,
    )
    url = reverse("services:counter")
    page = html(clients["hall_worker"].get(url, {"outreach": task.pk}))
    assert "From an outreach task" in page and hall.resident.name in page and "学籍证明" in page
    response = clients["hall_worker"].post(
        url,
        {
            "resident": hall.resident.pk,
            "item": item.pk,
            "outreach": task.pk,
            "channel": "counter",
            "materials": ["身份证", "学籍证明"],
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "applied" and task.application == Application.objects.get()
    assert clients["far_worker"].get(url, {"outreach": task.pk}).status_code == 404


# --- the application page -----------------------------------------------------------------


def test_application_page_shows_route_materials_trips_and_masked_applicant(hall, clients):
    app = h.take(hall, hall.items.illness)
    page = html(clients["hall_worker"].get(detail_url(app)))
    person = hall.resident
    assert app.number in page and "大病救助" in page
    assert mask_id_number(person.id_number) in page and mask_mobile(person.mobile) in page
    assert person.id_number not in page and person.mobile not in page
    for office in (hall.hall, hall.street_office, *hall.departments.values()):
        if office.name != "峡山区教育局":
            assert office.name in page
    assert "身份证" in page and "Record a trip" in page
    assert "Record the result" in page  # the hall step is the worker's own
    assert reverse("services:application_withdraw", args=[app.pk]) in page
    assert reverse("services:application_reject", args=[app.pk]) not in page  # on its route
    assert "Taken at the counter: 大病救助" in page  # the timeline


def test_worker_from_another_community_gets_not_found(hall, clients):
    app = h.take(hall, hall.items.illness)
    for key in ("sibling_worker", "far_worker", "health_staff"):
        assert clients[key].get(detail_url(app)).status_code == 404
    step = h.active_step(app)
    assert (
        clients["far_worker"].get(reverse("services:step_finish", args=[step.pk])).status_code
        == 404
    )


def test_department_sees_only_what_its_step_needs(hall, clients):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    response = clients["health_staff"].get(detail_url(app))
    page = html(response)
    assert response.status_code == 200
    assert "区卫健局核实" in page and "Record the result" in page
    assert mask_mobile(hall.resident.mobile) not in page  # not needed for the step
    assert "Taken at the counter" not in page and "Record a trip" not in page
    assert clients["education_staff"].get(detail_url(app)).status_code == 404


def test_resident_follows_his_own_application(hall, clients):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    page = html(clients["resident"].get(detail_url(app)))
    assert "At 太保庄街道办事处: 街道审核" in page
    assert hall.users["hall_worker"].display_name not in page  # handlers are staff matters
    other = h.take(hall, hall.items.guidance, resident=hall.world.households[1].head)
    assert clients["resident"].get(detail_url(other)).status_code == 404


# --- steps --------------------------------------------------------------------------------


def test_step_page_records_the_result_and_goes_back(hall, clients):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    url = reverse("services:step_finish", args=[step.pk])
    assert "Record the result" in html(clients["hall_worker"].get(url))
    queue = reverse("services:step_queue")
    response = clients["hall_worker"].post(
        url, {"result": "approve", "note": "材料齐全", "version": step.version, "next": queue}
    )
    assert response.status_code == 302 and response["Location"] == queue
    app.refresh_from_db()
    assert app.current_step == 2


def test_second_handler_is_told_who_finished_the_step(hall, clients):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    version = step.version
    h.approve(hall, app, "hall_worker")
    colleague = h.client_for(f.user_with("community_worker", hall.world.communities[0]))
    response = colleague.post(
        reverse("services:step_finish", args=[step.pk]),
        {"result": "reject", "note": "不符合", "version": version},
    )
    assert response.status_code == 409
    assert "already finished by" in html(response)
    assert hall.users["hall_worker"].display_name in html(response)
    assert Application.objects.get(pk=app.pk).state == "in_progress"


def test_return_without_a_note_is_refused_on_the_page(hall, clients):
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    response = clients["hall_worker"].post(
        reverse("services:step_finish", args=[step.pk]),
        {"result": "return", "note": "", "version": step.version},
    )
    assert response.status_code == 400
    assert "Say what is missing" in html(response)


def test_another_department_gets_not_found_on_the_step(hall, clients):
    app = h.take(hall, hall.items.illness)
    h.approve(hall, app, "hall_worker")
    h.approve(hall, app, "street_cadre")
    step = h.active_step(app)
    url = reverse("services:step_finish", args=[step.pk])
    assert clients["civil_staff"].get(url).status_code == 404
    response = clients["civil_staff"].post(url, {"result": "approve", "version": step.version})
    assert response.status_code == 404
    assert clients["health_staff"].get(url).status_code == 200


def test_step_queue_page(hall, clients):
    app = h.take(hall, hall.items.illness)
    page = html(clients["hall_worker"].get(reverse("services:step_queue")))
    assert app.number in page and "社区受理" in page
    assert app.number not in html(clients["sibling_worker"].get(reverse("services:step_queue")))
    assert clients["resident"].get(reverse("services:step_queue")).status_code == 403


def test_due_list_page(hall, clients):
    app = h.take(hall, hall.items.guidance)
    url = reverse("services:due_list")
    page = html(clients["hall_worker"].get(url, {"scope": "office", "which": "due_soon"}))
    assert app.number in page
    page = html(clients["sibling_worker"].get(url, {"scope": "office", "which": "due_soon"}))
    assert app.number not in page
    assert clients["resident"].get(url).status_code == 403
    assert clients["health_staff"].get(url).status_code == 200  # its office's steps


# --- actions ------------------------------------------------------------------------------


def test_reject_page_needs_a_reason(hall, clients):
    app = h.take(hall, hall.items.guidance)
    url = reverse("services:application_reject", args=[app.pk])
    assert clients["hall_worker"].get(url).status_code == 200
    response = clients["hall_worker"].post(url, {"reason": "", "version": app.version})
    assert response.status_code == 400
    response = clients["hall_worker"].post(url, {"reason": "不符合条件", "version": app.version})
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).state == "rejected"


def test_action_not_possible_now_is_explained_and_refused(hall, clients):
    app = h.take(hall, hall.items.residence)  # completed at the counter
    url = reverse("services:application_withdraw", args=[app.pk])
    page = html(clients["hall_worker"].get(url))
    assert "This cannot be done now" in page
    response = clients["hall_worker"].post(url, {"reason": "x", "version": app.version})
    assert response.status_code == 400
    assert "is not possible for an application that is" in html(response)


def test_actions_without_permission_are_forbidden(hall, clients):
    app = h.take(hall, hall.items.guidance)
    reject = reverse("services:application_reject", args=[app.pk])
    assert clients["resident"].get(reject).status_code == 403
    assert clients["street_cadre"].post(reject, {"reason": "x"}).status_code == 403
    assert clients["far_worker"].get(reject).status_code == 404
    assert Application.objects.get(pk=app.pk).state == "submitted"


def test_stale_form_is_a_conflict(hall, clients):
    app = h.take(hall, hall.items.guidance)
    url = reverse("services:application_reject", args=[app.pk])
    response = clients["hall_worker"].post(url, {"reason": "x", "version": app.version - 1})
    assert response.status_code == 409


def test_trip_page_asks_the_reason_for_a_second_trip(hall, clients):
    app = h.take(hall, hall.items.illness, materials=["身份证"])
    url = reverse("services:trip_record", args=[app.pk])
    assert "Why more than one trip" in html(clients["hall_worker"].get(url))
    today = timezone.localdate().isoformat()
    data = {"on": today, "reason": "missing_material", "version": app.version}
    response = clients["hall_worker"].post(url, data)
    assert response.status_code == 400
    assert "say why the resident had to come more than once" in html(response)
    response = clients["hall_worker"].post(url, {**data, "extra_trip_reason": "首次缺大病证明"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.trip_count == 2 and app.extra_trip_reason == "首次缺大病证明"
    assert "首次缺大病证明" in html(clients["hall_worker"].get(detail_url(app)))


def test_resident_rates_once_on_the_page(hall, clients):
    app = h.take(hall, hall.items.residence)
    assert "Rate" in html(clients["resident"].get(detail_url(app)))
    url = reverse("services:application_rate", args=[app.pk])
    response = clients["resident"].post(
        url, {"score": "5", "comment": "很快", "source": "resident"}
    )
    assert response.status_code == 302
    assert Rating.objects.get(application=app).score == 5
    again = clients["resident"].post(url, {"score": "1", "source": "resident"})
    assert again.status_code == 409
    assert Rating.objects.get(application=app).score == 5
    page = html(clients["resident"].get(detail_url(app)))
    assert "5 of 5" in page


def test_resubmit_page_brings_it_back(hall, clients):
    app = h.take(hall, hall.items.illness, materials=["身份证", "户口本"])
    url = reverse("services:application_resubmit", args=[app.pk])
    page = html(clients["hall_worker"].get(url))
    assert "大病证明" in page and "医疗费用票据" in page
    response = clients["hall_worker"].post(
        url,
        {"materials": ["大病证明", "医疗费用票据"], "came_in_person": "no", "version": app.version},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).state == "in_progress"


def test_guidance_page_completes_a_guided_application(hall, clients):
    app = h.take(hall, hall.items.guidance)
    url = reverse("services:application_guidance", args=[app.pk])
    response = clients["hall_worker"].post(
        url, {"guidance": "讲解流程", "outcome": "已办理", "version": app.version}
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).state == "completed"


# --- the resident's own pages -------------------------------------------------------------


def test_my_applications_lists_the_households_own(hall, clients):
    own = h.take(hall, hall.items.illness)
    done = h.take(hall, hall.items.residence)
    other = h.take(hall, hall.items.guidance, resident=hall.world.households[1].head)
    page = html(clients["resident"].get(reverse("services:my_applications")))
    assert own.number in page and done.number in page and other.number not in page
    assert "At 文岭社区便民服务大厅: 社区受理" in page
    assert reverse("services:application_rate", args=[done.pk]) in page
    assert clients["hall_worker"].get(reverse("services:my_applications")).status_code == 403


def test_resident_applies_online(hall, clients):
    url = reverse("services:apply_online")
    page = html(clients["resident"].get(url))
    assert "助学贷款补助申请" in page and "大病救助" not in page  # online items only
    page = html(clients["resident"].get(url, {"item": hall.items.loan.pk}))
    assert "学籍证明" in page
    response = clients["resident"].post(
        url,
        {"item": hall.items.loan.pk, "applicant": hall.resident.pk, "materials": ["身份证"]},
    )
    app = Application.objects.get()
    assert response.status_code == 302 and app.channel == "online"
    assert app.state == "returned" and app.return_note == "学籍证明"


def test_online_application_refuses_counter_items_and_strangers(hall, clients):
    url = reverse("services:apply_online")
    response = clients["resident"].post(
        url, {"item": hall.items.illness.pk, "applicant": hall.resident.pk}
    )
    assert response.status_code == 400
    stranger = hall.world.households[1].head
    response = clients["resident"].post(url, {"item": hall.items.loan.pk, "applicant": stranger.pk})
    assert response.status_code == 400
    assert not Application.objects.exists()
    assert clients["hall_worker"].get(url).status_code == 403


# --- query counts on the list pages -------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _take_many(hall, n: int) -> None:
    residents = [hall.world.households[0].head, hall.world.households[1].head]
    items = [hall.items.illness, hall.items.guidance, hall.items.residence]
    for i in range(n):
        h.take(hall, items[i % 3], resident=residents[i % 2])


@pytest.mark.parametrize(
    ("user_key", "url_name"),
    [
        ("hall_worker", "services:application_list"),
        ("hall_worker", "services:step_queue"),
        ("hall_worker", "services:due_list"),
        ("resident", "services:my_applications"),
    ],
)
def test_list_pages_cost_the_same_at_3_and_30_records(hall, clients, user_key, url_name):
    client, url = clients[user_key], reverse(url_name)
    if url_name == "services:due_list":
        url += "?scope=office&which=due_soon"
    _take_many(hall, 3)
    client.get(url)  # the first request of a session also writes the session
    few = _queries(client, url)
    _take_many(hall, 27)
    assert _queries(client, url) == few


def test_pages_render_in_chinese(hall):
    app = h.take(hall, hall.items.illness)
    client = h.client_for(hall.users["hall_worker"])
    for url in (detail_url(app), reverse("services:counter"), reverse("services:step_queue")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        assert 'lang="zh-CN"' in html(response)
    # A date box takes ISO dates whatever the language formats dates as.
    trip = html(client.get(detail_url(app), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert f'name="on" value="{timezone.localdate().isoformat()}"' in trip


def test_the_step_queue_pages_through_a_long_queue(hall, clients, monkeypatch):
    from linli.hall.applications import views as views_applications

    monkeypatch.setattr(views_applications, "QUEUE_PAGE_SIZE", 2)
    numbers = [h.take(hall, hall.items.illness).number for _ in range(3)]
    first = clients["hall_worker"].get(reverse("services:step_queue"))
    assert first.status_code == 200
    assert "?page=2" in html(first)
    second = clients["hall_worker"].get(reverse("services:step_queue"), {"page": 2})
    assert second.status_code == 200
    on_first = [n for n in numbers if n in html(first)]
    on_second = [n for n in numbers if n in html(second)]
    assert (
        len(on_first) == 2
        and len(on_second) == 1
        and set(on_first) | set(on_second) == set(numbers)
    )
