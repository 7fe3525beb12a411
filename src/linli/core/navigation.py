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
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .actors import Actor
from .resident_home import resident_person

STAFF, RESIDENT, ANYONE = "staff", "resident", "anyone"


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    permission: str | tuple[str, ...] | None  # any one of them
    group: str = ""
    audience: str = STAFF
    exact: bool = False
    resident_label: str | Promise = ""  # what a resident reads instead (their home, not 工作台)


GROUPS = {
    "registry": _("Registry"),
    "hall": _("Service hall"),
    "visits": _("Five links and visits"),
    "appeals": _("Appeals and disputes"),
    "decide": _("Residents decide"),
    "system": _("System"),
    "account": _("My account"),
}


def register_group(key: str, label) -> None:
    """A module's own menu group (its entries name it as their `group`)."""
    GROUPS[key] = label


# Each module registers its own entries from its AppConfig.ready (`register`), so the menu knows
# no module. `place` orders the blocks of entries (stable within one place); a group shows where
# its first entry falls. The core's blocks are 0 (workbench, areas) and 80 (system pages).
_BLOCKS: list[tuple[int, tuple[NavEntry, ...]]] = []


def register(*entries: NavEntry, place: int) -> None:
    """Add `entries` to the menu at `place` (once, however often a module's ready runs)."""
    if any(block == entries for _, block in _BLOCKS):
        return
    _BLOCKS.append((place, entries))
    _BLOCKS.sort(key=lambda item: item[0])


def entries() -> list[NavEntry]:
    """Every registered entry, in menu order."""
    return [entry for _, block in _BLOCKS for entry in block]


register(
    NavEntry(_("Workbench"), "core:workbench", None, audience=ANYONE, resident_label=_("My home")),
    NavEntry(_("Areas"), "core:area_tree", "area.view"),
    place=0,
)
register(
    NavEntry(_("Working-day calendar"), "core:calendar_years", "calendar.manage", "system"),
    NavEntry(_("Audit trail"), "core:audit_list", "audit.view", "system"),
    place=80,
)


def _shown(entry: NavEntry, user: Actor) -> bool:
    if entry.audience == STAFF and not user.is_staff_member:
        return False
    if entry.audience == RESIDENT and (
        not isinstance(entry.permission, str) or user.own_household_id(entry.permission) is None
    ):
        return False
    if entry.permission is None:
        return True
    wanted = (entry.permission,) if isinstance(entry.permission, str) else entry.permission
    return any(user.has_permission(p) for p in wanted)


def _link(entry: NavEntry, path: str, resident: bool = False) -> dict:
    url = reverse(entry.url_name)
    active = path == url or (not entry.exact and url != "/" and path.startswith(url))
    label = entry.resident_label if resident and entry.resident_label else entry.label
    return {"label": label, "url": url, "active": active}


def nav_items(request) -> list[dict]:
    """The menu for this user: links, and groups of links ({"label", "children", "active"})."""
    items: list[dict] = []
    groups: dict[str, dict] = {}
    resident = resident_person(request.user) is not None
    for entry in entries():
        if not _shown(entry, request.user):
            continue
        link = _link(entry, request.path, resident)
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
