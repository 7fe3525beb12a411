"""Tiers 层级: where an appeal waits, and who acts for it there.

An appeal concerns a place (an area down to a village or grid). The place has, at or above it,
a village (or compound), a community and a street (or town): those are the village, community
and street tiers; above them is the category's district department. An appeal starts at the
lowest tier that covers its place, but not below its category's starting tier (a 治安隐患
category may start at the street), and is handed up tier by tier; a tier the place has no area
for is passed over.

Who acts at a tier (takes, settles, hands up, sends to the department):

- village, community, street: whoever holds `appeals.village`, `appeals.community` or
  `appeals.street` through a grant whose area covers the appeal's place — a grid worker or
  village cadre for the village tier, a community worker for the community, a street cadre for
  the street;
- department: the staff whose grant names the appeal's department and holds
  `appeals.department` (its grant's area, the whole district, does not make a department staff
  member a handler of every department's appeals).

Who is told when an appeal is handed up by its time limit: the handlers at the new tier, and
the supervisors — the holders of `appeals.supervise` at the street above the place (when it
leaves a village or community) or at the district (when it leaves the street or is overdue at
the department); a level with nobody passes the message up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Grant, User
from linli.accounts.roles import ROLE_PERMISSIONS
from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.core.scoping import under_paths
from linli.registry.models import Organisation

from .choices import Tier
from .models import Appeal, AppealCategoryVersion
from .workflow import TIERS

TIER_AREA_KINDS: dict[str, tuple[str, ...]] = {
    Tier.VILLAGE: (AreaKind.VILLAGE, AreaKind.COMPOUND),
    Tier.COMMUNITY: (AreaKind.COMMUNITY,),
    Tier.STREET: (AreaKind.STREET, AreaKind.TOWN),
}
# The permission that makes one a handler at each tier.
HANDLE_PERMISSIONS: dict[str, str] = {
    Tier.VILLAGE: "appeals.village",
    Tier.COMMUNITY: "appeals.community",
    Tier.STREET: "appeals.street",
    Tier.DEPARTMENT: "appeals.department",
}
SUPERVISE_PERMISSION = "appeals.supervise"
STREET_KINDS = TIER_AREA_KINDS[Tier.STREET]


@dataclass(frozen=True)
class Place:
    """Where an appeal waits: a tier and its area (village, community, street) or, at the
    department tier, the department."""

    tier: str
    area: Area | None = None
    department: Organisation | None = None

    @property
    def name(self) -> str:
        place = self.department if self.tier == Tier.DEPARTMENT else self.area
        return str(place) if place is not None else "—"


def tier_areas(area: Area) -> dict[str, Area]:
    """The village (or compound), community and street (or town) at or above `area`, by tier
    (one query)."""
    found: dict[str, Area] = {}
    for ancestor in area.ancestors():
        for tier, kinds in TIER_AREA_KINDS.items():
            if ancestor.kind in kinds:
                found[tier] = ancestor
    return found


def _place_at(tier: str, areas: Mapping[str, Area], version: AppealCategoryVersion) -> Place | None:
    if tier == Tier.DEPARTMENT:
        return Place(tier, department=version.department) if version.department else None
    area = areas.get(tier)
    return Place(tier, area=area) if area is not None else None


def starting_place(area: Area, version: AppealCategoryVersion) -> Place:
    """The lowest tier at or above the category's starting tier that covers `area`; a
    ValidationError (on "area") when none does: a place above every street, of a category that
    names no department."""
    areas = tier_areas(area)
    for tier in TIERS[TIERS.index(version.default_tier) :]:
        place = _place_at(tier, areas, version)
        if place is not None:
            return place
    raise ValidationError(
        {
            "area": _(
                "No tier handles %(category)s at %(area)s: choose a place inside a street or "
                "town (the category names no department)."
            )
            % {"category": version.name, "area": area.name}
        }
    )


def place_above(tier: str, area: Area, version: AppealCategoryVersion) -> Place | None:
    """The next tier above `tier` that covers `area` (None: there is none)."""
    areas = tier_areas(area)
    for above in TIERS[TIERS.index(tier) + 1 :]:
        place = _place_at(above, areas, version)
        if place is not None:
            return place
    return None


def department_place(version: AppealCategoryVersion) -> Place | None:
    return _place_at(Tier.DEPARTMENT, {}, version)


def same_place(appeal: Appeal) -> Place:
    """Where the appeal waits now (to reopen it there)."""
    return Place(appeal.tier, area=appeal.tier_area, department=appeal.department)


# --- who acts at a tier -------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealDesk:
    """Where a user handles appeals: for each area tier, the paths of the grants that give its
    permission; and the departments whose appeals the user handles. Read from the user's
    cached grants."""

    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    department_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.department_ids) or any(self.paths.values())

    @property
    def tiers(self) -> list[str]:
        """The tiers at which the user handles appeals, lowest first."""
        held = [t for t in TIERS if self.paths.get(t)]
        return held + ([Tier.DEPARTMENT] if self.department_ids else [])

    def covers(self, appeal: Appeal) -> bool:
        """Whether the user handles `appeal` where it waits now."""
        if appeal.tier == Tier.DEPARTMENT:
            return appeal.department_id in self.department_ids
        return any(appeal.area.path.startswith(p) for p in self.paths.get(appeal.tier, ()))

    def queue_filter(self, tier: str | None = None) -> Q:
        """Appeals waiting where the user handles them (at `tier` only, if given)."""
        condition = Q(pk__in=[])
        for held, paths in self.paths.items():
            if paths and tier in (None, held):
                condition |= Q(tier=held) & under_paths("area__path", list(paths))
        if self.department_ids and tier in (None, Tier.DEPARTMENT):
            condition |= Q(tier=Tier.DEPARTMENT, department_id__in=self.department_ids)
        return condition


def appeal_desk(user: Actor | None) -> AppealDesk:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return AppealDesk()
    paths = {
        tier: tuple(user.scope_paths(perm))
        for tier, perm in HANDLE_PERMISSIONS.items()
        if tier != Tier.DEPARTMENT
    }
    departments: frozenset[int] = frozenset()
    if isinstance(user, User):
        perm = HANDLE_PERMISSIONS[Tier.DEPARTMENT]
        departments = frozenset(
            g.organisation_id
            for g in user.active_grants
            if g.organisation_id and perm in ROLE_PERMISSIONS[g.role]
        )
    return AppealDesk(paths=paths, department_ids=departments)


def may_handle(user: Actor | None, appeal: Appeal) -> bool:
    """Whether `user` acts for the appeal where it waits now (None: a trusted system job)."""
    return user is None or appeal_desk(user).covers(appeal)


# --- who is told ----------------------------------------------------------------------------


def _holders(permission: str) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]


def _active_grants(permission: str):
    today = timezone.localdate()
    return (
        Grant.objects.filter(role__in=_holders(permission), user__is_active=True)
        .filter(starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    )


def _users(grants) -> list[User]:
    ids = set(grants.values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def handlers_at(place: Place, area: Area) -> list[User]:
    """The people who act at `place` for an appeal concerning `area` (see the module
    docstring)."""
    grants = _active_grants(HANDLE_PERMISSIONS[place.tier])
    if place.tier == Tier.DEPARTMENT:
        return _users(grants.filter(organisation=place.department))
    return _users(grants.filter(area__path__in=area.ancestor_paths()))


def supervisors_of(tier: str, area: Area, *, besides: Sequence[User] = ()) -> list[User]:
    """Who supervises an appeal concerning `area` that leaves (or is overdue at) `tier`: the
    street's supervisors for a village or community, the district's above that; a level whose
    supervisors are all `besides` (told already, as the next tier's handlers) passes it up."""
    grants = _active_grants(SUPERVISE_PERMISSION).filter(area__path__in=area.ancestor_paths())
    levels: list[tuple[str, ...]] = [(AreaKind.DISTRICT,)]
    if tier in (Tier.VILLAGE, Tier.COMMUNITY):
        levels.insert(0, STREET_KINDS)
    told = {user.pk for user in besides}
    for kinds in levels:
        users = [u for u in _users(grants.filter(area__kind__in=kinds)) if u.pk not in told]
        if users:
            return users
    return []
