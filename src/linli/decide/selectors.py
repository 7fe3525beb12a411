"""Every read of residents-decide 由民做主 matters starts from what the user may see.

Staff see the matters whose place lies under their `decide.view` grant (`visible_matters`); a
resident sees the matters of their own community on the board — their household's area lies
under the matter's community — whatever their grant; and anyone, signed in or not, sees the
matters of a community whose public board 公开栏 is readable without login (`board_matters`).
A matter outside all of these does not exist for the user (`OutOfScope`, 404).

Lists load their relations in a fixed number of queries, however many rows they have.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers, scope_filter
from linli.core.timeline import events_for

from .choices import PanelKind, Stage
from .models import (
    Matter,
    MatterCategory,
    MatterOption,
    Meeting,
    MeetingInvitee,
    Opinion,
    Panel,
    PublicBoard,
)
from .workflow import OPEN_STAGES, TABLE, Action

VIEW = "decide.view"
MANAGE = "decide.manage"
PROPOSE = "decide.propose"
PARTICIPATE = "decide.participate"
ADVISE = "decide.advise"
LIST_RELATED = ("category", "area", "proposer")


def _signed_in(user: Actor | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def own_community(user: Actor | None) -> Area | None:
    """The community a signed-in resident's household lies in (None for anyone else)."""
    if not _signed_in(user):
        return None
    person = getattr(user, "resident_record", None)
    if person is None or user.own_household_id(PARTICIPATE) is None:  # type: ignore[union-attr]
        return None
    area = person.household.area
    if area.kind == AreaKind.COMMUNITY:
        return area
    return area.ancestors().filter(kind=AreaKind.COMMUNITY).first()


def _under_any(paths: list[str]) -> Q | None:
    condition: Q | None = None
    for path in paths:
        clause = starts_with("area__path", path)
        condition = clause if condition is None else condition | clause
    return condition


def public_community_paths() -> list[str]:
    return list(PublicBoard.objects.filter(without_login=True).values_list("area__path", flat=True))


def board_matters(user: Actor | None) -> QuerySet[Matter]:
    """The matters a board 公开栏 shows `user`: their own community's (a resident: their
    household's area lies under the matter's community), those of the communities whose board
    is readable without login (for everyone, anonymous visitors included), and for staff those
    under their `decide.view` grant."""
    paths = public_community_paths()
    community = own_community(user)
    if community is not None:
        paths.append(community.path)
    condition = _under_any(paths)
    staff = scope_filter(user, Matter.scope, "view", model=Matter) if _signed_in(user) else None
    if staff is not None:
        if not staff:  # the whole tree
            return Matter.objects.all()
        condition = staff if condition is None else condition | staff
    if condition is None:
        return Matter.objects.none()
    return Matter.objects.filter(condition)


def visible_matters(user: Actor | None) -> QuerySet[Matter]:
    """The matters staff may see: `decide.view` over their place."""
    return Matter.objects.restrict(user, "view")  # type: ignore[arg-type]


def may_see(user: Actor | None, matter: Matter) -> bool:
    if user is None:
        return True
    return board_matters(user).filter(pk=matter.pk).exists()


def _apply_filters(qs: QuerySet[Matter], filters: dict) -> QuerySet[Matter]:
    stage = filters.get("stage")
    if stage == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif stage:
        qs = qs.filter(stage=stage)
    if filters.get("category"):
        qs = qs.filter(category_id=filters["category"])
    area = filters.get("area")
    if area is not None:
        qs = qs.filter(starts_with("area__path", area.path))
    if filters.get("q"):
        term = filters["q"]
        qs = qs.filter(Q(title__icontains=term) | Q(number__icontains=term))
    return qs


