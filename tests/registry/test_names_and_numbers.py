"""Names and numbers as people type them: a right-to-left override, a zero-width space, a
Hangul filler or a control character is refused wherever a name or number enters — the staff
forms, the API, the services behind them — with a Chinese message naming the field, and a name
may not start with = + - or @ (a spreadsheet would take it for a formula). Nothing is stored.
The register import's side is in test_import_errors.py."""

from __future__ import annotations

import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from linli.accounts import services as account_services
from linli.accounts.models import User
from linli.core import services as area_services
from linli.core.models import Area
from linli.core.validators import hidden_characters, text_problem
from linli.registry import services
from linli.registry.models import Household, Organisation, Resident

from .. import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"

# (what is hidden in it, the character as the message names it)
HIDDEN = {
    "right-to-left override": ("\u202e", "U+202E"),
    "zero-width space": ("\u200b", "U+200B"),
    "zero-width joiner": ("\u200d", "U+200D"),
    "byte-order mark": ("\ufeff", "U+FEFF"),
    "line separator": ("\u2028", "U+2028"),
    "word joiner": ("\u2060", "U+2060"),
    "Hangul filler": ("\u3164", "U+3164"),
    "bell (a control character)": ("\x07", "U+0007"),
    "soft hyphen": ("\u00ad", "U+00AD"),
}
FORMULAS = ['=HYPERLINK("http://x","点击")', "+8613812345678", "-1", "@SUM(A1)"]


def chinese_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user, backend=BACKEND)
    return client


def _bearer(user) -> dict:
    _token, key = account_services.api_token_issue(actor=None, user=user, name="names test")
    return {"Authorization": f"Bearer {key}", "Accept-Language": "zh-hans"}


def _api(client, method: str, path: str, user, body: dict):
    send = getattr(client, method)
    return send(path, json.dumps(body), content_type="application/json", headers=_bearer(user))


def _errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- the one check ------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", HIDDEN.values(), ids=HIDDEN.keys())
def test_every_kind_of_hidden_character_is_found_and_named(hidden):
    char, shown = hidden
    assert hidden_characters(f"刘{char}志辉") == [shown]
    message, params = text_problem(f"刘{char}志辉")
    assert params == {"characters": shown}
    with translation.override("zh-hans"):
        rendered = translation.gettext(message) % {**params, "field": "姓名"}
    assert rendered.startswith("姓名") and shown in rendered and "不可见" in rendered


@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_that_starts_like_a_formula_is_refused_but_text_elsewhere_is_not(name):
    assert text_problem(name, name=True) is not None
    assert text_problem(name) is None  # an address may hold it: exports write it as text


@pytest.mark.parametrize(
    "name",
    [
        "刘志辉",
        "阿依古丽·买买提",
        "Zhang San",
        "𠮷野家",
        "O'Brien",
        "张-三",
        "李@",
        "欧阳 娜娜",
        "王\ue000",  # a rare character 生僻字 from a GB18030-era input method (private use)
    ],
)
def test_real_names_pass(name):
    assert hidden_characters(name) == []
    assert text_problem(name, name=True) is None


# --- staff forms --------------------------------------------------------------------------------


def test_the_resident_form_refuses_a_right_to_left_override_in_the_name(world):
    household = world.households[0]
    before = Resident.objects.count()
    page = chinese_client(world.users["community_worker"]).post(
        reverse("registry:resident_create", args=[household.pk]),
        {"name": "刘\u202e辉志", "id_number": f.make_id_number(serial=301), "relation": "child"},
    )
    assert page.status_code == 400
    text = html.unescape(page.content.decode())
    assert "姓名含有不可见字符或控制字符（U+202E）" in text
    assert Resident.objects.count() == before


def test_the_resident_form_names_an_invisible_character_in_the_id_number(world):
    household = world.households[0]
    number = f.make_id_number(serial=302)
    page = chinese_client(world.users["community_worker"]).post(
        reverse("registry:resident_create", args=[household.pk]),
        {"name": "刘志辉", "id_number": number[:6] + "\u200b" + number[6:], "relation": "child"},
    )
    assert page.status_code == 400
    assert "身份证号含有不可见字符或控制字符（U+200B）" in html.unescape(page.content.decode())
    assert not Resident.objects.filter(name="刘志辉").exists()


def test_the_household_form_refuses_a_zero_width_space_in_the_number(world):
    before = Household.objects.count()
    page = chinese_client(world.users["community_worker"]).post(
        reverse("registry:household_create"),
        {"area": world.grids[0].pk, "number": "H\u200b00099", "address": "文岭一村 9 号"},
    )
    assert page.status_code == 400
    assert "户号含有不可见字符或控制字符（U+200B）" in html.unescape(page.content.decode())
    assert Household.objects.count() == before


