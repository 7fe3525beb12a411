"""The appeals module's entries in the menu 诉求 (the handlers' disputes' checks due among them),
the administrator's Open311 keys under 系统管理, and the resident's own."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import RESIDENT, NavEntry, register

from .open311.keys import MANAGE
from .tiers import HANDLE_PERMISSIONS


def register_entries() -> None:
    register(
        NavEntry(
            _("Appeals to handle"),
            "appeals:queue",
            tuple(HANDLE_PERMISSIONS.values()),
            "appeals",
            exact=True,
        ),
        NavEntry(_("All appeals"), "appeals:list", "appeals.view", "appeals"),
        NavEntry(_("Record an appeal"), "appeals:create", "appeals.report", "appeals"),
        NavEntry(_("Appeal categories"), "appeals:categories", "appeals.categories", "appeals"),
        NavEntry(
            _("Agreement checks due"),
            "disputes:checks_due",
            tuple(HANDLE_PERMISSIONS.values()),
            "appeals",
        ),
        place=45,
    )
    register(NavEntry(_("Open311 keys"), "open311_keys:list", MANAGE, "system"), place=82)
    register(
        NavEntry(_("My appeals"), "appeals:mine", "appeals.view", audience=RESIDENT, exact=True),
        NavEntry(_("Raise a matter"), "appeals:raise", "appeals.report", audience=RESIDENT),
        place=35,
    )
