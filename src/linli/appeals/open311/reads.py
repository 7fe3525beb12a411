"""What public reads of Open311 requests show: the fields of the spec's GET requests answer,
with nothing of the reporter (no name, phone or ID), the address to village level only and the
coordinates rounded to two decimals (about a kilometre). Only appeals of public categories are
listed."""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, Max, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from linli.core.masking import mask_name, mask_text

from ..choices import AppealState, Tier
from ..models import Appeal
from . import places

MAX_RESULTS = 1000
STATUS_NOTES = {
    AppealState.WAITING: "待受理",
    AppealState.TAKEN: "办理中",
    AppealState.SETTLED: "已办结，待回访",
    AppealState.CLOSED: "已办结",
}


def public_requests() -> QuerySet[Appeal]:
    """Appeals of categories that are public now, with when each last moved."""
    created = "created_at"
    return (
        Appeal.objects.filter(category__current__public=True)
        .select_related("category", "category_version", "tier_area", "department", "reporter")
        .annotate(
            updated=Greatest(
                Coalesce(Max("steps__started_at"), created, output_field=DateTimeField()),
                Coalesce(Max("steps__taken_at"), created, output_field=DateTimeField()),
                Coalesce(Max("steps__ended_at"), created, output_field=DateTimeField()),
                Coalesce("closed_at", created, output_field=DateTimeField()),
            )
        )
        .order_by("-created_at", "-id")
    )


def iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _expected(appeal: Appeal) -> str:
    if appeal.due_on is None or appeal.state in (AppealState.SETTLED, AppealState.CLOSED):
        return ""
    end = dt.datetime.combine(appeal.due_on, dt.time(23, 59, 59))
    return iso(timezone.make_aware(end))


def notice(appeal: Appeal) -> str:
    if appeal.state in (AppealState.SETTLED, AppealState.CLOSED):
        return ""
    where = appeal.place_name
    tier = {
        Tier.VILLAGE: "村(居)",
        Tier.COMMUNITY: "社区",
        Tier.STREET: "街道(镇)",
        Tier.DEPARTMENT: "区直部门",
    }[appeal.tier]
    notice = f"由{tier}（{where}）办理"
    if appeal.due_on is not None:
        notice += f"，时限至 {appeal.due_on.isoformat()}"
        if appeal.due_assumed:
            notice += "（暂按周一至周五计算）"
    return notice


def public_description(appeal: Appeal) -> str:
    """The description with ID and mobile numbers masked, and the reporter's name too where
    the text repeats it."""
    text = mask_text(appeal.description)
    names = [appeal.reporter_name, getattr(appeal.reporter, "name", "") if appeal.reporter else ""]
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return text


def request_row(appeal: Appeal, directory: places.Directory | None) -> dict:
    address, address_id = directory.address(appeal.area_id) if directory else ("", "")
    updated = getattr(appeal, "updated", None) or appeal.created_at
    return {
        "service_request_id": appeal.number,
        "status": "closed" if appeal.state == AppealState.CLOSED else "open",
        "status_notes": STATUS_NOTES[appeal.state],
        "service_name": appeal.category_version.name,
        "service_code": appeal.category.code,
        "description": public_description(appeal),
        "agency_responsible": appeal.place_name,
        "service_notice": notice(appeal),
        "requested_datetime": iso(appeal.created_at),
        "updated_datetime": iso(updated),
        "expected_datetime": _expected(appeal),
        "address": address,
        "address_id": address_id,
        "zipcode": "",
        "lat": places.rounded(appeal.latitude),
        "long": places.rounded(appeal.longitude),
        "media_url": appeal.media_url,
    }
