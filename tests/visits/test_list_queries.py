"""The gap list of level 5 and the contact assignments: a fixed number of queries whatever the
number of households (bench/list_pages.py holds them to 100 ms with the demo district loaded),
the gap list paged from one pass over the households, the assignments in their order."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core.pagination import page_of_all_ids
from linli.registry import services as registry_services
from linli.visits import selectors, services

from .. import factories as f
from ..hall import app_helpers as h
from .test_pages import build


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def v(world):
    """The visits pages' district; its household H10001 is a party-member central household."""
    built = build(world)
    built.recent.tag_links.create(tag=f.tag("党员中心户", "household"))
    return built


def _households(v, numbers: range, *, linked: bool) -> None:
    """Households in the grid worker's grid: each with a central household keeping in touch
    (`linked`), or none (a gap)."""
    for i in numbers:
        household = f.household(v.world.grids[0], f"G{i:04d}", head_name=f"龚{i}")
        if linked:
            services.assignment_create(
                actor=None,
                level=5,
                contact=v.recent,
                target=household,
                starts_on=dt.date(2025, 1, 1),
            )


def _page(client, url: str, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


# The session, its user, the user's grants; the areas the area filter and the switcher offer;
# every gap's id in one pass, then the page's households. The whole district asks which areas
# are the tops of the tree, for its scope and for the area it works in: neither then needs a
# test on the area.
GAP_LIST = {"community_worker": 6, "district_leader": 8}


@pytest.mark.parametrize("who", sorted(GAP_LIST))
def test_gap_list_of_households_costs_the_same_queries_at_few_and_many(v, who):
    client, url = h.client_for(v.users[who]), reverse("visits:gap_list")
    _households(v, range(2), linked=True)
    _households(v, range(2, 4), linked=False)
    client.get(url, {"level": 5})  # the first request also fills per-process caches
    queries, few = _page(client, url, level=5)
    assert queries == GAP_LIST[who]
    _households(v, range(4, 20), linked=True)
    _households(v, range(20, 80), linked=False)
    queries, many = _page(client, url, level=5)
    assert queries == GAP_LIST[who]
    assert 0 < few.count('data-testid="gap"') < many.count('data-testid="gap"') == 50


def test_gap_list_pages_through_every_gap_once(v):
    _households(v, range(0, 30), linked=True)
    _households(v, range(30, 90), linked=False)
    client, url = h.client_for(v.users["community_worker"]), reverse("visits:gap_list")
    pages = [_page(client, url, level=5, page=n)[1] for n in (1, 2)]
    # Whole words: a CSRF token or a nonce on the page may hold "G" and four digits by chance.
    numbers = [re.findall(r"(?<![A-Za-z0-9])G\d{4}(?![A-Za-z0-9])", page) for page in pages]
    gaps = selectors.gap_list(user=v.users["community_worker"], level=5)
    assert len(numbers[0]) == 50 and numbers[0] + numbers[1] == [
        h.number for h in gaps if h.number.startswith("G")
    ]
    assert not set(numbers[0] + numbers[1]) & {f"G{i:04d}" for i in range(30)}
    assert "G0030" in numbers[0] and "G0089" in numbers[1]
    assert f"{gaps.count()} targets without a contact" in pages[0]


def test_page_of_all_ids_gives_the_nearest_page_and_counts_them_all(v):
    _households(v, range(0, 12), linked=False)
    gaps = selectors.gap_list(user=v.users["district_leader"], level=5)
    page = page_of_all_ids(gaps, 5, "99")
    assert page.paginator.count == gaps.count() and page.number == page.paginator.num_pages
    assert [h.pk for h in page.object_list] == list(gaps.values_list("pk", flat=True))[
        (page.number - 1) * 5 :
    ]
    assert page_of_all_ids(gaps, 5, "x").number == 1


def test_assignments_by_level_then_by_the_place_of_the_one_contacted(v):
    """Within a level, by the path of the area of the one contacted, not by when they were
    assigned: a later village of the first community comes before the second community's."""
    w = v.world
    cadre = v.hall.users["street_cadre"]
    later = w.villages[2]  # 营辉社区 (the second community of the first street)
    first = w.villages[0]  # 文岭社区
    assert later.path > first.path
    contact = registry_services.post_create(
        actor=None,
        holder_name="驻村干部",
        kind="civil_servant",
        area=w.streets[0],
        starts_on=dt.date(2024, 1, 1),
    )
    for village in (later, first):
        services.assignment_create(
            actor=None, level=3, contact=contact, target=village, starts_on=dt.date(2025, 1, 1)
        )
    rows = [(a.level, a.scope_area.path) for a in selectors.assignment_list(user=cadre)]
    assert rows == sorted(rows)
    assert [p for level, p in rows if level == 3] == [first.path, later.path]
