"""Who acts 操作人: what the core and the modules' services and selectors ask of the person (or
the system account) on whose behalf they read or write.

The accounts module's `User` is the actor there is; the core may not import it (the modules
stand in layers, see pyproject.toml), so `Actor` names, as a protocol, what the code below the
accounts module relies on: whether one is signed in and active, whether one is staff, the
permissions one holds and over which areas, and one's own household. Each function says what
`None` stands for where it accepts it (most often a trusted system job, or nobody).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Area


class Actor(Protocol):
    """A user as the core sees one: an account with grants (`accounts.User`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_staff_member(self) -> bool: ...

    @property
    def is_system_account(self) -> bool: ...

    def get_username(self) -> str: ...

    def has_permission(self, perm: str) -> bool: ...

    def scope_paths(self, perm: str) -> list[str]:
        """Area-tree prefixes over which the user holds `perm` (see core.scoping)."""
        ...

    def own_household_id(self, perm: str) -> int | None:
        """The user's own household, when a resident's grant gives `perm` over it."""
        ...

    def scope_areas(self) -> list[Area]:
        """The top areas of the user's grants."""
        ...


def account_id(actor: Actor | None) -> int | None:
    """The id to store as who acted: the signed-in account's; None for a trusted job (no actor)
    or a visitor who is not signed in."""
    return actor.pk if actor is not None and actor.is_authenticated else None
