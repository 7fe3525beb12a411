"""This part's menu entries (registered by `DecideConfig.ready`)."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(_("Matter tasks"), "matter_tasks:list", ("decide.view", "decide.task"), "decide"),
        place=47,
    )
