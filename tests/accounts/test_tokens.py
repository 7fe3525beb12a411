"""API tokens under 三权分立: a person issues and revokes their own; the administrator issues them
for system accounts only (and may revoke any); whatever a token does is recorded with its id."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from linli.accounts import services
from linli.accounts.models import ApiToken, User
from linli.core.models import AuditRecord
from tests import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"
KEY = re.compile(r'id="token-key" type="text" value="(lk_[^"]+)"')


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def reveal(key: str, resident_pk: int, field: str = "id_number"):
    return api(key).post(
        f"/api/residents/{resident_pk}/reveal",
        json.dumps({"field": field, "reason": "核对低保申请"}),
        content_type="application/json",
    )


def issue_own(user) -> tuple[Client, str]:
    """The person issues a token on their own page; returns their client and the key."""
    client = client_for(user)
    response = client.post(reverse("accounts:own_token_issue"), {"name": "我的脚本"})
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    return client, KEY.search(response.content.decode()).group(1)


@pytest.fixture
def gateway(world):
    return services.system_account_create(
        actor=world.users["administrator"], username="hotline-12345", display_name="12345热线"
    )


# --- the administrator holds nobody's credentials ------------------------------------------------


@pytest.mark.parametrize(
    "role", ["street_cadre", "security_officer", "auditor", "community_worker", "administrator"]
)
def test_the_administrator_cannot_issue_a_token_for_a_person(world, role):
    admin = world.users["administrator"]
    person = world.users[role]
    if role == "administrator":  # another administrator, not the one acting
        person = f.user_with("administrator", world.district)

    response = client_for(admin).post(
        reverse("accounts:api_token_issue", args=[person.pk]), {"name": "城市大脑"}
    )

    assert response.status_code == 403
    assert "lk_" not in response.content.decode()
    assert not ApiToken.objects.exists()
    denial = AuditRecord.objects.get(action="denied", actor_id=admin.pk)
    assert denial.changes["status"] == 403
    assert not AuditRecord.objects.filter(object_type="accounts.apitoken").exists()


def test_the_administrator_issues_tokens_for_a_system_account(world, gateway):
    admin = world.users["administrator"]
    response = client_for(admin).post(
        reverse("accounts:api_token_issue", args=[gateway.pk]), {"name": "热线网关"}
    )
    assert response.status_code == 200
    key = KEY.search(response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.user == gateway and token.issued_by == admin
    assert api(key).get("/api/areas").status_code == 200


def test_the_service_refuses_a_person_s_token_to_anyone_but_that_person(world):
    cadre = world.users["street_cadre"]
    for actor in ("administrator", "security_officer", "grid_worker"):
        with pytest.raises(PermissionDenied):
            services.api_token_issue(actor=world.users[actor], user=cadre, name="x")
    assert not ApiToken.objects.exists()


def test_a_system_account_cannot_log_in_and_holds_no_personal_role(world, gateway):
    assert not gateway.has_usable_password()
    gateway.set_password(f.PASSWORD)  # even should someone give it a password from a shell
    gateway.save()
    response = Client().post(
        reverse("accounts:login"), {"username": gateway.username, "password": f.PASSWORD}
    )
    assert response.status_code == 200  # the login page again, not a redirect
    assert "_auth_user_id" not in Client().session

    officer = world.users["security_officer"]
    with pytest.raises(ValidationError) as refused:
        services.grant_create(
            actor=officer, user=gateway, role="community_worker", area=world.communities[0]
        )
    assert "role" in refused.value.message_dict
    page = client_for(officer).post(
        reverse("accounts:user_grants", args=[gateway.pk]),
        {"role": "street_cadre", "area": world.streets[0].pk, "starts_on": "2099-01-01"},
    )
    assert page.status_code == 400
    assert "A system account holds no personal role" in page.content.decode()
    assert not gateway.grants.exists()


def test_a_system_account_is_created_by_the_administrator_only(world):
    url = reverse("accounts:system_account_create")
    body = {"username": "open311-client", "display_name": "Open311 客户端"}
    for role in ("security_officer", "auditor", "street_cadre"):
        assert client_for(world.users[role]).post(url, body).status_code == 403
    admin = world.users["administrator"]
    response = client_for(admin).post(url, body)
    assert response.status_code == 302
    account = User.objects.get(username="open311-client")
    assert account.is_system_account and not account.has_usable_password()
    assert response["Location"] == reverse("accounts:user_detail", args=[account.pk])
    created = AuditRecord.objects.get(
        action="create", object_type="accounts.user", object_id=str(account.pk)
    )
    assert created.actor_id == admin.pk and created.changes["after"]["is_system_account"] is True
    assert "password" not in created.changes["after"]
    taken = client_for(admin).post(url, body)
    assert taken.status_code == 400 and "This user name is taken." in taken.content.decode()


# --- a person's own tokens -----------------------------------------------------------------------


def test_a_person_issues_and_revokes_their_own_token(world):
    cadre = world.users["street_cadre"]
    client, key = issue_own(cadre)

    token = ApiToken.objects.get()
    assert token.user == cadre and token.issued_by == cadre and token.name == "我的脚本"
    page = client.get(reverse("accounts:own_tokens")).content.decode()
    assert f"lk_{token.prefix}…" in page and key not in page
    assert api(key).get("/api/households").status_code == 200

    response = client.post(reverse("accounts:own_token_revoke", args=[token.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("accounts:own_tokens")
    token.refresh_from_db()
    assert token.revoked
    refused = api(key).get("/api/households")
    assert refused.status_code == 401 and refused.json()["detail"]
    records = AuditRecord.objects.filter(object_type="accounts.apitoken").order_by("pk")
    assert [(r.action, r.actor_id) for r in records] == [("create", cadre.pk), ("update", cadre.pk)]


def test_nobody_revokes_another_person_s_token_on_their_own_page(world):
    _, key = issue_own(world.users["street_cadre"])
    token = ApiToken.objects.get()
    for role in ("grid_worker", "security_officer", "auditor", "administrator"):
        response = client_for(world.users[role]).post(
            reverse("accounts:own_token_revoke", args=[token.pk])
        )
        assert response.status_code == 404, role
    token.refresh_from_db()
    assert not token.revoked
    assert api(key).get("/api/areas").status_code == 200


def test_the_administrator_revokes_a_person_s_token(world):
    cadre, admin = world.users["street_cadre"], world.users["administrator"]
    _, key = issue_own(cadre)
    token = ApiToken.objects.get()
    detail = client_for(admin).get(reverse("accounts:user_detail", args=[cadre.pk]))
    assert f"lk_{token.prefix}…" in detail.content.decode()
    issue_form = reverse("accounts:api_token_issue", args=[cadre.pk])
    assert f'action="{issue_form}"' not in detail.content.decode()

    response = client_for(admin).post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert api(key).get("/api/areas").status_code == 401
    revoked = AuditRecord.objects.get(object_type="accounts.apitoken", action="update")
    assert revoked.actor_id == admin.pk and revoked.changes["after"] == {"revoked": True}


def test_residents_have_no_token_page(world):
    client = client_for(world.users["resident"])
    assert client.get(reverse("accounts:own_tokens")).status_code == 403
    assert client.post(reverse("accounts:own_token_issue"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


# --- what a token does is recorded with its id ---------------------------------------------------


def test_a_reveal_through_the_api_records_the_token_id(world):
    cadre = world.users["street_cadre"]
    resident = world.households[0].head
    _, key = issue_own(cadre)
    token = ApiToken.objects.get()

    response = reveal(key, resident.pk)

    assert response.status_code == 200, response.content
    record = AuditRecord.objects.get(action="reveal")
    assert record.actor_id == cadre.pk and record.channel == "api"
    assert record.source == f"api-token:{token.pk}"
    trail = client_for(world.users["auditor"]).get(reverse("core:audit_list"), {"action": "reveal"})
    assert f"api-token:{token.pk}" in trail.content.decode()


def test_the_same_reveal_on_a_page_names_no_token(world):
    cadre = world.users["street_cadre"]
    resident = world.households[0].head
    response = client_for(cadre).post(
        f"/registry/residents/{resident.pk}/reveal/",
        {"field": "id_number", "reason": "核对低保申请"},
    )
    assert response.status_code == 200, response.status_code
    record = AuditRecord.objects.get(action="reveal")
    assert record.source == "" and record.channel == "web"


def test_a_refusal_to_a_token_records_the_token_id(world):
    worker = world.users["grid_worker"]
    _, key = issue_own(worker)
    token = ApiToken.objects.get()
    outside = world.households[-1].head  # another street's resident

    response = reveal(key, outside.pk)

    assert response.status_code == 404
    denial = AuditRecord.objects.get(action="denied")
    assert denial.actor_id == worker.pk and denial.source == f"api-token:{token.pk}"


def test_tokens_issued_for_people_before_are_revoked_by_the_upgrade(world):
    """Until this change the administrator issued tokens for any account: the migration takes
    every one of them out of use."""
    worker = world.users["community_worker"]
    _, key = services.api_token_issue(actor=None, user=worker, name="旧令牌")
    assert api(key).get("/api/areas").status_code == 200
    migration = importlib.import_module(
        "linli.accounts.migrations.0003_system_accounts_own_passwords"
    )

    migration.revoke_tokens_held_for_people(apps, None)

    assert api(key).get("/api/areas").status_code == 401
