"""The database goes away 数据库中断: people get a Chinese 503 page, the API its usual error
shape with 503, both with Retry-After; the log gets one line when the outage begins and one
when the database answers again, not a traceback per request. A real error gets the styled
Chinese 500 page (and its traceback in the log)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory
from django.urls import reverse

from linli.accounts.services import api_token_issue
from linli.core import outage, views_errors

from .database_away import database_away

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

BACKEND = "django.contrib.auth.backends.ModelBackend"
UNAVAILABLE_TITLE = "暂时无法使用"


@pytest.fixture(autouse=True)
def fresh_outage_state(monkeypatch):
    """Each test starts with the database answering, as far as the process knows."""
    monkeypatch.setattr(outage, "state", outage.OutageState())


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def chinese(**kwargs) -> Client:
    # A request the database cannot serve raises inside Django; the test client would re-raise
    # it instead of returning the answer the person gets.
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans", raise_request_exception=False, **kwargs)


def signed_in(user) -> Client:
    client = chinese()
    client.force_login(user, backend=BACKEND)
    return client


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    # The site's own layout, in Chinese, usable on a phone
    assert '<html lang="zh-CN">' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "bootstrap.min.css" in page and "<footer" in page
    assert 'data-testid="unavailable"' in page
    assert f'<h1 class="h4">{UNAVAILABLE_TITLE}</h1>' in page
    assert "暂时无法连接数据库" in page
    assert "Server Error" not in page and "Traceback" not in page


def assert_unavailable_api(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["errors"] == []
    assert "暂时无法连接数据库" in body["detail"]


def tracebacks(log) -> list[logging.LogRecord]:
    return [r for r in log.records if r.exc_info]


def outage_lines(log) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in log.records if r.name == "linli.core.outage"]


def test_pages_answer_the_chinese_503_page(world, log):
    staff = signed_in(world.users["community_worker"])
    resident = signed_in(world.users["resident"])
    visitor = chinese()

    with database_away():
        answers = [
            visitor.get(reverse("services:catalogue")),  # a view's query fails
            staff.get(reverse("core:workbench")),  # the session cannot be read
            staff.get(reverse("registry:household_list"), HTTP_HX_REQUEST="true"),
            resident.get(reverse("core:workbench")),
            staff.post(reverse("accounts:logout")),
        ]

    for response in answers:
        assert_unavailable_page(response)
    assert tracebacks(log) == []
    assert not [r for r in log.records if r.name == "django.request"]


def test_the_login_page_does_not_offer_a_login_that_cannot_work(db, log):
    with database_away():
        response = chinese().get(reverse("accounts:login"))

    assert_unavailable_page(response)
    assert 'name="password"' not in response.content.decode()


def test_the_login_page_answers_when_the_database_does(db):
    response = chinese().get(reverse("accounts:login"))

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_a_connection_lost_is_answered_the_same(world, log):
    with database_away(lost=True):
        page = chinese().get(reverse("services:catalogue"))
        api = chinese().get("/api/catalogue")

    assert_unavailable_page(page)
    assert_unavailable_api(api)
    assert tracebacks(log) == []


def test_the_api_answers_503_in_its_error_shape(world, log):
    leader = world.users["district_leader"]
    _token, key = api_token_issue(actor=leader, user=leader, name="报表")
    bearer = {"Authorization": f"Bearer {key}"}
    session = signed_in(leader)

    with database_away():
        answers = [
            chinese().get("/api/catalogue"),  # public
            chinese().get("/api/households", headers=bearer),  # the token cannot be looked up
            session.get("/api/households"),  # the session cannot be read
            chinese().post(
                "/api/households",
                {"area": world.grids[0].pk, "number": "H9", "address": "王家庄"},
                content_type="application/json",
                headers=bearer,
            ),
        ]

    for response in answers:
        assert_unavailable_api(response)
    assert tracebacks(log) == []


def test_one_line_when_the_outage_begins_and_one_when_it_ends(world, log):
    staff = signed_in(world.users["community_worker"])

    with database_away():
        for _ in range(10):
            assert staff.get(reverse("core:workbench")).status_code == 503
            assert chinese().get("/api/catalogue").status_code == 503
    assert chinese().get(reverse("services:catalogue")).status_code == 200
    assert staff.get(reverse("core:workbench")).status_code == 200

    lines = outage_lines(log)
    assert [level for level, _ in lines] == ["WARNING", "INFO"]
    began, ended = (message for _, message in lines)
    assert began.startswith("The database does not answer (OperationalError: ")
    assert "answering 503 until it does" in began
    assert ended.startswith("The database answers again after ")
    assert ended.endswith("; 20 requests were answered 503 meanwhile.")
    assert tracebacks(log) == []
    assert not outage.state.active


def test_the_next_outage_is_logged_again(world, log):
    for _ in range(2):
        with database_away():
            chinese().get(reverse("services:catalogue"))
            chinese().get(reverse("services:catalogue"))
        chinese().get(reverse("services:catalogue"))

    assert [level for level, _ in outage_lines(log)] == ["WARNING", "INFO", "WARNING", "INFO"]


def test_the_503_page_needs_no_database(world, django_assert_num_queries):
    """Rendered for a signed-in person's request, whose session, user and messages are there
    to be read (lazily, as the middleware leaves them): none of them is read."""
    staff = signed_in(world.users["community_worker"])
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    request.COOKIES.update({name: cookie.value for name, cookie in staff.cookies.items()})
    for middleware in (SessionMiddleware, AuthenticationMiddleware, MessageMiddleware):
        middleware(lambda r: None).process_request(request)
    error = outage.DATABASE_ERRORS[0]("unable to open database file")

    with django_assert_num_queries(0):
        response = views_errors.database_unavailable(request, error)

    assert response.status_code == 503
    assert 'data-testid="unavailable"' in response.content.decode()
    assert request.user.is_authenticated  # the session was there to be read


@pytest.mark.urls("tests.core.urls_errors")
def test_a_real_error_gets_the_styled_chinese_500_page_and_its_traceback(world, log):
    response = signed_in(world.users["community_worker"]).get("/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="zh-CN">' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "bootstrap.min.css" in page and "<footer" in page
    assert '<h1 class="h4">出错了</h1>' in page and "返回首页" in page
    assert "Server Error" not in page and "a bug in a view" not in page
    assert "Retry-After" not in response
    logged = tracebacks(log)
    assert len(logged) == 1 and logged[0].exc_info[0] is RuntimeError
    assert outage_lines(log) == []
