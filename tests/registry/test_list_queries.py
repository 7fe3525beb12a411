"""The household list: a fixed number of queries whatever the number of households (held to
100 ms with the demo district loaded by bench/list_pages.py), and its count read through the
scope's set of areas — a community's households, not a pass over the district's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.registry import services
from linli.registry.models import Household

from .. import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def _households(village, numbers: range, tag) -> None:
    for i in numbers:
        household = f.household(village, f"Q{i:04d}", head_name=f"钱{i}")
        if i % 3 == 0:
            services.household_update(actor=None, household=household, tags=[(tag, "")])


def _page(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


# The session, its user, the user's grants; the working area, the areas the switcher and the
# area filter offer, the tag vocabulary, the area the list is narrowed to; the count and the
# page; the tags and the number of members of the page's households. The whole district also
# asks which areas are the tops of the tree, for its scope and for the area filter: neither
# then needs a test on the area.
HOUSEHOLD_LIST = {"community_worker": 11, "district_leader": 13}


@pytest.mark.parametrize("who", sorted(HOUSEHOLD_LIST))
def test_household_list_costs_the_same_queries_at_few_and_many_households(world, who):
    tag = f.tag("困难户", "household", sensitive=True)
    client, url = _client(world.users[who]), reverse("registry:household_list")
    _households(world.villages[0], range(3), tag)
    client.get(url)  # the first request of a session also writes the session
    queries, few = _page(client, url)
    assert queries == HOUSEHOLD_LIST[who]
    _households(world.villages[0], range(3, 60), tag)
    queries, many = _page(client, url)
    assert queries == HOUSEHOLD_LIST[who]
    assert 0 < few.count("Q0") < many.count("Q0")


def test_a_scoped_count_reads_the_areas_of_the_scope(world):
    """On SQLite the restriction names the areas under the scope (one look into the area
    tree's path index), so that a count starts from them rather than from every household
    there is; PostgreSQL joins the area and tests its path."""
    user = world.users["community_worker"]
    with CaptureQueriesContext(connection) as queries:
        count = Household.objects.restrict(user, "view").count()
    assert count == Household.objects.filter(area__path__startswith=_scope(user)).count() > 0
    (sql,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    if connection.vendor == "sqlite":
        assert '"registry_household"."area_id" IN (SELECT' in sql and "JOIN" not in sql
    else:
        assert 'JOIN "core_area"' in sql and "LIKE" in sql


def _scope(user) -> str:
    (path,) = user.scope_paths("registry.view")
    return path
