"""The module navigation: each entry shows only to users whose role has its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str | None


ENTRIES = [
    NavEntry(_("Workbench"), "core:workbench", None),
    NavEntry(_("Areas"), "core:area_tree", "area.view"),
    NavEntry(_("Overview"), "registry:overview", "registry.view"),
    NavEntry(_("Households"), "registry:household_list", "registry.view"),
    NavEntry(_("Residents"), "registry:resident_list", "registry.view"),
    NavEntry(_("Organisations"), "registry:organisation_list", "organisation.view"),
    NavEntry(_("Posts"), "registry:post_list", "organisation.view"),
    NavEntry(_("Tags"), "registry:tag_list", "tags.manage"),
    NavEntry(_("Audit trail"), "core:audit_list", "audit.view"),
    NavEntry(_("Users"), "accounts:user_list", "accounts.manage"),
    NavEntry(_("Grants"), "accounts:grant_user_list", "grants.manage"),
    NavEntry(_("Locked accounts"), "accounts:locked_list", "accounts.unlock"),
]


def nav_items(request) -> list[dict]:
    user = request.user
    items = []
    for entry in ENTRIES:
        if entry.permission and not user.has_permission(entry.permission):
            continue
        if entry.permission == "registry.view" and not user.is_staff_member:
            continue
        url = reverse(entry.url_name)
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": entry.label, "url": url, "active": active})
    return items
