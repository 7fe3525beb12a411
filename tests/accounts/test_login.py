"""Logging in: new session, one message for every failure, lockout, idle timeout, audit, passwords."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from linli.accounts import services as account_services
from linli.accounts.forms import LOGIN_FAILED_MESSAGE
from linli.core.models import AuditRecord
from linli.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS
from tests.factories import PASSWORD

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

ADDRESS = "10.1.2.3"
ALERT = re.compile(r'<div class="alert alert-danger" role="alert">(.*?)</div>', re.S)


def post_login(client, username, password, address=ADDRESS):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def failure_text(response) -> str:
    """The error shown on the login page (the whole alert, as the person reads it)."""
    assert response.status_code == 200
    found = ALERT.search(response.content.decode())
    assert found, "the login page shows no error"
    return found.group(1).strip()


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


def test_login_succeeds_with_a_new_session_key(client, worker):
    session = client.session
    session["before_login"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    old_key = session.session_key

    response = post_login(client, worker.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:workbench")
    assert logged_in(client)
    assert client.session.session_key != old_key
    assert not type(session)().exists(old_key)  # the pre-login session is gone, not reused


def test_wrong_password_and_unknown_user_get_the_same_message(client, worker):
    wrong_password = failure_text(post_login(client, worker.username, "Wrong-pass-123"))
    unknown_user = failure_text(post_login(client, "nobody-here", "Wrong-pass-123"))
    assert wrong_password == unknown_user == escape(str(LOGIN_FAILED_MESSAGE))
    assert not logged_in(client)


def test_five_failures_lock_the_account_at_that_address(client, worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        failure_text(post_login(client, worker.username, "Wrong-pass-123"))

    locked = post_login(client, worker.username, PASSWORD)

    assert failure_text(locked) == escape(str(LOGIN_FAILED_MESSAGE))
    assert not logged_in(client)
    # The lock is per account *and* address: the same person elsewhere is not locked out.
    elsewhere = post_login(client, worker.username, PASSWORD, address="10.9.9.9")
    assert elsewhere.status_code == 302
    assert logged_in(client)


def test_locked_page_is_indistinguishable_from_a_wrong_password(client, worker):
    wrong = failure_text(post_login(client, worker.username, "Wrong-pass-123"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, worker.username, "Wrong-pass-123")
    locked = post_login(client, worker.username, PASSWORD)
    assert failure_text(locked) == wrong
    assert locked.status_code == 200


def test_a_successful_login_resets_the_failure_count(client, worker):
    almost = settings.AXES_FAILURE_LIMIT - 1
    for _ in range(almost):
        post_login(client, worker.username, "Wrong-pass-123")
    assert post_login(client, worker.username, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(almost):
        post_login(client, worker.username, "Wrong-pass-123")
    # Without the reset this would be failure number 2 × almost + 1 > the limit.
    assert post_login(client, worker.username, PASSWORD).status_code == 302
    assert logged_in(client)


def test_login_logout_and_failure_are_in_the_audit_trail(client, worker):
    start = AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    post_login(client, worker.username, "Wrong-pass-123")
    post_login(client, worker.username, PASSWORD)
    client.post(reverse("accounts:logout"), REMOTE_ADDR=ADDRESS)

    new = list(AuditRecord.objects.filter(pk__gt=start).order_by("pk"))
    assert [(r.action, r.outcome) for r in new] == [
        ("login_failed", "failure"),
        ("login", "success"),
        ("logout", "success"),
    ]
    failed, login, logout = new
    assert failed.actor_label == worker.username and failed.actor_id is None
    assert login.actor_id == worker.pk and logout.actor_id == worker.pk
    assert {r.address for r in new} == {ADDRESS}
    assert {r.channel for r in new} == {"web"}
    assert "Wrong-pass-123" not in str([r.changes for r in new])


def test_each_locked_attempt_is_recorded_once(client, worker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, worker.username, "Wrong-pass-123")
    before = AuditRecord.objects.filter(action="login_failed").count()
    post_login(client, worker.username, PASSWORD)
    assert AuditRecord.objects.filter(action="login_failed").count() == before + 1


def test_staff_are_logged_out_after_thirty_idle_minutes(client, worker):
    start = timezone.now()  # grants start today: travel forward from now, not to a fixed day
    workbench = reverse("core:workbench")
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(worker)
        assert client.get(workbench).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(workbench).status_code == 200  # activity within 30 minutes
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(workbench).status_code == 200  # counted from the last request
        clock.shift(dt.timedelta(minutes=31))

        response = client.get(workbench)

        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={workbench}"
        assert not logged_in(client)
        page = client.get(response["Location"])
        assert "You were logged out after a period of inactivity." in page.content.decode()
        assert client.get(workbench).status_code == 302  # still logged out
    timeout = AuditRecord.objects.filter(action="logout", actor_id=worker.pk)
    assert timeout.count() == 1


def test_residents_have_no_staff_idle_timeout(client, world):
    resident = world.users["resident"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(resident)
        assert client.get(reverse("core:workbench")).status_code == 200
        clock.shift(dt.timedelta(minutes=45))
        assert client.get(reverse("core:workbench")).status_code == 200
        assert logged_in(client)


def test_passwords_are_stored_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # undo the fast hasher of conftest.py
    user = account_services.user_create(actor=None, username="argon-user", password=PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)
    assert not user.check_password("Linli-test-2025")


@pytest.mark.parametrize("weak", ["password1", "abcdefgh", "Ab1!", "12345678", "Abcdefgh"])
def test_weak_passwords_are_rejected(weak):
    with pytest.raises(ValidationError):
        validate_password(weak, get_user_model()(username="someone"))


def test_a_password_of_three_kinds_is_accepted():
    validate_password("Qiao-Lian-2026", get_user_model()(username="someone"))
