"""The five links pages: contact assignments (list, one, several at once, end), the gap list
and the visit policies — steps, bad input refused with nothing written, scope and roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.registry import services as registry_services
from linli.visits import services
from linli.visits.models import ContactAssignment, VisitPolicy

from .. import factories as f
from ..hall import app_helpers as h
from .test_pages import build, html


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _post(kind: str, area, name: str):
    return registry_services.post_create(
        actor=None, holder_name=name, kind=kind, area=area, starts_on=dt.date(2024, 1, 1)
    )


def build_links(world):
    """The visits pages' district (`test_pages.build`) with party members, posts of the
    district leader, a first secretary and a village secretary, and the education bureau."""
    v = build(world)
    w = v.world
    party = f.tag("党员", "resident")
    central = f.tag("党员中心户", "household")
    v.recent.tag_links.create(tag=central)
    member = registry_services.resident_create(
        actor=None,
        household=v.never,
        name="党员丁",
        id_number=f.make_id_number(),
        relation="spouse",
        tags=[(party, "")],
    )
    v.party_member = member
    v.leader_post = _post("district_leader", w.district, "区长甲")
    v.cadre_post = _post("first_secretary", w.communities[0], "第一书记乙")
    v.village_post = _post("village_branch_secretary", w.villages[0], "村书记丙")
    v.far_post = _post("first_secretary", w.communities[2], "第一书记远")
    v.department = v.hall.departments["education"]
    return v


SHARED = {"links": build_links}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def links(shared):
    return shared("links")


@pytest.fixture
def clients(links):
    return {key: h.client_for(user) for key, user in links.users.items()}


def _assign(links, **extra):
    data = {
        "actor": None,
        "level": 3,
        "contact": links.cadre_post,
        "target": links.world.villages[0],
        "starts_on": dt.date(2025, 1, 1),
    }
    data.update(extra)
    return services.assignment_create(**data)


def _neighbour(links):
    """A central household's link to its neighbour, inside the grid worker's grid."""
    return services.assignment_create(
        actor=None,
        level=5,
        contact=links.recent,
        target=links.long_ago,
        starts_on=dt.date(2025, 1, 1),
    )


# --- the list -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["village_cadre", "community_worker", "street_cadre", "district_leader"]
)
def test_assignment_list_renders_for_those_who_see_visits(links, clients, role):
    _assign(links)
    page = html(clients[role].get(reverse("visits:assignment_list")))
    assert "第一书记乙" in page


def test_assignment_list_filters_and_scope(links, clients):
    _assign(links)
    url = reverse("visits:assignment_list")
    assert "第一书记乙" not in html(clients["community_worker"].get(url, {"level": "5"}))
    assert "第一书记乙" in html(clients["community_worker"].get(url, {"contact": "第一书记"}))
    assert "第一书记乙" not in html(clients["far_worker"].get(url))
    assert clients["administrator"].get(url).status_code == 403
    # The grid worker sees the village's link? No: it is above the grid. A central household's
    # link inside the grid it sees, but ending it is offered only to those who assign.
    assert "第一书记乙" not in html(clients["grid_worker"].get(url))
    _neighbour(links)
    assert "/end/" in html(clients["community_worker"].get(url, {"level": "5"}))
    worker = html(clients["grid_worker"].get(url, {"level": "5"}))
    assert links.long_ago.number in worker and "/end/" not in worker


# --- making assignments -------------------------------------------------------------------


def test_assignment_create_goes_level_contact_target(links, clients):
    url = reverse("visits:assignment_create")
    client = clients["community_worker"]
    first = html(client.get(url))
    assert "Street or community cadre → village" in first
    contacts = html(client.get(url, {"level": 3}))
    assert "第一书记乙" in contacts and "第一书记远" not in contacts
    key = f"post:{links.cadre_post.pk}"
    step = html(client.get(url, {"level": 3, "contact": key}))
    village = links.world.villages[0]
    assert f"area:{village.pk}" in step and links.world.villages[4].name not in step
    response = client.post(
        url + f"?level=3&contact={key}",
        {
            "level": 3,
            "contact": key,
            "target": f"area:{village.pk}",
            "starts_on": "2026-01-01",
            "note": "包村",
        },
    )
    assert response.status_code == 302
    made = ContactAssignment.objects.get()
    assert made.level == 3 and made.area == village and made.contact_post == links.cadre_post


def test_assignment_bulk_gives_a_central_household_its_neighbours(links, clients):
    url = reverse("visits:assignment_bulk")
    client = clients["village_cadre"]
    key = f"household:{links.recent.pk}"
    assert key in html(client.get(url, {"level": 5}))
    step = html(client.get(url, {"level": 5, "contact": key}))
    assert f"household:{links.long_ago.pk}" in step and f"household:{links.never.pk}" in step
    assert f'name="targets" value="household:{links.recent.pk}"' not in step
    assert f'name="targets" value="household:{links.far.pk}"' not in step
    response = client.post(
        url + f"?level=5&contact={key}",
        {
            "level": 5,
            "contact": key,
            "targets": [f"household:{links.long_ago.pk}", f"household:{links.never.pk}"],
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 302
    assert set(ContactAssignment.objects.values_list("household_id", flat=True)) == {
        links.long_ago.pk,
        links.never.pk,
    }


def test_assignment_of_a_party_member_by_a_village_cadre(links, clients):
    url = reverse("visits:assignment_create")
    key = f"post:{links.village_post.pk}"
    step = html(clients["village_cadre"].get(url, {"level": 4, "contact": key}))
    assert f"resident:{links.party_member.pk}" in step
    response = clients["village_cadre"].post(
        url + f"?level=4&contact={key}",
        {
            "level": 4,
            "contact": key,
            "target": f"resident:{links.party_member.pk}",
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 302
    assert ContactAssignment.objects.get().resident == links.party_member


def _bad_bodies(links) -> list[dict]:
    key = f"post:{links.cadre_post.pk}"
    village = f"area:{links.world.villages[0].pk}"
    far_village = f"area:{links.world.villages[4].pk}"
    base = {"level": 3, "contact": key, "target": village, "starts_on": "2026-01-01"}
    return [
        {**base, "target": ""},
        {**base, "target": far_village},
        {**base, "contact": f"post:{links.far_post.pk}"},
        {**base, "contact": "post:abc"},
        {**base, "starts_on": "soon"},
        {**base, "ends_on": "2025-01-01"},
        {**base, "level": 9},
    ]


@pytest.mark.parametrize("index", range(7))
def test_assignment_create_refuses_bad_input(links, clients, index):
    body = _bad_bodies(links)[index]
    url = reverse("visits:assignment_create") + f"?level=3&contact={body['contact']}"
    response = clients["community_worker"].post(url, body)
    assert response.status_code == 400
    assert "alert-danger" in html(response)
    assert not ContactAssignment.objects.exists()


def test_assignment_duplicate_is_refused(links, clients):
    _assign(links, starts_on=dt.date(2026, 1, 1))
    key = f"post:{links.cadre_post.pk}"
    response = clients["community_worker"].post(
        reverse("visits:assignment_create") + f"?level=3&contact={key}",
        {
            "level": 3,
            "contact": key,
            "target": f"area:{links.world.villages[0].pk}",
            "starts_on": "2026-02-01",
        },
    )
    assert response.status_code == 400
    assert ContactAssignment.objects.count() == 1


def test_assignment_bulk_with_no_target_ticked_writes_nothing(links, clients):
    key = f"household:{links.recent.pk}"
    response = clients["village_cadre"].post(
        reverse("visits:assignment_bulk") + f"?level=5&contact={key}",
        {"level": 5, "contact": key, "starts_on": "2026-01-01"},
    )
    assert response.status_code == 400 and "Tick at least one target." in html(response)
    assert not ContactAssignment.objects.exists()


@pytest.mark.parametrize("role", ["grid_worker", "administrator", "resident"])
def test_assignment_pages_are_refused_to_those_who_do_not_assign(clients, role):
    for name in ("visits:assignment_create", "visits:assignment_bulk"):
        assert clients[role].get(reverse(name)).status_code == 403
        assert clients[role].post(reverse(name), {"level": 3}).status_code == 403


# --- ending -------------------------------------------------------------------------------


def test_assignment_end(links, clients):
    made = _assign(links)
    url = reverse("visits:assignment_end", args=[made.pk])
    assert clients["grid_worker"].get(url).status_code == 404  # the village is above the grid
    in_grid = reverse("visits:assignment_end", args=[_neighbour(links).pk])
    assert clients["grid_worker"].get(in_grid).status_code == 403  # sees, may not assign
    assert clients["far_worker"].get(url).status_code == 404
    bad = clients["community_worker"].post(url, {"ends_on": "", "version": made.version})
    assert bad.status_code == 400
    before_start = clients["community_worker"].post(
        url, {"ends_on": "2024-06-01", "version": made.version}
    )
    assert before_start.status_code == 400
    made.refresh_from_db()
    assert made.ends_on is None
    done = clients["community_worker"].post(url, {"ends_on": "2026-03-31", "version": made.version})
    assert done.status_code == 302
    made.refresh_from_db()
    assert made.ends_on == dt.date(2026, 3, 31)


# --- gaps ---------------------------------------------------------------------------------


def test_gap_list_counts_and_lists_per_level(links, clients):
    _assign(links)
    url = reverse("visits:gap_list")
    client = clients["community_worker"]
    page = html(client.get(url))
    assert 'data-testid="gap-counts"' in page
    villages = html(client.get(url, {"level": 3}))
    assert links.world.villages[1].name in villages
    # A level's own page names its count and links the other levels instead of counting them.
    assert 'data-testid="gap-counts"' not in villages
    assert 'data-testid="gap-levels"' in villages and 'aria-current="page"' in villages
    listed = [line for line in villages.splitlines() if 'data-testid="gap"' in line]
    assert all(links.world.villages[0].name not in line for line in listed)
    households = html(client.get(url, {"level": 5}))
    assert links.long_ago.number in households
    assert clients["administrator"].get(url).status_code == 403
    far = html(clients["far_worker"].get(url, {"level": 3}))
    assert links.world.villages[1].name not in far


# --- policies -----------------------------------------------------------------------------


def test_policies_are_the_administrators(links, clients):
    url = reverse("visits:policy_list")
    assert clients["administrator"].get(url).status_code == 200
    for role in ("grid_worker", "district_leader", "auditor", "resident"):
        assert clients[role].get(url).status_code == 403
        assert clients[role].get(reverse("visits:policy_create")).status_code == 403


def test_policy_create_and_edit(links, clients):
    poor = f.tag("困难户", "household")
    client = clients["administrator"]
    response = client.post(
        reverse("visits:policy_create"),
        {"tag": poor.pk, "every": 1, "unit": "month", "active": "on"},
    )
    assert response.status_code == 302
    policy = VisitPolicy.objects.get(tag=poor)
    assert (policy.every, policy.unit, policy.active) == (1, "month", True)
    assert "困难户" in html(client.get(reverse("visits:policy_list")))
    edit = reverse("visits:policy_edit", args=[policy.pk])
    assert 'value="1"' in html(client.get(edit))
    changed = client.post(
        edit, {"tag": poor.pk, "every": 2, "unit": "week", "active": "on", "version": 1}
    )
    assert changed.status_code == 302
    policy.refresh_from_db()
    assert (policy.every, policy.unit) == (2, "week")
    assert client.get(reverse("visits:policy_edit", args=[99999])).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"every": 0, "unit": "month", "tag": "POOR"},
        {"every": "", "unit": "month", "tag": "POOR"},
        {"every": 1, "unit": "year", "tag": "POOR"},
        {"every": 1, "unit": "month", "tag": "99999"},
        {"every": 1, "unit": "month", "tag": ""},
        {"every": 1, "unit": "month", "tag": "POOR", "is_default": "on"},
    ],
)
def test_policy_form_refuses_bad_input(links, clients, body):
    poor = f.tag("困难户", "household")
    body = {k: (str(poor.pk) if val == "POOR" else val) for k, val in body.items()}
    count = VisitPolicy.objects.count()
    response = clients["administrator"].post(reverse("visits:policy_create"), body)
    assert response.status_code == 400
    assert VisitPolicy.objects.count() == count


def _queries(client, url, **params) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def _neighbours(links, numbers: range) -> None:
    for i in numbers:
        target = f.household(links.world.grids[0], f"H3{i:04d}", head_name=f"邻{i}")
        services.assignment_create(
            actor=None, level=5, contact=links.recent, target=target, starts_on=dt.date(2025, 1, 1)
        )


@pytest.mark.parametrize(
    ("url_name", "params"),
    [("visits:assignment_list", {}), ("visits:gap_list", {"level": "5"})],
)
def test_link_lists_cost_the_same_at_few_and_many_rows(links, clients, url_name, params):
    client, url = clients["community_worker"], reverse(url_name)
    _neighbours(links, range(2))
    _queries(client, url, **params)  # the first request also fills per-process caches
    few = _queries(client, url, **params)
    _neighbours(links, range(2, 14))
    for i in range(12):  # and as many households without a contact, for the gap list
        f.household(links.world.grids[0], f"H4{i:04d}", head_name=f"空{i}")
    assert _queries(client, url, **params) == few
