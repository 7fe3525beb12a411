"""The residents-decide module's menu entries 由民做主: the staff's matters and categories, and
the resident's community matters and 我要提事."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import RESIDENT, NavEntry, register, register_group


def register_entries() -> None:
    register_group("decide", _("Residents decide"))
    register(
        NavEntry(
            _("Matters waiting for me"),
            "decide:queue",
            ("decide.manage", "decide.advise"),
            "decide",
            exact=True,
        ),
        NavEntry(_("Matters"), "decide:list", "decide.view", "decide"),
        NavEntry(_("Matter categories"), "decide:categories", "decide.categories", "decide"),
        place=50,
    )
    register(
        NavEntry(
            _("Community matters"),
            "decide:community",
            "decide.participate",
            audience=RESIDENT,
            exact=True,
        ),
        NavEntry(_("Propose a matter"), "decide:raise", "decide.propose", audience=RESIDENT),
        place=36,
    )
