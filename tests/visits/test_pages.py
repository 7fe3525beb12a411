"""The visits pages through Django's test client: my households (most overdue first, pinyin
search), the visit form (happy path and every bad input, nothing written), the visit page with
its needs, a need handed on to the service hall, closing a need, the visit and need lists, the
overdue lists, the workbench tile and the menu; scope (404, nothing in lists), permissions
(403), masking, and the same number of queries at few and many rows."""

from __future__ import annotations

import base64
import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.core.masking import mask_mobile
from linli.hall.models import Application
from linli.visits import policies, services
from linli.visits.models import Need, Visit, VisitPolicy

from .. import factories as f
from ..hall import app_helpers as h

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
STAFF_WITH_RECORD = (
    "grid_worker",
    "village_cadre",
    "community_worker",
    "street_cadre",
    "district_leader",
)
WITHOUT_VISITS = ("administrator", "security_officer", "auditor", "resident")


def build(world) -> SimpleNamespace:
    """The `world` district with the hall's offices and items, a monthly default policy, and
    three households in the grid worker's grid: one visited 80 days ago, one 40 days ago, one
    never (registered today, so not yet due)."""
    hall = h.build_hall(world)
    grid = world.grids[0]
    worker = world.users["grid_worker"]
    today = timezone.localdate()
    VisitPolicy.objects.create(is_default=True, every=1, unit="month")
    long_ago = world.households[0]
    recent = f.household(grid, "H10001", head_name="李志华", mobile="13900001111")
    never = f.household(grid, "H10002", head_name="王小明")
    first = services.visit_record(
        actor=worker,
        household=long_ago,
        channel="home",
        visited_on=today - dt.timedelta(days=80),
        needs=[services.NeedInput("schooling", "孩子上学缺学费")],
    )
    services.visit_record(
        actor=worker, household=recent, channel="phone", visited_on=today - dt.timedelta(days=40)
    )
    policies.states_refresh(today=today)
    users = dict(world.users)
    users["far_worker"] = hall.users["far_worker"]  # 东朱社区, the other street
    return SimpleNamespace(
        world=world,
        hall=hall,
        users=users,
        today=today,
        long_ago=long_ago,
        recent=recent,
        never=never,
        far=world.households[4],
        first_visit=first,
        need=first.needs.get(),
    )


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


SHARED = {"v": build}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def v(shared):
    return shared("v")


@pytest.fixture
def clients(v):
    return {key: h.client_for(user) for key, user in v.users.items()}


def html(response) -> str:
    return response.content.decode()


# --- my households ------------------------------------------------------------------------


def test_my_households_lists_the_most_overdue_first(v, clients):
    page = html(clients["grid_worker"].get(reverse("visits:my_households")))
    order = [page.index(h.number) for h in (v.long_ago, v.recent, v.never)]
    assert order == sorted(order)
    assert "days overdue" in page and "text-bg-danger" in page
    assert reverse("visits:visit_create", args=[v.recent.pk]) in page
    assert v.world.households[1].number not in page  # another village: not the worker's


def test_my_households_finds_by_initials_and_answers_htmx_with_the_rows_only(v, clients):
    url = reverse("visits:my_households")
    page = html(clients["grid_worker"].get(url, {"q": "lzh"}))
    assert v.recent.number in page and v.never.number not in page
    partial = html(clients["grid_worker"].get(url, {"q": "H10002"}, HTTP_HX_REQUEST="true"))
    assert v.never.number in partial and v.recent.number not in partial
    assert "<html" not in partial and 'id="results"' in partial


@pytest.mark.parametrize("role", STAFF_WITH_RECORD)
def test_my_households_renders_for_those_who_visit(v, clients, role):
    assert clients[role].get(reverse("visits:my_households")).status_code == 200


@pytest.mark.parametrize("role", WITHOUT_VISITS)
def test_my_households_is_refused_to_roles_that_do_not_visit(clients, role):
    assert clients[role].get(reverse("visits:my_households")).status_code == 403


def test_my_households_of_another_street_shows_none_of_ours(v, clients):
    page = html(clients["far_worker"].get(reverse("visits:my_households")))
    for household in (v.long_ago, v.recent, v.never):
        assert household.number not in page
    assert v.far.number in page


