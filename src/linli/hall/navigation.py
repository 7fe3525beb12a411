"""The service hall's entries in the menu 便民服务, and the resident's own."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import ANYONE, RESIDENT, NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(_("Counter"), "services:counter", "services.apply", "hall"),
        NavEntry(_("Applications"), "services:application_list", "services.view", "hall"),
        NavEntry(_("To do"), "services:step_queue", "services.step", "hall"),
        NavEntry(
            _("Due soon and overdue"),
            "services:due_list",
            ("services.view", "services.step"),
            "hall",
        ),
        NavEntry(_("Outreach tasks"), "services:outreach_list", "outreach.view", "hall"),
        NavEntry(_("Service hall figures"), "services:dashboard", "hall.view", "hall"),
        NavEntry(_("Service catalogue"), "services:catalogue", None, "hall", audience=ANYONE),
        NavEntry(
            _("Catalogue administration"), "services:catalogue_manage", "catalogue.manage", "hall"
        ),
        place=20,
    )
    register(
        NavEntry(
            _("My applications"), "services:my_applications", "services.view", audience=RESIDENT
        ),
        NavEntry(_("Apply online"), "services:apply_online", "services.apply", audience=RESIDENT),
        place=30,
    )
