"""Open311 driven by a client library from the package registry — `georeport` (PyPI), in JSON
and XML — against a live server: the service list, a definition, requests and one request.
`georeport` reads only (it has no POST, nor tokens), so the requests are posted, and their
tokens read, with plain HTTP."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from linli.appeals.open311 import places
from linli.core.jobs import run_pending_jobs

from . import helpers as h
from . import open311_helpers as o

SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def live(live_server, shared):
    places.forget()
    a = shared("appeals")
    gw = o.gateway(a)
    yield live_server, a, gw
    places.forget()


def _as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_what_a_gateway_posted(live, fmt):
    server, a, gw = live
    root = f"{server.url}{o.ROOT}"
    # georeport cannot post: the request is posted with plain HTTP, as a gateway would.
    posted = requests.post(f"{root}requests.json", data=o.post_fields(gw.secret), timeout=30)
    assert posted.status_code == 201, posted.text
    token = posted.json()[0]["token"]
    run_pending_jobs()  # the intake job raises the post as an appeal (the server's worker would)
    number = requests.get(f"{root}tokens/{token}.json", timeout=30).json()[0]["service_request_id"]

    client = GeoReport(root, jurisdiction=o.JURISDICTION, output_format=fmt)
    services = _as_list(client.get_service_list())
    assert [s["service_code"] for s in services] == ["HJWS", "ZCZX"]
    assert all(set(s) == o.SERVICE_FIELDS for s in services)

    definition = client.get_service_definition("HJWS")
    assert definition["service_code"] == "HJWS"
    attributes = definition["attributes"]
    attributes = attributes if fmt == "json" else _as_list(attributes["attribute"])
    assert {a["code"] for a in attributes} >= {"URGENCY", "LOCATION_DETAIL"}

    listed = _as_list(client.get_service_requests(service_code="HJWS", status="open"))
    assert [r["service_request_id"] for r in listed] == [number]
    assert set(listed[0]) == o.REQUEST_FIELDS
    assert "张建国" not in str(listed[0]) and "13912345678" not in str(listed[0])

    one = client.get_service_request(number)
    one = _as_list(one)[0] if fmt == "xml" or isinstance(one, list) else one
    assert one["service_request_id"] == number
    assert one["address"] == "峡山区太保庄街道文岭社区文岭一村"
    assert one["requested_datetime"].endswith("+08:00")
