"""The catalogue's pages through Django's test client: the public catalogue (anonymous too,
materials, print button, a withdrawn item gone), the administration (create and edit make
versions and keep the old ones; row buttons; bad input refused with nothing changed; withdraw
and offer again; categories) and who may see what (anonymous → login, other roles → 403)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core.models import AuditRecord, TimelineEvent
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.hall.models import ItemMaterial, ServiceCategory, ServiceItem, ServiceItemVersion
from linli.registry.models import Organisation

BACKEND = "django.contrib.auth.backends.ModelBackend"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user, backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def departments(world):
    def department(name):
        return Organisation.objects.create(name=name, kind="department", area=world.district)

    return {"民政局": department("峡山区民政局"), "卫健局": department("峡山区卫生健康局")}


@pytest.fixture
def cat(db):
    return {
        "relief": catalogue.category_create(actor=None, name="民政救助类", sort_order=10),
        "general": catalogue.category_create(actor=None, name="综合便民类", sort_order=20),
    }


@pytest.fixture
def illness(cat, departments):
    return catalogue.item_create(
        actor=None,
        code="MZ-04",
        name="大病救助",
        category=cat["relief"],
        mode="proxy",
        time_limit_days=15,
        legal_basis="《社会救助暂行办法》",
        materials=[MaterialSpec("大病证明", note="二级以上医院出具"), MaterialSpec("户口簿")],
        route=[
            StepSpec("社区受理", "hall", 1),
            StepSpec("街道审核", "street", 3),
            StepSpec("区卫健局大病证明核验", "department", 4, departments["卫健局"]),
            StepSpec("区民政局审批", "department", 5, departments["民政局"]),
        ],
        eligibility={"member": {"tag": "慢性病", "detail_in": ["脑血栓"]}},
        outreach_role="community_worker",
    )


@pytest.fixture
def residence(cat):
    return catalogue.item_create(
        actor=None,
        code="ZH-08",
        name="居住证明开具",
        category=cat["general"],
        mode="on_the_spot",
        time_limit_days=0,
        online=True,
        materials=[MaterialSpec("居民身份证")],
    )


@pytest.fixture
def admin(world):
    return client_for(world.users["administrator"])


def _management(prefix: str, total: int) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}


def item_post(*, materials=(), steps=(), **fields) -> dict:
    """A POST of the item form: `materials` as (name, note, required[, in person]), `steps` as
    (name, office, department id or "", days)."""
    data = {"op": "save", **_management("materials", len(materials))}
    data.update(_management("steps", len(steps)))
    for i, (name, note, required, *in_person) in enumerate(materials):
        data[f"materials-{i}-name"], data[f"materials-{i}-note"] = name, note
        if required:
            data[f"materials-{i}-required"] = "on"
        if in_person and in_person[0]:
            data[f"materials-{i}-in_person"] = "on"
    for i, (name, office, department, days) in enumerate(steps):
        data[f"steps-{i}-name"], data[f"steps-{i}-office_kind"] = name, office
        data[f"steps-{i}-department"], data[f"steps-{i}-time_limit_days"] = department, days
    for name, value in fields.items():
        if value is True:
            data[name] = "on"
        elif value is not False:
            data[name] = value
    return data


def _state():
    """Everything an admin page could write, to show a refused request changed nothing."""
    return (
        ServiceItem.objects.count(),
        ServiceItemVersion.objects.count(),
        ItemMaterial.objects.count(),
        ServiceCategory.objects.count(),
        list(ServiceItem.objects.values_list("pk", "current_id", "active", "name")),
        AuditRecord.objects.filter(action__in=["create", "update", "delete"]).count(),
    )


# --- the public catalogue ---------------------------------------------------------------------


def test_public_catalogue_works_anonymously_with_materials_and_route(illness, residence):
    page = html(client_for().get(reverse("services:catalogue")))
    for text in (
        "民政救助类",
        "综合便民类",
        "大病救助",
        "居住证明开具",
        "大病证明",
        "二级以上医院出具",
    ):
        assert text in page
    assert "《社会救助暂行办法》" in page
    assert "区卫健局大病证明核验" in page and "峡山区卫生健康局" in page
    assert "Promised within 15 working days" in page and "Settled the same day" in page
    assert "Online or at the counter" in page and "At the counter" in page
    assert "data-print" in page and "services/catalogue.css" in page
    # Categories in catalogue order, and no link to the administration for the public.
    assert page.index("民政救助类") < page.index("综合便民类")
    assert reverse("services:catalogue_manage") not in page


def test_public_item_page_shows_its_materials(illness):
    response = client_for().get(reverse("services:catalogue_item", args=[illness.pk]))
    assert response.status_code == 200
    page = html(response)
    assert "大病证明" in page and "户口簿" in page and "MZ-04" in page
    assert "峡山区民政局" in page


def test_withdrawn_item_leaves_the_public_catalogue(illness, residence):
    catalogue.item_set_offered(actor=None, item=illness, offered=False)
    page = html(client_for().get(reverse("services:catalogue")))
    assert "大病救助" not in page and "居住证明开具" in page
    assert (
        client_for().get(reverse("services:catalogue_item", args=[illness.pk])).status_code == 404
    )


def test_public_catalogue_costs_a_fixed_number_of_queries(illness, residence, cat):
    client = client_for()
    url = reverse("services:catalogue")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        catalogue.item_create(
            actor=None,
            code=f"X-{n}",
            name=f"事项{n}",
            category=cat["general"],
            mode="guided",
            time_limit_days=0,
            materials=[MaterialSpec("居民身份证"), MaterialSpec("户口簿")],
        )
    with CaptureQueriesContext(connection) as many:
        page = html(client.get(url))
    assert "事项5" in page
    assert len(many.captured_queries) == len(few.captured_queries) <= 4


def test_public_pages_refuse_other_methods(illness):
    assert client_for().post(reverse("services:catalogue")).status_code == 405


# --- administration: who may -----------------------------------------------------------------


ADMIN_PAGES = [
    ("services:catalogue_manage", False),
    ("services:catalogue_item_create", False),
    ("services:catalogue_item_manage", True),
    ("services:catalogue_item_edit", True),
    ("services:catalogue_item_versions", True),
    ("services:catalogue_category_list", False),
    ("services:catalogue_category_create", False),
]


@pytest.mark.parametrize(("name", "takes_item"), ADMIN_PAGES)
def test_admin_pages_send_anonymous_to_login_and_refuse_other_roles(
    world, illness, name, takes_item
):
    url = reverse(name, args=[illness.pk] if takes_item else [])
    response = client_for().get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    for role in ("community_worker", "district_leader", "security_officer", "auditor", "resident"):
        assert client_for(world.users[role]).get(url).status_code == 403, role
    assert client_for(world.users["administrator"]).get(url).status_code == 200


def test_other_roles_cannot_post_to_admin_pages(world, illness, departments, cat):
    before = _state()
    worker = client_for(world.users["community_worker"])
    create = item_post(
        code="X-9",
        name="假事项",
        category=cat["general"].pk,
        mode="guided",
        time_limit_days=0,
        sort_order=10,
    )
    assert worker.post(reverse("services:catalogue_item_create"), create).status_code == 403
    edit = item_post(
        name="改名",
        category=cat["relief"].pk,
        mode="guided",
        time_limit_days=0,
        note="x",
        version=1,
    )
    assert (
        worker.post(reverse("services:catalogue_item_edit", args=[illness.pk]), edit).status_code
        == 403
    )
    offer = reverse("services:catalogue_item_offer", args=[illness.pk])
    assert worker.post(offer, {"offered": "0"}).status_code == 403
    category = reverse("services:catalogue_category_edit", args=[cat["relief"].pk])
    assert worker.post(category, {"name": "改", "sort_order": 1}).status_code == 403
    assert _state() == before


def test_admin_gets_404_for_an_unknown_item(admin):
    assert admin.get(reverse("services:catalogue_item_manage", args=[99999])).status_code == 404


# --- administration: create and edit -----------------------------------------------------------


def test_admin_creates_a_proxy_item_with_materials_and_route(admin, cat, departments):
    response = admin.post(
        reverse("services:catalogue_item_create"),
        item_post(
            code="ZH-01",
            name="助学贷款补助申请",
            category=cat["general"].pk,
            mode="proxy",
            time_limit_days=10,
            legal_basis="《社会救助暂行办法》",
            sort_order=10,
            materials=[("助学贷款补助申请表", "", True), ("生源地贷款合同", "大学生提供", False)],
            steps=[
                ("社区受理", "hall", "", 1),
                ("街道审核", "street", "", 2),
                ("区民政局审批", "department", departments["民政局"].pk, 5),
            ],
        ),
    )
    item = ServiceItem.objects.get(code="ZH-01")
    assert response.status_code == 302
    assert response["Location"] == reverse("services:catalogue_item_manage", args=[item.pk])
    version = item.current
    assert (version.number, version.mode, version.time_limit_days) == (1, "proxy", 10)
    assert [(m.name, m.required, m.note) for m in version.materials.all()] == [
        ("助学贷款补助申请表", True, ""),
        ("生源地贷款合同", False, "大学生提供"),
    ]
    assert [
        (s.name, s.office_kind, s.department_id, s.time_limit_days) for s in version.route.all()
    ] == [
        ("社区受理", "hall", None, 1),
        ("街道审核", "street", None, 2),
        ("区民政局审批", "department", departments["民政局"].pk, 5),
    ]
    assert AuditRecord.objects.filter(object_id=str(item.pk), action="create").exists()
    page = html(admin.get(response["Location"]))
    assert "助学贷款补助申请" in page and "Nobody is sought out." in page


def _edit_post(item, **changes):
    current = item.current
    fields = {
        "name": current.name,
        "category": current.category_id,
        "mode": current.mode,
        "time_limit_days": current.time_limit_days,
        "online": current.online,
        "description": current.description,
        "legal_basis": current.legal_basis,
        "version": current.number,
        "note": "",
        "materials": [(m.name, m.note, m.required, m.in_person) for m in current.materials.all()],
        "steps": [
            (s.name, s.office_kind, s.department_id or "", s.time_limit_days)
            for s in current.route.all()
        ],
    }
    fields.update(changes)
    return item_post(**fields)


def test_edit_makes_a_new_version_and_keeps_the_old_one(admin, illness):
    first = illness.current
    url = reverse("services:catalogue_item_edit", args=[illness.pk])
    materials = [("大病证明", "二级以上医院出具", True), ("户口簿", "", True), ("银行卡", "", True)]
    response = admin.post(
        url,
        _edit_post(
            illness,
            time_limit_days=12,
            note="承诺时限缩短为12个工作日",
            materials=materials,
            steps=[
                ("社区受理", "hall", "", 1),
                ("街道审核", "street", "", 2),
                (
                    "区卫健局大病证明核验",
                    "department",
                    illness.current.route.all()[2].department_id,
                    4,
                ),
                ("区民政局审批", "department", illness.current.route.all()[3].department_id, 5),
            ],
        ),
    )
    assert response.status_code == 302
    illness.refresh_from_db()
    second = illness.current
    assert second.number == 2 and second.note == "承诺时限缩短为12个工作日"
    assert second.time_limit_days == 12 and [m.name for m in second.materials.all()][-1] == "银行卡"
    first.refresh_from_db()
    assert first.time_limit_days == 15 and first.materials.count() == 2
    # The eligibility rule and outreach role, edited elsewhere, are left as they were.
    assert second.eligibility == first.eligibility and second.outreach_role == "community_worker"
    history = html(admin.get(reverse("services:catalogue_item_versions", args=[illness.pk])))
    assert "Version 2" in history and "Version 1" in history
    assert "承诺时限缩短为12个工作日" in history
    assert "Material added" in history and "银行卡" in history
    assert "The first version." in history
    assert re.search(r"15</span>\s*</td>\s*<td[^>]*>12<", history)  # time limit before → after
    assert TimelineEvent.objects.filter(object_id=illness.pk, verb="revised").count() == 1


def test_a_material_marked_to_bring_in_person_makes_a_version_that_says_so(admin, illness):
    """A photo from the resident's phone will not do for it: the catalogue says so, the public
    page shows it, and the version history names the change."""
    url = reverse("services:catalogue_item_edit", args=[illness.pk])
    materials = [
        (m.name, m.note, m.required, m.name == "大病证明") for m in illness.current.materials.all()
    ]
    response = admin.post(
        url, _edit_post(illness, materials=materials, note="大病证明须带原件核验")
    )
    assert response.status_code == 302
    illness.refresh_from_db()
    marked = {m.name: m.in_person for m in illness.current.materials.all()}
    assert marked["大病证明"] is True and not any(v for k, v in marked.items() if k != "大病证明")
    assert 'name="materials-0-in_person"' in html(admin.get(url))
    history = html(admin.get(reverse("services:catalogue_item_versions", args=[illness.pk])))
    assert "Material changed" in history and "(bring in person)" in history
    public = html(client_for().get(reverse("services:catalogue_item", args=[illness.pk])))
    assert "bring in person" in public


def test_edit_page_shows_eligibility_read_only(admin, illness):
    page = html(admin.get(reverse("services:catalogue_item_edit", args=[illness.pk])))
    assert "Proactive outreach" in page and "脑血栓" in page
    assert 'name="eligibility"' not in page and 'name="outreach_role"' not in page


def test_edit_requires_a_note_on_what_changed(admin, illness):
    before = _state()
    response = admin.post(
        reverse("services:catalogue_item_edit", args=[illness.pk]),
        _edit_post(illness, name="大病医疗救助"),
    )
    assert response.status_code == 400
    assert _state() == before


def test_an_edit_that_changes_nothing_makes_no_version(admin, illness):
    before = _state()
    response = admin.post(
        reverse("services:catalogue_item_edit", args=[illness.pk]), _edit_post(illness, note="没改")
    )
    assert response.status_code == 400
    assert "Nothing has changed" in html(response)
    assert _state() == before


def test_a_stale_edit_is_refused(admin, illness):
    stale = _edit_post(illness, name="大病医疗救助", note="改名")
    catalogue.item_revise(actor=None, item=illness, time_limit_days=14, note="别人先改了")
    before = _state()
    response = admin.post(reverse("services:catalogue_item_edit", args=[illness.pk]), stale)
    assert response.status_code == 409
    assert "Someone else changed this record" in html(response)
    assert _state() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": []}, "A proxy item needs a route"),
        (
            {"steps": [("社区受理", "hall", "", 1), ("区民政局审批", "department", "", 5)]},
            "goes to a department: name the department",
        ),
        (
            {"steps": [("社区受理", "hall", "", 6), ("街道审核", "street", "", 10)]},
            "The steps take 16 working days together, more than the promised 15",
        ),
        (
            {"mode": "guided", "steps": [("社区受理", "hall", "", 1)]},
            "Only a proxy item has a route",
        ),
        ({"steps": [("社区受理", "", "", 1)]}, "Every step needs this."),
        ({"materials": [("户口簿", "", True), ("户口簿", "", True)]}, "is listed twice"),
        ({"time_limit_days": "-1"}, "greater than or equal to 0"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_edits_are_refused_with_a_clear_message_and_change_nothing(
    admin, illness, changes, message
):
    before = _state()
    response = admin.post(
        reverse("services:catalogue_item_edit", args=[illness.pk]),
        _edit_post(illness, note="试改", **changes),
    )
    assert response.status_code == 400
    assert message in html(response)
    assert _state() == before


def test_bad_create_is_refused_and_changes_nothing(admin, cat, illness, departments):
    url = reverse("services:catalogue_item_create")
    base = {"category": cat["relief"].pk, "sort_order": 10, "name": "新事项"}
    cases = [
        ({"code": "N-1", "mode": "proxy", "time_limit_days": 5}, "A proxy item needs a route"),
        (
            {
                "code": "N-2",
                "mode": "proxy",
                "time_limit_days": 5,
                "steps": [("区民政局审批", "department", "", 3)],
            },
            "name the department",
        ),
        (
            {
                "code": "N-3",
                "mode": "proxy",
                "time_limit_days": 2,
                "steps": [("区民政局审批", "department", departments["民政局"].pk, 3)],
            },
            "more than the promised 2",
        ),
        (
            {"code": "MZ-04", "mode": "on_the_spot", "time_limit_days": 0},
            "Service item with this Item code already exists.",
        ),
    ]
    for fields, message in cases:
        before = _state()
        response = admin.post(url, item_post(**base, **fields))
        assert response.status_code == 400, fields
        assert message in html(response), fields
        assert _state() == before, fields


def test_tampered_row_counts_are_refused(admin, cat):
    before = _state()
    data = item_post(
        code="T-1",
        name="篡改",
        category=cat["relief"].pk,
        mode="guided",
        time_limit_days=0,
        sort_order=1,
    )
    data["materials-TOTAL_FORMS"] = "100000"
    response = admin.post(reverse("services:catalogue_item_create"), data)
    assert response.status_code == 400
    del data["steps-TOTAL_FORMS"]
    data["materials-TOTAL_FORMS"] = "0"
    assert admin.post(reverse("services:catalogue_item_create"), data).status_code == 400
    assert (
        admin.post(reverse("services:catalogue_item_create"), {**data, "op": "bogus"}).status_code
        == 400
    )
    assert _state() == before


def test_row_buttons_add_move_and_remove_rows_without_saving(admin, illness):
    url = reverse("services:catalogue_item_edit", args=[illness.pk])
    data = _edit_post(illness, name="改了但未保存", note="草稿")
    before = _state()
    page = html(admin.post(url, {**data, "op": "material-down-0"}))
    # 户口簿 now comes first, the typed name and note stay, nothing was saved.
    assert page.index('value="户口簿"') < page.index('value="大病证明"')
    assert 'value="改了但未保存"' in page and 'value="草稿"' in page
    page = html(admin.post(url, {**data, "op": "step-remove-1"}))
    assert 'value="街道审核"' not in page and 'value="社区受理"' in page
    page = html(admin.post(url, {**data, "op": "step-up-3"}))
    assert page.index('value="区民政局审批"') < page.index('value="区卫健局大病证明核验"')
    page = html(admin.post(url, {**data, "op": "material-add"}))
    assert 'name="materials-TOTAL_FORMS" value="3"' in page
    assert _state() == before


def test_rows_left_blank_are_ignored(admin, cat):
    response = admin.post(
        reverse("services:catalogue_item_create"),
        item_post(
            code="G-1",
            name="法律援助申请",
            category=cat["general"].pk,
            mode="guided",
            time_limit_days=0,
            sort_order=1,
            materials=[("", "", True), ("居民身份证", "", True), ("", "", False)],
            steps=[("", "", "", "")],
        ),
    )
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="G-1")
    assert [m.name for m in item.current.materials.all()] == ["居民身份证"]
    assert not item.current.route.exists()


def test_withdraw_and_offer_again(admin, illness):
    url = reverse("services:catalogue_item_offer", args=[illness.pk])
    assert admin.post(url, {"offered": "0"}).status_code == 302
    illness.refresh_from_db()
    assert not illness.active
    manage = html(admin.get(reverse("services:catalogue_manage")))
    assert "大病救助" in manage and "Withdrawn" in manage
    assert admin.post(url, {"offered": "1"}).status_code == 302
    illness.refresh_from_db()
    assert illness.active
    assert admin.post(url, {"offered": "maybe"}).status_code == 400
    assert admin.get(url).status_code == 405
    verbs = list(
        TimelineEvent.objects.filter(object_id=illness.pk, verb__in=["withdrawn", "offered"])
        .order_by("at", "pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["withdrawn", "offered"]


def test_manage_list_filters_and_costs_a_fixed_number_of_queries(admin, illness, residence, cat):
    url = reverse("services:catalogue_manage")
    page = html(admin.get(url, {"mode": "proxy"}))
    assert "大病救助" in page and "居住证明开具" not in page
    page = html(admin.get(url, {"q": "zh-08"}))
    assert "居住证明开具" in page and "大病救助" not in page
    page = html(admin.get(url, {"category": str(cat["relief"].pk)}))
    assert "大病救助" in page and "居住证明开具" not in page
    page = html(admin.get(url, {"category": "nonsense", "mode": "x", "offered": "y"}))
    assert "大病救助" in page and "居住证明开具" in page
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    for n in range(5):
        catalogue.item_create(
            actor=None,
            code=f"Y-{n}",
            name=f"事项{n}",
            category=cat["general"],
            mode="guided",
            time_limit_days=0,
        )
    with CaptureQueriesContext(connection) as many:
        admin.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- categories ----------------------------------------------------------------------------------


def test_admin_creates_and_renames_a_category(admin, cat, illness):
    response = admin.post(
        reverse("services:catalogue_category_create"),
        {"name": "计生卫健类", "description": "生育登记等", "sort_order": 15},
    )
    assert response.status_code == 302
    created = ServiceCategory.objects.get(name="计生卫健类")
    url = reverse("services:catalogue_category_edit", args=[cat["relief"].pk])
    assert admin.post(url, {"name": "社会救助类", "sort_order": 5}).status_code == 302
    cat["relief"].refresh_from_db()
    assert cat["relief"].name == "社会救助类"
    listing = html(admin.get(reverse("services:catalogue_category_list")))
    listing = listing[listing.index("<tbody>") :]  # past the "saved" messages
    assert listing.index("社会救助类") < listing.index("计生卫健类") < listing.index("综合便民类")
    assert AuditRecord.objects.filter(object_id=str(created.pk), action="create").exists()
    assert AuditRecord.objects.filter(object_id=str(cat["relief"].pk), action="update").exists()


def test_duplicate_category_name_is_refused(admin, cat):
    before = _state()
    response = admin.post(
        reverse("services:catalogue_category_create"), {"name": "综合便民类", "sort_order": 1}
    )
    assert response.status_code == 400
    assert "already exists" in html(response)
    url = reverse("services:catalogue_category_edit", args=[cat["relief"].pk])
    assert admin.post(url, {"name": "综合便民类", "sort_order": 1}).status_code == 400
    assert _state() == before


def test_item_page_links_to_the_eligibility_editor(admin, illness):
    page = html(admin.get(reverse("services:catalogue_item_manage", args=[illness.pk])))
    assert reverse("services:outreach_eligibility", args=[illness.pk]) in page
    assert "Sought out when" in page and "Community worker" in page
