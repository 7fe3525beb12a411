from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "linli.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from linli.core.selectors import register_area_node_annotator, register_tiles

        from .navigation import register_entries
        from .tiles import household_counts, registry_tiles

        register_tiles(registry_tiles, place=10)
        from .home import register_cards

        register_cards()
        register_area_node_annotator(household_counts)
        register_entries()
