"""The appeals module's card on the resident's home (`core.resident_home`): the appeals the
resident's household raised, newest first, with where each stands. Registered from
`AppealsConfig.ready`."""

from __future__ import annotations

from django.utils import timezone

from . import selectors
from .workflow import RUNNING_STATES

APPEALS_SHOWN = 5


def appeals_card(user, person) -> dict | None:
    household_id = user.own_household_id(selectors.VIEW)
    if household_id is None:
        return None
    today = timezone.localdate()
    rows = list(selectors.appeal_list(user=user).filter(household_id=household_id)[:APPEALS_SHOWN])
    for appeal in rows:
        appeal.is_running = appeal.state in RUNNING_STATES
        appeal.is_overdue = bool(appeal.is_running and appeal.due_on and appeal.due_on < today)
    return {"rows": rows, "can_raise": user.own_household_id("appeals.report") is not None}


def register_cards() -> None:
    from linli.core.resident_home import register_card

    register_card("appeals_mine", 50, "appeals/home/appeals.html", appeals_card)
