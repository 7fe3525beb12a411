"""GeoReport v2 answers in both formats: `.json` (UTF-8 JSON) and `.xml` (UTF-8 XML with the
spec's element names). Lists in XML name their items as the spec does: `services/service`,
`service_requests/request`, `errors/error`, `endpoints/endpoint`, `formats/format`,
`attributes/attribute`, `values/value`."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET  # noqa: S405 — writing only, never parsing

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ET.Element, tag: str, value) -> None:
    node = ET.SubElement(parent, tag)
    _fill(node, tag, value)


def _fill(node: ET.Element, tag: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _element(node, key, item)
    elif isinstance(value, list):
        child = ITEM_TAGS.get(tag, "item")
        for item in value:
            _element(node, child, item)
    else:
        node.text = _text(value)


def _declared(node: ET.Element) -> bytes:
    body = ET.tostring(node, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def answer(fmt: str, root: str, value, *, status: int = 200) -> HttpResponse:
    """`value` in `fmt`: JSON as it is, XML under `root` (a list's items named by `ITEM_TAGS`)."""
    if fmt == "xml":
        body = _declared(_root(root, value))
    else:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _root(root: str, value) -> ET.Element:
    node = ET.Element(root)
    _fill(node, root, value)
    return node


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The spec's error list: each error a `code` (the HTTP status) and a `description`."""
    rows = [{"code": status, "description": d} for d in descriptions]
    return answer(fmt if fmt in FORMATS else "json", "errors", rows, status=status)
