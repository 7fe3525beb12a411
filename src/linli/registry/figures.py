"""Headline figures 区域概况 of an area — communities, villages, households, poor households,
residents, left-behind people, halls, clinics, police rooms, posts by kind — counted from the
records at the moment of asking, never typed in or stored.

The command line (`linli figures`) and the overview page read them from here, so the two cannot
disagree. Every count starts from the queryset restricted to what the user may see; `user=None`
is a trusted system caller (the command line), which counts everything.

Counts are grouped by the first characters of the materialised `Area.path`: siblings share one
path length, so `Substr(path, 1, length)` names the branch a record sits in, and the figures of
every child area of a parent cost one GROUP BY query per table, however many children there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import Area

from .choices import OrganisationKind, PostKind, TagTarget
from .models import Household, HouseholdTag, Organisation, Post, Resident, ResidentTag, Tag

# The tags the figures count, by name. The vocabulary is edited by administrators; these are the
# names the district's statistics use, so a tag renamed away from one of them drops out of the
# figures (the figure then reads 0 rather than counting something else).
POOR_HOUSEHOLD_TAG = "困难户"  # household
PARTY_CENTRAL_HOUSEHOLD_TAG = "党员中心户"  # household
PARTY_MEMBER_TAG = "党员"  # resident
LEFT_BEHIND_ELDERLY_TAG = "留守老人"  # resident
LEFT_BEHIND_CHILD_TAG = "留守儿童"  # resident
LEFT_BEHIND_WOMAN_TAG = "留守妇女"  # resident
LEFT_BEHIND_TAGS = (LEFT_BEHIND_ELDERLY_TAG, LEFT_BEHIND_CHILD_TAG, LEFT_BEHIND_WOMAN_TAG)

# Figure field → the tag it counts.
HOUSEHOLD_TAG_FIGURES = {
    "poor_households": POOR_HOUSEHOLD_TAG,
    "party_central_households": PARTY_CENTRAL_HOUSEHOLD_TAG,
}
RESIDENT_TAG_FIGURES = {
    "party_members": PARTY_MEMBER_TAG,
    "left_behind_elderly": LEFT_BEHIND_ELDERLY_TAG,
    "left_behind_children": LEFT_BEHIND_CHILD_TAG,
    "left_behind_women": LEFT_BEHIND_WOMAN_TAG,
}
AREA_KIND_FIGURES = {"communities": AreaKind.COMMUNITY, "villages": AreaKind.VILLAGE}
ORGANISATION_KIND_FIGURES = {
    "service_halls": OrganisationKind.SERVICE_HALL,
    "clinics": OrganisationKind.CLINIC,
    "police_rooms": OrganisationKind.POLICE_ROOM,
}

# The figures in the order they are shown, with their labels (the posts follow, by PostKind).
FIGURE_LABELS: tuple[tuple[str, str], ...] = (
    ("communities", pgettext_lazy("figure", "Communities")),
    ("villages", pgettext_lazy("figure", "Villages")),
    ("households", pgettext_lazy("figure", "Households")),
    ("poor_households", pgettext_lazy("figure", "Poor households")),
    ("party_central_households", pgettext_lazy("figure", "Party-member central households")),
    ("residents", pgettext_lazy("figure", "Residents")),
    ("party_members", pgettext_lazy("figure", "Party members")),
    ("left_behind", pgettext_lazy("figure", "Left-behind people")),
    ("left_behind_elderly", pgettext_lazy("figure", "Left-behind elderly")),
    ("left_behind_children", pgettext_lazy("figure", "Left-behind children")),
    ("left_behind_women", pgettext_lazy("figure", "Left-behind women")),
    ("service_halls", pgettext_lazy("figure", "Service halls")),
    ("clinics", pgettext_lazy("figure", "Clinics")),
    ("police_rooms", pgettext_lazy("figure", "Police rooms")),
)
FIGURE_NAMES = tuple(name for name, _label in FIGURE_LABELS)


def _no_posts() -> dict[PostKind, int]:
    return dict.fromkeys(PostKind, 0)


@dataclass
class AreaFigures:
    """The headline figures of one area (everything under it, the area itself included).

    `posts` holds the current posts (no end date, or one not yet past) by kind, every
    `PostKind` in its declared order, so `kind.label` names each."""

    area: Area
    communities: int = 0
    villages: int = 0
    households: int = 0
    poor_households: int = 0
    party_central_households: int = 0
    residents: int = 0
    party_members: int = 0
    left_behind: int = 0  # distinct residents with any of the three left-behind tags
    left_behind_elderly: int = 0
    left_behind_children: int = 0
    left_behind_women: int = 0
    service_halls: int = 0
    clinics: int = 0
    police_rooms: int = 0
    posts: dict[PostKind, int] = field(default_factory=_no_posts)

    @property
    def current_posts(self) -> int:
        return sum(self.posts.values())

    def rows(self) -> list[tuple[str, str, int]]:
        """(name, label, value) of each figure except the posts, in display order."""
        return [(name, str(label), getattr(self, name)) for name, label in FIGURE_LABELS]

    def post_rows(self) -> list[tuple[str, str, int]]:
        """(kind, label, count) of every post kind, in PostKind order."""
        return [(kind.value, str(kind.label), n) for kind, n in self.posts.items()]

    def as_dict(self) -> dict:
        """Plain data for JSON: the area, every figure, and the posts keyed by kind."""
        area = self.area
        return {
            "area": {"id": area.pk, "name": area.name, "code": area.code, "kind": area.kind},
            **{name: getattr(self, name) for name in FIGURE_NAMES},
            "posts": {kind.value: n for kind, n in self.posts.items()},
        }


# --- selectors ----------------------------------------------------------------------------


def area_figures(*, user, area: Area, on: dt.date | None = None) -> AreaFigures:
    """The figures of `area` as `user` may see them (`user=None`: everything).

    Records outside the user's scope are not counted, so a community worker asking about their
    street gets their own community's figures, not the street's."""
    counts = _figures_by_branch(user, within=area, branch_length=len(area.path), on=on)
    return _figures_for(area, counts.get(area.path))


def child_area_figures(*, user, area: Area, on: dt.date | None = None) -> list[AreaFigures]:
    """The figures of each area directly below `area` that the user may see, by name. A fixed
    number of queries (one per table counted, plus the children), however many children."""
    return area_and_child_figures(user=user, area=area, on=on)[1]


def area_and_child_figures(
    *, user, area: Area, on: dt.date | None = None
) -> tuple[AreaFigures, list[AreaFigures]]:
    """`area_figures` and `child_area_figures` from one pass over the records (the overview
    page shows both). Every figure adds up over disjoint branches, so the area's own figures
    are the sum of its branches: the children's and the records placed on the area itself."""
    children = list(_visible(Area, user).filter(parent=area).order_by("name", "pk"))
    # Siblings sit at one depth, so their paths have one length (core.models.path_segment).
    lengths = {len(child.path) for child in children}
    if len(lengths) > 1:  # pragma: no cover - a broken path: counted one by one, not wrong
        own = area_figures(user=user, area=area, on=on)
        return own, [area_figures(user=user, area=child, on=on) for child in children]
    length = lengths.pop() if lengths else len(area.path)
    # Records on the area itself have a shorter path: their branch is the area's own path.
    counts = _figures_by_branch(user, within=area, branch_length=length, on=on)
    own = _figures_for(area, _sum(counts.values()))
    return own, [_figures_for(child, counts.get(child.path)) for child in children]


