"""The dashboard's entry in the menu."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(
            _("Residents-decide figures"), "decide_dashboard:dashboard", "decide.view", "decide"
        ),
        place=26,
    )
