"""The registry's cards on the resident's home (`core.resident_home`): my household (a link to
its own page), and who serves it — the grid worker of its grid, the cadres of its village and
community, and its community's service hall — with a tap to call where the registry knows the
number. Registered from `RegistryConfig.ready`."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from linli.core.choices import AreaKind

from .choices import OrganisationKind, PostKind
from .models import Household, Organisation, Post

# Who a resident calls, nearest first: the grid worker, then the village's and the community's
# cadres, then the hall's staff.
CONTACT_KINDS = (
    PostKind.GRID_WORKER,
    PostKind.BUILDING_HEAD,
    PostKind.VILLAGE_BRANCH_SECRETARY,
    PostKind.VILLAGE_COMMITTEE_DIRECTOR,
    PostKind.FIRST_SECRETARY,
    PostKind.GENERAL_BRANCH_SECRETARY,
    PostKind.HALL_STAFF,
)
CONTACTS_SHOWN = 8


def household_card(user, person) -> dict | None:
    if user.own_household_id("registry.view") is None:
        return None
    household = person.household  # read once for every card (the person is the home's own)
    return {"household": household, "members": household.members.count()}


def contacts(household: Household) -> dict:
    """The posts serving the household's place or a place above it (held today), and the
    service hall of its community — two queries."""
    today = timezone.localdate()
    paths = household.area.ancestor_paths()
    held = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    posts = list(
        Post.objects.filter(held, area__path__in=paths, kind__in=CONTACT_KINDS)
        .select_related("holder", "area", "organisation")
        .order_by("-area__depth", "kind", "id")[: CONTACTS_SHOWN * 2]
    )
    rank = {kind: i for i, kind in enumerate(CONTACT_KINDS)}
    posts.sort(key=lambda p: (rank[p.kind], -p.area.depth, p.pk))
    for post in posts:
        post.phone = post.holder.mobile if post.holder is not None else ""
    hall = (
        Organisation.objects.filter(
            kind=OrganisationKind.SERVICE_HALL,
            area__path__in=paths,
            area__kind=AreaKind.COMMUNITY,
        )
        .order_by("id")
        .first()
    )
    return {"posts": posts[:CONTACTS_SHOWN], "hall": hall}


def contacts_card(user, person) -> dict | None:
    if user.own_household_id("registry.view") is None:
        return None
    found = contacts(person.household)
    if not found["posts"] and found["hall"] is None:
        return None
    return found


def register_cards() -> None:
    from linli.core.resident_home import register_card

    register_card("registry_household", 30, "registry/home/household.html", household_card)
    register_card("registry_contacts", 90, "registry/home/contacts.html", contacts_card)