# --- counting -----------------------------------------------------------------------------


def _visible(model, user) -> QuerySet:
    """What `user` may view. core.scoping treats None as nobody; here None is the trusted
    system caller (the command line), who counts every record."""
    if user is None:
        return model._default_manager.all()
    return model._default_manager.restrict(user, "view")


def _sum(branches) -> dict:
    total: dict = {"posts": {}}
    for counts in branches:
        for name, value in counts.items():
            if name == "posts":
                for kind, n in value.items():
                    total["posts"][kind] = total["posts"].get(kind, 0) + n
            else:
                total[name] = total.get(name, 0) + value
    return total


def _under(path_field: str, prefix: str) -> Q:
    """Rows whose area path starts with `prefix`, through the path index on both databases."""
    return starts_with(path_field, prefix)


def _figures_for(area: Area, counts: dict | None) -> AreaFigures:
    figures = AreaFigures(area=area)
    for name, value in (counts or {}).items():
        if name == "posts":
            for kind, n in value.items():
                figures.posts[PostKind(kind)] = n
        else:
            setattr(figures, name, value)
    return figures


def _grouped(qs: QuerySet, path_field: str, within: Area, length: int, *group: str):
    """Rows of (branch, *group values, n): `qs` under `within`, counted per branch — the first
    `length` characters of the record's area path. One GROUP BY query."""
    return (
        qs.filter(_under(path_field, within.path))
        .annotate(branch=Substr(path_field, 1, length))
        .values_list("branch", *group)
        .annotate(n=Count("pk"))
        .order_by()
    )


