"""Open311 GeoReport v2 at /open311/v2/ against the spec's published field lists
(http://wiki.open311.org/GeoReport_v2): discovery, the service list and definitions (the
public categories), posting a request with an API key, and the public reads of requests — in
JSON and XML; every bad input answered with the spec's error list and the right status, and
nothing stored; the same post retried with an Idempotency-Key raises one appeal; keys issued
and revoked by the administrator, each post audited under the key's system account."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
import xmltodict
from django.core.exceptions import PermissionDenied, ValidationError

from linli.accounts.models import ApiToken
from linli.appeals import services
from linli.appeals.models import Appeal, Open311Intake, Open311Key
from linli.appeals.open311 import keys, places, queue
from linli.core.jobs import run_pending_jobs
from linli.core.models import Area, AuditRecord

from . import helpers as h
from . import open311_helpers as o

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    places.forget()
    yield shared("appeals")
    places.forget()


@pytest.fixture
def gw(a):
    return o.gateway(a)


@pytest.fixture(autouse=True)
def commits_at_once(monkeypatch):
    """A post's work commits when it is answered, as on the server; here the test's own
    transaction holds it, so what waits for the commit (queueing the intake job) runs at once."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def _json(response):
    assert response["Content-Type"].startswith("application/json")
    assert "charset=utf-8" in response["Content-Type"]
    return json.loads(response.content.decode("utf-8"))


def _xml(response, root: str, item: str | None = None):
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    parsed = xmltodict.parse(response.content)[root]
    if item is None:
        return parsed
    rows = (parsed or {}).get(item, [])
    return rows if isinstance(rows, list) else [rows]


def _post(client, fields, fmt="json", **headers):
    return client.post(f"{o.ROOT}requests.{fmt}", data=fields, headers=headers)


def _raised(client, fields, **headers) -> str:
    """Post, let the intake job raise it, and return the request's id its token gives."""
    response = _post(client, fields, **headers)
    assert response.status_code == 201, response.content
    token = _json(response)[0]["token"]
    run_pending_jobs()
    return _json(client.get(f"{o.ROOT}tokens/{token}.json"))[0]["service_request_id"]


