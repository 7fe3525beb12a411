"""Who may call the API: tokens for integrations, the login session for pages, nobody else."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from linli.accounts.models import ApiToken
from linli.accounts.services import api_token_issue

from .conftest import ApiClient


def test_no_credentials_is_401_json(world, client):
    for path in ("/api/households", "/api/residents", "/api/areas", "/api/households/1"):
        response = client.get(path)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
        assert response["WWW-Authenticate"] == "Bearer"
    assert client.post("/api/households", {}, content_type="application/json").status_code == 401


def test_bearer_token(world, client):
    user = world.users["community_worker"]
    token, key = api_token_issue(actor=None, user=user, name="城市大脑")
    assert key.startswith("lk_")
    ok = ApiClient(client, key).get("/api/households")
    assert ok.status_code == 200 and ok.json()["count"] == 2
    token.refresh_from_db()
    assert token.last_used_at is not None
    for bad in (key + "x", "lk_nothing", "not-a-token", "x" * 5000):
        assert ApiClient(client, bad).get("/api/households").status_code == 401
    assert (
        client.get("/api/households", headers={"Authorization": f"Basic {key}"}).status_code == 401
    )


def test_revoked_or_expired_token_is_refused(world, client):
    user = world.users["community_worker"]
    token, key = api_token_issue(actor=None, user=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert ApiClient(client, key).get("/api/areas").status_code == 401
    _, key = api_token_issue(
        actor=None, user=user, name="expired", expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert ApiClient(client, key).get("/api/areas").status_code == 401
    _, key = api_token_issue(actor=None, user=user, name="inactive user")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert ApiClient(client, key).get("/api/areas").status_code == 401


def test_session_reads_and_writes_with_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["community_worker"])
    assert browser.get("/api/households").json()["count"] == 2
    body = {"area": world.grids[0].pk, "number": "H-S1", "address": "文岭一村 1 号"}
    refused = browser.post("/api/households", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["detail"]
    browser.get("/api/docs")  # any page that renders the token sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/households", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201, created.content


def test_token_needs_no_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    _, key = api_token_issue(actor=None, user=world.users["community_worker"], name="int")
    body = {"area": world.grids[0].pk, "number": "H-T1", "address": "文岭一村 2 号"}
    response = ApiClient(browser, key).post("/api/households", body)
    assert response.status_code == 201, response.content


def test_logged_out_session_is_401(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["community_worker"])
    browser.logout()
    response = browser.post("/api/households", {}, content_type="application/json")
    assert response.status_code == 401