def _tag_ids() -> dict[tuple[str, str], int]:
    """(target, name) → id of the tags the figures count: one small query."""
    wanted = Q(target=TagTarget.HOUSEHOLD, name__in=HOUSEHOLD_TAG_FIGURES.values()) | Q(
        target=TagTarget.RESIDENT, name__in=[*RESIDENT_TAG_FIGURES.values(), *LEFT_BEHIND_TAGS]
    )
    return {
        (t, name): pk
        for t, name, pk in Tag.objects.filter(wanted).values_list("target", "name", "id")
    }


def _counted_with_tags(
    qs: QuerySet,
    path_field: str,
    within: Area,
    length: int,
    *,
    links: type[HouseholdTag] | type[ResidentTag],
    owner: str,
    total: str,
    tags: dict[str, int | None],
    any_of: tuple[str, list[int]] | None = None,
) -> list[dict]:
    """Per branch, in one query over `qs`: its rows (`total`), the rows carrying each tag
    (`tags`: figure name → tag id, None for a tag not in the vocabulary, which counts 0) and,
    with `any_of`, the rows carrying any of several tags, each row once. `links` is the tag
    link model, `owner` its field pointing at the rows of `qs`."""

    def carries(tag_ids) -> Exists:
        # One look-up in the unique (owner, tag) index per row: no join that would repeat a
        # row with two tags, so no DISTINCT over the whole table.
        return Exists(links.objects.filter(**{owner: OuterRef("pk")}, tag_id__in=tag_ids))

    aggregates = {f"n_{total}": Count("pk")}
    for name, pk in tags.items():
        if pk is not None:
            aggregates[f"n_{name}"] = Count("pk", filter=Q(carries([pk])))
    if any_of and any_of[1]:
        aggregates[f"n_{any_of[0]}"] = Count("pk", filter=Q(carries(any_of[1])))
    return list(
        qs.filter(_under(path_field, within.path))
        .annotate(branch=Substr(path_field, 1, length))
        .values("branch")
        .annotate(**aggregates)
        .order_by()
    )


def _figures_by_branch(user, *, within: Area, branch_length: int, on: dt.date | None) -> dict:
    """{branch path: {figure name: count, "posts": {kind: count}}} for the branches of the
    given path length under `within`. Six queries, whatever the number of branches."""
    counts: dict[str, dict] = {}

    def add(branch: str, name: str, n: int) -> None:
        counts.setdefault(branch, {})[name] = n

    def add_rows(rows: list[dict]) -> None:
        for row in rows:
            branch = row.pop("branch")
            for key, n in row.items():
                add(branch, key.removeprefix("n_"), n)

    area_figure = {kind: name for name, kind in AREA_KIND_FIGURES.items()}
    areas = _visible(Area, user).filter(kind__in=area_figure)
    for branch, kind, n in _grouped(areas, "path", within, branch_length, "kind"):
        add(branch, area_figure[kind], n)

    tag_ids = _tag_ids()
    household_tags = {
        name: tag_ids.get((TagTarget.HOUSEHOLD, tag)) for name, tag in HOUSEHOLD_TAG_FIGURES.items()
    }
    add_rows(
        _counted_with_tags(
            _visible(Household, user),
            "area__path",
            within,
            branch_length,
            links=HouseholdTag,
            owner="household",
            total="households",
            tags=household_tags,
        )
    )
    resident_tags = {
        name: tag_ids.get((TagTarget.RESIDENT, tag)) for name, tag in RESIDENT_TAG_FIGURES.items()
    }
    left_behind = [pk for tag in LEFT_BEHIND_TAGS if (pk := tag_ids.get((TagTarget.RESIDENT, tag)))]
    # A person may carry two of the tags (an elderly woman left behind): counted once in
    # `left_behind`, once in each of the split figures.
    add_rows(
        _counted_with_tags(
            _visible(Resident, user),
            "household__area__path",
            within,
            branch_length,
            links=ResidentTag,
            owner="resident",
            total="residents",
            tags=resident_tags,
            any_of=("left_behind", left_behind),
        )
    )

    org_figure = {kind: name for name, kind in ORGANISATION_KIND_FIGURES.items()}
    organisations = _visible(Organisation, user).filter(kind__in=org_figure)
    for branch, kind, n in _grouped(organisations, "area__path", within, branch_length, "kind"):
        add(branch, org_figure[kind], n)

    today = on or timezone.localdate()
    current = _visible(Post, user).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    for branch, kind, n in _grouped(current, "area__path", within, branch_length, "kind"):
        if kind in PostKind.values:
            counts.setdefault(branch, {}).setdefault("posts", {})[kind] = n
    return counts
