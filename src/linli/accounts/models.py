from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Area

from .roles import OWN_HOUSEHOLD_ROLES, ROLE_PERMISSIONS, STAFF_ROLES, Role


class User(AbstractUser):
    """用户 — a person who logs in (staff or resident), or a system account 系统账号 that another
    system (a 12345 hotline gateway, an Open311 client) calls the API with. What either may do
    comes from grants."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # A system account has no password and holds no personal role: it exists so that the
    # administrator never has to hold a token that acts as a person (三权分立).
    is_system_account = models.BooleanField(_("system account"), default=False)
    # Set when someone other than the person chose the password (an administrator creating the
    # account or resetting it): every page leads to the password change until it is changed.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def active_grants(self) -> list[Grant]:
        today = timezone.localdate()
        return list(
            self.grants.filter(starts_on__lte=today)
            .filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today))
            .select_related("area", "organisation")
        )

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.active_grants}

    @property
    def is_staff_member(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def has_permission(self, perm: str) -> bool:
        return any(perm in ROLE_PERMISSIONS[g.role] for g in self.active_grants)

    def scope_paths(self, perm: str) -> list[str]:
        """Area-tree prefixes over which this user holds `perm` (see core.scoping)."""
        return [
            g.area.path
            for g in self.active_grants
            if g.role not in OWN_HOUSEHOLD_ROLES and perm in ROLE_PERMISSIONS[g.role]
        ]

    def own_household_id(self, perm: str) -> int | None:
        if not any(
            g.role in OWN_HOUSEHOLD_ROLES and perm in ROLE_PERMISSIONS[g.role]
            for g in self.active_grants
        ):
            return None
        person = getattr(self, "resident_record", None)
        return person.household_id if person is not None else None

    def scope_areas(self) -> list[Area]:
        """The top areas of this user's grants, for the area switcher."""
        areas = {g.area.path: g.area for g in self.active_grants}
        return [
            areas[p] for p in sorted(areas) if not any(p != q and p.startswith(q) for q in areas)
        ]


class Grant(models.Model):
    """授权 — one role over one area subtree (and, for department staff, one organisation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(Area, verbose_name=_("scope area"), on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    starts_on = models.DateField(_("from"), default=dt.date.today)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Marked on the grants of a user's page (`selectors.grant_list`).
    ended: bool
    in_force: bool
    can_end: bool

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["user_id", "role"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"


class ApiToken(models.Model):
    """接口令牌 — a bearer token for the API. Only its SHA-256 is stored. A person issues their
    own; the administrator issues them for system accounts only."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    issued_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
