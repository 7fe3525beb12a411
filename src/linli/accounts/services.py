"""Writes to accounts: users, grants, API tokens. Each audited."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit

from .models import ApiToken, Grant, User
from .roles import SEPARATED_ROLES, Role


@transaction.atomic
def user_create(
    *, actor, username: str, password: str, display_name: str = "", check_password: bool = True
) -> User:
    if actor is not None and not actor.has_permission("accounts.manage"):
        raise PermissionDenied
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, display_name=display_name)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record_change(
        actor=actor, obj=user, before=None, after=audit.snapshot(user, exclude=("password",))
    )
    return user


def _check_separation(user: User, role: str) -> None:
    held = set(
        Grant.objects.filter(user=user)
        .exclude(ends_on__lt=timezone.localdate())
        .values_list("role", flat=True)
    )
    if not held or held == {role}:
        return
    if role in SEPARATED_ROLES or held & SEPARATED_ROLES:
        raise ValidationError(
            {
                "role": _(
                    "Administrator, security officer and auditor are separate duties: "
                    "a person who holds one of them may hold no other role."
                )
            }
        )


@transaction.atomic
def grant_create(
    *, actor, user: User, role: str, area, organisation=None, starts_on=None, ends_on=None
) -> Grant:
    """Give `user` a role over `area`. The security officer grants roles (三权分立), except when
    the deployment is being set up from the command line (actor None)."""
    if actor is not None and not actor.has_permission("grants.manage"):
        raise PermissionDenied
    User.objects.select_for_update().get(pk=user.pk)
    Role(role)  # unknown roles fail loudly
    _check_separation(user, role)
    if role == Role.DEPARTMENT_STAFF and organisation is None:
        raise ValidationError({"organisation": _("Department staff need their department.")})
    grant = Grant(
        user=user,
        role=role,
        area=area,
        organisation=organisation,
        granted_by=actor if actor is not None else None,
    )
    if starts_on:
        grant.starts_on = starts_on
    grant.ends_on = ends_on
    grant.save()
    audit.record_change(actor=actor, obj=grant, before=None, after=audit.snapshot(grant))
    user.__dict__.pop("active_grants", None)
    return grant


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, actor, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Returns the token record and the key, which is shown once and never stored."""
    key = "lk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[3:11], key_hash=_hash_key(key), expires_at=expires_at
    )
    audit.record_change(
        actor=actor, obj=token, before=None, after=audit.snapshot(token, exclude=("key_hash",))
    )
    return token, key


def api_token_user(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_key(key), revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
