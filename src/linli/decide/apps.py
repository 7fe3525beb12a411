from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecideConfig(AppConfig):
    """由民做主 — residents decide: a matter 议事事项 raised by a resident (or an opinion collector
    on their behalf) passes through the five steps of the five-democracy method 五民主工作法 —
    propose 民主提事, deliberate 民主议事, decide 民主决策, manage 民主管理, supervise 民主监督 —
    in the open, on the community's public board 公开栏, beside the party members' public
    commitments 党员公开承诺榜."""

    name = "linli.decide"
    label = "decide"
    verbose_name = _("Residents decide")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from linli.core.figure_sections import FigureSection, register
        from linli.core.selectors import register_tiles

        from .board import navigation as board_navigation
        from .dashboard import navigation as dashboard_navigation
        from .figures import SECTION_TITLE, figure_rows
        from .manage import navigation as manage_navigation
        from .navigation import register_entries
        from .tiles import decide_tiles
        from .votes import navigation as votes_navigation

        register(FigureSection("decide", SECTION_TITLE, figure_rows))
        register_entries()
        register_tiles(decide_tiles, place=50)
        from .home import register_cards

        register_cards()
        votes_navigation.register_entries()
        manage_navigation.register_entries()
        board_navigation.register_entries()
        dashboard_navigation.register_entries()
