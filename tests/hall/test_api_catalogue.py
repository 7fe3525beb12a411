"""The public catalogue 服务清单 through the JSON API: anyone may read it without a token;
items on offer with their category, mode, promised days, materials and route; withdrawn or
unknown items are 404; filters and bad input; a fixed number of queries at 3 and 30 items."""

from __future__ import annotations

import pytest

from linli.accounts.services import api_token_issue
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.hall.models import ServiceCategory
from tests.api.conftest import ApiClient, error_fields

from . import app_helpers as h

SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


@pytest.fixture
def anonymous(client):
    return ApiClient(client)


def test_anyone_reads_the_catalogue_in_order(hall, anonymous):
    response = anonymous.get("/api/catalogue")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 4
    assert [i["code"] for i in data["items"]] == ["JY-ZX", "MZ-DB", "ZM-JZ", "ZM-LH"]
    assert [i["category"]["name"] for i in data["items"]] == ["社会救助类"] * 2 + ["证明开具类"] * 2
    illness = next(i for i in data["items"] if i["code"] == "MZ-DB")
    assert illness["name"] == "大病救助" and illness["id"] == hall.items.illness.pk
    assert illness["mode"] == "proxy"
    assert illness["mode_label"] == "Carried through the offices for the resident"
    assert illness["promised_days"] == 15 and illness["online"] is False
    assert illness["version"] == 1
    assert [m["name"] for m in illness["materials"]] == list(h.ILLNESS_MATERIALS)
    assert illness["materials"][2] == {
        "name": "大病证明",
        "required": True,
        "note": "",
        "in_person": False,
    }
    route = illness["route"]
    assert [(s["order"], s["name"], s["office_kind"]) for s in route] == [
        (i, name, kind) for i, (name, kind, _d, _days) in enumerate(h.ILLNESS_ROUTE, start=1)
    ]
    assert route[0]["department"] is None and route[0]["office_kind_label"] == (
        "Community service hall"
    )
    health = hall.departments["health"]
    assert route[2]["department"] == {"id": health.pk, "name": "峡山区卫健局"}
    assert [s["time_limit_days"] for s in route] == [1, 3, 4, 5]
    loan = next(i for i in data["items"] if i["code"] == "JY-ZX")
    assert loan["online"] is True
    assert loan["materials"][2] == {
        "name": "照片",
        "required": False,
        "note": "",
        "in_person": False,
    }
    spot = next(i for i in data["items"] if i["code"] == "ZM-JZ")
    assert spot["route"] == [] and spot["promised_days"] == 0


def test_a_token_or_a_session_may_read_it_too(hall, client):
    _, key = api_token_issue(actor=None, user=hall.users["health_staff"], name="t")
    assert ApiClient(client, key).get("/api/catalogue").json()["count"] == 4
    client.force_login(hall.users["resident"], backend=h.BACKEND)
    assert client.get("/api/catalogue/categories").status_code == 200


def test_filters(hall, anonymous):
    def codes(**query):
        response = anonymous.get("/api/catalogue", query)
        assert response.status_code == 200, response.content
        return [i["code"] for i in response.json()["items"]]

    assert codes(mode="proxy") == ["JY-ZX", "MZ-DB"]
    assert codes(online="true") == ["JY-ZX", "ZM-JZ"]
    assert codes(online="false") == ["MZ-DB", "ZM-LH"]
    assert codes(category=hall.items.category.pk, mode="proxy", online="false") == ["MZ-DB"]
    assert codes(q="大病") == ["MZ-DB"]
    assert codes(q="zm-") == ["ZM-JZ", "ZM-LH"]
    assert codes(category=987654321) == []
    first = anonymous.get("/api/catalogue", {"limit": 1, "offset": 1}).json()
    assert first["count"] == 4 and [i["code"] for i in first["items"]] == ["MZ-DB"]


def test_bad_filters_are_field_errors(hall, anonymous):
    for query, field in (
        ({"mode": "fast"}, "mode"),
        ({"online": "perhaps"}, "online"),
        ({"category": 0}, "category"),
        ({"limit": 201}, "limit"),
        ({"q": "a\x00b"}, "q"),
    ):
        response = anonymous.get("/api/catalogue", query)
        assert response.status_code == 422, query
        assert field in error_fields(response), (query, response.json())


def test_categories(hall, anonymous):
    ServiceCategory.objects.create(name="空类别", sort_order=9)  # nothing offered: left out
    data = anonymous.get("/api/catalogue/categories").json()
    assert data["count"] == 2
    assert [(c["name"], c["item_count"]) for c in data["items"]] == [
        ("社会救助类", 2),
        ("证明开具类", 2),
    ]


def test_one_item_and_404_for_withdrawn_or_unknown(hall, anonymous):
    item = hall.items.guidance
    response = anonymous.get(f"/api/catalogue/{item.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "新生儿落户指导" and response.json()["mode"] == "guided"
    catalogue.item_set_offered(actor=None, item=item, offered=False)
    withdrawn = anonymous.get(f"/api/catalogue/{item.pk}")
    unknown = anonymous.get("/api/catalogue/987654321")
    assert withdrawn.status_code == unknown.status_code == 404
    assert withdrawn.json() == unknown.json()
    assert item.code not in {i["code"] for i in anonymous.get("/api/catalogue").json()["items"]}
    assert anonymous.get("/api/catalogue/0").status_code == 422
    assert anonymous.get("/api/catalogue/abc").status_code == 422


def test_a_revised_item_shows_its_current_version(hall, anonymous):
    item = hall.items.guidance
    catalogue.item_revise(
        actor=None,
        item=item,
        time_limit_days=3,
        materials=[MaterialSpec("出生医学证明"), MaterialSpec("户口本")],
        note="加户口本",
    )
    data = anonymous.get(f"/api/catalogue/{item.pk}").json()
    assert data["version"] == 2 and data["promised_days"] == 3
    assert [m["name"] for m in data["materials"]] == ["出生医学证明", "户口本"]


# --- a fixed number of queries ------------------------------------------------------------


def _add_items(category, department, n: int, start: int) -> None:
    for i in range(start, start + n):
        catalogue.item_create(
            actor=None,
            code=f"T-{i:03d}",
            name=f"测试事项{i}",
            category=category,
            mode="proxy",
            time_limit_days=5,
            materials=[MaterialSpec("身份证"), MaterialSpec("户口本")],
            route=[StepSpec("社区受理", "hall", 1), StepSpec("审批", "department", 4, department)],
        )


# The offered items with their versions and categories, their materials, their routes.
CATALOGUE_QUERIES = 3


def test_catalogue_costs_the_same_at_3_and_30_items(world, anonymous, django_assert_num_queries):
    hall = h.build_hall(world)
    category = ServiceCategory.objects.create(name="测试类", sort_order=5)
    catalogue.item_set_offered(actor=None, item=hall.items.guidance, offered=False)
    for item in (hall.items.illness, hall.items.loan, hall.items.residence):
        catalogue.item_set_offered(actor=None, item=item, offered=False)
    department = hall.departments["civil"]
    _add_items(category, department, 3, 0)
    with django_assert_num_queries(CATALOGUE_QUERIES):
        small = anonymous.get("/api/catalogue", {"limit": 200}).json()
    _add_items(category, department, 27, 3)
    with django_assert_num_queries(CATALOGUE_QUERIES):
        large = anonymous.get("/api/catalogue", {"limit": 200}).json()
    assert small["count"] == 3 and large["count"] == len(large["items"]) == 30
    assert all(len(i["route"]) == 2 and len(i["materials"]) == 2 for i in large["items"])
