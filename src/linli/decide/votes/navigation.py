"""This part's menu entries (registered by `DecideConfig.ready`): the staff's votes, and the
resident's 我要投票."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import RESIDENT, NavEntry, register


def register_entries() -> None:
    register(NavEntry(_("Votes"), "votes:list", "decide.view", "decide"), place=47)
    register(NavEntry(_("Vote"), "votes:mine", "decide.participate", audience=RESIDENT), place=36)
