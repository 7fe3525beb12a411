"""Shared pieces of the Open311 tests: the spec's published field lists (GeoReport v2,
http://wiki.open311.org/GeoReport_v2), a gateway's key, and a valid post."""

from __future__ import annotations

from types import SimpleNamespace

from linli.accounts import services as account_services
from linli.appeals.open311 import keys

ROOT = "/open311/v2/"
JURISDICTION = "370772000000"  # 峡山区's division code (the world's district)

# GET services: each service's fields.
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
# GET service definition.
DEFINITION_FIELDS = {"service_code", "attributes"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
VALUE_FIELDS = {"key", "name"}
# POST service request: the answer's fields (a token, a service_request_id or both).
POST_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}
# GET service requests / GET service request.
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
ERROR_FIELDS = {"code", "description"}
DISCOVERY_FIELDS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}
ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+|-)\d{2}:\d{2}$"


def gateway(a, *, channel: str = "open311", username: str = "hotline-gateway") -> SimpleNamespace:
    admin = a.users["administrator"]
    account = account_services.system_account_create(
        actor=admin, username=username, display_name="12345 热线网关"
    )
    key, secret = keys.key_issue(actor=admin, account=account, channel=channel, name="12345")
    return SimpleNamespace(account=account, key=key, secret=secret)


def post_fields(secret: str, **changes) -> dict:
    """A valid post: a blocked drain in 文岭一村 (named by its community and village), with the
    reporter's name and phone."""
    fields = {
        "api_key": secret,
        "jurisdiction_id": JURISDICTION,
        "service_code": "HJWS",
        "address_string": "峡山区太保庄街道文岭社区文岭一村东头",
        "lat": "36.5012345",
        "long": "119.4123456",
        "description": "村东头排水沟堵塞，污水漫到路上，联系电话13912345678",
        "first_name": "建国",
        "last_name": "张",
        "phone": "13912345678",
        "attribute[URGENCY]": "urgent",
        "attribute[LOCATION_DETAIL]": "大槐树旁",
        "media_url": "https://photos.example.cn/drain.jpg",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}
