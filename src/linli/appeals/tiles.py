"""The workbench tiles of the appeals module 工作台: for a handler, the appeals waiting where
they handle them, and how many of those are overdue. Registered from `AppealsConfig.ready`."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import rules, selectors
from .tiers import appeal_desk


def appeal_tiles(*, user, area) -> list[dict]:
    if not user.is_staff_member or not appeal_desk(user):
        return []
    waiting = selectors.appeal_queue(user=user)
    url = reverse("appeals:queue")
    return [
        {"label": _("Appeals waiting for me"), "value": waiting.count(), "url": url},
        {
            "label": _("Appeals overdue at my tier"),
            "value": waiting.filter(rules.overdue_appeals(timezone.localdate())).count(),
            "url": url,
        },
    ]
