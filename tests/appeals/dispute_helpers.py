"""Shared test data for disputes 矛盾纠纷: the appeals world (`helpers.build_appeals`) with a
dispute category (邻里调解, its appeals mediated) and a neighbour of the world's first household
in the same grid, and helpers to bring a dispute to an agreement."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from linli.appeals import services
from linli.appeals.disputes import services as disputes

from .. import factories as f
from . import helpers as h

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUTSIDER_ID = "370702199001011234"  # a valid check digit
OUTSIDER_MOBILE = "13912345678"


def build_disputes(appeals):
    a = appeals
    a.categories.mediation = services.category_create(
        actor=None,
        code="LLTJ",
        name="邻里调解",
        village_days=10,
        community_days=10,
        street_days=10,
        department_days=10,
        dispute=True,
        sort_order=5,
    )
    a.neighbour = f.household(a.grid, "H09001", head_name="李四邻", mobile="13700001111")
    return a


def raise_dispute(a, **fields):
    """A drain dispute between the world's first household and its neighbour, raised at the
    counter in the dispute category."""
    defaults = {
        "category": a.categories.mediation,
        "description": "两户因排水沟走向发生纠纷",
    }
    return h.raise_appeal(a, **{**defaults, **fields})


def scan(data: bytes = PDF, name: str = "协议书.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def ready_to_agree(a, appeal, actor=None):
    """Two parties (the household head and the neighbour), the village cadre as mediator, and
    one session held an hour ago with both present."""
    actor = actor or a.users["village_cadre"]
    first = disputes.dispute_add_party(
        actor=actor, appeal=appeal, side="applicant", resident=a.household.head
    )
    second = disputes.dispute_add_party(
        actor=actor, appeal=appeal, side="respondent", resident=a.neighbour.head
    )
    disputes.dispute_set_mediator(actor=actor, appeal=appeal, mediator=a.users["village_cadre"])
    from django.utils import timezone

    disputes.session_record(
        actor=actor,
        appeal=appeal,
        held_at=timezone.now() - dt.timedelta(hours=1),
        place="文岭一村村委会调解室",
        attended=[first, second],
        notes="双方陈述，初步同意改道",
    )
    return first, second


def agree(a, appeal, actor=None, **fields):
    from django.utils import timezone

    actor = actor or a.users["village_cadre"]
    defaults = {
        "facts": "李四邻修建排水沟，污水流向户主院墙",
        "terms": "李四邻于十日内将排水沟改道至村道边沟，费用自理",
        "signed_on": timezone.localdate(),
    }
    return disputes.agreement_record(actor=actor, appeal=appeal, **{**defaults, **fields})
