"""The module navigation: each entry shows only to users whose role has its permission.

Entries with a `group` are gathered under one menu (登记, 便民服务, 五联走访, 系统管理, 我的账号); a group
the user has one entry of shows as that entry alone. An entry whose page is the root of its
module (/visits/) is `exact`: it is marked current on that page only, not on every page below. `audience` says who the entry is for beyond the
permission: residents hold some of the staff's permissions over their own household, but they
have their own pages (我的办件) instead of the staff's lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

STAFF, RESIDENT, ANYONE = "staff", "resident", "anyone"


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str | tuple[str, ...] | None  # any one of them
    group: str = ""
    audience: str = STAFF
    exact: bool = False


GROUPS = {
    "registry": _("Registry"),
    "hall": _("Service hall"),
    "visits": _("Five links and visits"),
    "system": _("System"),
    "account": _("My account"),
}

ENTRIES = [
    NavEntry(_("Workbench"), "core:workbench", None, audience=ANYONE),
    NavEntry(_("Areas"), "core:area_tree", "area.view"),
    NavEntry(_("Overview"), "registry:overview", "registry.view", "registry"),
    NavEntry(_("Households"), "registry:household_list", "registry.view", "registry"),
    NavEntry(_("Residents"), "registry:resident_list", "registry.view", "registry"),
    NavEntry(_("Organisations"), "registry:organisation_list", "organisation.view", "registry"),
    NavEntry(_("Posts"), "registry:post_list", "organisation.view", "registry"),
    NavEntry(_("Tags"), "registry:tag_list", "tags.manage", "registry"),
    NavEntry(_("Counter"), "services:counter", "services.apply", "hall"),
    NavEntry(_("Applications"), "services:application_list", "services.view", "hall"),
    NavEntry(_("To do"), "services:step_queue", "services.step", "hall"),
    NavEntry(
        _("Due soon and overdue"), "services:due_list", ("services.view", "services.step"), "hall"
    ),
    NavEntry(_("Outreach tasks"), "services:outreach_list", "outreach.view", "hall"),
    NavEntry(_("Service hall figures"), "services:dashboard", "hall.view", "hall"),
    NavEntry(_("Service catalogue"), "services:catalogue", None, "hall", audience=ANYONE),
    NavEntry(
        _("Catalogue administration"), "services:catalogue_manage", "catalogue.manage", "hall"
    ),
    NavEntry(_("My applications"), "services:my_applications", "services.view", audience=RESIDENT),
    NavEntry(_("Apply online"), "services:apply_online", "services.apply", audience=RESIDENT),
    NavEntry(
        _("My households to visit"), "visits:my_households", "visits.record", "visits", exact=True
    ),
    NavEntry(_("Visit records"), "visits:visit_list", "visits.view", "visits"),
    NavEntry(_("Needs found on visits"), "visits:need_list", "visits.view", "visits"),
    NavEntry(_("Overdue visits"), "visits:overdue", "visits.view", "visits"),
    NavEntry(_("Contact assignments"), "visits:assignment_list", "visits.view", "visits"),
    NavEntry(_("Visit coverage"), "visits:coverage", "visits.view", "visits"),
    NavEntry(_("Visit policies"), "visits:policy_list", "visits.policy", "visits"),
    NavEntry(_("Working-day calendar"), "core:calendar_years", "calendar.manage", "system"),
    NavEntry(_("Audit trail"), "core:audit_list", "audit.view", "system"),
    NavEntry(_("Users"), "accounts:user_list", "accounts.manage", "system"),
    NavEntry(_("Grants"), "accounts:grant_user_list", "grants.manage", "system"),
    NavEntry(_("Locked accounts"), "accounts:locked_list", "accounts.unlock", "system"),
    NavEntry(_("My API tokens"), "accounts:own_tokens", None, "account"),
    NavEntry(_("Change password"), "accounts:password_change", None, "account", audience=ANYONE),
]


def _shown(entry: NavEntry, user) -> bool:
    if entry.audience == STAFF and not user.is_staff_member:
        return False
    if entry.audience == RESIDENT and user.own_household_id(entry.permission) is None:
        return False
    if entry.permission is None:
        return True
    wanted = (entry.permission,) if isinstance(entry.permission, str) else entry.permission
    return any(user.has_permission(p) for p in wanted)


def _link(entry: NavEntry, path: str) -> dict:
    url = reverse(entry.url_name)
    active = path == url or (not entry.exact and url != "/" and path.startswith(url))
    return {"label": entry.label, "url": url, "active": active}


def nav_items(request) -> list[dict]:
    """The menu for this user: links, and groups of links ({"label", "children", "active"})."""
    items: list[dict] = []
    groups: dict[str, dict] = {}
    for entry in ENTRIES:
        if not _shown(entry, request.user):
            continue
        link = _link(entry, request.path)
        if not entry.group:
            items.append(link)
            continue
        if entry.group not in groups:
            groups[entry.group] = {"label": GROUPS[entry.group], "children": [], "active": False}
            items.append(groups[entry.group])
        groups[entry.group]["children"].append(link)
        groups[entry.group]["active"] |= link["active"]
    # A menu of one entry is just that entry.
    return [item["children"][0] if len(item.get("children", ())) == 1 else item for item in items]
