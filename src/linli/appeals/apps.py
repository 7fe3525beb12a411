from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    """诉求与矛盾纠纷 — appeals and disputes: whatever a resident raises, by any channel, handled
    at the lowest tier that can settle it (village → community → street → department), on the
    working-day calendar, and closed only after a return visit 回访.

    Its jobs (deadline escalation, deadlines moved when the calendar changes) are found in
    `tasks.py` by the periodic schedule; its workbench tiles and menu entries register here."""

    name = "linli.appeals"
    label = "appeals"
    verbose_name = _("Appeals and disputes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.core.selectors import register_tiles

        from .navigation import register_entries
        from .tiles import appeal_tiles

        register_tiles(appeal_tiles, place=45)
        from .home import register_cards

        register_cards()
        register_entries()
        from linli.core.figure_sections import FigureSection, register

        from .dashboard.navigation import register_entries as register_dashboard_entries
        from .disputes.figures import register as register_dispute_figures
        from .figures import SECTION_TITLE, figure_rows

        register_dashboard_entries()
        register(FigureSection("appeals", SECTION_TITLE, figure_rows))
        register_dispute_figures()
