"""The demo's residents decide 由民做主, through the module's services: the 14 matter categories
and the advisory 顾问团 and supervision 监督团 panels of 工福街社区 and 苇湾社区, the demo's panel
logins sitting on them."""

from __future__ import annotations

from linli.accounts.models import User
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.decide import services
from linli.decide.choices import PanelKind
from linli.decide.models import MatterCategory

from .decide_data import PANELS, MemberData


def _members(panel, members: tuple[MemberData, ...], categories: dict) -> None:
    for member in members:
        account = User.objects.filter(username=member.login).first() if member.login else None
        services.panel_member_add(
            actor=None,
            panel=panel,
            name=member.name,
            background=member.background,
            account=account,
            categories=[categories[code] for code in member.categories],
        )


def build_decide() -> dict[str, int]:
    """Categories and panels; returns how many of each were made."""
    made = services.categories_install(actor=None)
    categories = {c.code: c for c in MatterCategory.objects.all()}
    panels = 0
    for data in PANELS:
        community = Area.objects.filter(name=data.community, kind=AreaKind.COMMUNITY).first()
        if community is None:  # a district built without 奎文区
            continue
        advisory = services.panel_create(
            actor=None, area=community, kind=PanelKind.ADVISORY, name=data.advisory
        )
        supervision = services.panel_create(
            actor=None, area=community, kind=PanelKind.SUPERVISION, name=data.supervision
        )
        _members(advisory, data.advisers, categories)
        _members(supervision, data.supervisors, categories)
        panels += 2
    return {"categories": made, "panels": panels}
