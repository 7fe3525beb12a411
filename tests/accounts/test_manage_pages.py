"""Account management pages of the three separate duties (三权分立): users and API tokens for the
administrator, grants and unlocking for the security officer — each page for its role only."""

from __future__ import annotations

import hashlib
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.accounts import services
from linli.accounts.models import ApiToken, Grant, User
from linli.accounts.roles import Role
from linli.core.models import AuditRecord
from tests import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"
ADMIN, OFFICER = "administrator", "security_officer"
ROLES = [
    "resident",
    "grid_worker",
    "village_cadre",
    "community_worker",
    "street_cadre",
    "district_leader",
    ADMIN,
    OFFICER,
    "auditor",
]


def browser() -> Client:
    # English pages, so assertions read the msgids whatever the Chinese catalogue says.
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def client_for(user) -> Client:
    client = browser()
    client.force_login(user, backend=BACKEND)
    return client


def can_log_in(username: str, password: str) -> bool:
    """A real login through the login form (django-axes needs the request)."""
    response = browser().post(
        reverse("accounts:login"), {"username": username, "password": password}
    )
    return response.status_code == 302


def html(response) -> str:
    return response.content.decode()


def field_errors(page: str, name: str) -> list[str]:
    """The messages shown under one form field (core/partials/field.html)."""
    start = page.index(f'id="id_{name}"')
    end = page.find('<div class="mb-3">', start)
    block = page[start : end if end != -1 else len(page)]
    return re.findall(r'invalid-feedback d-block">([^<]*)<', block)


def new_records(since: int):
    return AuditRecord.objects.filter(pk__gt=since).order_by("pk")


def last_record_id() -> int:
    return AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def newcomer(db):
    """An account an administrator created, with no role yet."""
    return services.user_create(
        actor=None,
        username="xiao-li",
        password=f.PASSWORD,
        display_name="李晓",
        check_password=False,
    )


# --- who reaches which page ---------------------------------------------------------------------

ADMIN_PAGES = ["user_list", "user_create", "user_detail"]
OFFICER_PAGES = ["grant_user_list", "user_grants", "locked_list"]


def page_url(name: str, target: User) -> str:
    if name in ("user_detail", "user_grants"):
        return reverse(f"accounts:{name}", args=[target.pk])
    return reverse(f"accounts:{name}")


@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_for_its_role_only(world, newcomer, role):
    client = client_for(world.users[role])
    for name in ADMIN_PAGES + OFFICER_PAGES:
        allowed = (role == ADMIN and name in ADMIN_PAGES) or (
            role == OFFICER and name in OFFICER_PAGES
        )
        status = client.get(page_url(name, newcomer)).status_code
        assert status == (200 if allowed else 403), (role, name, status)