# --- the visit form -----------------------------------------------------------------------


def _form_url(household) -> str:
    return reverse("visits:visit_create", args=[household.pk])


def _valid(**changes) -> dict:
    data = {
        "channel": "home",
        "visited_on": timezone.localdate().isoformat(),
        "note": "家中一切正常",
        "need1_category": "schooling",
        "need1_description": "孩子上学需要助学贷款",
    }
    data.update(changes)
    return {k: val for k, val in data.items() if val is not None}


def test_visit_form_shows_the_household_masked_and_defaults_today(v, clients):
    page = html(clients["grid_worker"].get(_form_url(v.recent)))
    assert "李志华" in page and mask_mobile("13900001111") in page
    assert "13900001111" not in page
    assert f'value="{v.today.isoformat()}"' in page
    assert 'accept="image/*"' in page and "capture" in page
    for label in ("Home visit", "Phone call", "Public opinion talk room"):
        assert label in page
    assert 'class="btn-check"' in page
    assert "Never visited yet." not in page  # it was visited 40 days ago: listed below


def test_visit_form_records_the_visit_with_needs_and_a_photo(v, clients):
    photo = SimpleUploadedFile("门口.png", PNG, content_type="image/png")
    response = clients["grid_worker"].post(
        _form_url(v.never),
        _valid(need2_category="medical", need2_description="老人腿脚不便需要看病", photo=photo),
    )
    visit = Visit.objects.get(household=v.never)
    assert response.status_code == 302
    assert response["Location"] == reverse("visits:visit_detail", args=[visit.pk])
    assert visit.channel == "home" and visit.visited_on == v.today
    assert sorted(visit.needs.values_list("category", flat=True)) == ["medical", "schooling"]
    assert visit.photo
    page = html(clients["grid_worker"].get(response["Location"]))
    assert "recorded with 2 needs" in page
    assert "孩子上学需要助学贷款" in page and "Turn into a service application" in page
    picture = clients["grid_worker"].get(reverse("visits:visit_photo", args=[visit.pk]))
    assert picture.status_code == 200 and b"".join(picture.streaming_content) == PNG
    assert "no-store" in picture["Cache-Control"]  # a photo of someone's home is kept nowhere


BAD_INPUTS = [
    ({"channel": None}, "Way of contact"),
    ({"channel": "boat"}, "Way of contact"),
    ({"visited_on": ""}, "Date of visit"),
    ({"visited_on": "2026-13-45"}, "Date of visit"),
    ({"visited_on": "tomorrow"}, "Date of visit"),
    ({"need1_category": ""}, "Need 1: category"),
    ({"need1_category": "lottery"}, "Need 1: category"),
    ({"need1_description": ""}, "Need 1: description"),
    ({"need1_description": "很" * 301}, "Need 1: description"),
    ({"note": "长" * 1001}, "Note"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUTS)
def test_visit_form_refuses_bad_input_and_writes_nothing(v, clients, changes, field):
    visits, needs = Visit.objects.count(), Need.objects.count()
    response = clients["grid_worker"].post(_form_url(v.never), _valid(**changes))
    assert response.status_code == 400
    assert f"{field}:" in html(response)
    assert (Visit.objects.count(), Need.objects.count()) == (visits, needs)


@pytest.mark.parametrize("days", [1, 91])
def test_visit_form_refuses_a_date_in_the_future_or_too_long_ago(v, clients, days):
    day = v.today + dt.timedelta(days=1) if days == 1 else v.today - dt.timedelta(days=days)
    response = clients["grid_worker"].post(_form_url(v.never), _valid(visited_on=day.isoformat()))
    assert response.status_code == 400
    assert "alert-danger" in html(response) or "invalid-feedback" in html(response)
    assert not Visit.objects.filter(household=v.never).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("照片.jpg", b"this is not a picture at all"), ("big.png", PNG + b"\0" * (5 * 1024 * 1024))],
)
def test_visit_form_refuses_a_photo_that_is_no_image_or_too_big(v, clients, name, content):
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = clients["grid_worker"].post(_form_url(v.never), _valid(photo=photo))
    assert response.status_code == 400
    assert "Photo" in html(response)
    assert not Visit.objects.filter(household=v.never).exists()


