"""The votes 表决 API (/api/decide/votes): one vote with its rules, roll size, turnout and —
once closed — its tally and result; casting a ballot; closing it.

Thin, like the other modules' APIs: each endpoint calls the selector or service the pages call.
A vote the caller may not see is a 404. A ballot is cast by a resident on the roll for their own
household (一户一票) or themselves on a phone vote, or entered by staff for a named voter with
the witness on a show of hands; a refusal (not on the roll, voted already, closed) is a 4xx with
the reason and nothing stored. Casting and closing accept an `Idempotency-Key`: the same
request sent twice casts one ballot and answers the same. The answer never says who chose
what in a secret vote; in an open one, staff get the list of voters and their choices.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from linli.core.api import (
    Id,
    IdempotencyKeyHeader,
    InputSchema,
    PathId,
    Version,
    idempotent,
    responses,
    text,
)

from . import selectors, services

if TYPE_CHECKING:
    WitnessText = str
else:
    WitnessText = text(services.WITNESS_LENGTH)

router = Router(tags=["decide"])


class MatterRef(Schema):
    id: int
    number: str
    title: str


class ChoiceOut(Schema):
    id: int
    label: str


class CountOut(Schema):
    choice: int
    label: str
    ballots: int


class ShownBallot(Schema):
    voter: str
    choice: str


class YouOut(Schema):
    on_roll: bool
    voted: bool


class VoteOut(Schema):
    id: int
    matter: MatterRef
    question: str
    body: str
    body_label: str
    quorum_percent: int
    majority: str
    majority_label: str
    secret: bool
    method: str
    method_label: str
    closes_at: dt.datetime
    state: str
    state_label: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    choices: list[ChoiceOut]
    roll_size: int
    cast: int
    turnout_percent: str
    tally: list[CountOut] | None = None
    result: str
    result_label: str
    winning_choice: int | None
    you: YouOut | None = None
    ballots: list[ShownBallot] | None = None


class BallotOut(Schema):
    """The receipt of a ballot: which vote, when — never the choice."""

    vote: int
    cast_at: dt.datetime
    you: YouOut | None = None


class BallotIn(InputSchema):
    choice: Id
    voter: Id | None = None
    witness: WitnessText = ""


class CloseIn(InputSchema):
    version: Version | None = None


def vote_out(user, vote) -> dict:
    """The vote as the caller may see it, in JSON values (an idempotent retry replays it)."""
    t = selectors.tally(vote)
    own = selectors.own_voter(user=user, vote=vote)
    shown = selectors.ballots_shown(user=user, vote=vote)
    body = {
        "id": vote.pk,
        "matter": {"id": vote.matter.pk, "number": vote.matter.number, "title": vote.matter.title},
        "question": vote.question,
        "body": vote.body,
        "body_label": str(vote.get_body_display()),
        "quorum_percent": vote.quorum_percent,
        "majority": vote.majority,
        "majority_label": str(vote.get_majority_display()),
        "secret": vote.secret,
        "method": vote.method,
        "method_label": str(vote.get_method_display()),
        "closes_at": vote.closes_at,
        "state": vote.state,
        "state_label": selectors.state_label(vote),
        "opened_at": vote.opened_at,
        "closed_at": vote.closed_at,
        "version": vote.version,
        "choices": [{"id": o.pk, "label": o.label} for o in vote.options.all()],
        "roll_size": vote.roll_size,
        "cast": t.cast,
        "turnout_percent": t.turnout_percent,
        "tally": None
        if t.counts is None
        else [{"choice": o.pk, "label": o.label, "ballots": n} for o, n in t.counts],
        "result": vote.result,
        "result_label": str(vote.get_result_display()) if vote.result else "",
        "winning_choice": vote.winning_option_id,
        "you": None
        if getattr(user, "resident_record", None) is None
        else {"on_roll": own is not None, "voted": selectors.has_voted(own)},
        "ballots": None if shown is None else [{"voter": a, "choice": b} for a, b in shown],
    }
    return VoteOut.model_validate(body).model_dump(mode="json")


@router.get("/{id}", response=responses({200: VoteOut}), operation_id="vote_get")
def get_vote(request, id: PathId):
    """表决 — a vote's rules (who may vote, quorum, majority, open or secret, how ballots are
    cast, when it closes), its roll size and turnout, and once closed its tally and result."""
    return vote_out(request.auth, selectors.vote_get(user=request.auth, pk=id))


@router.post("/{id}/ballots", response=responses({201: BallotOut}), operation_id="ballot_cast")
def cast_ballot(
    request,
    response: HttpResponse,
    id: PathId,
    payload: BallotIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """投票 — cast a ballot: a resident on the roll for their own household or themselves (a
    phone vote), or staff entering a named voter's show of hands with the witness 监票人.
    One ballot per voter; a second, one after the close or from someone not on the roll is
    refused and nothing stored. The answer is the ballot's receipt (never its choice); the
    vote itself, with its turnout, is `vote_get`."""
    user = request.auth

    def write():
        vote = selectors.vote_for_ballot(user=user, pk=id)
        try:
            ballot = services.ballot_cast(
                actor=user,
                vote=vote,
                choice=payload.choice,
                voter=payload.voter,
                witness=payload.witness,
            )
        except services.NotEligible as refused:
            raise HttpError(403, str(refused)) from None
        receipt = {
            "vote": vote.pk,
            "cast_at": ballot.cast_at,
            "you": {"on_roll": True, "voted": True} if ballot.entered_by_id is None else None,
        }
        return 201, BallotOut.model_validate(receipt).model_dump(mode="json")

    return idempotent(request, response, idempotency_key, write)


@router.post("/{id}/close", response=responses({200: VoteOut}), operation_id="vote_close")
def close_vote(
    request,
    response: HttpResponse,
    id: PathId,
    payload: CloseIn,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """结束表决 — close the vote (the community's staff): the ballots are recounted and the
    result applied to the matter."""
    user = request.auth

    def write():
        vote = selectors.vote_get(user=user, pk=id)
        services.vote_close(actor=user, vote=vote, expected_version=payload.version)
        return 200, vote_out(user, selectors.vote_get(user=user, pk=id))

    return idempotent(request, response, idempotency_key, write)
