"""A request posted to Open311 (POST requests.{fmt}) raised as an appeal.

Each field is checked in the spec's terms before anything is stored, and every refusal is an
`Open311Error` (the HTTP status and the description the error list carries): a missing or
unknown `service_code`, a category that is not public, a location outside the district, a
missing required attribute or one with a value the definition does not list, a `media_url`
that is not http(s) — and then as `services.appeal_input` checks an appeal (so a post the
appeal's own rules would refuse is refused at once). The appeal itself is raised by
`services.appeal_create` as a trusted gateway (the key was checked; a system account holds no grants), whose own refusals come back
as 400 with their message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import selectors, services
from ..choices import AppealChannel
from ..models import Appeal, AppealCategory
from . import places
from .definitions import attribute_lines, check_attributes

MEDIA_URL_LENGTH = 500


@dataclass
class Open311Error(Exception):
    status: int
    description: str

    def __str__(self) -> str:
        return self.description


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def public_category(code: str) -> AppealCategory:
    """The public, offered category with this service code; 404 for one unknown or not public
    (a category that may not be listed is not there for Open311)."""
    code = (code or "").strip()
    if not code:
        raise bad(_("service_code is required."))
    category = offered_public().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("There is no service with the code %(code)s.") % {"code": code})
    return category


def offered_public():
    return selectors.offered_categories(public_only=True)


def check_jurisdiction(value: str | None) -> None:
    """`jurisdiction_id`, when sent, must be the district's division code."""
    if value is None or value == "":
        return
    directory = places.directory()
    code = directory.district.code if directory is not None else ""
    if value.strip() != code:
        raise Open311Error(
            404, _("jurisdiction_id %(value)s is not served here.") % {"value": value[:40]}
        )


def _coordinate(value: str, name: str, limit: int) -> Decimal:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        raise bad(_("%(name)s is not a number.") % {"name": name}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise bad(_("%(name)s is out of range.") % {"name": name})
    return number


@dataclass(frozen=True)
class Location:
    area_id: int
    address: str
    lat: Decimal | None
    lon: Decimal | None


def location(data) -> Location:
    """lat/long, address_string or address_id — at least one; each given must lie in the
    district."""
    lat_text, lon_text = data.get("lat", ""), data.get("long", "")
    address_string = (data.get("address_string") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    if not (lat_text or lon_text or address_string or address_id):
        raise bad(_("A location is required: lat and long, address_string or address_id."))
    directory = places.directory()
    if directory is None:
        raise Open311Error(404, _("No district is served here."))
    lat = lon = None
    if lat_text or lon_text:
        if not (lat_text and lon_text):
            raise bad(_("Send both lat and long, or neither."))
        lat, lon = _coordinate(lat_text, "lat", 90), _coordinate(lon_text, "long", 180)
        if not places.inside(lat, lon):
            raise bad(
                _("The location lat/long is outside %(district)s.")
                % {"district": directory.district.name}
            )
    area_id = directory.district.pk
    if address_id:
        node = directory.by_code.get(address_id)
        if node is None:
            raise bad(
                _("address_id %(value)s is no place in %(district)s.")
                % {"value": address_id[:20], "district": directory.district.name}
            )
        area_id = node.pk
    elif address_string:
        node = directory.match(address_string)
        if node is None:
            raise bad(
                _(
                    "address_string names no single village, community or street in "
                    "%(district)s: name the village and its community."
                )
                % {"district": directory.district.name}
            )
        area_id = node.pk
    return Location(area_id, address_string, lat, lon)


def media_url(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > MEDIA_URL_LENGTH:
        raise bad(_("media_url must be an http or https address."))
    return value


def _reporter(data, category: AppealCategory, anonymous: bool) -> dict:
    name = (data.get("last_name") or "").strip() + (data.get("first_name") or "").strip()
    phone = (data.get("phone") or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if anonymous or not (name or phone):
        if not category.current_version.anonymous_allowed:
            raise bad(
                _("%(service)s needs the reporter: first_name or last_name, and phone.")
                % {"service": category.name}
            )
        if anonymous and (name or phone):
            raise bad(_("An anonymous request names nobody: leave the name and phone out."))
        return {"anonymous": True}
    if not name or not phone:
        raise bad(_("Send the reporter's name (first_name, last_name) with the phone number."))
    return {"reporter_name": name, "reporter_mobile": phone}


def _validation_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())
    return " ".join(error.messages)


def check_request(data) -> dict:
    """Check the posted fields in the spec's terms, then as `appeal_create` would (a phone
    number, the description's length); reads only, stores nothing. Returns the arguments the
    appeal is raised with."""
    check_jurisdiction(data.get("jurisdiction_id"))
    category = public_category(data.get("service_code", ""))
    version = category.current_version
    attributes = check_attributes(version, data)
    where = location(data)
    description = (data.get("description") or "").strip()
    if not description:
        raise bad(_("description is required: say what the request is about."))
    link = media_url(data.get("media_url"))
    lines = attribute_lines(attributes)
    address = where.address
    if attributes.location_detail:
        address = f"{address} {attributes.location_detail}".strip()
    arguments = {
        "category": category,
        "area": where.area_id,
        "description": "\n".join([description, *lines]) if lines else description,
        "address": address[: services.ADDRESS_LENGTH],
        "latitude": where.lat,
        "longitude": where.lon,
        **_reporter(data, category, attributes.anonymous),
    }
    try:
        services.appeal_input(actor=None, channel=AppealChannel.OPEN311, **arguments)
    except ValidationError as error:
        raise bad(_validation_text(error)) from None
    return {**arguments, "media_url": link}


def raise_checked(arguments: dict, *, channel: str) -> Appeal:
    """Raise the appeal of a checked post (`check_request`) in one transaction; nothing is
    stored when the appeal's own rules refuse it (400 with their message)."""
    arguments = dict(arguments)
    link = arguments.pop("media_url", "")
    try:
        with transaction.atomic():
            appeal = services.appeal_create(actor=None, channel=channel, **arguments)
            if link:
                Appeal.objects.filter(pk=appeal.pk).update(media_url=link)
                appeal.media_url = link
    except ValidationError as error:
        raise bad(_validation_text(error)) from None
    return appeal
