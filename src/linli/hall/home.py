"""The service hall's cards on the resident's home (`core.resident_home`): a search over the
public catalogue, the items residents apply for most as big tiles, and the household's own
applications with where each stands and what it waits for. Registered from `HallConfig.ready`."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from . import rules
from .applications import selectors as application_selectors
from .applications import workflow
from .models import Application, ServiceItem

COMMON_ITEMS = 6
APPLICATIONS_SHOWN = 5
COMMON_OVER_DAYS = 365


def common_items(limit: int = COMMON_ITEMS) -> list[ServiceItem]:
    """The offered items applied for most over the last year (counts only, nobody's records),
    topped up from the front of the catalogue; three queries however many applications."""
    since = timezone.now() - dt.timedelta(days=COMMON_OVER_DAYS)
    most = (
        Application.objects.filter(created_at__gte=since)
        .values("item_id")
        .annotate(n=Count("id"))
        .order_by("-n", "item_id")[: limit * 2]  # a withdrawn item may be among them
    )
    ranked = [row["item_id"] for row in most]
    offered = ServiceItem.objects.filter(rules.OFFERED).select_related("current")
    found = {item.pk: item for item in offered.filter(pk__in=ranked)}
    items = [found[pk] for pk in ranked if pk in found][:limit]
    if len(items) < limit:
        items += list(
            offered.exclude(pk__in=[item.pk for item in items]).order_by(
                "category__sort_order", "category__name", "sort_order", "code"
            )[: limit - len(items)]
        )
    return items


def search_card(user, person) -> dict:
    return {}


def common_card(user, person) -> dict | None:
    items = common_items()
    if not items:
        return None
    can_apply = user.own_household_id("services.apply") is not None
    for item in items:
        item.apply_here = can_apply and item.current.online
    return {"items": items}


def applications_card(user, person) -> dict | None:
    household_id = user.own_household_id("services.view")
    if household_id is None:
        return None
    rows = list(
        application_selectors.application_list(user=user).filter(household_id=household_id)[
            :APPLICATIONS_SHOWN
        ]
    )
    for application in rows:
        application.is_running = application.state in workflow.RUNNING_STATES
    return {
        "rows": rows,
        "can_apply": user.own_household_id("services.apply") is not None,
    }


def register_cards() -> None:
    from linli.core.resident_home import register_card

    register_card("services_search", 10, "services/home/search.html", search_card)
    register_card("services_common", 20, "services/home/common.html", common_card)
    register_card("services_applications", 40, "services/home/applications.html", applications_card)