@pytest.mark.parametrize("role", [r for r in ROLES if r not in (ADMIN, OFFICER)])
def test_writes_are_refused_to_every_other_role(world, newcomer, role):
    actor = world.users[role]
    client = client_for(actor)
    officer_grant = newcomer.grants.create(role=Role.GRID_WORKER, area=world.grids[1])
    services.api_token_issue(actor=None, user=newcomer, name="城市大脑")
    token = ApiToken.objects.get(user=newcomer)
    posts = [
        (reverse("accounts:user_create"), {"username": "x", "password": "Qiao-Lian-2026"}),
        (reverse("accounts:user_set_active", args=[newcomer.pk]), {"active": "0"}),
        (reverse("accounts:api_token_issue", args=[newcomer.pk]), {"name": "x"}),
        (reverse("accounts:api_token_revoke", args=[token.pk]), {}),
        (reverse("accounts:user_grants", args=[newcomer.pk]), {"role": "grid_worker"}),
        (reverse("accounts:grant_end", args=[officer_grant.pk]), {}),
        (reverse("accounts:account_unlock"), {"username": newcomer.username}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    newcomer.refresh_from_db()
    token.refresh_from_db()
    officer_grant.refresh_from_db()
    assert newcomer.is_active and not token.revoked and officer_grant.ends_on is None
    assert not User.objects.filter(username="x").exists()
    denials = AuditRecord.objects.filter(action="denied", actor_id=actor.pk)
    assert denials.count() == len(posts)
    assert {d.changes["status"] for d in denials} == {403}


def test_separation_administrator_has_no_grants_page_officer_no_user_creation(world, newcomer):
    admin = client_for(world.users[ADMIN])
    officer = client_for(world.users[OFFICER])
    assert admin.get(reverse("accounts:user_grants", args=[newcomer.pk])).status_code == 403
    refused = admin.post(
        reverse("accounts:user_grants", args=[newcomer.pk]),
        {"role": "community_worker", "area": world.communities[0].pk, "starts_on": "2030-01-01"},
    )
    assert refused.status_code == 403
    assert officer.get(reverse("accounts:user_create")).status_code == 403
    refused = officer.post(
        reverse("accounts:user_create"),
        {"username": "sneaky", "password": "Qiao-Lian-2026", "password_again": "Qiao-Lian-2026"},
    )
    assert refused.status_code == 403
    assert not newcomer.grants.exists()
    assert not User.objects.filter(username="sneaky").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(world, newcomer):
    client = browser()
    for name in ADMIN_PAGES + OFFICER_PAGES:
        response = client.get(page_url(name, newcomer))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (ADMIN, {"Users"}, {"Grants", "Locked accounts"}),
        (OFFICER, {"Grants", "Locked accounts"}, {"Users"}),
        ("auditor", set(), {"Users", "Grants", "Locked accounts"}),
        ("community_worker", set(), {"Users", "Grants", "Locked accounts"}),
    ],
)
def test_navigation_shows_the_entries_of_the_role(world, role, shown, hidden):
    page = html(client_for(world.users[role]).get(reverse("core:workbench")))
    nav = page[
        page.index('id="main-nav"') : page.index('class="navbar-text', page.index('id="main-nav"'))
    ]
    links = r'class="(?:nav-link|dropdown-item)[^"]*" href="[^"#]*"[^>]*>([^<]+)</a>'
    labels = set(re.findall(links, nav))
    assert shown <= labels
    assert not hidden & labels


# --- users (administrator) ----------------------------------------------------------------------


def test_user_list_searches_user_name_and_display_name(world, newcomer):
    client = client_for(world.users[ADMIN])
    url = reverse("accounts:user_list")
    everyone = html(client.get(url))
    assert everyone.count('<td data-label="User name">') == User.objects.count()
    by_display = html(client.get(url, {"q": "李晓"}))
    assert ">xiao-li<" in by_display and by_display.count('<td data-label="User name">') == 1
    by_name = html(client.get(url, {"q": "XIAO"}))
    assert ">李晓<" in by_name
    by_role = html(client.get(url, {"role": "community_worker"}))
    assert by_role.count('<td data-label="User name">') == 1
    assert f">{world.users['community_worker'].username}<" in by_role
    assert "Community worker · 文岭社区" in by_role
    assert "No account matches this search." in html(client.get(url, {"q": "nobody-at-all"}))
    assert client.get(url, {"role": "emperor"}).status_code == 400


def test_user_list_costs_the_same_queries_however_many_users(world):
    client = client_for(world.users[ADMIN])
    url = reverse("accounts:user_list")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(8):
        f.user_with("grid_worker", world.grids[n % len(world.grids)])
    with CaptureQueriesContext(connection) as many:
        page = html(client.get(url))
    assert page.count("Grid worker · ") >= 9
    assert len(many) == len(few)


