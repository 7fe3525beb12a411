"""The resident's home 居民首页: what `/` shows a resident instead of the staff's workbench.

Each module adds its own cards (search, common items, my household, my applications …) from its
AppConfig.ready through `register_card`, as modules add the workbench's tiles, so the home knows
no module. A card's `context_fn(user, person)` reads what the card shows, scoped to the resident's
own household and community, in a fixed number of queries; it returns None when the card has
nothing to show that resident (no placeholders).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .actors import Actor

ContextFn = Callable[[Actor, Any], "dict | None"]


@dataclass(frozen=True)
class Card:
    name: str
    order: int
    template: str
    context_fn: ContextFn


_CARDS: dict[str, Card] = {}


def register_card(name: str, order: int, template: str, context_fn: ContextFn) -> None:
    """Add a card to the resident's home at `order` (once per `name`, however often a module's
    ready runs)."""
    _CARDS[name] = Card(name, order, template, context_fn)


def cards() -> list[Card]:
    return sorted(_CARDS.values(), key=lambda card: (card.order, card.name))


def resident_person(user: Actor):
    """The registry record of a signed-in resident who holds no staff role (None: not one)."""
    if not getattr(user, "is_authenticated", False) or user.is_staff_member:
        return None
    return getattr(user, "resident_record", None)


def home_cards(user: Actor, person) -> list[dict]:
    """The cards this resident's home shows, in order: {"name", "template", **context}."""
    shown = []
    for card in cards():
        context = card.context_fn(user, person)
        if context is None:
            continue
        shown.append({"name": card.name, "template": card.template, **context})
    return shown
