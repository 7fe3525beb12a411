"""Every read of the public board 公开栏 and the commitment board 党员公开承诺榜.

Who reads a community's board: its residents (their household is in it), staff whose grant
gives decide.view over it, and anyone — signed in or not — when the community has chosen to
show it without login (`PublicBoard.without_login`). Which matters each sees there
is `decide.selectors.board_matters`' rule, shared with the matters' own pages: a resident those
of their own community, staff those `restrict(user, "decide.view")` gives, everyone those of a
board open to all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers, scope_filter
from linli.registry.models import Household

from ..choices import STEPS, Stage, VoteState
from ..manage.selectors import community_of, on_time_share, resident_household_in, task_overdue
from ..models import (
    Commitment,
    CommitmentRating,
    CommitmentRecord,
    Inspection,
    Matter,
    MatterTask,
    PublicBoard,
    ResidentRating,
    Vote,
    VoteOption,
)
from ..selectors import board_matters as shared_board_matters

VIEW = "decide.view"


def _signed_in(user: Actor | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def board_open_to_all(community: Area) -> bool:
    return PublicBoard.objects.filter(area=community, without_login=True).exists()


def own_community(user: Actor | None) -> Area | None:
    """The community of a resident's own household (for “我的社区公开栏”)."""
    if not _signed_in(user):
        return None
    assert user is not None
    household_id = user.own_household_id("decide.participate")
    if household_id is None:
        return None
    household = Household.objects.select_related("area").filter(pk=household_id).first()
    if household is None:
        return None
    community = community_of(household.area)
    return community if community.kind == AreaKind.COMMUNITY else None


@dataclass(frozen=True)
class Reader:
    """How the user reads a community's board: as its resident (their household), as staff, or
    as a visitor of a board open to all."""

    community: Area
    household: Household | None = None
    staff: bool = False
    open_to_all: bool = False


def board_reader(user: Actor | None, community: Area) -> Reader | None:
    household = resident_household_in(user, community) if _signed_in(user) else None
    staff = _signed_in(user) and covers(user, community, VIEW)  # type: ignore[arg-type]
    if household is None and not staff:
        if not board_open_to_all(community):
            return None
        return Reader(community, open_to_all=True)
    return Reader(community, household=household, staff=bool(staff))


def board_get(*, user: Actor | None, pk: int) -> Reader:
    """The community's board as the user may read it; 404 (`OutOfScope`) otherwise."""
    community = Area.objects.filter(pk=pk, kind=AreaKind.COMMUNITY).first()
    if community is None:
        raise OutOfScope(Area, pk)
    reader = board_reader(user, community)
    if reader is None:
        raise OutOfScope(Area, pk)
    return reader


def board_matters(user: Actor | None, reader: Reader) -> QuerySet[Matter]:
    """The community's matters the reader sees on the board: those `decide.selectors.
    board_matters` gives the user (one rule for every board page), in this community."""
    return shared_board_matters(user).filter(area__path__startswith=reader.community.path)


# --- what the board shows of a matter -------------------------------------------------------------


@dataclass
class MatterEntry:
    matter: Matter
    step: int  # 1–5 on the five-step bar; 6 when done, 0 when closed
    votes: list = field(default_factory=list)
    tasks: list = field(default_factory=list)  # this round's
    on_time: object = None  # a Fraction or None
    inspections: list = field(default_factory=list)
    ratings: Counter = field(default_factory=Counter)  # this round's
    rated: bool = False  # the reader's household rated this round
    may_rate: bool = False


def _step(stage: str) -> int:
    if stage == Stage.DONE:
        return len(STEPS) + 1
    if stage == Stage.CLOSED:
        return 0
    return [str(s) for s in STEPS].index(stage) + 1


def _votes() -> Prefetch:
    options = VoteOption.objects.annotate(cast=Count("ballots")).order_by("order", "id")
    return Prefetch(
        "votes",
        queryset=Vote.objects.exclude(state=VoteState.DRAFT)
        .annotate(cast=Count("ballots", distinct=True))
        .prefetch_related(Prefetch("options", queryset=options)),
    )


