"""The residents-decide card on the resident's home (`core.resident_home`): the matters of the
resident's community gathering support 民主提事 that they have not supported yet, and the open
votes they are on the roll of and have not cast. Registered from `DecideConfig.ready`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from linli.core.lookups import starts_with

from . import selectors
from .choices import Stage
from .models import MatterSupport
from .votes import selectors as vote_selectors

MATTERS_SHOWN = 5


def to_support(user, person) -> list:
    """Matters of the resident's own community in the propose stage, not merged, not yet
    supported by them (nor one merged into them), newest first."""
    community = selectors.own_community(user)
    if community is None:
        return []
    supported = MatterSupport.objects.filter(resident=person).filter(
        Q(matter_id=OuterRef("pk")) | Q(matter__merged_into=OuterRef("pk"))
    )
    matters = (
        selectors.board_matters(user)
        .filter(starts_with("area__path", community.path))
        .filter(stage=Stage.PROPOSE, merged_into=None)
        .exclude(Exists(supported))
        .exclude(proposer=person)
        .order_by("-created_at", "-id")
    )
    return list(selectors._listed(matters)[:MATTERS_SHOWN])


def decide_card(user, person) -> dict | None:
    if user.own_household_id(selectors.PARTICIPATE) is None:
        return None
    votes = [vote for vote in vote_selectors.votes_for_resident(user=user) if not vote.has_voted]
    return {"matters": to_support(user, person), "votes": votes}


def register_cards() -> None:
    from linli.core.resident_home import register_card

    register_card("decide_mine", 60, "decide/home/decide.html", decide_card)
