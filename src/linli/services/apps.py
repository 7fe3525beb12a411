from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    """一站式服务 — the one-stop service hall: catalogue, applications, routes, outreach."""

    name = "linli.services"
    label = "services"
    verbose_name = _("One-stop service hall")
    default_auto_field = "django.db.models.BigAutoField"
