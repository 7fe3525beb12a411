"""Care mode 关怀模式: the switch on every page turns it on and off with a long-lived cookie and
goes back to the page it was pressed on (a path of this site only); pages carry the class the
care style sheet works from, and load that style sheet, only while it is on."""

import pytest
from django.urls import reverse

from linli.core.views import CARE_COOKIE

SWITCH = reverse("core:care_mode")


def press(client, on: bool, next_url: str):
    return client.post(SWITCH, {"on": "1" if on else "0", "next": next_url})


def test_the_switch_turns_care_mode_on_and_off_and_goes_back(client, world):
    client.force_login(world.users["resident"])
    page = client.get("/").content.decode()
    assert 'data-testid="care-switch"' in page
    assert 'aria-pressed="false"' in page
    assert 'class="elder"' not in page and "elder.css" not in page

    answer = press(client, True, "/decide/?page=2")
    assert answer.status_code == 302 and answer["Location"] == "/decide/?page=2"
    cookie = answer.cookies[CARE_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] >= 365 * 24 * 60 * 60
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    page = client.get("/").content.decode()
    assert '<html lang="en" class="elder">' in page
    assert "linli/elder.css" in page
    assert 'aria-pressed="true"' in page
    assert 'name="on" value="0"' in page  # pressing again turns it off

    answer = press(client, False, "/")
    assert answer["Location"] == "/"
    assert answer.cookies[CARE_COOKIE].value == ""
    assert answer.cookies[CARE_COOKIE]["max-age"] == 0
    page = client.get("/").content.decode()
    assert 'class="elder"' not in page and "elder.css" not in page


def test_care_mode_works_before_logging_in(client, db):
    """The login page has the switch too; the cookie belongs to the browser, not an account."""
    login = reverse("accounts:login")
    assert 'data-testid="care-switch"' in client.get(login).content.decode()
    answer = press(client, True, login)
    assert answer["Location"] == login
    assert 'class="elder"' in client.get(login).content.decode()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "",
        "registry/",
    ],
)
def test_the_switch_never_sends_anyone_to_another_site(client, db, next_url):
    answer = press(client, True, next_url)
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert answer.cookies[CARE_COOKIE].value == "1"


def test_the_switch_takes_a_post_with_its_token_only(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get(SWITCH).status_code == 405
    assert client.post(SWITCH, {"on": "1", "next": "/"}).status_code == 403