def test_visit_form_for_a_household_outside_the_grid_is_not_found(v, clients):
    other_village = v.world.households[1]
    for household in (other_village, v.far):
        assert clients["grid_worker"].get(_form_url(household)).status_code == 404
        assert clients["grid_worker"].post(_form_url(household), _valid()).status_code == 404
    assert not Visit.objects.filter(household__in=[other_village, v.far]).exists()


@pytest.mark.parametrize("role", ["administrator", "auditor", "resident"])
def test_visit_form_is_not_found_for_roles_that_do_not_visit(v, clients, role):
    assert clients[role].get(_form_url(v.never)).status_code == 404


# --- the visit page -----------------------------------------------------------------------


def _detail(visit) -> str:
    return reverse("visits:visit_detail", args=[visit.pk])


@pytest.mark.parametrize("role", STAFF_WITH_RECORD)
def test_visit_page_renders_for_the_area_above(v, clients, role):
    page = html(clients[role].get(_detail(v.first_visit)))
    assert "孩子上学缺学费" in page and "Open" in page


@pytest.mark.parametrize("role", ["far_worker", "administrator", "auditor", "resident"])
def test_visit_page_is_not_found_outside_the_scope(v, clients, role):
    assert clients[role].get(_detail(v.first_visit)).status_code == 404
    photo = reverse("visits:visit_photo", args=[v.first_visit.pk])
    assert clients[role].get(photo).status_code == 404


def test_visit_page_offers_the_hand_on_only_to_those_who_take_applications(v, clients):
    application_url = reverse("visits:need_application", args=[v.need.pk])
    assert application_url in html(clients["grid_worker"].get(_detail(v.first_visit)))
    street = html(clients["street_cadre"].get(_detail(v.first_visit)))
    assert application_url not in street
    assert reverse("visits:need_close", args=[v.need.pk]) in street


# --- a need becomes an application --------------------------------------------------------


def _to_application(need) -> str:
    return reverse("visits:need_application", args=[need.pk])