def test_administrator_creates_a_user_without_a_role(world):
    admin = world.users[ADMIN]
    client = client_for(admin)
    form = {
        "username": "wang-fang",
        "display_name": "王芳",
        "password": "Qiao-Lian-2026",
        "password_again": "Qiao-Lian-2026",
    }
    response = client.post(reverse("accounts:user_create"), form)
    created = User.objects.get(username="wang-fang")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", args=[created.pk])
    assert created.display_name == "王芳" and created.check_password("Qiao-Lian-2026")
    assert not created.grants.exists()
    entry = AuditRecord.objects.get(object_type="accounts.user", object_id=str(created.pk))
    assert (entry.action, entry.actor_id) == ("create", admin.pk)
    assert "Qiao-Lian-2026" not in str(entry.changes) and "password" not in entry.changes["after"]
    page = html(client.get(response["Location"]))
    assert "Account wang-fang created." in page and "No role" in page
    assert can_log_in("wang-fang", "Qiao-Lian-2026")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "abcdefgh", "password_again": "abcdefgh"}, "password", "Use at least"),
        ({"password": "Ab1!", "password_again": "Ab1!"}, "password", "Use at least 8 characters"),
        ({"password": "wang-fang-2026X"}, "password_again", "The two passwords differ."),
        ({"username": "wang fang!"}, "username", "Enter a valid username"),
        ({"username": "COMMUNITY_WORKER-X"}, "username", "This user name is taken."),
        ({"username": ""}, "username", "This field is required."),
    ],
)
def test_bad_user_input_names_the_field_and_creates_nothing(world, changes, field, message):
    f.user_with("grid_worker", world.grids[0], username="community_worker-x")
    client = client_for(world.users[ADMIN])
    form = {
        "username": "wang-fang",
        "display_name": "王芳",
        "password": "Qiao-Lian-2026",
        "password_again": "Qiao-Lian-2026",
    } | changes
    count, seq = User.objects.count(), last_record_id()

    response = client.post(reverse("accounts:user_create"), form)

    assert response.status_code == 400
    errors = field_errors(html(response), field)
    assert any(message in e for e in errors), errors
    assert all(e.split(":")[0] for e in errors)  # "Initial password: …" names the field
    assert User.objects.count() == count
    assert not new_records(seq).exclude(action="denied").exists()


def test_a_weak_password_shows_the_validator_message_on_the_password_field(world):
    client = client_for(world.users[ADMIN])
    form = {"username": "zhao", "password": "12345678", "password_again": "12345678"}
    page = html(client.post(reverse("accounts:user_create"), form))
    errors = field_errors(page, "password")
    assert "Initial password: This password is too common." in errors
    assert any(e.startswith("Initial password: Use at least 8 characters and 3 of") for e in errors)
    assert not User.objects.filter(username="zhao").exists()


def test_administrator_deactivates_and_reactivates_an_account(world):
    admin, worker = world.users[ADMIN], world.users["community_worker"]
    admin_client, worker_client = client_for(admin), client_for(worker)
    url = reverse("accounts:user_set_active", args=[worker.pk])

    response = admin_client.post(url, {"active": "0"})

    assert response.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_active
    assert "is deactivated." in html(admin_client.get(response["Location"]))
    # The open session stops working and a new login fails.
    assert worker_client.get(reverse("registry:household_list")).status_code == 302
    assert not can_log_in(worker.username, f.PASSWORD)
    entry = AuditRecord.objects.filter(object_id=str(worker.pk), action="update").last()
    assert entry.actor_id == admin.pk
    assert entry.changes == {"before": {"is_active": True}, "after": {"is_active": False}}

    admin_client.post(url, {"active": "1"})

    worker.refresh_from_db()
    assert worker.is_active
    assert can_log_in(worker.username, f.PASSWORD)


def test_nobody_deactivates_their_own_account(world):
    admin = world.users[ADMIN]
    client = client_for(admin)
    page = html(client.get(reverse("accounts:user_detail", args=[admin.pk])))
    assert "Deactivate this account" not in page
    response = client.post(reverse("accounts:user_set_active", args=[admin.pk]), {"active": "0"})
    assert "You cannot deactivate your own account." in html(client.get(response["Location"]))
    admin.refresh_from_db()
    assert admin.is_active


def test_an_unknown_user_is_404(world):
    client = client_for(world.users[ADMIN])
    assert client.get(reverse("accounts:user_detail", args=[999999])).status_code == 404
    officer = client_for(world.users[OFFICER])
    assert officer.get(reverse("accounts:user_grants", args=[999999])).status_code == 404


# --- grants (security officer) ------------------------------------------------------------------


def grant_form(area, role="community_worker", **extra) -> dict:
    return {"role": role, "area": area.pk, "starts_on": timezone.localdate().isoformat()} | extra


