"""The services Open311 lists — the public appeal categories — and what each asks for beyond
the spec's own fields (its service definition's attributes).

Every service has `metadata` true and these attributes (`attribute[CODE]` in a post):

- `URGENCY` 紧急程度 — required; `normal` 一般 or `urgent` 紧急;
- `LOCATION_DETAIL` 位置补充 — optional text, added to the address (门牌、路口、标志物);
- `ANONYMOUS` 匿名 — optional, only where the category may be raised anonymously; `1` names
  nobody (then no first_name, last_name or phone).

What the attributes say goes on the appeal's description, one line each, so the handler reads
them where they read the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..choices import Tier
from ..models import AppealCategory, AppealCategoryVersion

LOCATION_DETAIL_LENGTH = 100
URGENCY_VALUES = {"normal": "一般", "urgent": "紧急"}
ANONYMOUS_VALUES = {"0": "署名", "1": "匿名"}
STARTS_AT = {
    Tier.VILLAGE: "村(居)",
    Tier.COMMUNITY: "社区",
    Tier.STREET: "街道(镇)",
    Tier.DEPARTMENT: "区直部门",
}


def _values(values: dict[str, str]) -> list[dict]:
    return [{"key": key, "name": name} for key, name in values.items()]


def attributes_of(version: AppealCategoryVersion) -> list[dict]:
    rows = [
        {
            "variable": True,
            "code": "URGENCY",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": "normal 一般 / urgent 紧急",
            "order": 1,
            "description": "紧急程度",
            "values": _values(URGENCY_VALUES),
        },
        {
            "variable": True,
            "code": "LOCATION_DETAIL",
            "datatype": "string",
            "required": False,
            "datatype_description": f"至多 {LOCATION_DETAIL_LENGTH} 字",
            "order": 2,
            "description": "位置补充说明（门牌、路口、标志物）",
            "values": [],
        },
    ]
    if version.anonymous_allowed:
        rows.append(
            {
                "variable": True,
                "code": "ANONYMOUS",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "1 匿名（不留姓名电话） / 0 署名",
                "order": 3,
                "description": "是否匿名",
                "values": _values(ANONYMOUS_VALUES),
            }
        )
    return rows


def service_row(category: AppealCategory) -> dict:
    version = category.current_version
    return {
        "service_code": category.code,
        "service_name": version.name,
        "description": version.description,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(
            k for k in (version.name, "诉求", "匿名" if version.anonymous_allowed else "") if k
        ),
        "group": STARTS_AT.get(version.default_tier, ""),
    }


def definition(category: AppealCategory) -> dict:
    return {"service_code": category.code, "attributes": attributes_of(category.current_version)}


@dataclass(frozen=True)
class Attributes:
    urgency: str
    location_detail: str
    anonymous: bool


def _given(data) -> dict[str, str]:
    """The `attribute[CODE]` fields of a post (the last value of each)."""
    found: dict[str, str] = {}
    for name in data:
        if name.startswith("attribute[") and name.endswith("]"):
            found[name[len("attribute[") : -1]] = (data.get(name) or "").strip()
    return found


def check_attributes(version: AppealCategoryVersion, data) -> Attributes:
    from .intake import bad

    defined = {row["code"]: row for row in attributes_of(version)}
    given = _given(data)
    unknown = sorted(set(given) - set(defined))
    if unknown:
        raise bad(
            _("attribute[%(code)s] is not defined for this service.") % {"code": unknown[0][:30]}
        )
    for code, row in defined.items():
        value = given.get(code, "")
        if row["required"] and not value:
            raise bad(_("attribute[%(code)s] is required.") % {"code": code})
        keys = {v["key"] for v in row["values"]}
        if value and keys and value not in keys:
            raise bad(
                _("attribute[%(code)s] must be one of: %(keys)s.")
                % {"code": code, "keys": ", ".join(sorted(keys))}
            )
    detail = given.get("LOCATION_DETAIL", "")
    if len(detail) > LOCATION_DETAIL_LENGTH or "\x00" in detail:
        raise bad(
            _("attribute[LOCATION_DETAIL] holds at most %(n)s characters.")
            % {"n": LOCATION_DETAIL_LENGTH}
        )
    return Attributes(
        urgency=given.get("URGENCY", "normal"),
        location_detail=detail,
        anonymous=given.get("ANONYMOUS") == "1",
    )


def attribute_lines(attributes: Attributes) -> list[str]:
    lines = [f"紧急程度：{URGENCY_VALUES[attributes.urgency]}"]
    return lines