def test_need_application_suggests_the_schooling_items(v, clients):
    page = html(clients["grid_worker"].get(_to_application(v.need)))
    suggested = page.index("Suggested for this need")
    assert page.index("助学贷款补助申请") > suggested
    assert page.index("助学贷款补助申请") < page.index("社会救助类")  # the suggestion comes first
    item = v.hall.items.loan
    with_item = html(clients["grid_worker"].get(_to_application(v.need), {"item": item.pk}))
    assert "学籍证明" in with_item and v.long_ago.head.name in with_item
    partial = clients["grid_worker"].get(
        _to_application(v.need),
        {"item": item.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="need-materials",
    )
    assert "学籍证明" in html(partial) and "<html" not in html(partial)


def test_need_becomes_an_application_in_one_step(v, clients):
    item = v.hall.items.loan
    response = clients["grid_worker"].post(
        _to_application(v.need),
        {"item": item.pk, "applicant": v.long_ago.head_id, "materials": h.material_names(item)},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:application_detail", args=[application.pk])
    assert application.channel == "visit" and application.item == item
    assert application.resident_id == v.long_ago.head_id
    v.need.refresh_from_db()
    assert v.need.application == application
    page = html(clients["grid_worker"].get(_detail(v.first_visit)))
    assert application.number in page and "Being followed up" in page
    assert _to_application(v.need) not in page
    # The community worker of the household's community finds it in the hall.
    hall_list = html(clients["community_worker"].get(reverse("services:application_list")))
    assert application.number in hall_list


def test_need_handed_on_without_its_material_shows_it_returned_and_on_the_halls_list(v, clients):
    """Material not ticked returns the application at once: the need's pages say so (not "on
    its way"), and the hall that returned it has it on its to-do list."""
    item = v.hall.items.loan
    response = clients["grid_worker"].post(
        _to_application(v.need),
        {"item": item.pk, "applicant": v.long_ago.head_id, "materials": ["身份证"]},
        follow=True,
    )
    application = Application.objects.get()
    assert application.state == "returned"
    message = html(response)
    assert "returned at once for missing material: 学籍证明" in message
    assert "on its way" not in message
    visit_page = html(clients["grid_worker"].get(_detail(v.first_visit)))
    assert application.number in visit_page
    assert 'data-testid="state-returned"' in visit_page and "Missing: 学籍证明" in visit_page
    need_list = html(clients["grid_worker"].get(reverse("visits:need_list")))
    assert 'data-testid="state-returned"' in need_list
    chinese = html(
        clients["grid_worker"].get(_detail(v.first_visit), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    assert "正在" not in chinese and "退回补正" in chinese
    queue = html(clients["community_worker"].get(reverse("services:step_queue")))
    assert application.number in queue[queue.index('id="returned"') :]


def test_need_handed_on_twice_is_refused(v, clients):
    item = v.hall.items.loan
    body = {"item": item.pk, "applicant": v.long_ago.head_id, "materials": h.material_names(item)}
    assert clients["grid_worker"].post(_to_application(v.need), body).status_code == 302
    again = clients["grid_worker"].post(_to_application(v.need), body)
    assert again.status_code == 400
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"item": "999999", "applicant": "HEAD"},
        {"item": "LOAN", "applicant": "999999"},
        {"item": "LOAN", "applicant": "OTHER"},
        {"item": "abc", "applicant": "HEAD"},
    ],
)
def test_need_application_refuses_bad_input(v, clients, body):
    replace = {
        "LOAN": str(v.hall.items.loan.pk),
        "HEAD": str(v.long_ago.head_id),
        "OTHER": str(v.recent.head_id),  # a person of another household
    }
    body = {k: replace.get(val, val) for k, val in body.items()}
    response = clients["grid_worker"].post(_to_application(v.need), body)
    assert response.status_code == 400
    assert not Application.objects.exists()
    v.need.refresh_from_db()
    assert v.need.application_id is None


def test_need_application_permissions(v, clients):
    url = _to_application(v.need)
    assert clients["street_cadre"].get(url).status_code == 403  # no services.apply
    assert clients["district_leader"].get(url).status_code == 403
    for role in ("far_worker", "administrator", "resident"):
        assert clients[role].get(url).status_code == 404
        assert clients[role].post(url, {}).status_code == 404
    assert not Application.objects.exists()


# --- closing a need -----------------------------------------------------------------------


def test_need_close_needs_a_note_then_closes(v, clients):
    url = reverse("visits:need_close", args=[v.need.pk])
    refused = clients["grid_worker"].post(url, {"outcome": "resolved", "note": "  "})
    assert refused.status_code == 400 and "Note:" in html(refused)
    v.need.refresh_from_db()
    assert v.need.status == "open"
    bad = clients["grid_worker"].post(url, {"outcome": "maybe", "note": "已处理"})
    assert bad.status_code == 400
    done = clients["grid_worker"].post(
        url, {"outcome": "resolved", "note": "当场联系学校解决", "version": v.need.version}
    )
    assert done.status_code == 302 and done["Location"] == _detail(v.first_visit)
    v.need.refresh_from_db()
    assert v.need.status == "resolved" and v.need.closing_note == "当场联系学校解决"
    page = html(clients["grid_worker"].get(_detail(v.first_visit)))
    assert "Resolved" in page and url not in page


def test_need_close_with_a_stale_version_changes_nothing(v, clients):
    url = reverse("visits:need_close", args=[v.need.pk])
    response = clients["grid_worker"].post(
        url, {"outcome": "closed", "note": "无需处理", "version": v.need.version + 5}
    )
    assert response.status_code in (400, 409)
    v.need.refresh_from_db()
    assert v.need.status == "open"


def test_need_close_outside_the_scope_is_not_found(v, clients):
    url = reverse("visits:need_close", args=[v.need.pk])
    assert clients["far_worker"].post(url, {"outcome": "closed", "note": "x"}).status_code == 404
    v.need.refresh_from_db()
    assert v.need.status == "open"


# --- the lists ----------------------------------------------------------------------------


def test_visit_list_filters_and_scope(v, clients):
    url = reverse("visits:visit_list")
    page = html(clients["grid_worker"].get(url))
    assert v.long_ago.number in page and v.recent.number in page
    phone = html(clients["grid_worker"].get(url, {"channel": "phone"}))
    assert v.recent.number in phone and v.long_ago.number not in phone
    far = html(clients["far_worker"].get(url))
    assert v.long_ago.number not in far and v.recent.number not in far
    assert clients["administrator"].get(url).status_code == 403


def test_need_list_filters_by_effective_status_and_category(v, clients):
    url = reverse("visits:need_list")
    assert "孩子上学缺学费" in html(clients["community_worker"].get(url))
    assert "孩子上学缺学费" in html(clients["grid_worker"].get(url, {"status": "open"}))
    assert "孩子上学缺学费" not in html(clients["grid_worker"].get(url, {"status": "resolved"}))
    assert "孩子上学缺学费" not in html(clients["grid_worker"].get(url, {"category": "medical"}))
    assert "孩子上学缺学费" not in html(clients["far_worker"].get(url))
    assert clients["auditor"].get(url).status_code == 403


def test_overdue_lists_households_and_counts(v, clients):
    url = reverse("visits:overdue")
    page = html(clients["community_worker"].get(url))
    assert v.long_ago.number in page and v.recent.number in page
    assert v.never.number not in page
    village = html(clients["community_worker"].get(url, {"tab": "village"}))
    assert v.world.villages[0].name in village
    community = html(clients["street_cadre"].get(url, {"tab": "community"}))
    assert v.world.communities[0].name in community
    assert v.world.communities[2].name not in community  # the other street
    assert clients["community_worker"].get(url, {"tab": "worker"}).status_code == 200
    assert clients["administrator"].get(url).status_code == 403
    far = html(clients["far_worker"].get(url))
    assert v.long_ago.number not in far


def test_overdue_for_an_area_outside_the_scope_is_not_found(v, clients):
    url = reverse("visits:overdue")
    area = v.world.communities[2]
    assert clients["community_worker"].get(url, {"area": area.pk}).status_code == 404
    assert clients["community_worker"].get(url, {"area": "x1"}).status_code == 404


# --- workbench and menu -------------------------------------------------------------------


def test_the_menu_has_the_visits_group(v, clients):
    page = html(clients["grid_worker"].get(reverse("core:workbench")))
    assert "Five links and visits" in page
    assert reverse("visits:my_households") in page
    admin = html(clients["administrator"].get(reverse("core:workbench")))
    assert f'href="{reverse("visits:policy_list")}"' in admin
    assert f'href="{reverse("visits:my_households")}"' not in admin


def test_the_tile_counts_the_overdue_households_of_the_area(v):
    from linli.visits.tiles import visit_tiles

    tiles = visit_tiles(user=v.users["grid_worker"], area=v.world.grids[0])
    assert [t["value"] for t in tiles] == [2]
    assert tiles[0]["url"].startswith(reverse("visits:overdue"))
    assert visit_tiles(user=v.users["administrator"], area=v.world.district) == []


# --- query counts -------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _more(v, n: int, start: int = 0) -> None:
    worker = v.users["grid_worker"]
    for i in range(start, start + n):
        household = f.household(v.world.grids[0], f"H2{i:04d}", head_name=f"赵{i}")
        services.visit_record(
            actor=worker,
            household=household,
            channel="home",
            visited_on=v.today - dt.timedelta(days=60),
            needs=[services.NeedInput("medical", f"看病{i}")],
        )


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("grid_worker", "visits:my_households"),
        ("grid_worker", "visits:visit_list"),
        ("grid_worker", "visits:need_list"),
        ("community_worker", "visits:overdue"),
    ],
)
def test_list_pages_cost_the_same_at_few_and_many_rows(v, clients, role, url_name):
    client, url = clients[role], reverse(url_name)
    _more(v, 2)
    _queries(client, url)  # the first request also fills per-process caches
    few = _queries(client, url)
    _more(v, 12, start=2)
    assert _queries(client, url) == few
