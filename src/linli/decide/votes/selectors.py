"""Every read of votes 表决: the votes a person may see, one vote, its tally recounted from the
ballots, the roll for entering a show of hands, and the resident's own place on a roll.

Who sees a vote: staff holding `decide.view` over the matter's place (`Vote.objects.restrict`),
and, once it has opened, the residents of the matter's community (its board is theirs, whatever
their grant says).
Anyone else gets a 404, the same answer as for a vote that does not exist.

The tally is public with the turnout — while the vote is open only the turnout, after it closes
the count for each choice and the result. Who chose what is never shown for a secret ballot;
for an open one, staff see the list of voters and their choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, QuerySet
from django.utils.translation import pgettext

from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers
from linli.registry.models import Household, Resident

from ..choices import VoteState
from ..models import Ballot, Vote, VoteOption, Voter
from ..services import MANAGE, VIEW

PARTICIPATE = "decide.participate"


def community_of(area: Area) -> Area:
    """The community a place lies in (itself when it is one; the place when none is above)."""
    if area.kind == AreaKind.COMMUNITY:
        return area
    found = area.ancestors().filter(kind=AreaKind.COMMUNITY).last()
    return found or area


def _resident_of(user: Actor, area: Area) -> bool:
    """A resident (by their grant's `decide.participate`) whose household lies in the community
    of `area`."""
    person = getattr(user, "resident_record", None)
    if person is None or not user.has_permission(PARTICIPATE):
        return False
    home = _home_path(person)
    return home is not None and home.startswith(community_of(area).path)


def _home_path(person: Resident) -> str | None:
    """Where the person's household lies: as loaded with them (an API token's look-up brings
    it), or one query."""
    household_field = Resident._meta.get_field("household")
    if household_field.is_cached(person):
        household = person.household
        if Household._meta.get_field("area").is_cached(household):
            return household.area.path
    homes = Area.objects.filter(households__pk=person.household_id)
    return homes.values_list("path", flat=True).first()


def state_label(vote: Vote) -> str:
    """The vote's state in words: 准备中 / 投票中 / 已结束 ("Open" alone reads as a verb)."""
    if vote.state == VoteState.OPEN:
        return pgettext("vote state", "Voting")
    return str(vote.get_state_display())


def may_see(user: Actor, vote: Vote) -> bool:
    """Staff over the matter's place; the residents of its community once it has opened (a
    draft is the staff's own until then)."""
    area = vote.matter.area
    if covers(user, area, VIEW):
        return True
    return vote.state != VoteState.DRAFT and _resident_of(user, area)


def may_manage(user: Actor, vote: Vote) -> bool:
    return covers(user, vote.matter.area, MANAGE)


def vote_list(*, user: Actor) -> QuerySet[Vote]:
    """The votes a member of staff sees, newest first."""
    return (
        Vote.objects.restrict(user, "view")
        .select_related("matter", "matter__area")
        .order_by("-created_at", "-id")
    )


def votes_for_resident(*, user: Actor) -> list[Vote]:
    """The open votes a resident is on the roll of, with whether they have voted."""
    person = getattr(user, "resident_record", None)
    if person is None or not user.has_permission(PARTICIPATE):
        return []
    keys = [f"h{person.household_id}", f"r{person.pk}"]
    entries = (
        Voter.objects.filter(key__in=keys, vote__state=VoteState.OPEN)
        .select_related("vote", "vote__matter", "vote__matter__area")
        .annotate(voted=Count("ballot"))
        .order_by("vote__closes_at", "vote_id")
    )
    votes = []
    for entry in entries:
        entry.vote.has_voted = bool(entry.voted)
        votes.append(entry.vote)
    return votes


def vote_get(*, user: Actor, pk: int) -> Vote:
    """One vote the user may see, with its matter and choices; else `OutOfScope` (404)."""
    vote = (
        Vote.objects.select_related("matter", "matter__area", "winning_option")
        .prefetch_related("options")
        .filter(pk=pk)
        .first()
    )
    if vote is None or not may_see(user, vote):
        raise OutOfScope(Vote, pk)
    return vote


def vote_for_ballot(*, user: Actor, pk: int) -> Vote:
    """The vote a ballot is cast on, with its matter and place only (the ballot's own path is
    hot: no choices or result read here); `OutOfScope` (404) for one the user may not see."""
    vote = Vote.objects.select_related("matter__area").filter(pk=pk).first()
    if vote is None or not may_see(user, vote):
        raise OutOfScope(Vote, pk)
    return vote


def own_voter(*, user: Actor, vote: Vote) -> Voter | None:
    """The resident's own entry on the roll (their household's, or themselves), if any."""
    person = getattr(user, "resident_record", None)
    if person is None or vote.state == VoteState.DRAFT:
        return None
    keys = [f"h{person.household_id}", f"r{person.pk}"]
    return Voter.objects.filter(vote=vote, key__in=keys).select_related("ballot").first()


def has_voted(voter: Voter | None) -> bool:
    """Whether this roll entry has cast its ballot (read with `own_voter`'s ballot)."""
    if voter is None:
        return False
    try:
        return voter.ballot is not None
    except Ballot.DoesNotExist:
        return False


@dataclass(frozen=True)
class Tally:
    """计票 — recounted from the ballots: how many voted of the roll, and (once closed) the
    ballots for each choice."""

    cast: int
    roll: int
    counts: list[tuple[VoteOption, int]] | None  # None while the vote is open

    @property
    def turnout(self) -> Fraction:
        return Fraction(self.cast, self.roll) if self.roll else Fraction(0)

    @property
    def turnout_percent(self) -> str:
        return f"{float(self.turnout) * 100:.1f}"


def tally(vote: Vote, *, counts_too: bool | None = None) -> Tally:
    """The tally recounted from the ballots (one GROUP BY): the turnout always; the count of
    each choice once the vote has closed (or when `counts_too` asks for it)."""
    rows = dict(
        Ballot.objects.filter(vote=vote)
        .values("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    cast = sum(rows.values())
    show = vote.state == VoteState.CLOSED if counts_too is None else counts_too
    counts = [(o, rows.get(o.pk, 0)) for o in vote.options.all()] if show else None
    return Tally(cast=cast, roll=vote.roll_size, counts=counts)


def ballots_shown(*, user: Actor, vote: Vote) -> list[tuple[str, str]] | None:
    """Who chose what, for staff on an open (not secret) vote: (voter, choice) in roll order;
    None for a secret vote or anyone else."""
    if vote.secret or not covers(user, vote.matter.area, VIEW):
        return None
    return list(
        Ballot.objects.filter(vote=vote)
        .order_by("voter_id")
        .values_list("voter__name", "choice__label")
    )


def roll_to_enter(*, vote: Vote) -> list[Voter]:
    """The roll for entering a show of hands: each voter with their ballot if already entered."""
    return list(Voter.objects.filter(vote=vote).select_related("ballot__choice").order_by("id"))