def test_officer_grants_a_role_and_the_user_then_sees_that_communitys_households(world, newcomer):
    officer = world.users[OFFICER]
    community = world.communities[1]
    client = client_for(officer)
    url = reverse("accounts:user_grants", args=[newcomer.pk])
    assert client_for(newcomer).get(reverse("registry:household_list")).status_code == 403

    response = client.post(url, grant_form(community))

    assert response.status_code == 302
    grant = Grant.objects.get(user=newcomer)
    assert (grant.role, grant.area, grant.granted_by) == ("community_worker", community, officer)
    page = html(client.get(url))
    assert "is now Community worker over 营辉社区." in page
    assert '<td data-label="Status">In force</td>' in page
    entry = AuditRecord.objects.get(object_type="accounts.grant", object_id=str(grant.pk))
    assert (entry.action, entry.actor_id) == ("create", officer.pk)

    households = html(client_for(newcomer).get(reverse("registry:household_list")))
    theirs = [h for h in world.households if h.area.path.startswith(community.path)]
    others = [h for h in world.households if h not in theirs]
    assert theirs and all(f">{h.number}<" in households for h in theirs)
    assert not any(f">{h.number}<" in households for h in others)


def test_auditor_for_a_community_worker_is_refused_on_the_role_field(world):
    worker = world.users["community_worker"]
    client = client_for(world.users[OFFICER])
    before = list(Grant.objects.filter(user=worker).values_list("role", "area_id", "ends_on"))
    seq = last_record_id()

    response = client.post(
        reverse("accounts:user_grants", args=[worker.pk]), grant_form(world.district, "auditor")
    )

    assert response.status_code == 400
    errors = field_errors(html(response), "role")
    assert errors == [
        "Role: Administrator, security officer and auditor are separate duties: "
        "a person who holds one of them may hold no other role."
    ]
    after = list(Grant.objects.filter(user=worker).values_list("role", "area_id", "ends_on"))
    assert after == before
    assert not new_records(seq).exists()


def test_department_staff_need_an_organisation(world, newcomer):
    from linli.registry.models import Organisation

    client = client_for(world.users[OFFICER])
    url = reverse("accounts:user_grants", args=[newcomer.pk])
    response = client.post(url, grant_form(world.district, "department_staff"))
    assert response.status_code == 400
    assert field_errors(html(response), "organisation") == [
        "Organisation: Department staff need their department."
    ]
    assert not newcomer.grants.exists()
    bureau = Organisation.objects.create(name="民政局", kind="department", area=world.district)
    form = grant_form(world.district, "department_staff", organisation=bureau.pk)
    assert client.post(url, form).status_code == 302
    assert newcomer.grants.get().organisation == bureau


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"role": "emperor"}, "role", "Select a valid choice."),
        ({"area": "abc"}, "area", "Choose one of the listed areas"),
        ({"starts_on": "2020-01-01"}, "starts_on", "A grant cannot start in the past."),
        ({"starts_on": "not a date"}, "starts_on", "Enter a valid date."),
        ({"ends_on": "2020-01-01"}, "ends_on", "The end date cannot be before the start date."),
    ],
)
def test_bad_grant_input_names_the_field(world, newcomer, changes, field, message):
    client = client_for(world.users[OFFICER])
    form = grant_form(world.communities[0]) | changes
    response = client.post(reverse("accounts:user_grants", args=[newcomer.pk]), form)
    assert response.status_code == 400
    assert any(message in e for e in field_errors(html(response), field))
    assert not newcomer.grants.exists()


def test_an_officer_grants_only_inside_their_own_grant_area(world, newcomer):
    street, other_street = world.streets
    officer = f.user_with("security_officer", street)
    client = client_for(officer)
    url = reverse("accounts:user_grants", args=[newcomer.pk])
    page = html(client.get(url))
    start = page.index('id="id_area"')
    select = page[start : page.index("</select>", start)]
    offered = {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}
    assert street.pk in offered and world.communities[0].pk in offered
    assert other_street.pk not in offered and world.district.pk not in offered
    assert world.communities[2].pk not in offered

    response = client.post(url, grant_form(world.communities[2]))

    assert response.status_code == 400
    assert field_errors(html(response), "area")
    assert not newcomer.grants.exists()
    # Nor may they end a grant over an area outside theirs.
    outside = Grant.objects.get(user=world.users["district_leader"])
    assert client.post(reverse("accounts:grant_end", args=[outside.pk])).status_code == 403
    outside.refresh_from_db()
    assert outside.ends_on is None