def _listed(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    return qs.select_related(*LIST_RELATED).annotate(
        supporter_count=Count("supports", distinct=True)
    )


def matter_list(*, user: Actor, filters: dict | None = None) -> QuerySet[Matter]:
    """议事事项 — the matters the user sees, filtered by stage ("open": any of the five steps),
    category, area (a subtree) and a search on the number or the title; newest first."""
    return _listed(_apply_filters(visible_matters(user), filters or {})).order_by(
        "-created_at", "-id"
    )


def waiting_for(user: Actor) -> Q | None:
    """The matters that wait for the user's action: those at propose or deliberate under their
    `decide.manage` grant, and, for an advisory panel member, those under deliberation in their
    panel's community in a category they study."""
    condition: Q | None = None
    manage = _under_any(user.scope_paths(MANAGE))
    if manage is not None:
        condition = manage & Q(stage__in=(Stage.PROPOSE, Stage.DELIBERATE), merged_into=None)
    advise_paths = user.scope_paths(ADVISE)
    if advise_paths and _signed_in(user):
        from .models import PanelMember

        seats = list(
            PanelMember.objects.filter(
                account_id=user.pk, active=True, panel__kind=PanelKind.ADVISORY
            )
            .select_related("panel__area")
            .prefetch_related("categories")
        )
        for seat in seats:
            if not any(seat.panel.area.path.startswith(p) for p in advise_paths):
                continue
            clause = starts_with("area__path", seat.panel.area.path) & Q(stage=Stage.DELIBERATE)
            codes = [c.pk for c in seat.categories.all()]
            if codes:
                clause &= Q(category_id__in=codes)
            condition = clause if condition is None else condition | clause
    return condition


def matter_queue(*, user: Actor) -> QuerySet[Matter]:
    """待办 — what waits for the user's action, the longest waiting first."""
    condition = waiting_for(user)
    if condition is None:
        return Matter.objects.none()
    return _listed(visible_matters(user).filter(condition)).order_by("stage_since", "id")


def queue_count(user: Actor) -> int:
    condition = waiting_for(user)
    if condition is None:
        return 0
    return visible_matters(user).filter(condition).count()


def _detail_queryset(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    return qs.select_related(
        "category", "area", "proposer", "household", "merged_into", "appeal", "raised_by"
    ).prefetch_related(
        Prefetch("options", queryset=MatterOption.objects.select_related("written_by")),
        Prefetch("meetings", queryset=Meeting.objects.all()),
        Prefetch(
            "meetings__invitees",
            queryset=MeetingInvitee.objects.select_related("organisation", "resident"),
        ),
    )


def matter_get(*, user: Actor | None, pk) -> Matter:
    """One matter the user may see (staff through their grant, a resident on their community's
    board), with what its page shows; `OutOfScope` (404) otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise OutOfScope(Matter, pk) from None
    qs = board_matters(user) if user is not None else Matter.objects.all()
    found = _detail_queryset(qs.filter(pk=key)).first()
    if found is None:
        raise OutOfScope(Matter, key)
    return found


def family(matter: Matter) -> list[int]:
    """The matter and those merged into it: their supporters and opinions count for it."""
    return [matter.pk, *Matter.objects.filter(merged_into=matter).values_list("pk", flat=True)]


def supporter_count(matter: Matter) -> int:
    from .models import MatterSupport

    return (
        MatterSupport.objects.filter(matter_id__in=family(matter))
        .values("resident_id")
        .distinct()
        .count()
    )


def has_supported(user: Actor | None, matter: Matter) -> bool:
    from .models import MatterSupport

    person = getattr(user, "resident_record", None) if _signed_in(user) else None
    return person is not None and (
        MatterSupport.objects.filter(matter_id__in=family(matter), resident=person).exists()
    )


def matter_opinions(matter: Matter) -> QuerySet[Opinion]:
    """The opinions written down for the matter and for those merged into it."""
    return (
        Opinion.objects.filter(matter_id__in=family(matter))
        .select_related("resident", "matter__area")
        .order_by("collected_at", "id")
    )


def merged_matters(matter: Matter) -> QuerySet[Matter]:
    return Matter.objects.filter(merged_into=matter).order_by("created_at", "id")


def matter_timeline(*, matter: Matter, limit: int = 200) -> list:
    return list(events_for([matter]).order_by("-at", "-id")[:limit])


def merge_targets(*, user: Actor, matter: Matter) -> QuerySet[Matter]:
    """The open matters of the same community the matter may be merged into."""
    from .services import community_of

    community = community_of(matter.area)
    if community is None:
        return Matter.objects.none()
    return (
        visible_matters(user)
        .filter(starts_with("area__path", community.path), stage__in=OPEN_STAGES)
        .exclude(pk=matter.pk)
        .order_by("-created_at")
    )


# --- what the page offers -----------------------------------------------------------------------


def matter_actions(*, user: Actor, matter: Matter) -> set[str]:
    """The writes the matter's page offers the user at its stage: the table's moves the user
    may make here (`workflow.Action`), and "option", "meeting", "opinion", "support"."""
    from .services import adviser_seat

    offered: set[str] = set()
    manages = _signed_in(user) and covers(user, matter.area, MANAGE)
    if manages:
        for action in (Action.DELIBERATE, Action.MERGE, Action.DROP):
            if TABLE.allows(matter.stage, action):
                offered.add(action)
        if matter.stage in (Stage.DELIBERATE, Stage.DECIDE, Stage.MANAGE, Stage.SUPERVISE):
            offered.add("meeting")
    if matter.stage == Stage.DELIBERATE and (manages or adviser_seat(user, matter) is not None):
        offered.add("option")
    if matter.stage in (Stage.PROPOSE, Stage.DELIBERATE):
        if _signed_in(user) and covers(user, matter.area, PROPOSE):
            offered.add("opinion")
        community = own_community(user)
        if community is not None and matter.area.path.startswith(community.path):
            offered.add("support")
    return offered


# --- categories and panels ----------------------------------------------------------------------


def category_list() -> QuerySet[MatterCategory]:
    return MatterCategory.objects.order_by("sort_order", "code")


def offered_categories() -> QuerySet[MatterCategory]:
    return MatterCategory.objects.filter(active=True).order_by("sort_order", "code")


def category_get(*, pk) -> MatterCategory:
    try:
        return MatterCategory.objects.get(pk=int(pk))
    except (TypeError, ValueError, MatterCategory.DoesNotExist):
        raise OutOfScope(MatterCategory, pk) from None


def panels_of(community: Area) -> QuerySet[Panel]:
    return Panel.objects.filter(area=community).prefetch_related("members__categories")
