"""What the registry adds to the shell: its workbench tiles and the households on the area tree."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from linli.core.models import Area
from linli.core.selectors import count_by_branch

from .models import Household, Resident


def registry_tiles(*, user, area: Area | None) -> list[dict]:
    """Households and residents within the current area, each linking to its list."""
    if area is None or not (user.is_staff_member and user.has_permission("registry.view")):
        return []
    households = Household.objects.restrict(user, "view").under(area)
    residents = Resident.objects.restrict(user, "view").under(area)
    return [
        {
            "label": _("Households"),
            "value": households.count(),
            "url": reverse("registry:household_list") + f"?area={area.pk}",
        },
        {
            "label": _("Residents"),
            "value": residents.count(),
            "url": reverse("registry:resident_list") + f"?area={area.pk}",
        },
    ]


def household_counts(*, user, nodes: list[Area], parent: Area | None) -> None:
    """Set `household_count` on each node of the area tree, for roles that see the registry
    (None for the others: the tree then shows no household figures)."""
    counts = None
    if user.has_permission("registry.view"):
        households = Household.objects.restrict(user, "view")
        counts = count_by_branch(households, "area", nodes, parent)
    for node in nodes:
        node.household_count = None if counts is None else counts.get(node.path, 0)
