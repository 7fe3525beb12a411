"""The registry's pages through Django's test client: search, filters, pagination, masking,
reveal, the forms, scope (404 / nothing in lists) and query counts on the lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core.choices import AuditAction
from linli.core.masking import mask_id_number, mask_mobile
from linli.core.models import AuditRecord
from linli.registry import services
from linli.registry.models import Household, Organisation, Resident, Tag

from .. import factories as f

LIU_MOBILE = "13905368765"
LIU_ID = f.make_id_number(dt.date(1978, 3, 2), male=False, serial=499)  # order 998: rare
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # These tests log in with force_login; argon2 on every world account would cost seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    # English pages, so assertions read the msgids whatever the Chinese catalogue says.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


def _error_under(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}".*?invalid-feedback d-block">([^<]*)<', page, re.S)
    return match.group(1) if match else ""


def household_url(household) -> str:
    return reverse("registry:household_detail", args=[household.pk])


@pytest.fixture
def tags(db):
    return {
        "poor": f.tag("困难户", "household", sensitive=True, sort_order=1),
        "party_household": f.tag("党员中心户", "household", sort_order=2),
        "disabled": f.tag(
            "残疾",
            "resident",
            sensitive=True,
            detail_label="残疾等级",
            detail_choices=["一级", "二级", "三级", "四级"],
        ),
        "party_member": f.tag("党员", "resident"),
    }


@pytest.fixture
def liu(world, tags):
    """刘志辉 of the source: disabled, in a poor household in the first village."""
    household = f.household(
        world.villages[0],
        "H10001",
        head_name="刘志辉",
        head_id=LIU_ID,
        mobile=LIU_MOBILE,
        tags=[(tags["poor"], "")],
    )
    services.resident_update(actor=None, resident=household.head, tags=[(tags["disabled"], "二级")])
    household.refresh_from_db()
    return household


@pytest.fixture
def cw(world):
    return client_for(world.users["community_worker"])


# --- search, filters, pagination ---------------------------------------------------------


@pytest.mark.parametrize("q", ["lzh", "LZH", "liuzhihui", "刘志辉", "志辉"])
def test_search_finds_liu_by_name_pinyin_and_initials(cw, world, liu, q):
    for name in ("registry:household_list", "registry:resident_list"):
        page = html(cw.get(reverse(name), {"q": q}))
        assert "刘志辉" in page
        assert world.households[1].head.name not in page


def test_search_by_last_digits_of_id_and_mobile(cw, world, liu):
    other = world.households[1]
    for digits in (LIU_ID[-4:], LIU_MOBILE[-4:]):
        page = html(cw.get(reverse("registry:resident_list"), {"q": digits}))
        assert "刘志辉" in page
        assert other.head.name not in page
        page = html(cw.get(reverse("registry:household_list"), {"q": digits}))
        assert liu.number in page
        assert other.number not in page


def test_search_matches_nothing_gives_an_empty_list(cw, liu):
    page = html(cw.get(reverse("registry:household_list"), {"q": "zzzz"}))
    assert "No household matches these filters." in page
    assert liu.number not in page


def test_area_filter_defaults_to_the_working_area(cw, world, liu):
    own, sibling = world.households[0], world.households[1]
    page = html(cw.get(reverse("registry:household_list")))  # the community: both villages
    assert {own.number, sibling.number, liu.number} <= set(re.findall(r"H\d{5}", page))
    page = html(cw.get(reverse("registry:household_list"), {"area": world.villages[1].pk}))
    assert sibling.number in page
    assert own.number not in page and liu.number not in page
    page = html(cw.get(reverse("registry:resident_list"), {"area": world.villages[0].pk}))
    assert "刘志辉" in page and sibling.head.name not in page


def test_working_area_from_the_switcher_is_the_default(cw, world, liu):
    cw.get(reverse("core:area_switch"), {"area": world.villages[1].pk})
    page = html(cw.get(reverse("registry:household_list")))
    assert world.households[1].number in page
    assert liu.number not in page


def test_tag_filters(cw, world, liu, tags):
    sibling = world.households[1]
    services.household_update(actor=None, household=sibling, tags=[(tags["party_household"], "")])
    page = html(cw.get(reverse("registry:household_list"), {"tag": tags["poor"].pk}))
    assert liu.number in page and sibling.number not in page
    page = html(cw.get(reverse("registry:household_list"), {"tag": tags["party_household"].pk}))
    assert sibling.number in page and liu.number not in page
    # A personal tag finds the household of the person, and the person in the resident list.
    page = html(cw.get(reverse("registry:household_list"), {"tag": tags["disabled"].pk}))
    assert liu.number in page and sibling.number not in page
    page = html(cw.get(reverse("registry:resident_list"), {"tag": tags["disabled"].pk}))
    assert "刘志辉" in page and sibling.head.name not in page
    # A household tag also selects the people living there.
    page = html(cw.get(reverse("registry:resident_list"), {"tag": tags["poor"].pk}))
    assert "刘志辉" in page and sibling.head.name not in page


def _many_households(village, count: int, prefix: str = "P") -> None:
    for i in range(count):
        f.household(village, f"{prefix}{i:04d}", head_name=f"王{i}")


def test_pagination_50_a_page_and_links_keep_the_filters(cw, world, tags):
    _many_households(world.villages[0], 60)
    params = {"q": "wang", "area": world.villages[0].pk}
    response = cw.get(reverse("registry:household_list"), params)
    page = html(response)
    assert len(re.findall(r"P\d{4}</a>", page)) == 50
    assert "60 households" in page
    next_links = re.findall(r'href="\?([^"]*page=2[^"]*)"', page)
    assert next_links, "a link to page 2"
    assert all("q=wang" in link and f"area={world.villages[0].pk}" in link for link in next_links)
    page2 = html(cw.get(reverse("registry:household_list"), {**params, "page": 2}))
    assert len(re.findall(r"P\d{4}</a>", page2)) == 10
    # A page past the end shows the last page rather than failing.
    page9 = html(cw.get(reverse("registry:household_list"), {**params, "page": 9}))
    assert len(re.findall(r"P\d{4}</a>", page9)) == 10
    residents = html(cw.get(reverse("registry:resident_list"), params))
    assert "60 residents" in residents


JUNK_PARAMS = [
    {"tag": "9" * 25},
    {"tag": "x"},
    {"area": "9" * 25},
    {"area": "abc"},
    {"page": "9" * 25},
    {"page": "-1"},
    {"q": "1" * 200},
    {"kind": "nonsense", "current": "maybe"},
]
LISTS = [
    "registry:household_list",
    "registry:resident_list",
    "registry:organisation_list",
    "registry:post_list",
]


def test_junk_query_parameters_never_fail_a_list(cw, liu):
    for name in LISTS:
        for params in JUNK_PARAMS:
            response = cw.get(reverse(name), params)
            assert response.status_code == 200, (name, params)
            assert LIU_ID not in html(response)


def test_an_unknown_tag_is_dropped_from_the_filter(cw, world, liu, tags):
    params = {"tag": [tags["poor"].pk, 9999999]}
    page = html(cw.get(reverse("registry:household_list"), params))
    assert liu.number in page and world.households[1].number not in page


def test_htmx_search_returns_only_the_results(cw, liu):
    response = cw.get(reverse("registry:household_list"), {"q": "lzh"}, HTTP_HX_REQUEST="true")
    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body and liu.number in body
    assert "HX-Request" in response["Vary"]


# --- masking, sensitive tags, reveal -----------------------------------------------------


@pytest.mark.parametrize("role", ["community_worker", "street_cadre", "district_leader"])
def test_lists_never_show_full_numbers(world, liu, role):
    client = client_for(world.users[role])
    for name in ("registry:household_list", "registry:resident_list"):
        page = html(client.get(reverse(name), {"area": ""}))
        assert "刘志辉" in page
        assert LIU_ID not in page and LIU_MOBILE not in page
        assert mask_id_number(LIU_ID) in page
        assert mask_mobile(LIU_MOBILE) in page


def test_household_page_masks_numbers_until_revealed(cw, liu):
    page = html(cw.get(household_url(liu)))
    assert LIU_ID not in page and LIU_MOBILE not in page
    assert mask_id_number(LIU_ID) in page
    assert reverse("registry:resident_reveal", args=[liu.head_id]) in page


def test_sensitive_tags_only_for_those_who_may_reveal(world, liu):
    worker = client_for(world.users["community_worker"])
    leader = client_for(world.users["district_leader"])  # sees the registry, may not reveal
    for name in ("registry:household_list", "registry:resident_list"):
        assert "困难户" in html(worker.get(reverse(name)))
        page = html(leader.get(reverse(name), {"area": world.villages[0].pk}))
        assert "刘志辉" in page
        assert "困难户" not in page and "残疾" not in page
    worker_page = html(worker.get(household_url(liu)))
    assert "困难户" in worker_page and "残疾：二级" in worker_page
    leader_page = html(leader.get(household_url(liu)))
    assert "困难户" not in leader_page and "残疾" not in leader_page
    assert "Reveal" not in leader_page


def test_filtering_by_a_sensitive_tag_discloses_nothing_to_others(world, liu, tags):
    leader = client_for(world.users["district_leader"])
    page = html(leader.get(reverse("registry:household_list"), {"tag": tags["poor"].pk}))
    assert liu.number not in page
    assert f"filter-tag-{tags['poor'].pk}" not in page  # not even offered as a filter


def test_reveal_returns_the_value_and_is_audited(cw, world, liu):
    url = reverse("registry:resident_reveal", args=[liu.head_id])
    response = cw.post(
        url, {"field": "id_number", "reason": "核对助学贷款材料"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = html(response)
    assert LIU_ID in body and "<html" not in body
    assert "no-store" in response["Cache-Control"]
    record = AuditRecord.objects.get(action=AuditAction.REVEAL)
    assert record.reason == "核对助学贷款材料"
    assert record.actor_id == world.users["community_worker"].pk
    assert record.object_id == str(liu.head_id)
    assert record.changes == {"field": "id_number"}
    mobile = cw.post(url, {"field": "mobile", "reason": "电话回访"}, HTTP_HX_REQUEST="true")
    assert LIU_MOBILE in html(mobile)
    assert AuditRecord.objects.filter(action=AuditAction.REVEAL).count() == 2


def test_reveal_without_a_reason_reveals_nothing(cw, liu):
    url = reverse("registry:resident_reveal", args=[liu.head_id])
    for reason in ("", "  "):
        response = cw.post(url, {"field": "id_number", "reason": reason}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        body = html(response)
        assert "Please state why you need to see the full value." in body
        assert LIU_ID not in body and mask_id_number(LIU_ID) in body
    assert not AuditRecord.objects.filter(action=AuditAction.REVEAL).exists()


def test_reveal_without_htmx_gives_a_page(cw, liu):
    url = reverse("registry:resident_reveal", args=[liu.head_id])
    response = cw.post(url, {"field": "mobile", "reason": "电话回访"})
    assert response.status_code == 200
    assert "<html" in html(response) and LIU_MOBILE in html(response)


def test_reveal_refused_to_roles_without_it_and_outside_scope(world, liu):
    url = reverse("registry:resident_reveal", args=[liu.head_id])
    data = {"field": "id_number", "reason": "想看看"}
    assert client_for(world.users["district_leader"]).post(url, data).status_code == 403
    stranger = client_for(f.user_with("community_worker", world.communities[2]))
    assert stranger.post(url, data).status_code == 404
    resident = client_for(world.users["resident"])
    assert resident.post(url, data).status_code == 404  # not their household
    own = reverse("registry:resident_reveal", args=[world.households[0].head_id])
    assert resident.post(own, data).status_code == 403  # their own, but residents never reveal
    assert not AuditRecord.objects.filter(action=AuditAction.REVEAL).exists()


def test_reveal_of_an_unknown_field_is_refused(cw, liu):
    url = reverse("registry:resident_reveal", args=[liu.head_id])
    response = cw.post(url, {"field": "name", "reason": "核对"})
    assert response.status_code == 400
    assert not AuditRecord.objects.filter(action=AuditAction.REVEAL).exists()
    assert cw.get(url).status_code == 405


# --- the household page and scope --------------------------------------------------------


def test_household_page_shows_members_tags_breadcrumb_and_timeline(cw, world, liu, tags):
    services.resident_create(
        actor=None,
        household=liu,
        name="刘小雨",
        id_number=f.make_id_number(dt.date(2016, 9, 1), male=False),
        relation="child",
        tags=[(tags["party_member"], "")],
    )
    page = html(cw.get(household_url(liu)))
    for text in ("刘志辉", "刘小雨", "Child", "Head", "党员", liu.address):
        assert text in page
    for area in (world.district, world.streets[0], world.communities[0], world.villages[0]):
        assert area.name in page
    assert "Household registered" in page
    assert "刘小雨 registered in household H10001" in page
    assert "Female" in page


def test_resident_sees_own_household_only(world, liu):
    client = client_for(world.users["resident"])
    own = world.households[0]
    page = html(client.get(household_url(own)))
    assert own.head.name in page
    assert "Timeline" not in page and "Edit household" not in page
    assert client.get(household_url(world.households[1])).status_code == 404
    assert client.get(household_url(liu)).status_code == 404
    assert client.get(reverse("registry:household_list")).status_code == 403
    assert client.get(reverse("registry:resident_list")).status_code == 403


def test_community_worker_of_another_community_sees_nothing(world, liu):
    stranger = client_for(f.user_with("community_worker", world.communities[2]))
    assert stranger.get(household_url(liu)).status_code == 404
    assert stranger.get(household_url(world.households[0])).status_code == 404
    assert stranger.get(reverse("registry:household_edit", args=[liu.pk])).status_code == 404
    assert stranger.get(reverse("registry:resident_edit", args=[liu.head_id])).status_code == 404
    assert stranger.get(reverse("registry:resident_create", args=[liu.pk])).status_code == 404
    for name in ("registry:household_list", "registry:resident_list"):
        for params in ({"q": "lzh"}, {"area": world.villages[0].pk}, {"area": ""}):
            page = html(stranger.get(reverse(name), params))
            assert "刘志辉" not in page and liu.number not in page
            assert world.households[0].number not in page
    assert world.households[4].number in html(stranger.get(reverse("registry:household_list")))


def test_lists_need_a_staff_role_with_registry_view(world):
    for role in ("auditor", "administrator"):
        client = client_for(world.users[role])
        assert client.get(reverse("registry:household_list")).status_code == 403
        assert client.get(reverse("registry:resident_list")).status_code == 403


# --- forms -------------------------------------------------------------------------------


def _household_data(area, **extra):
    return {"area": area.pk, "number": "N0001", "address": "文岭一村东街1号", **extra}


def test_create_household_with_tags(cw, world, tags):
    data = _household_data(world.grids[0])
    data[f"tag_{tags['poor'].pk}"] = "on"
    response = cw.post(reverse("registry:household_create"), data)
    household = Household.objects.get(number="N0001")
    assert response.status_code == 302
    assert response["Location"] == household_url(household)
    assert household.area == world.grids[0]
    assert [link.tag for link in household.tag_links.all()] == [tags["poor"]]


def _area_choices(page: str) -> set[int]:
    select = re.search(r'<select name="area"[^>]*id="id_area".*?</select>', page, re.S).group(0)
    return {int(pk) for pk in re.findall(r'value="(\d+)"', select)}


def test_household_form_offers_only_areas_in_add_scope(cw, world):
    choices = _area_choices(html(cw.get(reverse("registry:household_create"))))
    expected = {a.pk for a in world.villages[:2] + world.grids[:2]}
    assert choices == expected  # not the community itself, nothing of other communities


def test_create_household_field_errors_change_nothing(cw, world):
    before = Household.objects.count()
    response = cw.post(
        reverse("registry:household_create"), _household_data(world.villages[0], number="")
    )
    assert response.status_code == 400
    assert "This field is required." in html(response)
    # An area outside the scope is not a valid choice.
    response = cw.post(reverse("registry:household_create"), _household_data(world.villages[2]))
    assert response.status_code == 400
    assert "Select a valid choice" in html(response)
    # A number already in use: the service's message appears under the number field.
    data = _household_data(world.villages[0], number=world.households[0].number)
    response = cw.post(reverse("registry:household_create"), data)
    assert response.status_code == 400
    assert "already exists" in _error_under(html(response), "id_number")
    assert Household.objects.count() == before


def test_create_household_needs_add_scope(world):
    for role in ("district_leader", "street_cadre", "auditor"):
        client = client_for(world.users[role])
        assert client.get(reverse("registry:household_create")).status_code == 403
        response = client.post(
            reverse("registry:household_create"), _household_data(world.villages[0])
        )
        assert response.status_code == 403
    assert not Household.objects.filter(number="N0001").exists()


def test_edit_household(cw, world, liu, tags):
    url = reverse("registry:household_edit", args=[liu.pk])
    page = html(cw.get(url))
    assert f'name="version" value="{liu.version}"' in page
    data = _household_data(world.villages[1], number=liu.number, version=liu.version)
    data[f"tag_{tags['party_household'].pk}"] = "on"  # and 困难户 untouched: unticked → dropped
    response = cw.post(url, data)
    assert response.status_code == 302
    liu.refresh_from_db()
    assert liu.area == world.villages[1]
    assert liu.address == "文岭一村东街1号"
    assert {link.tag.name for link in liu.tag_links.all()} == {"党员中心户"}


def test_stale_household_edit_is_refused(cw, world, liu):
    url = reverse("registry:household_edit", args=[liu.pk])
    old_version = liu.version
    services.household_update(actor=None, household=liu, address="另一个地址")
    data = _household_data(world.villages[0], number=liu.number, version=old_version)
    response = cw.post(url, data)
    assert response.status_code == 409
    assert "Someone else changed this record" in html(response)
    liu.refresh_from_db()
    assert liu.address == "另一个地址"


def test_edit_needs_change_scope(world, liu):
    leader = client_for(world.users["district_leader"])
    assert leader.get(reverse("registry:household_edit", args=[liu.pk])).status_code == 403
    assert leader.get(reverse("registry:resident_create", args=[liu.pk])).status_code == 403
    assert leader.get(reverse("registry:resident_edit", args=[liu.head_id])).status_code == 403
    assert "Edit household" not in html(leader.get(household_url(liu)))


def _resident_data(**extra):
    data = {
        "name": "刘小雨",
        "id_number": f.make_id_number(dt.date(2016, 9, 1), male=False),
        "mobile": "",
        "relation": "child",
    }
    data.update(extra)
    return data


def test_add_member(cw, liu, tags):
    data = _resident_data(mobile="139-0536-1111")
    data[f"tag_{tags['disabled'].pk}"] = "on"
    data[f"tag_{tags['disabled'].pk}_detail"] = "三级"
    response = cw.post(reverse("registry:resident_create", args=[liu.pk]), data)
    assert response.status_code == 302
    child = Resident.objects.get(name="刘小雨")
    assert child.household == liu and child.mobile == "13905361111"
    assert child.birth_date == dt.date(2016, 9, 1) and child.sex == "female"
    assert [(link.tag.name, link.detail) for link in child.tag_links.all()] == [("残疾", "三级")]


def test_member_form_shows_each_field_its_own_error(cw, liu):
    good = _resident_data()["id_number"]
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = Resident.objects.count()
    url = reverse("registry:resident_create", args=[liu.pk])
    response = cw.post(url, _resident_data(id_number=wrong_check, mobile="12345", name=""))
    assert response.status_code == 400
    page = html(response)
    assert "check digit" in _error_under(page, "id_id_number")
    assert "11 digits" in _error_under(page, "id_mobile")
    assert "required" in _error_under(page, "id_name")
    response = cw.post(url, _resident_data(id_number="1234"))
    assert "18 characters" in _error_under(html(response), "id_id_number")
    # The service's own refusal (a number already registered) lands under the field too.
    response = cw.post(url, _resident_data(id_number=LIU_ID))
    assert response.status_code == 400
    assert "already registered" in _error_under(html(response), "id_id_number")
    assert Resident.objects.count() == before


def test_member_form_tag_detail_must_be_from_the_list(cw, liu, tags):
    data = _resident_data()
    data[f"tag_{tags['disabled'].pk}"] = "on"
    data[f"tag_{tags['disabled'].pk}_detail"] = "五级"
    response = cw.post(reverse("registry:resident_create", args=[liu.pk]), data)
    assert response.status_code == 400
    assert "Select a valid choice" in html(response)
    data[f"tag_{tags['disabled'].pk}_detail"] = ""
    response = cw.post(reverse("registry:resident_create", args=[liu.pk]), data)
    assert response.status_code == 400
    assert "needs one of" in html(response)
    assert not Resident.objects.filter(name="刘小雨").exists()


def test_second_head_is_refused_on_the_relation_field(cw, liu):
    response = cw.post(
        reverse("registry:resident_create", args=[liu.pk]), _resident_data(relation="head")
    )
    assert response.status_code == 400
    assert "already has a head" in _error_under(html(response), "id_relation")


def test_edit_member_keeps_numbers_left_empty_and_never_shows_them(cw, liu, tags):
    head = liu.head
    url = reverse("registry:resident_edit", args=[head.pk])
    page = html(cw.get(url))
    assert LIU_ID not in page and LIU_MOBILE not in page
    assert mask_id_number(LIU_ID) in page  # as a placeholder
    data = {
        "name": "刘志辉",
        "id_number": "",
        "mobile": "",
        "relation": "head",
        "version": head.version,
    }
    data[f"tag_{tags['disabled'].pk}"] = "on"
    data[f"tag_{tags['disabled'].pk}_detail"] = "一级"
    assert cw.post(url, data).status_code == 302
    head.refresh_from_db()
    assert head.id_number == LIU_ID and head.mobile == LIU_MOBILE
    assert [(link.tag.name, link.detail) for link in head.tag_links.all()] == [("残疾", "一级")]


def test_stale_member_edit_is_refused(cw, liu):
    head = liu.head
    url = reverse("registry:resident_edit", args=[head.pk])
    old_version = head.version
    services.resident_update(actor=None, resident=head, mobile="13700001111")
    data = {
        "name": "刘志灰",
        "id_number": "",
        "mobile": "",
        "relation": "head",
        "version": old_version,
    }
    response = cw.post(url, data)
    assert response.status_code == 409
    assert "Someone else changed this record" in html(response)
    head.refresh_from_db()
    assert head.name == "刘志辉" and head.mobile == "13700001111"


# --- tag vocabulary ----------------------------------------------------------------------


def test_tag_pages_for_administrators(world, tags):
    admin = client_for(world.users["administrator"])
    page = html(admin.get(reverse("registry:tag_list")))
    assert "残疾等级" in page and "一级、二级、三级、四级" in page
    data = {
        "name": "在校学生",
        "target": "resident",
        "description": "",
        "detail_label": "学段",
        "detail_choices": "小学\n初中\n\n高中\n小学\n",
        "sort_order": 10,
        "active": "on",
    }
    assert admin.post(reverse("registry:tag_create"), data).status_code == 302
    tag = Tag.objects.get(name="在校学生")
    assert tag.detail_choices == ["小学", "初中", "高中"] and tag.active and not tag.sensitive
    edit = reverse("registry:tag_edit", args=[tag.pk])
    assert "小学\n初中\n高中" in html(admin.get(edit))
    data.update(sensitive="on", active="")
    assert admin.post(edit, data).status_code == 302
    tag.refresh_from_db()
    assert tag.sensitive and not tag.active
    assert (
        AuditRecord.objects.filter(object_type="registry.tag", object_id=str(tag.pk)).count() == 2
    )


def test_tag_form_errors(world, tags):
    admin = client_for(world.users["administrator"])
    data = {"name": "党员", "target": "resident", "sort_order": 1, "active": "on"}
    response = admin.post(reverse("registry:tag_create"), data)
    assert response.status_code == 400
    assert "already exists" in html(response)
    response = admin.post(reverse("registry:tag_create"), {**data, "name": "", "sort_order": "x"})
    assert response.status_code == 400
    assert html(response).count("invalid-feedback d-block") == 2
    assert Tag.objects.filter(name="党员").count() == 1


def test_tag_pages_need_tags_manage(world, tags):
    for role in ("community_worker", "district_leader", "auditor", "resident"):
        client = client_for(world.users[role])
        assert client.get(reverse("registry:tag_list")).status_code == 403
        assert client.get(reverse("registry:tag_create")).status_code == 403
        assert client.get(reverse("registry:tag_edit", args=[tags["poor"].pk])).status_code == 403
    admin = client_for(world.users["administrator"])
    assert admin.get(reverse("registry:tag_edit", args=[99999])).status_code == 404


# --- organisations and posts -------------------------------------------------------------


def test_organisation_and_post_lists_follow_the_area(world):
    own = services.organisation_create(
        actor=None, name="文岭社区党总支", kind="general_party_branch", area=world.communities[0]
    )
    services.organisation_create(
        actor=None, name="东朱社区卫生室", kind="clinic", area=world.communities[2]
    )
    services.post_create(
        actor=None,
        holder_name="王书记",
        kind="general_branch_secretary",
        area=world.communities[0],
        organisation=own,
        starts_on=dt.date(2014, 1, 1),
    )
    services.post_create(
        actor=None,
        holder_name="赵医生",
        kind="clinic_doctor",
        area=world.communities[2],
        starts_on=dt.date(2014, 1, 1),
    )
    cw = client_for(world.users["community_worker"])
    page = html(cw.get(reverse("registry:organisation_list")))
    assert "文岭社区党总支" in page and "东朱社区卫生室" not in page
    page = html(cw.get(reverse("registry:post_list")))
    assert "王书记" in page and "文岭社区党总支" in page and "赵医生" not in page
    leader = client_for(world.users["district_leader"])
    page = html(leader.get(reverse("registry:organisation_list")))
    assert "文岭社区党总支" in page and "东朱社区卫生室" in page
    page = html(leader.get(reverse("registry:organisation_list"), {"kind": "clinic"}))
    assert "文岭社区党总支" not in page and "东朱社区卫生室" in page
    page = html(leader.get(reverse("registry:post_list"), {"area": world.communities[2].pk}))
    assert "赵医生" in page and "王书记" not in page
    assert Organisation.objects.count() == 2
    assert client_for(world.users["resident"]).get(reverse("registry:post_list")).status_code == 403


# --- query counts ------------------------------------------------------------------------


def _count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["registry:household_list", "registry:resident_list"])
def test_list_query_count_does_not_grow_with_rows(world, tags, name):
    village = world.villages[0]
    _many_households(village, 5, prefix="A")
    client = client_for(world.users["community_worker"])
    url, params = reverse(name), {"area": village.pk}
    client.get(url, params)  # warm caches (content types, session)
    few = _count_queries(client, url, params)
    for household in Household.objects.filter(area=village)[:3]:
        services.household_update(actor=None, household=household, tags=[(tags["poor"], "")])
    _many_households(village, 45, prefix="B")
    many = _count_queries(client, url, params)
    assert Household.objects.filter(area=village).count() >= 50
    assert many == few