def test_an_officer_cannot_grant_to_themselves(world):
    officer = world.users[OFFICER]
    client = client_for(officer)
    url = reverse("accounts:user_grants", args=[officer.pk])
    page = html(client.get(url))
    assert "Nobody may change their own roles" in page and 'name="role"' not in page
    response = client.post(url, grant_form(world.district, OFFICER))
    assert response.status_code == 403
    assert officer.grants.count() == 1
    own = officer.grants.get()
    assert client.post(reverse("accounts:grant_end", args=[own.pk])).status_code == 403


def test_ending_a_grant_takes_effect_at_once(world):
    officer, worker = world.users[OFFICER], world.users["community_worker"]
    grant = worker.grants.get()
    client = client_for(officer)
    worker_client = client_for(worker)
    assert worker_client.get(reverse("registry:household_list")).status_code == 200

    response = client.post(reverse("accounts:grant_end", args=[grant.pk]))

    assert response["Location"] == reverse("accounts:user_grants", args=[worker.pk])
    grant.refresh_from_db()
    assert grant.ends_on == timezone.localdate() - timezone.timedelta(days=1)
    assert worker_client.get(reverse("registry:household_list")).status_code == 403
    entry = AuditRecord.objects.filter(object_type="accounts.grant", action="update").get()
    assert entry.actor_id == officer.pk
    assert entry.changes["before"]["ends_on"] is None
    page = html(client.get(response["Location"]))
    assert "no longer holds Community worker over 文岭社区." in page
    assert '<td data-label="Status">Ended</td>' in page and "End this grant now" not in page

    again = client.post(reverse("accounts:grant_end", args=[grant.pk]))
    assert "This grant has already ended." in html(client.get(again["Location"]))
    assert AuditRecord.objects.filter(object_type="accounts.grant", action="update").count() == 1


def test_an_ended_community_worker_may_then_become_auditor(world):
    worker = world.users["community_worker"]
    client = client_for(world.users[OFFICER])
    client.post(reverse("accounts:grant_end", args=[worker.grants.get().pk]))
    url = reverse("accounts:user_grants", args=[worker.pk])
    assert client.post(url, grant_form(world.district, "auditor")).status_code == 302
    assert User.objects.get(pk=worker.pk).roles == {"auditor"}


# --- locked accounts (security officer) ---------------------------------------------------------


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_officer_unlocks_an_account_locked_by_failed_logins(world):
    worker, officer = world.users["community_worker"], world.users[OFFICER]
    person = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert login(person, worker.username, "Wrong-pass-123").status_code == 200
    assert login(person, worker.username, f.PASSWORD).status_code == 200  # locked
    assert SESSION_KEY not in person.session

    client = client_for(officer)
    page = html(client.get(reverse("accounts:locked_list")))
    table = page[page.index('id="locked-list"') :]
    assert f'<td data-label="User name">{worker.username}</td>' in table
    assert "127.0.0.1" in table
    seq = last_record_id()

    response = client.post(reverse("accounts:account_unlock"), {"username": worker.username})

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=worker.username).exists()
    after = html(client.get(response["Location"]))
    assert f"{worker.username} is unlocked." in after and "No account is locked." in after
    entry = new_records(seq).get()
    assert (entry.action, entry.actor_id) == ("update", officer.pk)
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(worker.pk))
    assert entry.changes["before"] == {"locked_addresses": ["127.0.0.1"]}

    assert login(person, worker.username, f.PASSWORD).status_code == 302
    assert int(person.session[SESSION_KEY]) == worker.pk


def test_unlocking_an_account_that_is_not_locked_changes_nothing(world):
    client = client_for(world.users[OFFICER])
    seq = last_record_id()
    response = client.post(reverse("accounts:account_unlock"), {"username": "nobody"})
    assert "nobody was not locked." in html(client.get(response["Location"]))
    assert not new_records(seq).exists()
    assert client.post(reverse("accounts:account_unlock"), {}).status_code == 302


