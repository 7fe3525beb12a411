"""One's own password 修改密码: the change page, forced while the password is the one an
administrator chose (a new account, a reset), under the same password rules."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from linli.accounts import services
from linli.accounts.models import ApiToken, User
from linli.core.models import AuditRecord
from tests import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"
INITIAL = "Chu-Shi-2026"  # the administrator's initial password
OWN = "Wo-De-Mi-Ma-9"  # the one the person chooses
CHANGE = reverse("accounts:password_change")


def person_client(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def admin_client(world) -> Client:
    client = person_client()
    client.force_login(world.users["administrator"], backend=BACKEND)
    return client


def log_in(username: str, password: str, language: str = "en") -> tuple[Client, object]:
    """Through the login form, following the redirects; returns the client and the last page."""
    client = person_client(language)
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": password}, follow=True
    )
    return client, response


def change(client: Client, current: str, new: str, again: str | None = None, **extra):
    body = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return client.post(CHANGE, body | extra)


def field_errors(page: str, name: str) -> list[str]:
    start = page.index(f'id="id_{name}"')
    end = page.find('<div class="mb-3">', start)
    block = page[start : end if end != -1 else len(page)]
    return re.findall(r'invalid-feedback d-block">([^<]*)<', block)


@pytest.fixture
def newcomer(world):
    """An account the administrator created on the user page, with the password they typed."""
    response = admin_client(world).post(
        reverse("accounts:user_create"),
        {
            "username": "wang-fang",
            "display_name": "王芳",
            "password": INITIAL,
            "password_again": INITIAL,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="wang-fang")
    services.grant_create(
        actor=world.users["security_officer"],
        user=user,
        role="community_worker",
        area=world.communities[0],
    )
    return user


def test_the_first_login_lands_on_the_change_page_and_every_page_leads_there(newcomer):
    assert newcomer.must_change_password
    client, landed = log_in("wang-fang", INITIAL)

    assert landed.request["PATH_INFO"] == CHANGE
    assert 'id="password-change-required"' in landed.content.decode()
    for path in ("/", "/registry/households/", "/accounts/tokens/", "/services/applications/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(CHANGE), path
    assert client.get("/registry/households/")["Location"] == (
        f"{CHANGE}?next=%2Fregistry%2Fhouseholds%2F"
    )
    refused = client.get("/api/households")
    assert refused.status_code == 403 and "choose your own password" in refused.json()["detail"]
    htmx = client.get("/registry/households/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(CHANGE)

    response = change(client, INITIAL, OWN, next="/registry/households/")

    assert response.status_code == 302 and response["Location"] == "/registry/households/"
    assert client.get("/registry/households/").status_code == 200  # same session, still in
    newcomer.refresh_from_db()
    assert not newcomer.must_change_password and newcomer.check_password(OWN)
    assert newcomer.password_changed_at is not None
    record = AuditRecord.objects.filter(object_id=str(newcomer.pk), action="update").get()
    assert record.actor_id == newcomer.pk
    assert record.changes["before"]["must_change_password"] is True
    assert record.changes["after"]["must_change_password"] is False
    assert OWN not in str(record.changes) and INITIAL not in str(record.changes)


def test_logging_out_still_works_while_the_change_is_pending(newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("abcdefgh", "密码至少需要 8 个字符，并包含小写字母、大写字母、数字、符号中的至少 3 类。"),
        ("Ab1-", "密码至少需要 8 个字符"),
        ("Password123", None),  # a common password: Django's own Chinese message
    ],
)
def test_a_new_password_against_the_rules_is_refused_with_the_reason_in_chinese(
    newcomer, new, reason
):
    client, _ = log_in("wang-fang", INITIAL, language="zh-hans")

    response = change(client, INITIAL, new)

    assert response.status_code == 400
    errors = field_errors(response.content.decode(), "new_password")
    assert errors and all(e.startswith("新密码：") for e in errors), errors
    if reason:
        assert any(reason in e for e in errors), errors
    newcomer.refresh_from_db()
    assert newcomer.must_change_password and newcomer.check_password(INITIAL)
    assert client.get("/")["Location"].startswith(CHANGE)


def test_a_wrong_current_password_is_refused_and_recorded(newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    before = AuditRecord.objects.count()

    response = change(client, "Not-The-Password-1", OWN)

    assert response.status_code == 400
    assert field_errors(response.content.decode(), "current_password") == [
        "Current password: The current password is wrong."
    ]
    newcomer.refresh_from_db()
    assert newcomer.check_password(INITIAL) and newcomer.must_change_password
    failure = AuditRecord.objects.order_by("-pk").first()
    assert AuditRecord.objects.count() == before + 1
    assert (failure.action, failure.outcome, failure.actor_id) == (
        "update",
        "failure",
        newcomer.pk,
    )


def test_the_new_password_must_differ_and_be_typed_twice_alike(newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    same = change(client, INITIAL, INITIAL)
    assert same.status_code == 400
    assert field_errors(same.content.decode(), "new_password") == [
        "New password: The new password must differ from the current one."
    ]
    differ = change(client, INITIAL, OWN, again=OWN + "x")
    assert differ.status_code == 400
    assert field_errors(differ.content.decode(), "new_password_again") == [
        "New password (again): The two passwords differ."
    ]
    newcomer.refresh_from_db()
    assert newcomer.check_password(INITIAL)


def test_an_administrator_reset_forces_the_change_again(world, newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    change(client, INITIAL, OWN)
    assert client.get("/").status_code == 200
    admin = world.users["administrator"]
    reset = reverse("accounts:user_password_reset", args=[newcomer.pk])

    response = admin_client(world).post(reset, {"password": INITIAL, "password_again": INITIAL})

    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.must_change_password and newcomer.check_password(INITIAL)
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))  # session ended
    updates = AuditRecord.objects.filter(object_id=str(newcomer.pk), action="update")
    record = updates.order_by("pk").last()
    assert record.actor_id == admin.pk and record.changes["after"]["must_change_password"]
    again, landed = log_in("wang-fang", INITIAL)
    assert landed.request["PATH_INFO"] == CHANGE
    assert change(again, INITIAL, "Xin-De-Mi-Ma-7").status_code == 302


def test_the_reset_keeps_the_rules_and_the_separation_of_duties(world, newcomer):
    admin = admin_client(world)
    weak = admin.post(
        reverse("accounts:user_password_reset", args=[newcomer.pk]),
        {"password": "abcdefgh", "password_again": "abcdefgh"},
    )
    assert weak.status_code == 400
    assert field_errors(weak.content.decode(), "password")
    for role in ("security_officer", "auditor"):
        watcher = world.users[role]
        response = admin.post(
            reverse("accounts:user_password_reset", args=[watcher.pk]),
            {"password": INITIAL, "password_again": INITIAL},
        )
        assert response.status_code == 400, role
        watcher.refresh_from_db()
        assert watcher.check_password(f.PASSWORD) and not watcher.must_change_password
    own = admin.post(
        reverse("accounts:user_password_reset", args=[world.users["administrator"].pk]),
        {"password": INITIAL, "password_again": INITIAL},
    )
    assert own.status_code == 403
    for role in ("security_officer", "street_cadre"):
        other = person_client()
        other.force_login(world.users[role], backend=BACKEND)
        refused = other.post(
            reverse("accounts:user_password_reset", args=[newcomer.pk]),
            {"password": INITIAL, "password_again": INITIAL},
        )
        assert refused.status_code == 403, role
    newcomer.refresh_from_db()
    assert newcomer.check_password(INITIAL) and newcomer.password_changed_at is None


def test_a_person_s_tokens_stop_while_the_change_is_pending(world, newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    change(client, INITIAL, OWN)
    issued = client.post(reverse("accounts:own_token_issue"), {"name": "脚本"})
    key = re.search(r'value="(lk_[^"]+)"', issued.content.decode()).group(1)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/households").status_code == 200
    admin_client(world).post(
        reverse("accounts:user_password_reset", args=[newcomer.pk]),
        {"password": INITIAL, "password_again": INITIAL},
    )

    refused = api.get("/api/households")

    assert refused.status_code == 403 and "change its password" in refused.json()["detail"]
    again, _ = log_in("wang-fang", INITIAL)
    change(again, INITIAL, "Xin-De-Mi-Ma-7")
    assert api.get("/api/households").status_code == 200
    assert not ApiToken.objects.get().revoked


def test_accounts_made_from_the_command_line_are_not_forced(world):
    """Test factories, `createadmin` and the demo create accounts with actor None."""
    user = f.user_with("grid_worker", world.grids[0])
    assert not user.must_change_password
    client, landed = log_in(user.username, f.PASSWORD)
    assert landed.request["PATH_INFO"] == "/"
    forced = services.user_create(
        actor=None, username="asked", password=INITIAL, must_change_password=True
    )
    assert forced.must_change_password


def test_a_voluntary_change_needs_no_reset_and_is_recorded(world):
    worker = world.users["grid_worker"]
    client = person_client()
    client.force_login(worker, backend=BACKEND)
    page = client.get(CHANGE)
    assert page.status_code == 200 and 'id="password-change-required"' not in page.content.decode()

    response = change(client, f.PASSWORD, OWN)

    assert response.status_code == 302 and response["Location"] == reverse("core:workbench")
    worker.refresh_from_db()
    assert worker.check_password(OWN)
    record = AuditRecord.objects.filter(object_id=str(worker.pk), action="update").get()
    assert record.actor_id == worker.pk and record.changes["after"]["password_changed_at"]


def test_an_outside_next_address_is_not_followed(newcomer):
    client, _ = log_in("wang-fang", INITIAL)
    response = change(client, INITIAL, OWN, next="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == reverse("core:workbench")