def board_entries(matters: QuerySet[Matter], reader: Reader) -> list[MatterEntry]:
    """Each matter with its options, votes and tally, this round's tasks, inspections and
    ratings, in a fixed number of queries."""
    rows = list(
        matters.select_related("area", "category").prefetch_related(
            "options",
            _votes(),
            Prefetch(
                "tasks",
                queryset=MatterTask.objects.select_related("organisation").order_by("due_on", "id"),
            ),
            Prefetch(
                "inspections",
                queryset=Inspection.objects.select_related("inspector").order_by("-inspected_at"),
            ),
        )
    )
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for matter_id, round_, rating, n in (
        ResidentRating.objects.filter(matter__in=[m.pk for m in rows])
        .values_list("matter_id", "round", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(matter_id, round_)][rating] = n
    rated: set[tuple[int, int]] = set()
    if reader.household is not None:
        rated = set(
            ResidentRating.objects.filter(
                matter__in=[m.pk for m in rows], household=reader.household
            ).values_list("matter_id", "round")
        )
    entries = []
    for matter in rows:
        tasks = [t for t in matter.tasks.all() if t.round == matter.round]
        for task in tasks:
            task.overdue = task_overdue(task)
        done_rating = (matter.pk, matter.round) in rated
        entries.append(
            MatterEntry(
                matter=matter,
                step=_step(matter.stage),
                votes=list(matter.votes.all()),
                tasks=tasks,
                on_time=on_time_share(tasks),
                inspections=[i for i in matter.inspections.all() if i.round == matter.round],
                ratings=counts[(matter.pk, matter.round)],
                rated=done_rating,
                may_rate=(
                    reader.household is not None
                    and matter.stage == Stage.SUPERVISE
                    and not done_rating
                ),
            )
        )
    return entries


def board_matter_get(*, user: Actor | None, pk: int) -> tuple[Reader, MatterEntry]:
    """One matter's board entry (the notice's QR code opens it), for whoever reads its board and
    sees the matter there."""
    matter = Matter.objects.select_related("area").filter(pk=pk).first()
    if matter is None:
        raise OutOfScope(Matter, pk)
    community = community_of(matter.area)
    reader = board_reader(user, community) if community.kind == AreaKind.COMMUNITY else None
    if reader is None or not board_matters(user, reader).filter(pk=pk).exists():
        raise OutOfScope(Matter, pk)
    entries = board_entries(Matter.objects.filter(pk=pk), reader)
    return reader, entries[0]


# --- commitments 党员公开承诺 -------------------------------------------------------------------


@dataclass
class CommitmentEntry:
    commitment: Commitment
    ratings: Counter
    rated: bool
    may_rate: bool


def commitment_queryset(reader: Reader) -> QuerySet[Commitment]:
    return Commitment.objects.filter(
        area__path__startswith=reader.community.path, active=True
    ).order_by("-year", "id")


def commitment_entries(reader: Reader) -> list[CommitmentEntry]:
    """The community's commitments on the board with their records and rating counts."""
    rows = list(
        commitment_queryset(reader)
        .select_related("resident", "area")
        .prefetch_related(
            Prefetch("records", queryset=CommitmentRecord.objects.order_by("-done_on", "-id"))
        )
    )
    counts: dict[int, Counter] = defaultdict(Counter)
    for commitment_id, rating, n in (
        CommitmentRating.objects.filter(commitment__in=[c.pk for c in rows])
        .values_list("commitment_id", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[commitment_id][rating] = n
    rated: set[int] = set()
    if reader.household is not None:
        rated = set(
            CommitmentRating.objects.filter(
                commitment__in=[c.pk for c in rows], household=reader.household
            ).values_list("commitment_id", flat=True)
        )
    return [
        CommitmentEntry(
            commitment=c,
            ratings=counts[c.pk],
            rated=c.pk in rated,
            may_rate=reader.household is not None and c.pk not in rated,
        )
        for c in rows
    ]


def commitment_list(*, user: Actor) -> QuerySet[Commitment]:
    """Commitments the user sees as staff (decide.view over their place)."""
    return (
        Commitment.objects.restrict(user, "view")
        .select_related("resident", "area")
        .order_by("area_id", "-year", "id")
    )


def commitment_for_board(*, user: Actor | None, pk: int) -> tuple[Reader, Commitment]:
    commitment = Commitment.objects.select_related("area", "resident").filter(pk=pk).first()
    if commitment is None:
        raise OutOfScope(Commitment, pk)
    community = community_of(commitment.area)
    reader = board_reader(user, community)
    if reader is None:
        raise OutOfScope(Commitment, pk)
    return reader, commitment


def boards_for(user: Actor | None) -> QuerySet[Area]:
    """The communities whose board the user may open: staff those under their decide.view
    grants, everyone those open to all."""
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    condition = Q(publicboard__without_login=True)
    if _signed_in(user):
        assert user is not None
        for path in user.scope_paths(VIEW):
            condition |= Q(path__startswith=path)
    return communities.filter(condition).order_by("path")


def commitments_for_api(*, user: Actor, community: int | None = None) -> list[Commitment]:
    """The commitments of the boards the user reads — a resident their own community's, staff
    those under their decide.view grants — each with its community's id (`community_id`) and
    its rating counts (`rating_counts`), in a fixed number of queries."""
    condition = scope_filter(user, Commitment.scope, "view", model=Commitment)
    home = own_community(user)
    if home is not None and (condition is None or condition):
        clause = Q(area__path__startswith=home.path)
        condition = clause if condition is None else condition | clause
    if condition is None:
        return []
    rows = Commitment.objects.filter(condition, active=True)
    if community is not None:
        area = Area.objects.filter(pk=community, kind=AreaKind.COMMUNITY).first()
        if area is None:
            return []
        rows = rows.filter(area__path__startswith=area.path)
    found = list(
        rows.select_related("resident", "area")
        .prefetch_related(
            Prefetch("records", queryset=CommitmentRecord.objects.order_by("-done_on", "-id"))
        )
        .order_by("area__path", "-year", "id")
    )
    paths = {p for c in found for p in c.area.ancestor_paths()}
    communities = {
        a.path: a.pk
        for a in Area.objects.filter(path__in=paths, kind=AreaKind.COMMUNITY).only("pk", "path")
    }
    counts: dict[int, Counter] = defaultdict(Counter)
    for commitment_id, rating, n in (
        CommitmentRating.objects.filter(commitment__in=[c.pk for c in found])
        .values_list("commitment_id", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[commitment_id][rating] = n
    for c in found:
        c.community_id = next(
            (communities[p] for p in reversed(c.area.ancestor_paths()) if p in communities), None
        )
        c.rating_counts = counts[c.pk]
    return found
