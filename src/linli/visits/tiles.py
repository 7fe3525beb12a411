"""The workbench tiles of the visits module 工作台: households whose visit is overdue in the
working area, and — for those who visit — their own households due. Registered from
`VisitsConfig.ready` with `core.selectors.register_tiles(visit_tiles)`."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.scoping import covers

from . import selectors


def visit_tiles(*, user, area) -> list[dict]:
    if area is None or not user.is_staff_member or not covers(user, area, "visits.view"):
        return []
    today = timezone.localdate()
    overdue = selectors.overdue_list(user=user, filters={"area": area.pk}, today=today)
    return [
        {
            "label": _("Households overdue for a visit"),
            "value": overdue.count(),
            "url": reverse("visits:overdue") + f"?area={area.pk}",
        }
    ]
