"""The appeals pages 诉求: the tier queues, the list, the appeal page and its actions (a second
handler acting at once is told), the counter / 12345 intake with its bad inputs, the category
administration, the resident's own pages and the need raised as an appeal from the visit page."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.appeals import services
from linli.appeals.models import Appeal, AppealCategory, AppealPhoto
from linli.core.choices import AuditAction
from linli.core.models import AuditRecord
from linli.visits import services as visits_services

from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}
HTMX = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture
def clock():
    with time_machine.travel(h.WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def client_for(a, role: str) -> Client:
    client = Client()
    client.force_login(a.users[role])
    return client


def _fresh(appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


# --- the queues -----------------------------------------------------------------------------


def test_grid_worker_sees_the_village_queue_nearest_deadline_first(a):
    later = h.raise_appeal(a, category=a.categories.neighbours, description="邻里漏水")
    sooner = h.raise_appeal(a)  # 3 working days against 5
    response = client_for(a, "grid_worker").get(reverse("appeals:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(sooner.number) < body.index(later.number)


def test_the_queue_marks_overdue_and_counts_them(a, clock):
    appeal = h.raise_appeal(a)
    clock.shift(dt_days(10))
    response = client_for(a, "village_cadre").get(reverse("appeals:queue"))
    body = response.content.decode()
    assert appeal.number in body
    assert 'data-testid="overdue-count"' in body
    assert "overdue" in body


def dt_days(days: int):
    import datetime as dt

    return dt.timedelta(days=days)


def test_queue_tabs_by_tier_and_htmx_answers_the_list_only(a):
    village = h.raise_appeal(a)
    street = h.raise_appeal(a, category=a.categories.safety, description="路灯坏了有隐患")
    client = client_for(a, "street_cadre")
    whole = client.get(reverse("appeals:queue"))
    assert street.number in whole.content.decode()
    assert village.number not in whole.content.decode()  # the street cadre handles the street
    part = client.get(reverse("appeals:queue"), {"tier": "street"}, headers=HTMX)
    assert part.status_code == 200
    assert part.content.decode().lstrip().startswith('<div id="results">')
    assert street.number in part.content.decode()


@pytest.mark.parametrize("role", ["resident", "district_leader", "administrator", "auditor"])
def test_the_queue_is_the_handlers_only(a, role):
    assert client_for(a, role).get(reverse("appeals:queue")).status_code == 403


def test_queue_queries_do_not_grow_with_rows(a):
    client = client_for(a, "village_cadre")
    h.raise_appeal(a)
    client.get(reverse("appeals:queue"))  # the session and grants read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("appeals:queue")).status_code == 200
    for n in range(6):
        h.raise_appeal(a, description=f"第{n}件事情")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("appeals:queue")).status_code == 200
    assert len(many) == len(few)


def test_list_queries_do_not_grow_with_rows(a):
    client = client_for(a, "district_leader")
    h.raise_appeal(a)
    client.get(reverse("appeals:list"))  # the session and grants read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("appeals:list")).status_code == 200
    for n in range(6):
        h.raise_appeal(a, description=f"第{n}件事情")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("appeals:list")).status_code == 200
    assert len(many) == len(few)


# --- the list -------------------------------------------------------------------------------


def test_list_filters(a, clock):
    sanitation = h.raise_appeal(a)
    neighbours = h.raise_appeal(a, category=a.categories.neighbours, description="邻里纠纷")
    far = h.raise_appeal(
        a,
        actor=None,
        area=a.far_village,
        description="东朱的事",
        reporter=None,
        reporter_name="外来人",
        reporter_mobile="13800138000",
    )
    client = client_for(a, "district_leader")
    url = reverse("appeals:list")
    body = client.get(url, {"category": a.categories.neighbours.pk}).content.decode()
    assert neighbours.number in body and sanitation.number not in body
    body = client.get(url, {"area": a.far_village.pk}).content.decode()
    assert far.number in body and sanitation.number not in body
    body = client.get(url, {"channel": "counter", "tier": "village", "state": "waiting"})
    assert sanitation.number in body.content.decode()
    assert (
        client.get(url, {"overdue": "1"}).content.decode().count('data-testid="appeal-card"') == 0
    )
    clock.shift(dt_days(10))
    client = client_for(a, "district_leader")  # a new session after the days passed
    assert sanitation.number in client.get(url, {"overdue": "1"}).content.decode()
    # Unknown values are ignored; an area outside what the user sees is not there.
    assert client.get(url, {"state": "nonsense", "tier": "x"}).status_code == 200
    cadre = client_for(a, "village_cadre")
    assert cadre.get(url, {"area": a.far_village.pk}).status_code == 404
    assert far.number not in cadre.get(url).content.decode()
    assert client.get(url, {"area": "abc"}).status_code == 404


def test_the_list_is_for_readers(a):
    assert client_for(a, "resident").get(reverse("appeals:list")).status_code == 403
    assert client_for(a, "administrator").get(reverse("appeals:list")).status_code == 403


# --- the appeal page and its actions ----------------------------------------------------------


def test_appeal_page_shows_steps_and_the_actions_offered(a):
    appeal = h.raise_appeal(a)
    response = client_for(a, "grid_worker").get(reverse("appeals:detail", args=[appeal.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="take"' in body and 'data-testid="settle"' in body
    assert 'data-testid="appeal-step"' in body
    assert a.household.head.mobile not in body  # masked
    leader = client_for(a, "district_leader").get(reverse("appeals:detail", args=[appeal.pk]))
    assert 'data-testid="take"' not in leader.content.decode()


def test_another_areas_appeal_is_not_there(a):
    appeal = h.raise_appeal(a)
    client = client_for(a, "sibling_cadre")
    for name in ("detail", "take", "settle", "hand_up", "return_visit"):
        assert client.get(reverse(f"appeals:{name}", args=[appeal.pk])).status_code == 404
    assert client.post(reverse("appeals:take", args=[appeal.pk])).status_code == 404
    assert _fresh(appeal).state == "waiting"


def test_a_reader_who_does_not_handle_it_is_refused(a):
    appeal = h.raise_appeal(a)
    client = client_for(a, "district_leader")
    assert client.post(reverse("appeals:take", args=[appeal.pk])).status_code == 403


def test_take_settle_and_return_visit_through_the_pages(a):
    appeal = h.raise_appeal(a)
    client = client_for(a, "grid_worker")
    response = client.post(reverse("appeals:take", args=[appeal.pk]), {"version": 1})
    assert response.status_code == 302
    assert _fresh(appeal).state == "taken"
    settle = reverse("appeals:settle", args=[appeal.pk])
    assert client.get(settle).status_code == 200
    empty = client.post(settle, {"version": _fresh(appeal).version, "what_was_done": " "})
    assert empty.status_code == 400
    assert _fresh(appeal).state == "taken"
    done = client.post(settle, {"version": _fresh(appeal).version, "what_was_done": "已疏通"})
    assert done.status_code == 302
    assert _fresh(appeal).state == "settled"
    visit = reverse("appeals:return_visit", args=[appeal.pk])
    bad = client.post(
        visit,
        {"version": _fresh(appeal).version, "satisfaction": "dissatisfied", "method": "phone"},
    )
    assert bad.status_code == 400  # dissatisfaction needs a note
    ok = client.post(
        visit, {"version": _fresh(appeal).version, "satisfaction": "satisfied", "method": "phone"}
    )
    assert ok.status_code == 302
    assert _fresh(appeal).state == "closed"


def test_two_handlers_take_at_once_one_wins_the_other_is_told(a):
    appeal = h.raise_appeal(a)
    url = reverse("appeals:take", args=[appeal.pk])
    first = client_for(a, "village_cadre").post(url, {"version": 1})
    second = client_for(a, "village_colleague").post(url, {"version": 1})
    assert first.status_code == 302
    assert second.status_code == 409
    assert "taken already" in second.content.decode()
    assert _fresh(appeal).handler == a.users["village_cadre"]


def test_hand_up_needs_a_reason_and_moves_it_up(a):
    appeal = h.raise_appeal(a)
    url = reverse("appeals:hand_up", args=[appeal.pk])
    client = client_for(a, "village_cadre")
    assert client.post(url, {"version": 1, "reason": ""}).status_code == 400
    assert client.post(url, {"version": 1, "reason": "村里解决不了"}).status_code == 302
    assert _fresh(appeal).tier == "community"
    # The village no longer handles it: the page says it cannot be done now.
    assert client.get(url).status_code == 403


def test_send_to_the_department(a):
    appeal = h.raise_appeal(a)
    url = reverse("appeals:send_to_department", args=[appeal.pk])
    response = client_for(a, "grid_worker").post(url, {"version": 1, "reason": "属执法局职责"})
    assert response.status_code == 302
    assert _fresh(appeal).tier == "department"
    staff = client_for(a, "city_staff")
    assert appeal.number in staff.get(reverse("appeals:queue")).content.decode()


def test_a_photo_is_shown_and_each_look_audited(a):
    appeal = h.raise_appeal(a, photos_sent=[h.photo()])
    photo = AppealPhoto.objects.get(appeal=appeal)
    client = client_for(a, "grid_worker")
    before = AuditRecord.objects.filter(action=AuditAction.REVEAL).count()
    response = client.get(reverse("appeals:photo", args=[appeal.pk, photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert AuditRecord.objects.filter(action=AuditAction.REVEAL).count() == before + 1
    other = client_for(a, "far_cadre")
    assert other.get(reverse("appeals:photo", args=[appeal.pk, photo.pk])).status_code == 404
    assert client.get(reverse("appeals:photo", args=[appeal.pk, photo.pk + 999])).status_code == 404


# --- the counter and the 12345 hotline -------------------------------------------------------


def _intake(a, **fields):
    return {
        "channel": "hotline",
        "category": a.categories.sanitation.pk,
        "area": a.grid.pk,
        "address": "文岭一村东头",
        "latitude": "",
        "longitude": "",
        "description": "12345 转来：垃圾没人清运",
        "reporter_kind": "outsider",
        "resident": "",
        "reporter_name": "王先生",
        "reporter_mobile": "13912345678",
        **fields,
    }


def test_hotline_intake_records_an_appeal(a):
    client = client_for(a, "community_worker")
    assert client.get(reverse("appeals:create")).status_code == 200
    response = client.post(reverse("appeals:create"), _intake(a, photos=[h.photo()]))
    assert response.status_code == 302
    appeal = Appeal.objects.get(description="12345 转来：垃圾没人清运")
    assert appeal.channel == "hotline" and appeal.reporter_name == "王先生"
    assert appeal.photos.count() == 1


def test_intake_with_a_registry_person_and_anonymous(a):
    client = client_for(a, "community_worker")
    head = a.household.head
    found = client.get(
        reverse("appeals:create"),
        {"q": head.name},
        headers={"HX-Request": "true", "HX-Target": "reporter-results"},
    )
    assert head.name in found.content.decode()
    assert (
        client.post(
            reverse("appeals:create"), _intake(a, reporter_kind="registry", resident=head.pk)
        ).status_code
        == 302
    )
    assert Appeal.objects.filter(reporter=head, channel="hotline").exists()
    anonymous = client.post(
        reverse("appeals:create"),
        _intake(
            a, reporter_kind="anonymous", reporter_name="", reporter_mobile="", description="匿名"
        ),
    )
    assert anonymous.status_code == 302
    refused = client.post(
        reverse("appeals:create"),
        _intake(
            a, category=a.categories.neighbours.pk, reporter_kind="anonymous", description="不行"
        ),
    )
    assert refused.status_code == 400
    assert not Appeal.objects.filter(description="不行").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"category": 999999},
        {"category": "abc"},
        {"area": 999999},
        {"reporter_mobile": "12"},
        {"description": ""},
        {"latitude": "north"},
        {"reporter_kind": "registry", "resident": ""},
    ],
    ids=str,
)
def test_bad_intake_is_refused_with_nothing_stored(a, change):
    client = client_for(a, "community_worker")
    before = Appeal.objects.count()
    response = client.post(reverse("appeals:create"), _intake(a, **change))
    assert response.status_code == 400
    assert Appeal.objects.count() == before


def test_intake_refuses_a_photo_that_is_not_an_image(a, data_dir):
    client = client_for(a, "community_worker")
    response = client.post(reverse("appeals:create"), _intake(a, photos=[h.not_a_photo()]))
    assert response.status_code == 400
    assert "not a photo" in response.content.decode()
    assert Appeal.objects.count() == 0 or not Appeal.objects.filter(channel="hotline").exists()
    assert h.file_count(data_dir) == 0


def test_intake_outside_the_area_and_by_a_resident(a):
    client = client_for(a, "grid_worker")  # a grid worker reports in their grid only
    response = client.post(reverse("appeals:create"), _intake(a, area=a.far_village.pk))
    assert response.status_code == 400
    assert client_for(a, "resident").get(reverse("appeals:create")).status_code == 403
    assert client_for(a, "city_staff").get(reverse("appeals:create")).status_code == 403


# --- the resident ------------------------------------------------------------------------------


def test_resident_raises_an_appeal_with_a_photo_and_judges_it(a):
    client = client_for(a, "resident")
    assert client.get(reverse("appeals:raise")).status_code == 200
    response = client.post(
        reverse("appeals:raise"),
        {
            "category": a.categories.sanitation.pk,
            "description": "门口的下水道堵了",
            "address": "",
            "photos": [h.photo()],
        },
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get(description="门口的下水道堵了")
    assert appeal.channel == "resident_phone" and appeal.photos.count() == 1
    assert appeal.area == a.household.area and appeal.reporter == a.household.head
    mine = client.get(reverse("appeals:mine")).content.decode()
    assert "门口的下水道堵了" in mine and 'data-testid="judge-link"' not in mine
    services.appeal_settle(actor=a.users["grid_worker"], appeal=appeal, what_was_done="已疏通")
    mine = client.get(reverse("appeals:mine")).content.decode()
    assert 'data-testid="judge-link"' in mine
    url = reverse("appeals:return_visit", args=[appeal.pk])
    assert client.get(url).status_code == 200
    done = client.post(url, {"version": _fresh(appeal).version, "satisfaction": "basically"})
    assert done.status_code == 302
    appeal = _fresh(appeal)
    assert appeal.state == "closed"
    assert appeal.return_visits.get().method == "resident_phone"


def test_resident_bad_inputs(a):
    client = client_for(a, "resident")
    before = Appeal.objects.count()
    for data in (
        {"category": 999999, "description": "x"},
        {"category": a.categories.sanitation.pk, "description": ""},
        {
            "category": a.categories.sanitation.pk,
            "description": "x",
            "photos": [h.not_a_photo()],
        },
    ):
        assert client.post(reverse("appeals:raise"), data).status_code == 400
    assert Appeal.objects.count() == before


def test_resident_sees_only_their_own(a):
    other = h.raise_appeal(a, actor=None, area=a.far_village, reporter=a.world.households[4].head)
    client = client_for(a, "resident")
    assert client.get(reverse("appeals:detail", args=[other.pk])).status_code == 404
    assert other.number not in client.get(reverse("appeals:mine")).content.decode()
    for role in ("grid_worker", "district_leader"):
        assert client_for(a, role).get(reverse("appeals:mine")).status_code == 403
        assert client_for(a, role).get(reverse("appeals:raise")).status_code == 403


# --- categories --------------------------------------------------------------------------------


def _category_form(**fields):
    return {
        "code": "WYGL",
        "name": "物业管理",
        "description": "",
        "default_tier": "village",
        "village_days": "5",
        "community_days": "5",
        "street_days": "10",
        "department_days": "15",
        "department": "",
        "sort_order": "5",
        **fields,
    }


def test_administrator_creates_revises_and_withdraws_a_category(a):
    client = client_for(a, "administrator")
    assert client.get(reverse("appeals:categories")).status_code == 200
    assert client.post(reverse("appeals:category_create"), _category_form()).status_code == 302
    category = AppealCategory.objects.get(code="WYGL")
    same_code = client.post(reverse("appeals:category_create"), _category_form(name="另一个"))
    assert same_code.status_code == 400
    edit = reverse("appeals:category_edit", args=[category.pk])
    assert client.get(edit).status_code == 200
    form = _category_form(name="物业服务", note="改名", version="1")
    assert client.post(edit, form).status_code == 302
    category.refresh_from_db()
    assert category.current_version.number == 2 and category.current_version.name == "物业服务"
    stale = client.post(edit, _category_form(name="再改", version="1"))
    assert stale.status_code == 409
    offer = reverse("appeals:category_offer", args=[category.pk])
    assert client.post(offer, {"offered": "0"}).status_code == 302
    category.refresh_from_db()
    assert not category.active


def test_categories_are_the_administrators(a):
    for role in ("grid_worker", "district_leader", "resident"):
        client = client_for(a, role)
        assert client.get(reverse("appeals:categories")).status_code == 403
        assert client.post(reverse("appeals:category_create"), _category_form()).status_code == 403


# --- the need raised as an appeal from the visit page -----------------------------------------


def test_need_raised_as_an_appeal_from_the_visit_page(a):
    worker = a.users["grid_worker"]
    visit = visits_services.visit_record(
        actor=worker,
        household=a.household,
        channel="home",
        visited_on=timezone.localdate(),
        needs=[visits_services.NeedInput("other", "邻居家的排水沟堵了")],
    )
    need = visit.needs.get()
    client = client_for(a, "grid_worker")
    page = client.get(reverse("visits:visit_detail", args=[visit.pk])).content.decode()
    assert 'data-testid="raise-appeal"' in page
    url = reverse("visits:need_appeal", args=[need.pk])
    form = client.get(url)
    assert "邻居家的排水沟堵了" in form.content.decode()
    assert client.post(url, {"category": 999999, "description": "x"}).status_code == 400
    done = client.post(url, {"category": a.categories.sanitation.pk, "description": "排水沟堵了"})
    assert done.status_code == 302
    need.refresh_from_db()
    assert need.appeal is not None and need.appeal.channel == "visit"
    page = client.get(reverse("visits:visit_detail", args=[visit.pk])).content.decode()
    assert 'data-testid="need-appeal"' in page and 'data-testid="raise-appeal"' not in page
    assert client_for(a, "far_cadre").get(url).status_code == 404


# --- navigation and the workbench ---------------------------------------------------------------


def test_menu_and_workbench_tiles(a):
    h.raise_appeal(a)
    client = client_for(a, "grid_worker")
    page = client.get(reverse("core:workbench")).content.decode()
    assert reverse("appeals:queue") in page
    assert "Appeals waiting for me" in page
    # The handlers find the disputes' checks due in the menu; the administrator the Open311 keys.
    checks_due, keys = reverse("disputes:checks_due"), reverse("open311_keys:list")
    cadre = client_for(a, "village_cadre").get(reverse("core:workbench")).content.decode()
    assert f'href="{checks_due}"' in cadre and f'href="{keys}"' not in cadre
    admin = client_for(a, "administrator").get(reverse("core:workbench")).content.decode()
    assert f'href="{keys}"' in admin and f'href="{checks_due}"' not in admin
    resident = client_for(a, "resident").get(reverse("core:workbench")).content.decode()
    assert reverse("appeals:mine") in resident
    assert f'href="{reverse("appeals:queue")}"' not in resident


def test_the_list_answers_htmx_with_its_results_only(a):
    appeal = h.raise_appeal(a)
    response = client_for(a, "district_leader").get(
        reverse("appeals:list"), {"tier": "village"}, headers=HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert appeal.number in body and "<form" not in body


def test_the_resident_sees_where_it_stands(a):
    appeal = h.raise_appeal(a)
    services.appeal_take(actor=a.users["grid_worker"], appeal=appeal)
    page = client_for(a, "resident").get(reverse("appeals:detail", args=[appeal.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="appeal-place"' in body
    assert 'data-testid="take"' not in body and 'data-testid="return-visit"' not in body
    mine = client_for(a, "resident").get(reverse("appeals:mine")).content.decode()
    assert 'data-testid="waits-for"' in mine and a.village.name in mine