def _error(response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status
    if fmt == "json":
        rows = _json(response)
    else:
        rows = _xml(response, "errors", "error")
        for row in rows:
            row["code"] = int(row["code"])
    assert rows and all(set(r) == o.ERROR_FIELDS for r in rows)
    assert rows[0]["code"] == status
    return rows[0]["description"]


# --- discovery and services --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_spec_and_both_formats(client, a, fmt):
    response = client.get(f"{o.ROOT}discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = _json(response)
        endpoint = body["endpoints"][0]
        formats = endpoint["formats"]
    else:
        body = _xml(response, "discovery")
        endpoint = body["endpoints"]["endpoint"]
        formats = endpoint["formats"]["format"]
    assert set(body) == o.DISCOVERY_FIELDS
    assert set(endpoint) == o.ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(formats) == {"text/xml", "application/json"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_service_list_is_the_public_categories(client, a, fmt):
    response = client.get(f"{o.ROOT}services.{fmt}", {"jurisdiction_id": o.JURISDICTION})
    assert response.status_code == 200
    rows = _json(response) if fmt == "json" else _xml(response, "services", "service")
    assert [r["service_code"] for r in rows] == [
        "HJWS",
        "ZCZX",
    ]  # 邻里纠纷 and 治安隐患 are not public
    for row in rows:
        assert set(row) == o.SERVICE_FIELDS
        assert row["type"] in o.SERVICE_TYPES
    assert rows[0]["service_name"] == "环境卫生"
    assert rows[0]["metadata"] in (True, "true")


def test_a_withdrawn_category_leaves_the_list(client, a):
    services.category_set_offered(actor=None, category=a.categories.sanitation, offered=False)
    rows = _json(client.get(f"{o.ROOT}services.json"))
    assert [r["service_code"] for r in rows] == ["ZCZX"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_lists_its_attributes(client, a, fmt):
    response = client.get(f"{o.ROOT}services/HJWS.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = _json(response)
        attributes = body["attributes"]
    else:
        body = _xml(response, "service_definition")
        attributes = body["attributes"]["attribute"]
        for row in attributes:
            values = (row.get("values") or {}).get("value", [])
            row["values"] = values if isinstance(values, list) else [values]
    assert set(body) == o.DEFINITION_FIELDS and body["service_code"] == "HJWS"
    assert [r["code"] for r in attributes] == ["URGENCY", "LOCATION_DETAIL", "ANONYMOUS"]
    for row in attributes:
        assert set(row) == o.ATTRIBUTE_FIELDS
        assert row["datatype"] in o.DATATYPES
        for value in row["values"]:
            assert set(value) == o.VALUE_FIELDS
    assert str(attributes[0]["required"]).lower() == "true"


@pytest.mark.parametrize("code", ["LLJF", "NOPE"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_non_public_or_unknown_service_is_not_found(client, a, code, fmt):
    _error(client.get(f"{o.ROOT}services/{code}.{fmt}"), 404, fmt)


def test_an_unknown_format_or_jurisdiction(client, a):
    _error(client.get(f"{o.ROOT}services.csv"), 404)
    assert "jurisdiction_id" in _error(
        client.get(f"{o.ROOT}services.json", {"jurisdiction_id": "370700000000"}), 404
    )


# --- posting a request -------------------------------------------------------------------------


def test_a_post_is_answered_with_a_token_and_raised_as_an_appeal_in_the_named_village(
    client, a, gw
):
    response = _post(client, o.post_fields(gw.secret))
    assert response.status_code == 201
    rows = _json(response)
    assert len(rows) == 1 and set(rows[0]) == o.POST_FIELDS - {"service_request_id"}
    token = rows[0]["token"]
    assert token.startswith("tk") and "tokens/" + token in rows[0]["service_notice"]
    # Waiting in the intake queue: no appeal yet, the token answers without an id.
    assert not Appeal.objects.exists()
    waiting = _json(client.get(f"{o.ROOT}tokens/{token}.json"))
    assert waiting == [{"token": token}]
    assert run_pending_jobs() >= 1
    appeal = Appeal.objects.get()
    rows = _json(client.get(f"{o.ROOT}tokens/{token}.json"))
    assert rows == [{"service_request_id": appeal.number, "token": token}]
    assert appeal.channel == "open311" and appeal.area == a.village
    assert (appeal.tier, appeal.tier_area) == ("village", a.village)
    assert appeal.reporter_name == "张建国" and appeal.reporter_mobile == "13912345678"
    assert "紧急程度：紧急" in appeal.description
    assert appeal.address.endswith("大槐树旁")
    assert appeal.media_url == "https://photos.example.cn/drain.jpg"
    assert str(appeal.latitude) == "36.501234"  # six decimals kept
    assert "文岭一村" in queue.answer_row(Open311Intake.objects.get())["service_notice"]
    # The post is audited under the key's system account; the appeal's records name its token.
    post = AuditRecord.objects.get(object_id=str(appeal.pk), actor=gw.account)
    assert post.changes["open311_key"] == gw.key.pk and post.changes["token"] == token
    assert post.source == f"api-token:{gw.key.token_id}"
    created = AuditRecord.objects.filter(object_type="appeals.appeal", actor__isnull=True)
    assert created and {r.source for r in created} == {f"api-token:{gw.key.token_id}"}
    assert {r.channel for r in created} == {"api"}


def test_a_post_in_xml_and_through_the_hotline_key(client, a):
    hotline = o.gateway(a, channel="hotline", username="hotline-12345")
    fields = o.post_fields(hotline.secret, lat=None, long=None)
    response = _post(client, fields, fmt="xml")
    assert response.status_code == 201
    rows = _xml(response, "service_requests", "request")
    assert set(rows[0]) == o.POST_FIELDS - {"service_request_id"}
    run_pending_jobs()
    rows = _xml(client.get(f"{o.ROOT}tokens/{rows[0]['token']}.xml"), "service_requests", "request")
    assert Appeal.objects.get(number=rows[0]["service_request_id"]).channel == "hotline"


def test_an_anonymous_post_where_the_category_allows_it(client, a, gw):
    fields = o.post_fields(
        gw.secret, first_name=None, last_name=None, phone=None, **{"attribute[ANONYMOUS]": "1"}
    )
    assert Appeal.objects.get(number=_raised(client, fields)).anonymous


def test_a_post_by_address_id_and_a_department_category(client, a, gw):
    Area.objects.filter(pk=a.far_village.pk).update(code="370772102201")
    places.forget()
    fields = o.post_fields(gw.secret, address_string=None, address_id="370772102201")
    assert Appeal.objects.get(number=_raised(client, fields)).area_id == a.far_village.pk
    # Coordinates alone place it in the district: a category with a department takes it.
    fields = o.post_fields(gw.secret, service_code="ZCZX", address_string=None)
    fields.pop("attribute[ANONYMOUS]", None)
    assert Appeal.objects.get(number=_raised(client, fields)).tier == "department"


def test_the_same_post_retried_with_its_idempotency_key_raises_one_appeal(client, a, gw):
    fields = o.post_fields(gw.secret)
    first = _post(client, fields, **{"Idempotency-Key": "gw-2026-0001"})
    again = _post(client, fields, **{"Idempotency-Key": "gw-2026-0001"})
    assert first.status_code == again.status_code == 201
    assert _json(first) == _json(again) and again["Idempotent-Replayed"] == "true"
    run_pending_jobs()
    late = _post(client, fields, **{"Idempotency-Key": "gw-2026-0001"})  # after it was raised
    assert _json(late) == _json(first) and Open311Intake.objects.count() == 1
    assert Appeal.objects.count() == 1
    other = _post(
        client,
        o.post_fields(gw.secret, description="另一件事"),
        **{"Idempotency-Key": "gw-2026-0001"},
    )
    _error(other, 400)
    assert Appeal.objects.count() == 1


def test_the_intake_job_raises_each_post_once(client, a, gw):
    for description in ("排水沟堵了", "路灯不亮", "垃圾没人清"):
        assert _post(client, o.post_fields(gw.secret, description=description)).status_code == 201
    rows = list(Open311Intake.objects.order_by("id"))
    assert [r.state for r in rows] == ["waiting"] * 3 and not Appeal.objects.exists()
    # One run raises one row; the same row again (a retried job, a second worker) does nothing.
    assert queue.raise_one(rows[0].pk) == "raised"
    assert queue.raise_one(rows[0].pk) == ""
    assert queue.raise_waiting() == {"raised": 2, "refused": 0}
    assert queue.raise_waiting() == {"raised": 0, "refused": 0}
    assert Appeal.objects.count() == 3
    assert sorted(Open311Intake.objects.values_list("appeal__description", flat=True)) == sorted(
        Appeal.objects.values_list("description", flat=True)
    )
    assert AuditRecord.objects.filter(actor=gw.account, action="create").count() == 3


def test_a_post_whose_service_is_withdrawn_before_it_is_raised_is_refused_on_its_token(
    client, a, gw
):
    token = _json(_post(client, o.post_fields(gw.secret)))[0]["token"]
    services.category_set_offered(actor=None, category=a.categories.sanitation, offered=False)
    run_pending_jobs()
    row = Open311Intake.objects.get()
    assert row.state == "refused" and row.appeal is None and "HJWS" in row.refusal
    assert not Appeal.objects.exists()
    description = _error(client.get(f"{o.ROOT}tokens/{token}.json"), 404)
    assert token in description and "HJWS" in description
    refused = AuditRecord.objects.filter(actor=gw.account, outcome="failure").get()
    assert refused.changes["token"] == token
    # The administrator sees it on the keys page, with the key's count of posts.
    client.force_login(a.users["administrator"])
    page = client.get("/open311/keys/").content.decode()
    assert token in page and "HJWS" in page
    assert [(k.posts, k.waiting, k.refused) for k in keys.key_list()] == [(1, 0, 1)]


def test_an_unknown_token_is_not_found(client, a, gw):
    _error(client.get(f"{o.ROOT}tokens/tk0000.json"), 404)
    _error(client.get(f"{o.ROOT}tokens/tk0000.xml"), 404, "xml")


BAD_POSTS = {
    "no key": ({"api_key": None}, 403),
    "unknown key": ({"api_key": "lk_" + "x" * 43}, 403),
    "not a key": ({"api_key": "hello"}, 403),
    "no service_code": ({"service_code": None}, 400),
    "unknown service_code": ({"service_code": "NOPE"}, 404),
    "non-public category": ({"service_code": "LLJF"}, 404),
    "other jurisdiction": ({"jurisdiction_id": "110101000000"}, 404),
    "no location": ({"address_string": None, "lat": None, "long": None}, 400),
    "lat without long": ({"long": None}, 400),
    "lat/long outside the district": ({"lat": "39.9042", "long": "116.4074"}, 400),
    "lat not a number": ({"lat": "north"}, 400),
    "address outside the district": (
        {"address_string": "北京市东城区某胡同", "lat": None, "long": None},
        400,
    ),
    "unknown address_id": ({"address_id": "110101001001"}, 400),
    "no description": ({"description": "  "}, 400),
    "missing required attribute": ({"attribute[URGENCY]": None}, 400),
    "attribute value not listed": ({"attribute[URGENCY]": "someday"}, 400),
    "unknown attribute": ({"attribute[COLOUR]": "red"}, 400),
    "media_url not http": ({"media_url": "ftp://photos.example.cn/a.jpg"}, 400),
    "media_url javascript": ({"media_url": "javascript:alert(1)"}, 400),
    "name without phone": ({"phone": None}, 400),
    "bad phone": ({"phone": "12345"}, 400),
    "anonymous where not allowed": (
        {"service_code": "ZCZX", "first_name": None, "last_name": None, "phone": None},
        400,
    ),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_bad_posts_are_refused_in_the_spec_error_format_and_store_nothing(client, a, gw, case, fmt):
    changes, status = BAD_POSTS[case]
    before = AuditRecord.objects.filter(object_type="appeals.appeal", outcome="success").count()
    response = _post(client, o.post_fields(gw.secret, **changes), fmt=fmt)
    description = _error(response, status, fmt)
    assert description
    assert not Open311Intake.objects.exists()  # refused at once, nothing queued
    run_pending_jobs()
    assert not Appeal.objects.exists()
    assert (
        AuditRecord.objects.filter(object_type="appeals.appeal", outcome="success").count()
        == before
    )
    refused = AuditRecord.objects.filter(outcome="failure").order_by("-id").first()
    assert refused is not None  # every post is audited, refused ones too
    if status != 403:
        assert refused.actor_id == gw.account.pk


def test_a_revoked_key_is_refused(client, a, gw):
    keys.key_revoke(actor=a.users["administrator"], key=gw.key)
    _error(_post(client, o.post_fields(gw.secret)), 403)
    assert not Appeal.objects.exists()


def test_a_personal_api_token_is_no_open311_key(client, a):
    from linli.accounts import services as account_services

    cadre = a.users["village_cadre"]
    _token, secret = account_services.api_token_issue(actor=cadre, user=cadre, name="mine")
    _error(_post(client, o.post_fields(secret)), 403)


def test_other_methods_are_refused(client, a):
    _error(client.delete(f"{o.ROOT}requests.json"), 405)
    _error(client.post(f"{o.ROOT}services.json"), 405)


# --- keys ----------------------------------------------------------------------------------------


def test_keys_are_issued_by_the_administrator_to_system_accounts_only(a):
    from linli.accounts import services as account_services

    admin = a.users["administrator"]
    account = account_services.system_account_create(actor=admin, username="gw-x")
    with pytest.raises(PermissionDenied):
        keys.key_issue(actor=a.users["village_cadre"], account=account, channel="open311")
    with pytest.raises(ValidationError):
        keys.key_issue(actor=admin, account=a.users["village_cadre"], channel="open311")
    with pytest.raises(ValidationError):
        keys.key_issue(actor=admin, account=account, channel="counter")
    key, secret = keys.key_issue(actor=admin, account=account, channel="hotline")
    token = ApiToken.objects.get(pk=key.token_id)
    assert secret.startswith("lk_") and secret not in (token.key_hash, token.prefix)
    assert keys.key_find(secret).pk == key.pk
    assert AuditRecord.objects.filter(
        object_type="appeals.open311key", object_id=str(key.pk)
    ).exists()
    with pytest.raises(PermissionDenied):
        keys.key_revoke(actor=a.users["village_cadre"], key=key)
    keys.key_revoke(actor=admin, key=key)
    assert keys.key_find(secret) is None
    assert Open311Key.objects.filter(pk=key.pk).exists()


# --- reading requests -----------------------------------------------------------------------------


@pytest.fixture
def raised(client, a, gw):
    """Two posted requests (one settled and closed), one at the counter in a public category,
    one in a category that is not public."""
    first = _raised(client, o.post_fields(gw.secret))
    second = _raised(
        client,
        o.post_fields(gw.secret, description="路灯不亮", **{"attribute[URGENCY]": "normal"}),
    )
    closed = Appeal.objects.get(number=second)
    services.appeal_settle(actor=None, appeal=closed, what_was_done="已疏通")
    services.return_visit_record(
        actor=None,
        appeal=Appeal.objects.get(pk=closed.pk),
        satisfaction="satisfied",
        method="phone",
    )
    counter = h.raise_appeal(a)
    hidden = h.raise_appeal(a, category=a.categories.neighbours)
    return {"open": first, "closed": second, "counter": counter.number, "hidden": hidden.number}


def _requests(client, fmt="json", **params):
    response = client.get(f"{o.ROOT}requests.{fmt}", params)
    assert response.status_code == 200, response.content
    return _json(response) if fmt == "json" else _xml(response, "service_requests", "request")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_public_reads_carry_the_spec_fields_and_nothing_of_the_reporter(client, a, raised, fmt):
    rows = _requests(client, fmt)
    numbers = {r["service_request_id"] for r in rows}
    assert numbers == {raised["open"], raised["closed"], raised["counter"]}  # not the hidden one
    for row in rows:
        assert set(row) == o.REQUEST_FIELDS
        assert re.match(o.ISO_WITH_OFFSET, row["requested_datetime"])
        assert row["requested_datetime"].endswith("+08:00")
        assert re.match(o.ISO_WITH_OFFSET, row["updated_datetime"])
        text = json.dumps(row, ensure_ascii=False)
        for secret in ("张建国", "13912345678", a.household.head.name, a.household.head.id_number):
            assert secret not in text
    row = next(r for r in rows if r["service_request_id"] == raised["open"])
    assert row["status"] == "open" and row["service_code"] == "HJWS"
    assert row["address"] == "峡山区太保庄街道文岭社区文岭一村"  # the village, no house or landmark
    assert float(row["lat"]) == 36.5 and float(row["long"]) == 119.41
    assert row["agency_responsible"] == "文岭一村"
    assert re.match(o.ISO_WITH_OFFSET, row["expected_datetime"])
    assert "139****5678" in row["description"]
    closed = next(r for r in rows if r["service_request_id"] == raised["closed"])
    assert closed["status"] == "closed" and closed["expected_datetime"] in ("", None)


def test_requests_by_ids_service_status_and_dates(client, a, raised):
    ids = f"{raised['open']},{raised['closed']},{raised['hidden']}"
    assert {r["service_request_id"] for r in _requests(client, service_request_id=ids)} == {
        raised["open"],
        raised["closed"],
    }
    assert {r["service_request_id"] for r in _requests(client, status="closed")} == {
        raised["closed"]
    }
    assert raised["closed"] not in {
        r["service_request_id"] for r in _requests(client, status="open")
    }
    assert len(_requests(client, service_code="ZCZX")) == 0
    assert len(_requests(client, service_code="HJWS,ZCZX")) == 3
    today = WORLD_CLOCK.date()
    assert (
        len(
            _requests(
                client, start_date=f"{today}T00:00:00+08:00", end_date=f"{today}T23:59:59+08:00"
            )
        )
        == 3
    )
    assert len(_requests(client, start_date="2026-12-01T00:00:00Z")) == 0
    assert len(_requests(client, end_date="2026-11-01T00:00:00+08:00")) == 0


BAD_READS = {
    "malformed start_date": {"start_date": "25/11/2026"},
    "malformed end_date": {"end_date": "2026-13-45T00:00:00Z"},
    "more than 90 days": {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    "end before start": {"start_date": "2026-11-20T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
    "unknown status": {"status": "pending"},
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", BAD_READS, ids=list(BAD_READS))
def test_bad_reads_are_refused(client, a, case, fmt):
    _error(client.get(f"{o.ROOT}requests.{fmt}", BAD_READS[case]), 400, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_and_its_token(client, a, raised, fmt):
    response = client.get(f"{o.ROOT}requests/{raised['open']}.{fmt}")
    rows = _json(response) if fmt == "json" else _xml(response, "service_requests", "request")
    assert len(rows) == 1 and set(rows[0]) == o.REQUEST_FIELDS
    _error(client.get(f"{o.ROOT}requests/{raised['hidden']}.{fmt}"), 404, fmt)
    _error(client.get(f"{o.ROOT}requests/SQ0.{fmt}"), 404, fmt)
    response = client.get(f"{o.ROOT}tokens/{raised['open']}.{fmt}")
    rows = _json(response) if fmt == "json" else _xml(response, "service_requests", "request")
    assert rows == [{"service_request_id": raised["open"], "token": raised["open"]}]


def test_updated_datetime_follows_the_last_step(client, a, raised, clock):
    clock.shift(dt.timedelta(hours=2))
    services.appeal_take(actor=None, appeal=Appeal.objects.get(number=raised["open"]))
    row = _requests(client, service_request_id=raised["open"])[0]
    assert row["updated_datetime"] == "2026-11-25T11:30:00+08:00"
    assert row["requested_datetime"] == "2026-11-25T09:30:00+08:00"


def test_the_command_issues_lists_and_revokes_keys(a, capsys):
    from django.core.management import call_command

    call_command("open311_key", "issue", "gw-cli", "--channel", "hotline", "--create")
    secret = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    key = keys.key_find(secret)
    assert key is not None and key.channel == "hotline" and key.token.user.is_system_account
    call_command("open311_key", "list")
    listed = capsys.readouterr().out
    assert "gw-cli" in listed and secret not in listed
    call_command("open311_key", "revoke", str(key.pk))
    assert keys.key_find(secret) is None


def test_the_administrator_issues_and_revokes_keys_on_the_page(client, a):
    from linli.accounts import services as account_services

    admin = a.users["administrator"]
    account = account_services.system_account_create(actor=admin, username="gw-page")
    client.force_login(a.users["village_cadre"])
    assert client.get("/open311/keys/").status_code == 403
    client.force_login(admin)
    assert client.get("/open311/keys/").status_code == 200
    refused = client.post("/open311/keys/issue/", {"account": account.pk, "channel": "counter"})
    assert refused.status_code == 400 and not Open311Key.objects.exists()
    issued = client.post("/open311/keys/issue/", {"account": account.pk, "channel": "hotline"})
    assert issued.status_code == 200
    secret = re.search(r'value="(lk_[^"]+)"', issued.content.decode()).group(1)
    key = keys.key_find(secret)
    assert key is not None and key.channel == "hotline"
    listed = client.get("/open311/keys/").content.decode()
    assert "gw-page" in listed and secret not in listed
    revoked = client.post("/open311/keys/revoke/", {"key": key.pk})
    assert revoked.status_code == 302 and keys.key_find(secret) is None