def test_accounts_below_the_failure_limit_are_not_listed(world):
    worker = world.users["community_worker"]
    person = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(person, worker.username, "Wrong-pass-123")
    page = html(client_for(world.users[OFFICER]).get(reverse("accounts:locked_list")))
    assert "No account is locked." in page


# --- API tokens (administrator: system accounts) ------------------------------------------------


@pytest.fixture
def gateway(world):
    """A system account for the 12345 hotline gateway."""
    return services.system_account_create(
        actor=world.users[ADMIN], username="hotline-12345", display_name="12345热线"
    )


def test_a_token_key_is_shown_once_and_only_its_hash_is_stored(world, gateway):
    admin, worker = world.users[ADMIN], gateway
    client = client_for(admin)
    seq = last_record_id()

    response = client.post(
        reverse("accounts:api_token_issue", args=[worker.pk]), {"name": "城市大脑"}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'id="token-key" type="text" value="(lk_[^"]+)"', html(response)).group(1)
    token = ApiToken.objects.get(user=worker)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[3:11] and token.name == "城市大脑"
    assert not ApiToken.objects.filter(key_hash=key).exists()
    detail = html(client.get(reverse("accounts:user_detail", args=[worker.pk])))
    assert key not in detail and f"lk_{token.prefix}…" in detail and "城市大脑" in detail
    records = new_records(seq)
    assert records.filter(action="create", object_type="accounts.apitoken").count() == 1
    assert all(key not in str(r.changes) and token.key_hash not in str(r.changes) for r in records)

    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/households").status_code == 200


def test_a_revoked_token_gets_401_from_the_api(world, gateway):
    admin, worker = world.users[ADMIN], gateway
    client = client_for(admin)
    issued = client.post(
        reverse("accounts:api_token_issue", args=[worker.pk]),
        {"name": "网格平台", "valid_until": timezone.localdate().isoformat()},
    )
    key = re.search(r'value="(lk_[^"]+)"', html(issued)).group(1)
    token = ApiToken.objects.get(user=worker)
    assert token.expires_at > timezone.now()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/areas").status_code == 200

    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response["Location"] == reverse("accounts:user_detail", args=[worker.pk])
    token.refresh_from_db()
    assert token.revoked
    assert api.get("/api/areas").status_code == 401
    entry = AuditRecord.objects.get(object_type="accounts.apitoken", action="update")
    assert entry.actor_id == admin.pk and entry.changes["after"] == {"revoked": True}
    page = html(client.get(response["Location"]))
    assert "Token 网格平台 revoked." in page and '<td data-label="Status">Revoked</td>' in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "x", "valid_until": "2020-01-01"}, "valid_until", "cannot be in the past"),
        ({"name": "x", "valid_until": "soon"}, "valid_until", "Enter a valid date."),
    ],
)
def test_bad_token_input_names_the_field_and_issues_nothing(world, gateway, data, field, message):
    worker = gateway
    client = client_for(world.users[ADMIN])
    response = client.post(reverse("accounts:api_token_issue", args=[worker.pk]), data)
    assert response.status_code == 400
    assert any(message in e for e in field_errors(html(response), field))
    assert not ApiToken.objects.exists()
    assert "lk_" not in html(response)


# --- narrow screens -----------------------------------------------------------------------------


def test_tables_stack_on_narrow_screens(world):
    admin = client_for(world.users[ADMIN])
    officer = client_for(world.users[OFFICER])
    worker = world.users["community_worker"]
    services.api_token_issue(actor=None, user=worker, name="x")
    pages = [
        admin.get(reverse("accounts:user_list")),
        admin.get(reverse("accounts:user_detail", args=[worker.pk])),
        officer.get(reverse("accounts:grant_user_list")),
        officer.get(reverse("accounts:user_grants", args=[worker.pk])),
    ]
    for response in pages:
        page = html(response)
        assert 'name="viewport"' in page
        for table in re.findall(r"<table.*?</table>", page, re.S):
            assert "table-stack" in table
            cells = re.findall(r"<td( data-label=\"[^\"]+\")?>", table)
            labelled = [c for c in cells if c]
            assert labelled and len(labelled) >= len(cells) - table.count("<tr") + 1
