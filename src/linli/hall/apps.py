from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServicesConfig(AppConfig):
    """一站式服务 — the one-stop service hall: catalogue, applications, routes, outreach."""

    name = "linli.hall"
    label = "services"
    verbose_name = _("One-stop service hall")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.accounts.services import when_granted
        from linli.core.figure_sections import FigureSection, register
        from linli.core.selectors import register_tiles

        from .applications.selectors import workbench_tiles
        from .dashboard.figures import figure_rows
        from .home import register_cards
        from .navigation import register_entries
        from .outreach.services import on_grant

        register_tiles(workbench_tiles)
        register_cards()
        register_entries()
        when_granted(on_grant)
        register(
            FigureSection("service_hall", pgettext_lazy("figure", "Service hall"), figure_rows)
        )
