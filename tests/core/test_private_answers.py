"""What a signed-in user is sent carries personal data, so no cache may keep it: every answer to
a user signed in by session or by API token says `Cache-Control: no-store, private` — pages,
API records, exports, even a refusal — unless the view chose its own. What anyone may read
(the public catalogue, the login page) keeps its own caching."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api import conftest as api_helpers
from tests.hall import app_helpers as h

NO_STORE = "no-store, private"
api_as = api_helpers.api_as  # the API tests' fixture: a client with a user's fresh token


@pytest.fixture
def worker(client, world):
    user = world.users["community_worker"]
    client.force_login(user)
    return user


def test_the_household_page_is_not_stored(client, world, worker):
    household = world.households[0]
    response = client.get(reverse("registry:household_detail", args=[household.pk]))
    assert response.status_code == 200
    assert household.head.name in response.content.decode()
    assert response["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("name", ["registry:resident_list", "registry:resident_edit"])
def test_the_resident_pages_are_not_stored(client, world, worker, name):
    person = world.households[0].head
    args = [person.pk] if name.endswith("edit") else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert person.name in response.content.decode()
    assert response["Cache-Control"] == NO_STORE


def test_the_registry_export_is_not_stored(client, world, worker):
    response = client.get(reverse("registry:export"), {"area": world.villages[0].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # Downloads set their own, stricter header (never_cache); it must still forbid storing.
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


def test_a_refusal_to_a_signed_in_user_is_not_stored_either(client, world, worker):
    far = world.households[4]
    response = client.get(reverse("registry:household_detail", args=[far.pk]))
    assert response.status_code == 404
    assert response["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("kind", ["households", "residents"])
def test_api_records_read_with_a_token_are_not_stored(world, api_as, kind):
    household = world.households[0]
    pk = household.pk if kind == "households" else household.head_id
    response = api_as(world.users["community_worker"]).get(f"/api/{kind}/{pk}")
    assert response.status_code == 200
    assert response.json()["id"] == pk
    assert response["Cache-Control"] == NO_STORE


def test_an_api_list_read_with_a_token_is_not_stored(world, api_as):
    response = api_as(world.users["community_worker"]).get("/api/households")
    assert response.status_code == 200 and response.json()["count"] > 0
    assert response["Cache-Control"] == NO_STORE


def test_a_view_that_chose_its_own_cache_control_keeps_it(world, api_as):
    person = world.households[0].head
    response = api_as(world.users["community_worker"]).post(
        f"/api/residents/{person.pk}/reveal", {"field": "mobile", "reason": "核对联系方式"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"  # the reveal's own, not replaced


def test_the_public_catalogue_stays_cacheable_for_visitors(client, world):
    h.build_hall(world)
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    assert "大病救助" in response.content.decode()
    assert not response.has_header("Cache-Control")


def test_the_public_catalogue_is_not_stored_for_a_signed_in_user(client, world, worker):
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE  # the page names the user


def test_the_login_page_keeps_its_own_header(client, world):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    # Django's own for the login form (never_cache), left as it is.
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
