"""党员公开承诺 — the commitments endpoints (/api/decide/commitments): the commitments of the
boards you read, and a household's rating of one (idempotency key)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from linli.core.api import (
    Id,
    IdempotencyKeyHeader,
    InputSchema,
    OutputSchema,
    PageQuery,
    PathId,
    as_json,
    idempotent,
    page,
    responses,
    text,
)
from linli.core.scoping import OutOfScope

from ..models import Commitment
from . import selectors, services

router = Router(tags=["decide"])

RatingChoice = Literal["satisfied", "basically", "dissatisfied"]


class RecordOut(OutputSchema):
    done_on: dt.date
    text: str


class CommitmentOut(OutputSchema):
    id: int
    party_member: str = Field(alias="resident.name")
    community: int | None
    area: int = Field(alias="area_id")
    place: str
    business_street: str
    text: str
    year: int
    records: list[RecordOut] = Field(alias="records.all")
    ratings: dict[str, int]

    @staticmethod
    def resolve_community(entry):
        return entry.community_id

    @staticmethod
    def resolve_ratings(entry):
        return dict(entry.rating_counts)


class CommitmentPage(Schema):
    count: int
    items: list[CommitmentOut]


class CommitmentQuery(PageQuery):
    community: Id | None = Field(None, description="Only this community's board")


class CommitmentRatingIn(InputSchema):
    rating: RatingChoice
    note: text(services.TEXT_LENGTH) = ""  # type: ignore[valid-type]


class CommitmentRatingOut(OutputSchema):
    id: int
    commitment: int = Field(alias="commitment_id")
    rating: RatingChoice
    note: str


@router.get("", response=responses({200: CommitmentPage}), operation_id="commitment_list")
def list_commitments(request, filters: Query[CommitmentQuery]):
    """党员公开承诺榜 — the commitments on the boards you read (a resident: their community's;
    staff: those of the communities in their area), with records and rating counts."""
    rows = selectors.commitments_for_api(user=request.auth, community=filters.community)
    return page(rows, filters)


@router.post(
    "/{id}/ratings",
    response=responses({201: CommitmentRatingOut}),
    operation_id="commitment_rate",
)
def rate_commitment(
    request,
    response: HttpResponse,
    id: PathId,
    payload: CommitmentRatingIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """群众评议 — your household rates a commitment of your community, once."""
    user = request.auth

    def write():
        commitment = Commitment.objects.filter(pk=id).first()
        if commitment is None:
            raise OutOfScope(Commitment, id)
        given = services.commitment_rate(
            actor=user, commitment=commitment, rating=payload.rating, note=payload.note
        )
        return 201, as_json(CommitmentRatingOut, given, request)

    return idempotent(request, response, idempotency_key, write)
