"""Reads for the shell and the workbench."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from linli.core.models import Area


def workbench_tiles(*, user, area: Area | None) -> list[dict]:
    """The workbench's tiles: counts within the current area, each linking to its list."""
    from linli.registry.models import Household, Resident

    tiles = []
    if area is None:
        return tiles
    if user.is_staff_member and user.has_permission("registry.view"):
        households = Household.objects.restrict(user, "view").under(area)
        residents = Resident.objects.restrict(user, "view").under(area)
        url = reverse("registry:household_list") + f"?area={area.pk}"
        tiles.append({"label": _("Households"), "value": households.count(), "url": url})
        url = reverse("registry:resident_list") + f"?area={area.pk}"
        tiles.append({"label": _("Residents"), "value": residents.count(), "url": url})
    if user.has_permission("area.view"):
        below = Area.objects.restrict(user, "view").under(area, include_self=False)
        tiles.append(
            {
                "label": _("Villages and compounds"),
                "value": below.filter(kind__in=["village", "compound"]).count(),
                "url": reverse("core:area_tree") + f"?area={area.pk}",
            }
        )
    return tiles
