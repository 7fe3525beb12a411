from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServicesConfig(AppConfig):
    """一站式服务 — the one-stop service hall: catalogue, applications, routes, outreach."""

    name = "linli.services"
    label = "services"
    verbose_name = _("One-stop service hall")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.core.figure_sections import FigureSection, register
        from linli.core.selectors import register_tiles

        from .figures import figure_rows
        from .selectors import workbench_tiles

        register_tiles(workbench_tiles)
        register(
            FigureSection("service_hall", pgettext_lazy("figure", "Service hall"), figure_rows)
        )