def test_the_organisation_form_refuses_a_name_starting_like_a_formula(world):
    before = Organisation.objects.count()
    page = chinese_client(world.users["administrator"]).post(
        reverse("registry:organisation_create"),
        {"name": '=HYPERLINK("http://x")', "kind": "clinic", "area": world.communities[0].pk},
    )
    assert page.status_code == 400
    assert "名称不能以 = + - @ 开头" in html.unescape(page.content.decode())
    assert Organisation.objects.count() == before


def test_a_users_real_name_with_a_hidden_character_is_refused(world):
    before = User.objects.count()
    page = chinese_client(world.users["administrator"]).post(
        reverse("accounts:user_create"),
        {
            "username": "wang.fang",
            "display_name": "王\u3164芳",
            "password": "Qiao-Lian-2026",
            "password_again": "Qiao-Lian-2026",
        },
    )
    assert page.status_code == 400
    assert "（U+3164）" in html.unescape(page.content.decode())
    assert User.objects.count() == before


def test_area_organisation_post_and_tag_names_are_checked_by_their_services(world):
    for write in (
        lambda: area_services.area_create(
            actor=None, name="@新村", kind="village", parent=world.communities[0]
        ),
        lambda: services.organisation_create(
            actor=None, name="卫生室\u202e", kind="clinic", area=world.communities[0]
        ),
        lambda: services.post_create(
            actor=None,
            holder_name="-王书记",
            kind="village_branch_secretary",
            area=world.villages[0],
            starts_on="2024-01-01",
        ),
        lambda: services.tag_save(actor=None, name="+困难户", target="household"),
    ):
        with pytest.raises(ValidationError) as refused:
            write()
        assert len(refused.value.message_dict) == 1
    assert not Area.objects.filter(name="@新村").exists()


# --- the API --------------------------------------------------------------------------------


def test_the_api_answers_422_naming_the_name_field(world, client):
    household = world.households[0]
    before = Resident.objects.count()
    response = _api(
        client,
        "post",
        "/api/residents",
        world.users["community_worker"],
        {
            "household": household.pk,
            "name": '=HYPERLINK("http://x"&A2,"点击")',
            "id_number": f.make_id_number(serial=303),
        },
    )
    assert response.status_code == 422, response.content
    errors = _errors(response)
    assert list(errors) == ["name"]
    assert errors["name"].startswith("姓名不能以 = + - @ 开头")
    assert Resident.objects.count() == before


def test_the_api_refuses_an_override_in_a_changed_name_and_a_filler_in_a_mobile(world, client):
    person = world.households[0].head
    response = _api(
        client,
        "patch",
        f"/api/residents/{person.pk}",
        world.users["community_worker"],
        {"version": person.version, "name": "\u202e辉志刘"},
    )
    assert response.status_code == 422, response.content
    assert _errors(response)["name"] == (
        "姓名含有不可见字符或控制字符（U+202E），请删除后重新输入。"
    )
    response = _api(
        client,
        "patch",
        f"/api/residents/{person.pk}",
        world.users["community_worker"],
        {"version": person.version, "mobile": "138\u31641234\u31645678"},
    )
    assert response.status_code == 422, response.content
    assert "手机号" in _errors(response)["mobile"] and "U+3164" in _errors(response)["mobile"]
    person.refresh_from_db()
    assert person.version == 1 and "\u202e" not in person.name


def test_the_api_refuses_a_household_number_with_a_bom(world, client):
    response = _api(
        client,
        "post",
        "/api/households",
        world.users["community_worker"],
        {"area": world.grids[0].pk, "number": "\ufeffH-NEW", "address": "文岭一村 8 号"},
    )
    assert response.status_code == 422, response.content
    assert "U+FEFF" in _errors(response)["number"]
    assert not Household.objects.filter(number__endswith="H-NEW").exists()


def test_an_id_number_in_full_width_digits_is_refused_not_stored_beside_the_ascii_one(
    world, client
):
    # 17 full-width digits and an ASCII check digit passed the check (int() reads full-width
    # digits) and were stored as typed: the same person could then be registered twice.
    number = f.make_id_number(serial=304)
    typed = number[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = _api(
        client,
        "post",
        "/api/residents",
        world.users["community_worker"],
        {"household": world.households[0].pk, "name": "刘全角", "id_number": typed + number[17]},
    )
    assert response.status_code == 422, response.content
    assert "id_number" in _errors(response)
    assert not Resident.objects.filter(name="刘全角").exists()
