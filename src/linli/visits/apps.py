from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    """五联与走访 — five links and visits: contact chains, visits, needs and coverage."""

    name = "linli.visits"
    label = "visits"
    verbose_name = _("Five links and visits")
    default_auto_field = "django.db.models.BigAutoField"
