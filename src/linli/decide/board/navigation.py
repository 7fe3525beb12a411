"""This part's menu entries (registered by `DecideConfig.ready`): the resident's 我的社区公开栏
and the staff's public boards."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import RESIDENT, NavEntry, register


def register_entries() -> None:
    register(NavEntry(_("Public boards"), "board:index", "decide.view", "decide"), place=48)
    register(
        NavEntry(
            _("My community's public board"),
            "board:index",
            "decide.participate",
            audience=RESIDENT,
        ),
        place=36,
    )
