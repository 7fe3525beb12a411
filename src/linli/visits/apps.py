from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VisitsConfig(AppConfig):
    """五联与走访 — five links and visits: contact chains, visits, needs and coverage."""

    name = "linli.visits"
    label = "visits"
    verbose_name = _("Five links and visits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.core.figure_sections import FigureSection, register
        from linli.core.selectors import register_tiles

        from .figures import figure_rows
        from .navigation import register_entries
        from .tiles import visit_tiles

        register_tiles(visit_tiles)
        register_entries()

        register(
            FigureSection(
                "visits", pgettext_lazy("figure", "Visits in the past 12 months"), figure_rows
            )
        )
