"""The residents-decide module's menu entries 由民做主 (its group in the menu)."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import register_group


def register_entries() -> None:
    register_group("decide", _("Residents decide"))
