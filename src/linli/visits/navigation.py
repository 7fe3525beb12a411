"""The visits module's entries in the menu 五联走访."""

from django.utils.translation import gettext_lazy as _

from linli.core.navigation import NavEntry, register


def register_entries() -> None:
    register(
        NavEntry(
            _("My households to visit"),
            "visits:my_households",
            "visits.record",
            "visits",
            exact=True,
        ),
        NavEntry(_("Visit records"), "visits:visit_list", "visits.view", "visits"),
        NavEntry(_("Needs found on visits"), "visits:need_list", "visits.view", "visits"),
        NavEntry(_("Overdue visits"), "visits:overdue", "visits.view", "visits"),
        NavEntry(_("Contact assignments"), "visits:assignment_list", "visits.view", "visits"),
        NavEntry(_("Visit coverage"), "visits:coverage", "visits.view", "visits"),
        NavEntry(_("Visit policies"), "visits:policy_list", "visits.policy", "visits"),
        place=40,
    )
