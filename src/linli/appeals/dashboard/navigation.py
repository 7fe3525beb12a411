"""The dashboard's entry in the menu 诉求与矛盾纠纷."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(_("Appeal figures"), "appeals:dashboard", "appeals.view", "appeals"), place=25
    )
