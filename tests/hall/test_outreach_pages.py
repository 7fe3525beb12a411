"""The outreach pages through Django's test client: the task list and page (masking, reasons,
scope, the outcome form, the application link) and the eligibility editor (rows, preview,
validation, stale edits, permissions)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from linli.core.masking import mask_id_number, mask_mobile
from linli.hall.models import OutreachTask, ServiceItem
from linli.hall.outreach import services as outreach
from linli.registry import services as registry_services

from .. import factories as f
from .test_eligibility import LIU_RULE
from .test_outreach import build_outreach, make_item
from .test_outreach import w as w  # noqa: F401 — the fixture, shared

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"
LIU_MOBILE = "13905368765"


SHARED = {"w": build_outreach}  # built once for the module (tests/sharing.py)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def task(w):  # noqa: F811
    registry_services.resident_update(actor=None, resident=w.liu.head, mobile=LIU_MOBILE)
    outreach.scan()
    return OutreachTask.objects.get(item=w.loan)


def detail_url(task) -> str:
    return reverse("services:outreach_detail", args=[task.pk])


# --- the list -------------------------------------------------------------------------------


def test_my_tasks_list_shows_liu_with_the_reasons(w, task):  # noqa: F811
    page = html(client_for(w.users.cw).get(reverse("services:outreach_list")))
    assert "刘志辉" in page and "助学贷款补助申请" in page
    assert "Household: 困难户" in page and "Member 刘欣怡 (Child): 在校学生 (小学)" in page
    assert detail_url(task) in page


def test_the_list_defaults_to_mine_for_a_worker_and_everyone_for_a_viewer(w, task):  # noqa: F811
    # The village cadre may work in 王家庄村 but the task is the community worker's.
    cadre = html(client_for(w.users.village).get(reverse("services:outreach_list")))
    assert "刘志辉" not in cadre
    everyone = client_for(w.users.village).get(reverse("services:outreach_list"), {"who": "all"})
    assert "刘志辉" in html(everyone)
    street = html(client_for(w.users.street).get(reverse("services:outreach_list")))
    assert "刘志辉" in street


def test_the_list_hides_sensitive_reasons_from_a_role_that_may_not_reveal(w, task):  # noqa: F811
    page = html(client_for(w.users.leader).get(reverse("services:outreach_list")))
    assert "刘志辉" in page and "在校学生 (小学)" in page
    assert "困难户" not in page and "残疾" not in page


def test_another_community_sees_nothing_and_gets_404(w, task):  # noqa: F811
    client = client_for(w.users.cw_other)
    page = html(client.get(reverse("services:outreach_list"), {"who": "all", "state": "any"}))
    assert "刘志辉" not in page and "No outreach task matches these filters." in page
    assert client.get(detail_url(task)).status_code == 404
    response = client.post(
        reverse("services:outreach_outcome", args=[task.pk]), {"outcome": "contacted"}
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.state == "open"


@pytest.mark.parametrize("role", ["resident", "administrator", "auditor"])
def test_roles_without_outreach_get_403_on_the_list_and_404_on_a_task(w, task, role):  # noqa: F811
    user = f.user_with(role, w.wangjia if role == "resident" else w.district)
    client = client_for(user)
    assert client.get(reverse("services:outreach_list")).status_code == 403
    assert client.get(detail_url(task)).status_code == 404  # a record they may not see
    outcome = reverse("services:outreach_outcome", args=[task.pk])
    assert client.post(outcome, {"outcome": "contacted"}).status_code == 404


def test_the_list_filters_by_item_state_and_area(w, task):  # noqa: F811
    item = make_item("DB-01", "低保复核", {"household_tag": "低保"})
    outreach.scan()
    client = client_for(w.users.leader)
    url = reverse("services:outreach_list")
    both = html(client.get(url))
    assert "低保复核" in both and "助学贷款补助申请" in both
    only = html(client.get(url, {"item": item.pk}))
    assert "李四" in only and "刘志辉" not in only
    wenling = html(client.get(url, {"area": w.wenling.pk}))
    assert "刘志辉" in wenling and "李四" not in wenling
    declined = html(client.get(url, {"state": "declined"}))
    assert "No outreach task matches these filters." in declined
    partial = client.get(url, {"item": item.pk}, HTTP_HX_REQUEST="true")
    assert "<html" not in html(partial) and "李四" in html(partial)


def test_the_list_costs_the_same_queries_for_one_task_or_many(w, task):  # noqa: F811
    client = client_for(w.users.leader)
    url = reverse("services:outreach_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    make_item("DB-02", "低保复核", {"household_tag": "低保"})
    make_item("GL-01", "高龄补贴", {"member": {"age_min": 80}})
    outreach.scan()
    assert OutreachTask.objects.count() == 3
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    assert len(three) == len(one)


def test_the_list_pages_keep_the_filters(w, task, monkeypatch):  # noqa: F811
    from linli.hall.outreach import views as views_outreach

    monkeypatch.setattr(views_outreach, "PAGE_SIZE", 1)
    make_item("DB-03", "低保复核", {"household_tag": "低保"})
    outreach.scan()
    client = client_for(w.users.leader)
    first = html(client.get(reverse("services:outreach_list"), {"who": "all"}))
    assert "?who=all&amp;state=open&amp;page=2" in first
    second = html(client.get(reverse("services:outreach_list"), {"who": "all", "page": 2}))
    assert ("刘志辉" in first) != ("刘志辉" in second)


# --- the task page --------------------------------------------------------------------------


def test_the_task_page_masks_numbers_and_shows_reasons(w, task):  # noqa: F811
    response = client_for(w.users.cw).get(detail_url(task))
    page = html(response)
    assert response.status_code == 200
    head = w.liu.head
    assert mask_id_number(head.id_number) in page and head.id_number not in page
    assert mask_mobile(LIU_MOBILE) in page and LIU_MOBILE not in page
    assert "Head of household 刘志辉: 残疾 (二级)" in page
    assert "刘欣怡" in page and "王秀英" in page
    assert "Reveal" in page  # a community worker may reveal, with a reason
    assert "Record the outcome" in page


def test_the_task_page_hides_sensitive_facts_without_reveal(w, task):  # noqa: F811
    page = html(client_for(w.users.leader).get(detail_url(task)))
    assert "刘志辉" in page
    assert "困难户" not in page and "残疾" not in page
    assert "Reveal" not in page
    assert "Record the outcome" not in page  # viewing only
    assert "Take the application" not in page


def expected_application_page() -> str:
    for name in ("services:application_new", "services:counter"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/services/applications/new/"


def test_take_the_application_link(w, task):  # noqa: F811
    page = html(client_for(w.users.cw).get(detail_url(task)))
    link = re.search(r'href="([^"]*)">Take the application', page).group(1)
    path, query = link.replace("&amp;", "&").split("?")
    assert path == expected_application_page()
    assert query == f"resident={w.liu.head_id}&item={w.loan.pk}&outreach={task.pk}"


def test_record_contacted_then_declined_through_the_page(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    url = reverse("services:outreach_outcome", args=[task.pk])
    response = client.post(url, {"outcome": "contacted", "note": "电话联系了", "version": 1})
    assert response.status_code == 302 and response["Location"] == detail_url(task)
    page = html(client.get(detail_url(task)))
    assert "Household contacted: 电话联系了" in page
    assert 'value="contacted"' not in page  # contacted is recorded; what is left is offered
    response = client.post(url, {"outcome": "declined", "version": 2})
    assert response.status_code == 200 and "Close the task?" in html(response)  # asked first
    response = client.post(url, {"outcome": "declined", "version": 2, "confirmed": "1"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "declined"
    page = html(client.get(detail_url(task)))
    assert "Record the outcome" not in page and "The household declined" in page


def test_a_stale_outcome_is_refused_with_409(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    url = reverse("services:outreach_outcome", args=[task.pk])
    assert client.post(url, {"outcome": "contacted", "version": 1}).status_code == 302
    response = client.post(url, {"outcome": "declined", "version": 1})
    assert response.status_code == 409
    assert "Someone else changed this task" in html(response)
    task.refresh_from_db()
    assert task.state == "contacted"


def test_a_bad_outcome_is_refused_with_400(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    url = reverse("services:outreach_outcome", args=[task.pk])
    response = client.post(url, {"outcome": "applied", "version": 1})
    assert response.status_code == 400
    assert "What came of it" in html(response)
    task.refresh_from_db()
    assert task.state == "open"


def test_a_viewer_cannot_record_an_outcome(w, task):  # noqa: F811
    response = client_for(w.users.street).post(
        reverse("services:outreach_outcome", args=[task.pk]), {"outcome": "contacted"}
    )
    assert response.status_code == 403


def test_get_on_the_outcome_url_is_not_allowed(w, task):  # noqa: F811
    response = client_for(w.users.cw).get(reverse("services:outreach_outcome", args=[task.pk]))
    assert response.status_code == 405


# --- the eligibility editor -----------------------------------------------------------------


def editor_url(item) -> str:
    return reverse("services:outreach_eligibility", args=[item.pk])


def row(index: int, **fields) -> dict:
    data = {}
    for name, value in fields.items():
        key = f"row-{index}-{name}"
        data[key] = value
    return data


def editor_post(rows: list[dict], **fields) -> dict:
    data = {
        "row-TOTAL_FORMS": str(len(rows)),
        "row-INITIAL_FORMS": "0",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "30",
        "combine": "all",
        "outreach_role": "community_worker",
        "outreach_recent_days": "365",
        "note": "",
        "version": "1",
        "action": "save",
    }
    for index, r in enumerate(rows):
        data |= row(index, **r)
    return data | {k: str(v) for k, v in fields.items()}


LIU_ROWS = [
    {"kind": "household_tag", "tag": "困难户"},
    {"kind": "member", "tag": "在校学生", "details": ["在校学生|小学"]},
    {"kind": "head", "tag": "残疾", "details": ["残疾|一级", "残疾|二级"]},
]


def test_the_editor_shows_the_rule_as_rows(w):  # noqa: F811
    response = client_for(w.users.admin).get(editor_url(w.loan))
    page = html(response)
    assert response.status_code == 200
    assert "Sought out when the household is 困难户" in page
    assert 'value="在校学生|小学" ' in page and "checked" in page
    assert page.count('name="row-') > 10
    assert "has a shape the rows below cannot show" not in page


def test_the_editor_saves_a_new_version(w):  # noqa: F811
    client = client_for(w.users.admin)
    rows = [*LIU_ROWS, {"kind": "household_tag", "tag": "低保", "negate": "on"}]
    data = editor_post(
        rows, outreach_role="grid_worker", outreach_recent_days=90, note="排除低保户"
    )
    response = client.post(editor_url(w.loan), data)
    assert response.status_code == 302
    w.loan.refresh_from_db()
    version = w.loan.current
    assert version.number == 2 and version.note == "排除低保户"
    assert version.eligibility == {"all": [*LIU_RULE["all"], {"not": {"household_tag": "低保"}}]}
    assert version.outreach_role == "grid_worker" and version.outreach_recent_days == 90


def test_the_editor_saves_any_and_person_facts(w):  # noqa: F811
    client = client_for(w.users.admin)
    rows = [
        {"kind": "member", "age_min": "80"},
        {
            "kind": "member",
            "age_max": "17",
            "sex": "female",
            "relations": ["child", "grandchild"],
        },
        {},  # an empty row is skipped
    ]
    response = client.post(editor_url(w.loan), editor_post(rows, combine="any"))
    assert response.status_code == 302
    w.loan.refresh_from_db()
    assert w.loan.current.eligibility == {
        "any": [
            {"member": {"age_min": 80}},
            {"member": {"age_max": 17, "sex": "female", "relation_in": ["child", "grandchild"]}},
        ]
    }


def test_no_rows_means_nobody_is_sought_out(w):  # noqa: F811
    response = client_for(w.users.admin).post(editor_url(w.loan), editor_post([{}, {}]))
    assert response.status_code == 302
    w.loan.refresh_from_db()
    assert w.loan.current.eligibility == {}


@pytest.mark.parametrize(
    ("rows", "fields", "message"),
    [
        (
            [{"kind": "member", "age_min": "80", "age_max": "60"}],
            {},
            "The lowest age (80) is above the highest age (60).",
        ),
        ([{"kind": "household_tag", "tag": "残疾"}], {}, "There is no household tag “残疾”."),
        ([{"kind": "household_tag"}], {}, "Choose the household tag."),
        ([{"tag": "困难户"}], {}, "Choose what this condition is about."),
        (
            [{"kind": "member", "tag": "在校学生", "details": ["残疾|一级"]}],
            {},
            "These details belong to another tag than “在校学生”: 一级.",
        ),
        (
            [{"kind": "household_tag", "tag": "困难户", "age_min": "3"}],
            {},
            "Age, sex and relation are about a person, not about the household.",
        ),
        ([{"kind": "member"}], {}, "Say who the person is"),
        ([{"kind": "household_tag", "tag": "困难户"}], {"outreach_recent_days": "0"}, "greater"),
        (
            [{"kind": "household_tag", "tag": "困难户"}],
            {"outreach_role": "auditor"},
            "valid choice",
        ),
    ],
)
def test_bad_input_is_shown_and_changes_nothing(w, rows, fields, message):  # noqa: F811
    response = client_for(w.users.admin).post(editor_url(w.loan), editor_post(rows, **fields))
    assert response.status_code == 400
    assert message in html(response).replace("&quot;", '"').replace("&#x27;", "'")
    w.loan.refresh_from_db()
    assert w.loan.current.number == 1 and w.loan.versions.count() == 1


def test_a_stale_edit_is_refused_with_409(w):  # noqa: F811
    client = client_for(w.users.admin)
    first = editor_post(LIU_ROWS, note="first", outreach_recent_days=200)
    assert client.post(editor_url(w.loan), first).status_code == 302
    response = client.post(editor_url(w.loan), editor_post(LIU_ROWS[:1], note="second"))
    assert response.status_code == 409
    assert "Someone else changed this item" in html(response)
    w.loan.refresh_from_db()
    assert w.loan.current.number == 2 and w.loan.current.note == "first"


def test_the_preview_counts_matching_households_and_saves_nothing(w):  # noqa: F811
    client = client_for(w.users.admin)
    data = editor_post([{"kind": "member", "tag": "在校学生"}], action="preview")
    response = client.post(editor_url(w.loan), data)
    assert response.status_code == 200
    assert "2 households in your area match today." in html(response)
    response = client.post(editor_url(w.loan), data, HTTP_HX_REQUEST="true")
    assert "<html" not in html(response)
    assert "2 households in your area match today." in html(response)
    assert "a member is tagged 在校学生" in html(response)
    bad = editor_post([{"kind": "member", "age_min": "9", "age_max": "1"}], action="preview")
    response = client.post(editor_url(w.loan), bad, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Row 1: The lowest age (9) is above the highest age (1)." in html(response)
    w.loan.refresh_from_db()
    assert w.loan.current.number == 1


def test_the_preview_counts_only_the_administrators_area(w):  # noqa: F811
    street_admin = f.user_with("administrator", w.yinghui)
    data = editor_post([{"kind": "member", "tag": "在校学生"}], action="preview")
    response = client_for(street_admin).post(editor_url(w.loan), data)
    assert "1 household in your area matches today." in html(response)


def test_more_conditions_adds_empty_rows_and_keeps_the_others(w):  # noqa: F811
    data = editor_post(LIU_ROWS[:1], action="add_row")
    response = client_for(w.users.admin).post(editor_url(w.loan), data)
    page = html(response)
    assert response.status_code == 200
    assert 'name="row-TOTAL_FORMS" value="3"' in page
    assert 'name="row-2-kind"' in page
    w.loan.refresh_from_db()
    assert w.loan.current.number == 1


def test_a_rule_the_rows_cannot_show_is_described_and_warned_about(w):  # noqa: F811
    nested = make_item(
        "QT-01",
        "嵌套条件",
        {"any": [{"all": [{"household_tag": "低保"}, {"member": {"tag": "残疾"}}]}]},
    )
    page = html(client_for(w.users.admin).get(editor_url(nested)))
    assert "has a shape the rows below cannot show" in page
    assert "the household is 低保 and a member is tagged 残疾" in page


@pytest.mark.parametrize("role", ["community_worker", "district_leader", "auditor"])
def test_only_administrators_edit_eligibility(w, role):  # noqa: F811
    user = f.user_with(role, w.district)
    client = client_for(user)
    assert client.get(editor_url(w.loan)).status_code == 403
    assert client.post(editor_url(w.loan), editor_post(LIU_ROWS)).status_code == 403
    w.loan.refresh_from_db()
    assert w.loan.current.number == 1


def test_an_unknown_item_is_404(w):  # noqa: F811
    missing = (ServiceItem.objects.order_by("-pk").first().pk or 0) + 100
    response = client_for(w.users.admin).get(
        reverse("services:outreach_eligibility", args=[missing])
    )
    assert response.status_code == 404


def test_the_application_page_opens_from_the_task_with_liu_and_the_item(w, task):  # noqa: F811
    client = client_for(w.users.cw)
    page = html(client.get(detail_url(task)))
    link = re.search(r'href="([^"]*)">Take the application', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert "刘志辉" in html(response) and "助学贷款补助申请" in html(response)


def test_the_pages_render_in_chinese(w, task):  # noqa: F811
    pages = [
        (w.users.cw, reverse("services:outreach_list")),
        (w.users.cw, detail_url(task)),
        (w.users.admin, editor_url(w.loan)),
    ]
    for user, url in pages:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user, backend=BACKEND)
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-CN">' in html(response)
        assert "刘志辉" in html(response) or "助学贷款补助申请" in html(response)


def test_a_task_found_by_what_the_household_is_not_shows_the_rule(w):  # noqa: F811
    item = make_item("QT-02", "妇女关爱", {"not": {"member": {"sex": "male"}}})
    outreach.scan()
    task = OutreachTask.objects.get(item=item)
    assert task.household == w.plain and task.reasons == []
    page = html(client_for(w.users.cw_other).get(detail_url(task)))
    assert "Sought out when not: a member is Male." in page
