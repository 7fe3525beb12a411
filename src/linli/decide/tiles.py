"""The workbench tile of residents decide 工作台: the matters waiting for the user (to take up,
to close, to write options for). Registered from `DecideConfig.ready`."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors


def decide_tiles(*, user, area) -> list[dict]:
    if not user.is_staff_member or not (
        user.has_permission("decide.manage") or user.has_permission("decide.advise")
    ):
        return []
    return [
        {
            "label": _("Matters waiting for me"),
            "value": selectors.queue_count(user),
            "url": reverse("decide:queue"),
        }
    ]
