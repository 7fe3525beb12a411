"""The registry's entries in the menu 登记."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(_("Overview"), "registry:overview", "registry.view", "registry"),
        NavEntry(_("Households"), "registry:household_list", "registry.view", "registry"),
        NavEntry(_("Residents"), "registry:resident_list", "registry.view", "registry"),
        NavEntry(_("Organisations"), "registry:organisation_list", "organisation.view", "registry"),
        NavEntry(_("Posts"), "registry:post_list", "organisation.view", "registry"),
        NavEntry(_("Tags"), "registry:tag_list", "tags.manage", "registry"),
        place=10,
    )
