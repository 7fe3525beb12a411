"""The account pages' entries in the menu: people and grants 系统管理, and my account 我的账号."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import ANYONE, NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(_("Users"), "accounts:user_list", "accounts.manage", "system"),
        NavEntry(_("Grants"), "accounts:grant_user_list", "grants.manage", "system"),
        NavEntry(_("Locked accounts"), "accounts:locked_list", "accounts.unlock", "system"),
        place=81,
    )
    register(
        NavEntry(_("My API tokens"), "accounts:own_tokens", None, "account"),
        NavEntry(
            _("Change password"), "accounts:password_change", None, "account", audience=ANYONE
        ),
        place=90,
    )
